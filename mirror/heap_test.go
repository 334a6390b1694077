package mirror

import (
	"context"
	"flag"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var heapRequests = flag.Int("mirror.heap-requests", 20_000, "requests sent by TestHeapBoundedWithDeadShadow (1000000 for the README figure)")

// TestHeapBoundedWithDeadShadow mirrors every request (with a body) to a
// shadow that refuses connections and checks that the live heap never
// grows past the configured bound: queued copies × (body + headers).
func TestHeapBoundedWithDeadShadow(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())

	cfg := baseConfig(dead)
	cfg.Methods = []string{http.MethodPost}
	cfg.QueueSize = 512
	cfg.Workers = 4
	cfg.MaxBodyBytes = 4096
	cfg.BreakerFailures = -1    // worst case: every copy goes through the queue
	cfg.Window = 24 * time.Hour // keep every count for the final check
	tee := newTee(t, cfg)
	h := tee.Wrap(okHandler)
	body := strings.Repeat("b", 2048)

	const perCopy = 4096 + 4096 // body buffer + header clone and request snapshot, generously
	bound := uint64(len(cfg.Shadows)*(cfg.QueueSize+cfg.Workers)*perCopy) + 8<<20
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	for i := range *heapRequests {
		req := httptest.NewRequest(http.MethodPost, "/upload", strings.NewReader(body))
		req.Header.Set("X-Request-Id", "r")
		h.ServeHTTP(discardWriter{}, req)
		if i%(*heapRequests/10) == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc-min(ms.HeapAlloc, base))
		}
	}
	waitIdle(tee)
	rep, err := tee.Report(context.Background())
	require.NoError(t, err)
	s := rep.Shadows[0]
	t.Logf("requests %d, peak live heap growth %.1f MiB (bound %.1f MiB), sent %d, dropped %v",
		*heapRequests, float64(peak)/(1<<20), float64(bound)/(1<<20), s.Requests, s.Drops)
	assert.LessOrEqual(t, peak, bound)
	assert.Equal(t, int64(*heapRequests), s.Requests+s.Dropped, "every copy accounted for")
	assert.Equal(t, s.Requests, s.TransportErrors)
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (discardWriter) WriteHeader(int)             {}
