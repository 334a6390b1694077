package shadow_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/mirror"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
)

// restartable builds the Controller of the restart tests: Auto on a daily
// cycle, the predictive stack with a scale-down stabilization window (so
// that the policy keeps state worth saving), lead-time learning on and a
// Brutlag anomaly detector over a Holt-Winters forecaster of its own.
func restartable(t *testing.T, src shadow.MetricsSource, grp *actuatortest.Group, opts ...shadow.Option) *shadow.Controller {
	t.Helper()
	return restartableAt(t, 0, 0, src, grp, opts...)
}

// restartAfter runs a restartable Controller saving to a fresh store
// through passes [0, k), setting *now to at(i) for each, and returns a new
// one restored from that store on the same production group.
func restartAfter(t *testing.T, src shadow.MetricsSource, grp *actuatortest.Group, k int, now *time.Time, at func(int) time.Time) *shadow.Controller {
	t.Helper()
	store := &memStore{}
	b := restartable(t, src, grp, shadow.WithStateStore(store, "checkout"))
	for i := range k {
		*now = at(i)
		_, err := b.Step(context.Background(), *now)
		require.NoError(t, err, "pass %d", i)
	}
	return restartable(t, src, grp, shadow.WithStateStore(store, "checkout"))
}

// requireSamePass fails unless the restarted Controller's report r of pass
// i has the plan and decision of the uninterrupted one's w, and its
// forecast (model, start, means and upper bounds) and bound on the peak to
// 1e-9.
func requireSamePass(t *testing.T, i int, w, r shadow.Report) {
	t.Helper()
	require.Equal(t, w.Plan, r.Plan, "pass %d", i)
	require.Equal(t, w.Decision, r.Decision, "pass %d", i)
	require.Equal(t, w.Forecast.Start, r.Forecast.Start, "pass %d", i)
	require.Equal(t, w.Forecast.Len(), r.Forecast.Len(), "pass %d", i)
	requireSameForecast(t, fmt.Sprintf("pass %d", i), w.Forecast, r.Forecast)
	require.InDelta(t, w.PeakUpper, r.PeakUpper, 1e-9, "pass %d: the bound on the peak", i)
}

// requireSameForecast fails unless forecast r has the model of w and its
// means and upper bounds to 1e-9; where names the pass.
func requireSameForecast(t *testing.T, where string, w, r forecast.Forecast) {
	t.Helper()
	require.Equal(t, w.Model, r.Model, where)
	for j := range w.Mean {
		require.InDelta(t, w.Mean[j], r.Mean[j], 1e-9, "%s step %d", where, j)
		require.InDelta(t, w.Upper[j], r.Upper[j], 1e-9, "%s step %d", where, j)
	}
}

// requireSamePeak fails unless the bounds on the lead window's peak agree
// to 1e-9 relative (the policies provision for them).
func requireSamePeak(t *testing.T, where string, w, r float64) {
	t.Helper()
	require.InDelta(t, w, r, 1e-9*max(1, math.Abs(w)), "%s: PeakUpper", where)
}

// restartableAt is restartable with the forecaster's PeakAdaptRate and
// both forecasters' ResidualWindow (0: the default).
func restartableAt(t *testing.T, peakAdaptRate float64, residualWindow int, src shadow.MetricsSource, grp *actuatortest.Group, opts ...shadow.Option) *shadow.Controller {
	t.Helper()
	fc, err := forecast.NewAuto(forecast.AutoConfig{Step: 5 * time.Minute, Periods: forecast.SeasonalPeriods(5 * time.Minute), PeakAdaptRate: peakAdaptRate, ResidualWindow: residualWindow})
	require.NoError(t, err)
	cfg := policy.DefaultPredictiveConfig()
	cfg.ScaleDownStabilization = 30 * time.Minute
	pol, err := policy.Predictive(cfg)
	require.NoError(t, err)
	opts = append([]shadow.Option{shadow.WithAnomalyDetector(newDetector(t, residualWindow)), shadow.WithLogger(testLogger(&syncBuffer{}))}, opts...)
	c, err := shadow.New(shadow.Config{Interval: 5 * time.Minute, PerReplica: 10, MaxReplicas: 60},
		shadow.Deps{Source: src, Forecaster: fc, Policy: pol, Production: grp}, opts...)
	require.NoError(t, err)
	return c
}

