package mirror

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBreakerPausesDeadShadow: after BreakerFailures consecutive failures
// copies are dropped as shadow_down without a dial, for a pause that
// doubles while the shadow stays dead and resets once it answers.
func TestBreakerPausesDeadShadow(t *testing.T) {
	clk := newFakeClock(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	var dead atomic.Bool
	dead.Store(true)
	var calls atomic.Int64
	cfg := baseConfig("http://shadow.internal")
	cfg.Workers = 1
	cfg.BreakerFailures = 3
	cfg.BreakerPause = time.Second
	cfg.Window = time.Hour
	cfg.Transport = funcRT(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		if dead.Load() {
			return nil, errRefused
		}
		return okResponse(r, http.StatusOK, ""), nil
	})
	tee := newTee(t, cfg, WithClock(clk.Now))
	h := tee.Wrap(okHandler)
	send := func(n int) {
		for range n {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			require.Equal(t, "primary", rec.Body.String())
			waitIdle(tee)
		}
	}
	drops := func() int64 {
		rep, err := tee.Report(context.Background())
		require.NoError(t, err)
		return rep.Shadows[0].Drops["shadow_down"]
	}
	send(3)
	assert.Equal(t, int64(3), calls.Load())
	send(5)
	assert.Equal(t, int64(3), calls.Load(), "paused: no dial")
	assert.Equal(t, int64(5), drops())

	clk.Add(time.Second) // pause over: the shadow is tried again
	send(3)
	assert.Equal(t, int64(6), calls.Load())
	clk.Add(time.Second) // second pause is 2 s
	send(1)
	assert.Equal(t, int64(6), calls.Load())
	clk.Add(time.Second)
	dead.Store(false)
	send(4)
	assert.Equal(t, int64(10), calls.Load(), "recovered shadow gets every copy")
	dead.Store(true)
	send(2)
	assert.Equal(t, int64(12), calls.Load(), "an answer reset the failure count")
	assert.Equal(t, int64(6), drops())
}
