package syncbuf

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Writes from many goroutines all arrive whole (and -race finds no race).
func TestConcurrentWrites(t *testing.T) {
	var buf Buffer
	var out bytes.Buffer
	w := &Writer{W: &out}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = buf.Write([]byte("line\n"))
				_, _ = w.Write([]byte("line\n"))
			}
		})
	}
	wg.Wait()
	assert.Equal(t, strings.Repeat("line\n", 800), buf.String())
	assert.Equal(t, strings.Repeat("line\n", 800), out.String())
}
