package shadow_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/internal/syncbuf"
	"github.com/shadowscale/shadowscale/mirror"
	"github.com/shadowscale/shadowscale/policy"
)

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// driftForecaster extrapolates the mean slope of the last k observations,
// with an interval from the spread of recent one-step changes. It is a
// small real forecaster, enough to exercise the loop.
type driftForecaster struct {
	k    int
	obs  []float64
	last time.Time
	step time.Duration
	err  error // returned by Forecast when set
}

func (d *driftForecaster) Observe(t time.Time, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return fmt.Errorf("%w: %v", forecast.ErrInvalidValue, v)
	}
	d.obs = append(d.obs, v)
	if len(d.obs) > d.k {
		d.obs = d.obs[1:]
	}
	d.last = t
	return nil
}

func (d *driftForecaster) Forecast(h int, level float64) (forecast.Forecast, error) {
	if d.err != nil {
		return forecast.Forecast{}, d.err
	}
	n := len(d.obs)
	if n < 3 {
		return forecast.Forecast{}, fmt.Errorf("%w: %d observations", forecast.ErrInsufficientHistory, n)
	}
	slope := (d.obs[n-1] - d.obs[0]) / float64(n-1)
	f := forecast.Forecast{Start: d.last.Add(d.step), Step: d.step, Level: level, Model: "drift"}
	for i := 1; i <= h; i++ {
		m := math.Max(0, d.obs[n-1]+slope*float64(i))
		w := 0.1 * m * math.Sqrt(float64(i))
		f.Mean = append(f.Mean, m)
		f.Lower = append(f.Lower, math.Max(0, m-w))
		f.Upper = append(f.Upper, m+w)
	}
	return f, nil
}

// peakPolicy provisions for the forecast peak over the lead time (the
// bound on it, when the forecaster gives one), falling
// back to the observed load; it never goes below what the observed load
// needs.
var peakPolicy = policy.Func(func(in policy.Input) (policy.Decision, error) {
	if err := in.Validate(); err != nil {
		return policy.Decision{}, err
	}
	need := in.Load
	reason := fmt.Sprintf("observed %.1f", in.Load)
	if _, up := in.PeakForecast().Peak(in.LeadSteps); up > need {
		need = up
		reason = fmt.Sprintf("forecast peak %.1f over %d steps", up, in.LeadSteps)
	}
	t := policy.Clamp(policy.Replicas(need, in.PerReplica, in.TargetUtilization), in.Min, in.Max)
	d := policy.NewDecision(in.Current, t, reason)
	if in.Shadow.Valid && in.Shadow.Latency > 200*time.Millisecond {
		d = policy.NewDecision(in.Current, policy.Clamp(t*2, in.Min, in.Max), "shadow latency high")
		d.ShadowTriggered = true
	}
	return d, nil
})

// fakeMirror is a minimal Mirror with settable stats.
type fakeMirror struct {
	mu       sync.Mutex
	stats    mirror.Stats
	err      error
	fraction float64
	sets     []float64
	frozen   bool // the test stops refreshing stats, so they go stale
}

func (m *fakeMirror) Stats(context.Context) (mirror.Stats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats, m.err
}

func (m *fakeMirror) SetFraction(f float64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fraction = f
	m.sets = append(m.sets, f)
	return nil
}

func (m *fakeMirror) set(s mirror.Stats, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats, m.err = s, err
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer = syncbuf.Buffer

func testLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// instant is an After that fires at once, for retries in Step-driven tests.
func instant(time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	c <- time.Time{}
	return c
}