// newDetector is a Brutlag detector over a daily Holt-Winters model.
func newDetector(t *testing.T, residualWindow int) *forecast.Brutlag {
	t.Helper()
	hw, err := forecast.NewHoltWinters(forecast.Config{Step: 5 * time.Minute, Period: 288, Trend: forecast.TrendNone, RefitEvery: 100, ResidualWindow: residualWindow})
	require.NoError(t, err)
	d, err := forecast.NewBrutlag(hw, forecast.BrutlagConfig{Window: 3, Threshold: 2})
	require.NoError(t, err)
	return d
}

// bursty is daily with bursts of two passes every 53 passes from pass
// 600 on: anomalies, not suspect samples.
func bursty(at time.Time) map[shadow.Metric]float64 {
	m := daily(at)
	if i := int(at.Sub(t0) / (5 * time.Minute)); i > 600 && i%53 < 2 {
		m[shadow.RequestRate] += 45
	}
	return m
}

// A Controller stopped after a seeded random pass (and after the pass
// before a daily refit) and restarted from its snapshot and the source's
// history decides, pass for pass, exactly as the uninterrupted one: the
// same plans, decisions, forecasts, alerts (its anomaly detector's
// included) and lead time; on its first pass it forecasts with the fitted
// seasonal model.
func TestRestartEquivalence(t *testing.T) {
	const n = 3*288 + 60
	series := &shadowtest.Series{Fn: bursty, Start: t0}
	var now time.Time
	clock := func() time.Time { return now }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }

	grpA := actuatortest.NewGroup(10, 10*time.Minute, clock)
	a := restartable(t, series, grpA)
	var want []shadow.Report
	for i := range n {
		now = at(i)
		r, err := a.Step(context.Background(), now)
		require.NoError(t, err, "pass %d", i)
		want = append(want, r)
	}

	anomalies := 0
	for _, r := range want[2*288+40:] {
		for _, a := range r.Alerts {
			if a.Kind == shadow.AlertAnomaly {
				anomalies++
			}
		}
	}
	require.Positive(t, anomalies, "the detector raises alerts after the restart points")

	random := 2*288 + 40 + rand.New(rand.NewPCG(10, 1)).IntN(n-2*288-60)
	for _, k := range []int{random, 3*288 - 1} {
		t.Run(fmt.Sprintf("restart at pass %d", k), func(t *testing.T) {
			// The process restarts: a new Controller, forecaster and
			// policy; the production group lives on.
			c := restartAfter(t, series, actuatortest.NewGroup(10, 10*time.Minute, clock), k, &now, at)
			for i := k; i < n; i++ {
				now = at(i)
				r, err := c.Step(context.Background(), now)
				require.NoError(t, err, "pass %d", i)
				w := want[i]
				if i == k {
					assert.True(t, r.Restored)
					assert.Positive(t, r.Backfilled)
					assert.True(t, strings.HasPrefix(r.Forecast.Model, "auto:hw-"), "the fitted seasonal model at once, got %q", r.Forecast.Model)
				}
				requireSamePass(t, i, w, r)
				require.Equal(t, w.LeadSteps, r.LeadSteps, "pass %d", i)
				require.Equal(t, w.Alerts, r.Alerts, "pass %d", i)
			}
			assert.Equal(t, a.LeadTime(), c.LeadTime())
			assert.Equal(t, a.History()[len(a.History())-288:], c.History()[len(c.History())-288:])
		})
	}
}

// memStore is a StateStore in memory.
type memStore struct {
	mu    sync.Mutex
	data  []byte
	saves int
}

func (m *memStore) Load(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		return nil, shadow.ErrNoSnapshot
	}
	return m.data, nil
}

func (m *memStore) Save(_ context.Context, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data, m.saves = data, m.saves+1
	return nil
}

