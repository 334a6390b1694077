package mirror

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// budgetSlack is the documented constant of the memory bound: the live
// heap a Tee adds while uploads are paused mid-body stays within
// Config.MemoryBudget + budgetSlack of the same traffic not mirrored.
const budgetSlack = 4 << 20

// pausedUploads starts n uploads through h, each sending sent bytes of its
// body and pausing there; half declare a length of declared bytes, half
// are chunked. It returns when every upload is paused, with a function
// that finishes them and waits for the handlers.
func pausedUploads(h http.Handler, n, sent int, declared int64) (finish func()) {
	chunk := make([]byte, sent)
	gate := make(chan struct{})
	var paused, done sync.WaitGroup
	paused.Add(n)
	for i := range n {
		pr, pw := io.Pipe()
		req, _ := http.NewRequest(http.MethodPost, "http://api.internal/upload", pr)
		req.RemoteAddr = "192.0.2.1:1234"
		req.ContentLength = -1
		if i%2 == 0 {
			req.ContentLength = declared
		}
		done.Go(func() {
			_, _ = pw.Write(chunk) // returns once the handler has read it
			paused.Done()
			<-gate
			_ = pw.Close()
		})
		done.Go(func() { h.ServeHTTP(discardWriter{}, req) })
	}
	paused.Wait()
	return func() { close(gate); done.Wait() }
}

func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestSlowUploadsStayWithinBudget: 1,000 concurrent uploads declaring
// 1 MiB (or chunked), each paused after 64 KiB, all sampled. The heap the
// Tee adds stays within MemoryBudget + budgetSlack of the same uploads
// through a Tee that samples nothing; the copies that did not fit are
// counted as memory_budget drops and every primary body is read whole.
func TestSlowUploadsStayWithinBudget(t *testing.T) {
	const uploads, sent, declared = 1000, 64 << 10, 1 << 20
	measure := func(fraction float64) (growth uint64, tee *Tee, primaryBytes int64) {
		cfg := baseConfig("http://shadow.internal")
		cfg.Fraction = fraction
		cfg.Methods = []string{http.MethodPost}
		cfg.MemoryBudget = 16 << 20
		cfg.QueueSize = uploads
		cfg.Window = 24 * time.Hour
		cfg.Transport = funcRT(func(r *http.Request) (*http.Response, error) {
			_, _ = io.Copy(io.Discard, r.Body)
			return okResponse(r, http.StatusOK, ""), nil
		})
		tee = newTee(t, cfg)
		var mu sync.Mutex
		h := tee.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, _ := io.Copy(io.Discard, r.Body)
			mu.Lock()
			primaryBytes += n
			mu.Unlock()
		}))
		base := liveHeap()
		finish := pausedUploads(h, uploads, sent, declared)
		paused := liveHeap()
		growth = paused - min(base, paused)
		assert.LessOrEqual(t, tee.budget.used.Load(), cfg.MemoryBudget)
		finish()
		require.NoError(t, tee.Flush(context.Background()))
		assert.Zero(t, tee.budget.used.Load(), "budget returned")
		return growth, tee, primaryBytes
	}
	plain, _, plainBytes := measure(0)
	mirrored, tee, teeBytes := measure(1)
	t.Logf("live heap growth with %d paused uploads: %.1f MiB not mirrored, %.1f MiB mirrored (budget 16 MiB)",
		uploads, float64(plain)/(1<<20), float64(mirrored)/(1<<20))
	assert.LessOrEqual(t, mirrored, plain+uint64(tee.cfg.MemoryBudget)+budgetSlack)
	assert.Equal(t, int64(uploads*sent), plainBytes)
	assert.Equal(t, plainBytes, teeBytes, "primary bodies untouched")

	rep, err := tee.Report(context.Background())
	require.NoError(t, err)
	s := rep.Shadows[0]
	t.Logf("sent %d, dropped %v", s.Requests, s.Drops)
	assert.Positive(t, s.Drops["memory_budget"])
	assert.Positive(t, s.Requests)
	assert.Equal(t, int64(uploads), s.Requests+s.Dropped, "every copy accounted for")
}
