package mirror

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	assert.Zero(t, h.quantile(0.5))
	for i := 1; i <= 100; i++ {
		h[histIndex(time.Duration(i)*time.Millisecond)]++
	}
	for q, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.95: 95 * time.Millisecond, 0.99: 99 * time.Millisecond} {
		got := h.quantile(q)
		assert.InEpsilon(t, float64(want), float64(got), 0.09, "q=%v got %s", q, got)
		assert.GreaterOrEqual(t, got, want, "upper bound")
	}
	assert.Equal(t, 0, histIndex(0))
	assert.Equal(t, histBuckets-1, histIndex(time.Hour))
}

// TestStatsSlidingWindow uses an explicit clock: the shadow transport moves
// the clock by the latency it simulates.
func TestStatsSlidingWindow(t *testing.T) {
	clk := newFakeClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	cfg := baseConfig("http://shadow.internal")
	cfg.Workers = 1
	cfg.Window = time.Minute
	cfg.WindowBuckets = 6
	cfg.Transport = funcRT(func(r *http.Request) (*http.Response, error) {
		switch r.URL.Path {
		case "/slow":
			clk.Add(400 * time.Millisecond)
		case "/err":
			clk.Add(10 * time.Millisecond)
			return okResponse(r, http.StatusServiceUnavailable, ""), nil
		default:
			clk.Add(10 * time.Millisecond)
		}
		return okResponse(r, http.StatusOK, ""), nil
	})
	tee := newTee(t, cfg, WithClock(clk))
	h := tee.Wrap(okHandler)
	send := func(path string, n int) {
		for range n {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
			waitIdle(tee) // one at a time: the clock is shared
		}
	}
	send("/fast", 97)
	send("/slow", 2)
	send("/err", 1)
	s, err := tee.Stats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, clk.Now(), s.At)
	assert.Equal(t, time.Minute, s.Window)
	assert.Equal(t, int64(100), s.Requests)
	assert.Equal(t, int64(1), s.Errors)
	assert.InDelta(t, 0.01, s.ErrorRate(), 1e-9)
	assert.InDelta(t, 100/60.0, s.Throughput(), 1e-9)
	assert.InEpsilon(t, float64(10*time.Millisecond), float64(s.P50), 0.09)
	assert.InEpsilon(t, float64(10*time.Millisecond), float64(s.P95), 0.09)
	assert.InEpsilon(t, float64(400*time.Millisecond), float64(s.P99), 0.09)

	clk.Add(30 * time.Second)
	send("/fast", 10)
	s, err = tee.Stats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(110), s.Requests, "both periods inside the window")

	clk.Add(45 * time.Second) // the first period slides out
	s, err = tee.Stats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(10), s.Requests)
	assert.Zero(t, s.Errors)

	clk.Add(2 * time.Minute)
	s, err = tee.Stats(context.Background())
	require.NoError(t, err)
	assert.Zero(t, s.Requests)
	assert.Zero(t, s.P99)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = tee.Stats(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

func TestDropReasonString(t *testing.T) {
	assert.Equal(t, "queue_full", DropQueueFull.String())
	assert.Equal(t, "redact_panic", DropRedactPanic.String())
	assert.Equal(t, "unknown drop reason: 42", DropReason(42).String())
	assert.Equal(t, "unknown outcome: 9", outcome(9).String())
}