// A snapshot whose forecaster state does not fit the new forecaster (its
// configuration changed) restores the rest; the forecaster starts clean,
// refitted on the backfilled history, and the mismatch is reported.
func TestRestartForecasterReconfigured(t *testing.T) {
	series := &shadowtest.Series{Fn: daily, Start: t0}
	var now time.Time
	grp := actuatortest.NewGroup(10, 10*time.Minute, func() time.Time { return now })
	store := &memStore{}
	b := restartable(t, series, grp, shadow.WithStateStore(store, "checkout"))
	const k = 2*288 + 30
	for i := range k {
		now = t0.Add(time.Duration(i) * 5 * time.Minute)
		_, err := b.Step(context.Background(), now)
		require.NoError(t, err)
	}
	fc, err := forecast.NewAuto(forecast.AutoConfig{Step: 5 * time.Minute, Periods: []int{288}})
	require.NoError(t, err)
	pol, err := policy.Predictive(policy.DefaultPredictiveConfig())
	require.NoError(t, err)
	c, err := shadow.New(shadow.Config{Interval: 5 * time.Minute, PerReplica: 10, MaxReplicas: 60},
		shadow.Deps{Source: series, Forecaster: fc, Policy: pol, Production: grp},
		shadow.WithStateStore(store, "checkout"), shadow.WithLogger(testLogger(&syncBuffer{})))
	require.NoError(t, err)
	now = t0.Add(k * 5 * time.Minute)
	r, err := c.Step(context.Background(), now)
	require.ErrorIs(t, err, shadow.ErrBadSnapshot)
	assert.Contains(t, err.Error(), "forecaster of request_rate starts clean")
	assert.Contains(t, err.Error(), "the policy starts clean", "the stabilization window is not in this stack")
	assert.True(t, r.Restored, "the rest of the snapshot is used")
	assert.Equal(t, b.LeadTime(), c.LeadTime())
	assert.True(t, strings.HasPrefix(r.Forecast.Model, "auto:hw-"), "refitted on the backfill, got %q", r.Forecast.Model)
}

// A forward clock jump, once the next pass confirms it, leaves a gap that
// is read back from the source.
func TestConfirmedJumpBackfilled(t *testing.T) {
	series := &shadowtest.Series{Fn: daily, Start: t0}
	var now time.Time
	grp := actuatortest.NewGroup(10, 0, func() time.Time { return now })
	c := newDailyController(t, series, grp)
	for i := range 20 {
		now = t0.Add(time.Duration(i) * 5 * time.Minute)
		_, err := c.Step(context.Background(), now)
		require.NoError(t, err)
	}
	last := now
	now = last.Add(2 * time.Hour) // a jump: held, not observed
	r, err := c.Step(context.Background(), now)
	require.Error(t, err)
	assert.True(t, r.Held)
	assert.Zero(t, r.Backfilled)
	now = now.Add(5 * time.Minute) // confirms the new time
	r, err = c.Step(context.Background(), now)
	require.NoError(t, err)
	assert.Equal(t, int((2*time.Hour+5*time.Minute)/(5*time.Minute))-1, r.Backfilled, "every point of the gap")
	h := c.History()
	require.Len(t, h, 20+r.Backfilled+1)
	for i := 1; i < len(h); i++ {
		require.Equal(t, 5*time.Minute, h[i].Time.Sub(h[i-1].Time), "index %d", i)
	}
}

// A pass repeated at the same time is a glitch (held, not observed); the
// next pass is back on the old timeline. When the process missed passes
// in between, that pass reads the missed points back, as any pass after a
// gap does (it used to leave them to the forecaster, where a Controller
// restarted in the gap read them back: the two then decided otherwise).
func TestGlitchThenGapBackfilled(t *testing.T) {
	series := &shadowtest.Series{Fn: daily, Start: t0}
	var now time.Time
	grp := actuatortest.NewGroup(10, 0, func() time.Time { return now })
	c := newDailyController(t, series, grp)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
	for i := range 20 {
		now = at(i)
		_, err := c.Step(context.Background(), now)
		require.NoError(t, err)
	}
	r, err := c.Step(context.Background(), now) // the same time again
	require.ErrorContains(t, err, "went back by 0s")
	assert.True(t, r.Held)
	now = at(23) // passes 20 to 22 missed
	r, err = c.Step(context.Background(), now)
	require.NoError(t, err)
	assert.False(t, r.Held)
	assert.Equal(t, 3, r.Backfilled, "the points of passes 20 to 22")
	h := c.History()
	require.Len(t, h, 24)
	for i := 1; i < len(h); i++ {
		require.Equal(t, 5*time.Minute, h[i].Time.Sub(h[i-1].Time), "index %d", i)
	}
}

