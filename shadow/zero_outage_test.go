package shadow_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
)

// outageFrom and outageTo bound, in passes, the two-hour monitoring
// outage of withZeroOutage.
const outageFrom, outageTo = 3*288 + 100, 3*288 + 124

// withZeroOutage is daily with a two-hour monitoring outage recorded as
// zeros.
var withZeroOutage = dailyWithZeros(outageFrom, outageTo)

// dailyWithZeros is daily with a monitoring outage recorded as zeros
// through passes [from, to) of five minutes.
func dailyWithZeros(from, to int) func(time.Time) map[shadow.Metric]float64 {
	return func(at time.Time) map[shadow.Metric]float64 {
		if i := int(at.Sub(t0) / (5 * time.Minute)); i >= from && i < to {
			return map[shadow.Metric]float64{shadow.RequestRate: 0}
		}
		return daily(at)
	}
}

// zeroRunAlerts returns the messages of r's AlertZeroRun alerts.
func zeroRunAlerts(r shadow.Report) []string {
	var out []string
	for _, a := range r.Alerts {
		if a.Kind == shadow.AlertZeroRun {
			out = append(out, a.Message)
		}
	}
	return out
}

// requireZeroRunAlerts requires that the passes of want raise AlertZeroRun
// at start (the run begins: "holds the zeros back") and at end (load
// returns: "took them for a monitoring outage") only, and report the run's
// length on the pass before end.
func requireZeroRunAlerts(t *testing.T, want []shadow.Report, start, end, steps int) {
	t.Helper()
	for i, r := range want {
		a := zeroRunAlerts(r)
		switch i {
		case start:
			require.Len(t, a, 1, "pass %d", i)
			require.Contains(t, a[0], "holds the zeros back as a possible monitoring outage")
		case end:
			require.Len(t, a, 1, "pass %d", i)
			require.Contains(t, a[0], fmt.Sprintf("ends %d steps of zeros", steps))
			require.Contains(t, a[0], "took them for a monitoring outage, not load")
			require.Zero(t, r.HeldZeros)
		default:
			require.Empty(t, a, "pass %d", i)
		}
	}
	require.Equal(t, steps, want[end-2].HeldZeros, "pass %d", end-2)
}

// requireRestartsMatch restarts a Controller on series after each pass of
// ks and requires that it decides, pass for pass up to n, as the
// uninterrupted one did (want), calling check, when not nil, on the
// restarted Controller's report of each pass.
func requireRestartsMatch(t *testing.T, series shadow.MetricsSource, want []shadow.Report, ks []int, now *time.Time, check func(t *testing.T, k, i int, r shadow.Report)) {
	t.Helper()
	clock := func() time.Time { return *now }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
	for _, k := range ks {
		t.Run(fmt.Sprintf("restart at pass %d", k), func(t *testing.T) {
			// The process restarts: a new Controller, forecaster and
			// policy; the production group lives on.
			c := restartAfter(t, series, actuatortest.NewGroup(10, 10*time.Minute, clock), k, now, at)
			for i := k; i < len(want); i++ {
				*now = at(i)
				r, err := c.Step(context.Background(), *now)
				require.NoError(t, err, "pass %d", i)
				if check != nil {
					check(t, k, i, r)
				}
				requireSamePass(t, i, want[i], r)
				require.Equal(t, want[i].HeldZeros, r.HeldZeros, "pass %d", i)
				require.Equal(t, zeroRunAlerts(want[i]), zeroRunAlerts(r), "pass %d", i)
			}
		})
	}
}

