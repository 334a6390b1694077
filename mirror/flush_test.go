package mirror

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStatsExactAfterFlush: right after Flush the stats count every copy
// taken, against a real loopback shadow; repeated to catch a lag.
func TestStatsExactAfterFlush(t *testing.T) {
	shadow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer shadow.Close()
	cfg := baseConfig(shadow.URL)
	cfg.Window = time.Hour
	tee := newTee(t, cfg)
	h := tee.Wrap(okHandler)
	for round := 1; round <= 20; round++ {
		for range 10 {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		}
		require.NoError(t, tee.Flush(context.Background()))
		s, err := tee.Stats(context.Background())
		require.NoError(t, err)
		require.Equal(t, int64(10*round), s.Requests, "round %d", round)
	}
	drain(t, tee)
	shadow.CloseClientConnections()
}

// TestFlushHonoursContext: a copy stuck in a transport keeps Flush waiting
// until its context ends.
func TestFlushHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		cfg := baseConfig("http://shadow.internal")
		cfg.Transport = funcRT(func(r *http.Request) (*http.Response, error) {
			<-release
			return okResponse(r, http.StatusOK, ""), nil
		})
		tee, err := New(cfg)
		require.NoError(t, err)
		tee.Wrap(okHandler).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		require.ErrorIs(t, tee.Flush(ctx), context.DeadlineExceeded)
		close(release)
		require.NoError(t, tee.Flush(context.Background()))
		require.NoError(t, tee.Close(context.Background()))
	})
}

// TestCloseDrainsQueuedCopies: Close lets queued and in-flight copies
// finish (they are sent, not dropped) before stopping the workers.
func TestCloseDrainsQueuedCopies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		cfg := baseConfig("http://shadow.internal")
		cfg.Workers = 1
		cfg.Transport = funcRT(func(r *http.Request) (*http.Response, error) {
			<-release
			return okResponse(r, http.StatusOK, ""), nil
		})
		tee, err := New(cfg)
		require.NoError(t, err)
		h := tee.Wrap(okHandler)
		for range 3 {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		}
		closed := make(chan error, 1)
		go func() { closed <- tee.Close(context.Background()) }()
		synctest.Wait()
		select {
		case err := <-closed:
			t.Fatalf("Close returned %v before the copies were sent", err)
		default:
		}
		close(release)
		require.NoError(t, <-closed)
		rep, err := tee.Report(context.Background())
		require.NoError(t, err)
		assert.Equal(t, int64(3), rep.Requests)
		assert.Zero(t, rep.Dropped)
	})
}

// TestCloseDrainDeadline: copies still queued or in flight after
// DrainTimeout are cancelled and counted as closed drops.
func TestCloseDrainDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := baseConfig("http://shadow.internal")
		cfg.Workers = 1
		cfg.DrainTimeout = time.Second
		cfg.Timeout = time.Minute
		cfg.Transport = funcRT(func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		})
		tee, err := New(cfg)
		require.NoError(t, err)
		h := tee.Wrap(okHandler)
		for range 3 {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		}
		start := time.Now()
		require.NoError(t, tee.Close(context.Background()))
		assert.Equal(t, time.Second, time.Since(start), "waited exactly DrainTimeout (fake time)")
		rep, err := tee.Report(context.Background())
		require.NoError(t, err)
		assert.Zero(t, rep.Requests)
		assert.Equal(t, int64(3), rep.Shadows[0].Drops["closed"], "one cancelled in flight, two purged")
		assert.Zero(t, tee.budget.used.Load())
	})
}