// A Controller restarted within the interval of its last pass does not
// observe the same point twice: the first pass is held as a duplicate and
// the next carries on with the restored model.
func TestRestartWithinInterval(t *testing.T) {
	series := &shadowtest.Series{Fn: daily, Start: t0}
	var now time.Time
	grp := actuatortest.NewGroup(10, 10*time.Minute, func() time.Time { return now })
	store := &memStore{}
	b := restartable(t, series, grp, shadow.WithStateStore(store, "checkout"))
	const k = 2*288 + 30
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
	for i := range k {
		now = at(i)
		_, err := b.Step(context.Background(), now)
		require.NoError(t, err)
	}
	c := restartable(t, series, grp, shadow.WithStateStore(store, "checkout"))
	now = at(k - 1).Add(time.Minute)
	r, err := c.Step(context.Background(), now)
	require.NoError(t, err)
	assert.True(t, r.Restored)
	assert.True(t, r.Held)
	assert.Contains(t, r.Conditions[len(r.Conditions)-1].Reason, shadow.ReasonDuplicatePass)
	now = at(k)
	r, err = c.Step(context.Background(), now)
	require.NoError(t, err)
	assert.False(t, r.Held)
	assert.Positive(t, r.Backfilled)
	assert.True(t, strings.HasPrefix(r.Forecast.Model, "auto:hw-"), "got %q", r.Forecast.Model)
	assert.Len(t, c.History(), k+1)
}

// With a second metric (its own forecaster) a restart changes nothing
// either.
func TestRestartEquivalenceTwoMetrics(t *testing.T) {
	const n, k = 2*288 + 80, 2*288 + 31
	two := func(at time.Time) map[shadow.Metric]float64 {
		m := daily(at)
		m[shadow.CPU] = 0.02*m[shadow.RequestRate] + 0.3*math.Sin(at.Sub(t0).Minutes()/97)
		return m
	}
	series := &shadowtest.Series{Fn: two, Start: t0}
	var now time.Time
	clock := func() time.Time { return now }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
	cpu := func(t *testing.T) shadow.Option {
		fc, err := forecast.NewAuto(forecast.AutoConfig{Step: 5 * time.Minute, Periods: []int{288}})
		require.NoError(t, err)
		return shadow.WithMetric(shadow.MetricTarget{Metric: shadow.CPU, PerReplica: 0.25, TargetUtilization: 0.6}, fc)
	}
	run := func(c *shadow.Controller, from, to int) []shadow.Plan {
		var out []shadow.Plan
		for i := from; i < to; i++ {
			now = at(i)
			r, err := c.Step(context.Background(), now)
			require.NoError(t, err, "pass %d", i)
			out = append(out, r.Plan)
		}
		return out
	}
	want := run(restartable(t, series, actuatortest.NewGroup(10, 10*time.Minute, clock), cpu(t)), 0, n)
	store := &memStore{}
	grp := actuatortest.NewGroup(10, 10*time.Minute, clock)
	run(restartable(t, series, grp, cpu(t), shadow.WithStateStore(store, "checkout")), 0, k)
	got := run(restartable(t, series, grp, cpu(t), shadow.WithStateStore(store, "checkout")), k, n)
	assert.Equal(t, want[k:], got)
	drives := 0
	for _, p := range want[k:] {
		if p.Scale {
			drives++
		}
	}
	assert.Positive(t, drives, "the replay scales after the restart")
}

// The restored shadow pool keeps its fraction and sends it to the mirror
// again on the first pass: the mirror may have restarted too.
func TestRestartResendsFraction(t *testing.T) {
	now := t0
	clk := func() time.Time { return now }
	src := &shadowtest.Series{Start: t0, Fn: func(time.Time) map[shadow.Metric]float64 {
		return map[shadow.Metric]float64{shadow.RequestRate: 200}
	}}
	shadows := actuatortest.NewGroup(0, 0, clk)
	prod := actuatortest.NewGroup(40, 0, clk)
	store := &memStore{}
	pc := shadow.PoolConfig{Scale: 0.1, MinHistory: 3, ProvisionAfter: 1, MaxReplicas: 4}
	build := func(mir *fakeMirror) *shadow.Controller {
		c, err := shadow.New(shadow.Config{PerReplica: 10, TargetUtilization: 0.5, MaxReplicas: 200},
			shadow.Deps{Source: src, Forecaster: &driftForecaster{k: 5, step: time.Minute}, Policy: peakPolicy, Production: prod},
			shadow.WithLogger(testLogger(&syncBuffer{})), shadow.WithShadowPool(mir, shadows, pc), shadow.WithStateStore(store, "checkout"))
		require.NoError(t, err)
		return c
	}
	step := func(c *shadow.Controller, mir *fakeMirror) shadow.Report {
		mir.set(mirror.Stats{At: now, Requests: 50, P95: 40 * time.Millisecond}, nil)
		r, err := c.Step(context.Background(), now)
		require.NoError(t, err)
		now = now.Add(time.Minute)
		return r
	}
	first := &fakeMirror{}
	b := build(first)
	var r shadow.Report
	for range 12 {
		r = step(b, first)
	}
	require.True(t, r.Pool.Active)
	fraction := r.Pool.Fraction
	require.Positive(t, fraction)
	sets := len(first.sets)

	again := &fakeMirror{} // restarted: mirrors nothing
	c := build(again)
	r = step(c, again)
	assert.True(t, r.Restored)
	assert.True(t, r.Plan.SetFraction)
	assert.Equal(t, []float64{fraction}, again.sets)
	assert.Equal(t, fraction, r.Pool.Fraction)
	r = step(c, again)
	assert.False(t, r.Plan.SetFraction, "sent once")
	assert.Len(t, first.sets, sets, "the old mirror saw nothing more")
}