// Through a monitoring outage recorded as zeros the forecaster forecasts
// from the last load it saw, so that the Controller keeps the capacity
// the load needs rather than scaling to the zeros: its forecasts, bounds
// included, stay within 5% of those without the outage. A Controller
// restarted in the middle of the outage, or right after it, decides, pass
// for pass, exactly as the uninterrupted one.
func TestZeroOutageKeepsCapacity(t *testing.T) {
	const n = outageTo + 60
	series := &shadowtest.Series{Fn: withZeroOutage, Start: t0}
	var now time.Time
	clock := func() time.Time { return now }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }

	grpA := actuatortest.NewGroup(10, 10*time.Minute, clock)
	a := restartable(t, series, grpA)
	clean := restartable(t, &shadowtest.Series{Fn: daily, Start: t0}, actuatortest.NewGroup(10, 10*time.Minute, clock))
	var want []shadow.Report
	var dMean, dUpper float64
	for i := range n {
		now = at(i)
		r, err := a.Step(context.Background(), now)
		require.NoError(t, err, "pass %d", i)
		want = append(want, r)
		rc, err := clean.Step(context.Background(), now)
		require.NoError(t, err, "pass %d", i)
		if i >= outageFrom {
			dMean = max(dMean, math.Abs(r.Forecast.Mean[0]-rc.Forecast.Mean[0])/rc.Forecast.Mean[0])
			dUpper = max(dUpper, math.Abs(r.Forecast.Upper[0]-rc.Forecast.Upper[0])/rc.Forecast.Upper[0])
		}
		if i >= outageFrom && i < outageTo {
			load := daily(now)[shadow.RequestRate]
			require.InDelta(t, load, r.Forecast.Mean[0], 0.2*load, "pass %d: the forecast of the next pass follows the load, not the zeros", i)
		}
	}

	t.Logf("largest relative difference to the forecasts without the outage: mean %.4f, upper bound %.4f", dMean, dUpper)
	// Fed as load, the zeros left the mean about as it was but doubled the
	// upper bound (its error scale learned them).
	assert.Less(t, dMean, 0.05)
	assert.Less(t, dUpper, 0.05)
	// Restarts after passes that left a suspect sample waiting for
	// confirmation (the first zeros are suspect, every other pass) and
	// after passes that left none.
	requireZeroRunAlerts(t, want, outageFrom+1, outageTo+1, outageTo-outageFrom)
	requireRestartsMatch(t, series, want, []int{outageFrom + 1, outageFrom + 2, outageFrom + 3, outageFrom + 8, outageFrom + 20, outageTo, outageTo + 1, outageTo + 2}, &now,
		func(t *testing.T, k, i int, r shadow.Report) {
			if i == k {
				assert.True(t, r.Restored)
			}
		})
}

// A Controller restored from a pass that left a suspect sample waiting
// for confirmation, after passes it missed, reads the missed values back
// and drops the stale sample: no pass fails on a value fed twice.
func TestRestartDropsAStalePendingSample(t *testing.T) {
	series := &shadowtest.Series{Fn: withZeroOutage, Start: t0}
	var now time.Time
	clock := func() time.Time { return now }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
	store := &memStore{}
	grp := actuatortest.NewGroup(10, 10*time.Minute, clock)
	b := restartable(t, series, grp, shadow.WithStateStore(store, "checkout"))
	var last shadow.Report
	for i := range outageFrom + 1 {
		now = at(i)
		r, err := b.Step(context.Background(), now)
		require.NoError(t, err, "pass %d", i)
		last = r
	}
	require.Equal(t, []shadow.Metric{shadow.RequestRate}, last.Suspect, "the first zero waits for confirmation")
	c := restartable(t, series, grp, shadow.WithStateStore(store, "checkout"))
	for i := outageFrom + 6; i < outageTo+20; i++ {
		now = at(i)
		r, err := c.Step(context.Background(), now)
		require.NoError(t, err, "pass %d", i)
		if i == outageFrom+6 {
			assert.True(t, r.Restored)
			assert.Positive(t, r.Backfilled, "the missed passes are read back")
		}
	}
}

// firstDayFrom and firstDayTo bound, in passes, the 30-hour monitoring
// outage of withFirstDayOutage, ten hours into the history.
const firstDayFrom, firstDayTo = 120, 120 + 360

// withFirstDayOutage is daily with a 30-hour monitoring outage recorded as
// zeros in its first day.
var withFirstDayOutage = dailyWithZeros(firstDayFrom, firstDayTo)

// An outage in the first day, while the forecaster is on its
// short-history fallback, is not learned as load either: the forecasts
// keep the last load through it, and as it outlasted the history before
// it, the forecaster starts its history afresh when load returns. A
// Controller restarted during the outage, when load returns or after
// decides, pass for pass, exactly as the uninterrupted one.
func TestFirstDayZeroOutage(t *testing.T) {
	const n = firstDayTo + 200
	series := &shadowtest.Series{Fn: withFirstDayOutage, Start: t0}
	var now time.Time
	clock := func() time.Time { return now }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }

	a := restartable(t, series, actuatortest.NewGroup(10, 10*time.Minute, clock))
	var want []shadow.Report
	last := daily(at(firstDayFrom - 1))[shadow.RequestRate]
	for i := range n {
		now = at(i)
		r, err := a.Step(context.Background(), now)
		require.NoError(t, err, "pass %d", i)
		want = append(want, r)
		switch {
		case i >= firstDayFrom+2 && i < firstDayTo:
			require.Contains(t, r.Forecast.Model, "fallback: short history", "pass %d", i)
			require.InDelta(t, last, r.Forecast.Mean[0], 0.2*last, "pass %d: the forecast keeps the last load, not the zeros", i)
		case i == firstDayTo+1:
			// The history restarted: two values since the outage.
			require.Contains(t, r.Forecast.Model, "fallback: short history", "pass %d", i)
			require.Positive(t, r.Forecast.Mean[0], "pass %d", i)
		}
	}
	// The suspect first zero is confirmed by the second, one pass later;
	// the first value of load returned likewise.
	requireZeroRunAlerts(t, want, firstDayFrom+1, firstDayTo+1, firstDayTo-firstDayFrom)
	requireRestartsMatch(t, series, want, []int{firstDayFrom + 3, firstDayFrom + 200, firstDayTo, firstDayTo + 1, firstDayTo + 100}, &now, nil)
}