// Without a HistorySource the restored history still counts what the
// saved Controller had seen, for the pool's minimum history.
func TestRestartCountsSavedHistory(t *testing.T) {
	now := t0
	clk := func() time.Time { return now }
	src := shadowtest.NewSource(200) // no History
	store := &memStore{}
	mir := &fakeMirror{}
	pc := shadow.PoolConfig{Scale: 0.1, MinHistory: 10, ProvisionAfter: 1, MaxReplicas: 4}
	build := func() *shadow.Controller {
		c, err := shadow.New(shadow.Config{PerReplica: 10, TargetUtilization: 0.5, MaxReplicas: 200},
			shadow.Deps{Source: src, Forecaster: &driftForecaster{k: 5, step: time.Minute}, Policy: peakPolicy, Production: actuatortest.NewGroup(40, 0, clk)},
			shadow.WithLogger(testLogger(&syncBuffer{})), shadow.WithShadowPool(mir, actuatortest.NewGroup(0, 0, clk), pc),
			shadow.WithStateStore(store, "checkout"))
		require.NoError(t, err)
		return c
	}
	step := func(c *shadow.Controller) shadow.Report {
		mir.set(mirror.Stats{At: now, Requests: 50, P95: 40 * time.Millisecond}, nil)
		r, err := c.Step(context.Background(), now)
		require.NoError(t, err)
		now = now.Add(time.Minute)
		return r
	}
	b := build()
	for range 12 {
		step(b)
	}
	c := build()
	r := step(c)
	require.True(t, r.Restored)
	assert.NotContains(t, r.Pool.Reason, "history", "13 observations seen, not 1")
	assert.Len(t, c.History(), 1, "the values themselves are not in the snapshot")
}

// A restart keeps what the anomaly detector learned before the history
// window: with a window of 120 passes and a detector that had judged 400,
// the restarted Controller raises exactly the alerts of the uninterrupted
// one, pass for pass.
func TestRestartKeepsAnomalyDetector(t *testing.T) {
	const n, k = 700, 400
	hourly := func(at time.Time) map[shadow.Metric]float64 {
		i := int(at.Sub(t0) / (5 * time.Minute))
		v := 100 + 30*math.Sin(2*math.Pi*float64(i)/12) + 3*math.Sin(float64(i)*0.37)
		if i > 200 && i%41 < 2 {
			v += 25 + float64(i%7)
		}
		return map[shadow.Metric]float64{shadow.RequestRate: v}
	}
	series := &shadowtest.Series{Fn: hourly, Start: t0}
	var now time.Time
	clock := func() time.Time { return now }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
	build := func(grp *actuatortest.Group, opts ...shadow.Option) *shadow.Controller {
		hw, err := forecast.NewHoltWinters(forecast.Config{Step: 5 * time.Minute, Period: 12, Trend: forecast.TrendNone, Window: 96, RefitEvery: 48})
		require.NoError(t, err)
		det, err := forecast.NewBrutlag(hw, forecast.BrutlagConfig{Period: 12, Window: 3, Threshold: 2})
		require.NoError(t, err)
		opts = append(opts, shadow.WithAnomalyDetector(det), shadow.WithLogger(testLogger(&syncBuffer{})))
		c, err := shadow.New(shadow.Config{Interval: 5 * time.Minute, PerReplica: 10, MaxReplicas: 60, HistorySize: 120},
			shadow.Deps{Source: series, Forecaster: &driftForecaster{k: 5, step: 5 * time.Minute}, Policy: peakPolicy, Production: grp}, opts...)
		require.NoError(t, err)
		return c
	}
	alerts := func(c *shadow.Controller, from, to int) [][]shadow.Alert {
		var out [][]shadow.Alert
		for i := from; i < to; i++ {
			now = at(i)
			r, err := c.Step(context.Background(), now)
			require.NoError(t, err, "pass %d", i)
			out = append(out, r.Alerts)
		}
		return out
	}
	want := alerts(build(actuatortest.NewGroup(10, 10*time.Minute, clock)), 0, n)
	anomalies := 0
	for _, as := range want[k:] {
		for _, a := range as {
			if a.Kind == shadow.AlertAnomaly {
				anomalies++
			}
		}
	}
	require.Positive(t, anomalies)
	store := &memStore{}
	grp := actuatortest.NewGroup(10, 10*time.Minute, clock)
	alerts(build(grp, shadow.WithStateStore(store, "checkout")), 0, k)
	got := alerts(build(grp, shadow.WithStateStore(store, "checkout")), k, n)
	assert.Equal(t, want[k:], got)
}

// A forecast.Brutlag given both as the forecaster and as the anomaly
// detector is fed each observation once (by the forecaster's Observe),
// with no pass error, and its verdicts are the alerts: one per alarm, each
// right after a burst of the load; a backfill feeds it once too.
func TestBrutlagAsForecasterAndDetector(t *testing.T) {
	const n = 600
	burst := func(i int) bool { return i > 200 && i%41 < 2 }
	load := func(at time.Time) map[shadow.Metric]float64 {
		i := int(at.Sub(t0) / (5 * time.Minute))
		v := 100 + 30*math.Sin(2*math.Pi*float64(i)/12) + 3*math.Sin(float64(i)*0.37)
		if burst(i) {
			v += 25 + float64(i%7)
		}
		return map[shadow.Metric]float64{shadow.RequestRate: v}
	}
	var now time.Time
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
	run := func(src shadow.MetricsSource, from int) (anomalies []int) {
		hw, err := forecast.NewHoltWinters(forecast.Config{Step: 5 * time.Minute, Period: 12, Trend: forecast.TrendNone, Window: 96, RefitEvery: 48})
		require.NoError(t, err)
		b, err := forecast.NewBrutlag(hw, forecast.BrutlagConfig{Period: 12, Window: 3, Threshold: 2})
		require.NoError(t, err)
		c, err := shadow.New(shadow.Config{Interval: 5 * time.Minute, PerReplica: 10, MaxReplicas: 60},
			shadow.Deps{Source: src, Forecaster: b, Policy: peakPolicy, Production: actuatortest.NewGroup(10, 0, func() time.Time { return now })},
			shadow.WithAnomalyDetector(b), shadow.WithLogger(testLogger(&syncBuffer{})))
		require.NoError(t, err)
		for i := from; i < n; i++ {
			now = at(i)
			r, err := c.Step(context.Background(), now)
			require.NoError(t, err, "pass %d", i)
			for _, a := range r.Alerts {
				if a.Kind == shadow.AlertAnomaly {
					assert.Equal(t, now, a.Time)
					anomalies = append(anomalies, i)
				}
			}
		}
		return anomalies
	}
	src := shadow.SourceFunc(func(_ context.Context, at time.Time) (shadow.Sample, error) {
		return shadow.Sample{Values: load(at)}, nil
	})
	for _, c := range []struct {
		name string
		src  shadow.MetricsSource
		from int
	}{{"from the start", src, 0}, {"started late, backfilled", &shadowtest.Series{Fn: load, Start: t0}, 400}} {
		got := run(c.src, c.from)
		bursts, caught := 0, 0
		for i := max(c.from, 250); i+2 < n; i++ {
			if burst(i) && !burst(i-1) {
				bursts++
				if slices.ContainsFunc(got, func(j int) bool { return j >= i && j <= i+2 }) {
					caught++
				}
			}
		}
		assert.Greater(t, 2*caught, bursts, "%s: bursts alarmed: %d of %d (alarms at %v)", c.name, caught, bursts, got)
	}
}