// Zeros that outlast the forecaster's patience (AutoConfig.ZeroRun) are
// load that stopped: the alert says so when the forecaster starts to feed
// them.
func TestZeroRunFedAsLoadAlert(t *testing.T) {
	const from = 3*288 + 100
	stops := func(at time.Time) map[shadow.Metric]float64 {
		if int(at.Sub(t0)/(5*time.Minute)) >= from {
			return map[shadow.Metric]float64{shadow.RequestRate: 0}
		}
		return daily(at)
	}
	fc, err := forecast.NewAuto(forecast.AutoConfig{Step: 5 * time.Minute, Periods: forecast.SeasonalPeriods(5 * time.Minute), ZeroRun: 12})
	require.NoError(t, err)
	pol, err := policy.Predictive(policy.DefaultPredictiveConfig())
	require.NoError(t, err)
	now := t0
	reader, mp := newMeter()
	c, err := shadow.New(shadow.Config{Interval: 5 * time.Minute, PerReplica: 10, MaxReplicas: 60},
		shadow.Deps{Source: &shadowtest.Series{Fn: stops, Start: t0}, Forecaster: fc, Policy: pol, Production: actuatortest.NewGroup(10, 10*time.Minute, func() time.Time { return now })},
		shadow.WithLogger(testLogger(&syncBuffer{})), shadow.WithMeterProvider(mp))
	require.NoError(t, err)
	var got []string
	for i := range from + 40 {
		now = t0.Add(time.Duration(i) * 5 * time.Minute)
		r, err := c.Step(context.Background(), now)
		require.NoError(t, err, "pass %d", i)
		got = append(got, zeroRunAlerts(r)...)
		switch i {
		case from + 6:
			require.Positive(t, r.HeldZeros)
			require.Equal(t, int64(r.HeldZeros), gaugeValue(t, reader, "shadowscale.forecast.held_zeros"), "pass %d", i)
		case from + 30:
			require.Zero(t, r.HeldZeros, "the zeros are load now")
			require.Zero(t, gaugeValue(t, reader, "shadowscale.forecast.held_zeros"))
		}
	}
	require.Len(t, got, 2)
	assert.Contains(t, got[0], "holds the zeros back")
	assert.Contains(t, got[1], "stayed 0 for more than")
	assert.Contains(t, got[1], "now takes the zeros for load")
}

// gaugeValue returns the last value of the int64 gauge name (one point).
func gaugeValue(t *testing.T, r *sdkmetric.ManualReader, name string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(context.Background(), &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				g, ok := m.Data.(metricdata.Gauge[int64])
				require.True(t, ok, "%s is %T", name, m.Data)
				require.Len(t, g.DataPoints, 1)
				return g.DataPoints[0].Value
			}
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// zeroHolderPanics is a forecaster whose HeldZeros panics.
type zeroHolderPanics struct{ *driftForecaster }

func (zeroHolderPanics) HeldZeros() (time.Time, int) { panic("zero-run bug") }

// A forecaster whose HeldZeros panics fails the pass with a PanicError
// naming it; the pass still decides, and nothing panics out of Step.
func TestZeroHolderPanics(t *testing.T) {
	now := t0
	grp := actuatortest.NewGroup(2, 0, func() time.Time { return now })
	c, err := shadow.New(shadow.Config{PerReplica: 10},
		shadow.Deps{Source: shadowtest.NewSource(500), Forecaster: zeroHolderPanics{&driftForecaster{k: 3, step: time.Minute}}, Policy: policy.Func(func(in policy.Input) (policy.Decision, error) {
			return policy.Decision{Action: policy.NoChange, Target: in.Current, Reason: "fixed"}, nil
		}), Production: grp},
		shadow.WithLogger(testLogger(&syncBuffer{})))
	require.NoError(t, err)
	r, err := c.Step(context.Background(), now)
	var pe *shadow.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.What, "HeldZeros")
	assert.Equal(t, 1, strings.Count(err.Error(), "HeldZeros"), "one panic counted once per pass: %v", err)
	assert.Zero(t, r.HeldZeros)
	assert.Equal(t, "fixed", r.Decision.Reason)
}
