package shadow_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
)

// storeOutage is a series read as Prometheus serves a gauge around its
// own outage: while down reports the store down, the live query fails;
// a range query read afterwards serves, for each point of the outage, the
// last sample before it while that is less than lookback old (the
// server's lookback delta), and nothing after.
type storeOutage struct {
	series   *shadowtest.Series
	down     func(time.Time) bool
	lookback time.Duration
	step     time.Duration
}

func (s storeOutage) Sample(ctx context.Context, now time.Time) (shadow.Sample, error) {
	if s.down(now) {
		return shadow.Sample{}, errors.New(`Post "http://prometheus:9090/api/v1/query": connect: connection refused`)
	}
	return s.series.Sample(ctx, now)
}

func (s storeOutage) History(ctx context.Context, m shadow.Metric, from, to time.Time, step time.Duration) ([]shadow.Observation, error) {
	obs, err := s.series.History(ctx, m, from, to, step)
	if err != nil {
		return nil, err
	}
	out := obs[:0]
	for _, ob := range obs {
		if s.down(ob.Time) {
			last := ob.Time
			for s.down(last) {
				last = last.Add(-s.step)
			}
			if ob.Time.Sub(last) >= s.lookback {
				continue // no sample within the lookback: a gap
			}
			ob.Value = s.series.Fn(last)[m]
		}
		out = append(out, ob)
	}
	return out, nil
}

// dayShift is a 5-minute load of 100 req/s at night and 200 from 08:00 to
// 20:00, with deterministic noise.
func dayShift(t time.Time) map[shadow.Metric]float64 {
	v := 100.0
	if h := t.Sub(t0) % (24 * time.Hour); h >= 8*time.Hour && h < 20*time.Hour {
		v = 200
	}
	v += 4 * math.Sin(t.Sub(t0).Minutes()*0.37)
	return map[shadow.Metric]float64{shadow.RequestRate: v}
}

func newLookbackController(t *testing.T, src shadow.MetricsSource, grp *actuatortest.Group, lookback time.Duration) *shadow.Controller {
	t.Helper()
	fc, err := forecast.NewAuto(forecast.AutoConfig{Step: 5 * time.Minute, Periods: []int{288}})
	require.NoError(t, err)
	pol, err := policy.Predictive(policy.DefaultPredictiveConfig())
	require.NoError(t, err)
	c, err := shadow.New(shadow.Config{Interval: 5 * time.Minute, LeadTime: 15 * time.Minute, PerReplica: 10, MaxReplicas: 60,
		DisableLeadTimeLearning: true, SourceLookback: lookback},
		shadow.Deps{Source: src, Forecaster: fc, Policy: pol, Production: grp},
		shadow.WithLogger(testLogger(&syncBuffer{})))
	require.NoError(t, err)
	return c
}

// The metrics store is down for four passes over the morning's step from
// 100 to 200 req/s, and its range query then serves the last sample
// before the outage for those points (Prometheus's lookback delta). Those
// copies are not readings: the pass after the outage leaves them out as
// gaps, which the forecaster fills with its own forecasts (the step it
// has seen on the days before), says so in an alert, and forecasts as a
// Controller that never lost the store does. Taken as readings (the rule
// off, SourceLookback −1) they lay a flat line over the step, and the
// forecast strays further. Zeros are readings (zero runs), and copies
// stop at the first value that differs or at SourceLookback.
func TestLookbackCopiesReadBackAsGaps(t *testing.T) {
	const days = 3
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
	// Day 4, 07:55 to 08:10: the store is down.
	first := days*288 + 8*12 - 1
	outage := func(n int) func(time.Time) bool {
		return func(tm time.Time) bool { return !tm.Before(at(first)) && tm.Before(at(first+n)) }
	}
	type run struct {
		rep  shadow.Report
		hist []shadow.Observation
		c    *shadow.Controller
	}
	// replay runs passes passes with the store's lookback delta served
	// and the Controller's SourceLookback lookback.
	replay := func(t *testing.T, fn func(time.Time) map[shadow.Metric]float64, down func(time.Time) bool, served, lookback time.Duration, passes int) run {
		var now time.Time
		src := storeOutage{series: &shadowtest.Series{Fn: fn, Start: t0}, down: down, lookback: served, step: 5 * time.Minute}
		grp := actuatortest.NewGroup(10, 10*time.Minute, func() time.Time { return now })
		c := newLookbackController(t, src, grp, lookback)
		var rep shadow.Report
		for i := range passes {
			now = at(i)
			rep, _ = c.Step(context.Background(), now)
		}
		return run{rep, c.History(), c}
	}
	never := func(time.Time) bool { return false }
	after := first + 4 + 1 // the pass after the outage

	t.Run("copies are gaps", func(t *testing.T) {
		const lb = 20 * time.Minute
		want := replay(t, dayShift, never, lb, lb, after)
		got := replay(t, dayShift, outage(4), lb, lb, after)
		kept := replay(t, dayShift, outage(4), lb, -1, after)

		copied := dayShift(at(first - 1))[shadow.RequestRate]
		for _, ob := range got.hist {
			assert.False(t, !ob.Time.Before(at(first)) && ob.Time.Before(at(first+4)), "a copy at %s reached the history", ob.Time)
		}
		n := 0
		for _, ob := range kept.hist {
			if !ob.Time.Before(at(first)) && ob.Time.Before(at(first+4)) {
				assert.Equal(t, copied, ob.Value)
				n++
			}
		}
		assert.Equal(t, 3, n, "with the rule off, the copies within the 20-minute lookback are read as load")
		var alerts []string
		for _, a := range got.rep.Alerts {
			if a.Kind == shadow.AlertSuspectSample {
				alerts = append(alerts, a.Message)
			}
		}
		require.Len(t, alerts, 1)
		assert.Contains(t, alerts[0], "backfill: 3 value(s) of request_rate read back from "+at(first).UTC().Format(time.RFC3339)+" equal bit for bit to its last observation")
		assert.Contains(t, alerts[0], "left out as gaps")

		// The forecasts after the outage, over the next two hours.
		dist := func(a, b shadow.Report) float64 {
			require.Equal(t, a.Forecast.Len(), b.Forecast.Len())
			d := 0.0
			for k := range a.Forecast.Mean {
				d = max(d, math.Abs(a.Forecast.Mean[k]-b.Forecast.Mean[k]), math.Abs(a.Forecast.Upper[k]-b.Forecast.Upper[k]))
			}
			return d
		}
		dGaps, dCopies := dist(got.rep, want.rep), dist(kept.rep, want.rep)
		t.Logf("after the outage, largest difference from the forecast of a Controller that never lost the store: %.2f req/s with the copies left out, %.2f read as load", dGaps, dCopies)
		assert.Less(t, dGaps, dCopies)
	})

	t.Run("zeros are readings", func(t *testing.T) {
		zero := func(tm time.Time) map[shadow.Metric]float64 {
			m := dayShift(tm)
			if !tm.Before(at(first - 3)) {
				m[shadow.RequestRate] = 0
			}
			return m
		}
		got := replay(t, zero, outage(4), 20*time.Minute, 20*time.Minute, after)
		for _, a := range got.rep.Alerts {
			assert.NotContains(t, a.Message, "equal bit for bit to its last observation")
		}
	})

	t.Run("up to SourceLookback", func(t *testing.T) {
		// The store serves copies for an hour; the Controller is told 20
		// minutes: the copies after that are read as load.
		got := replay(t, dayShift, outage(8), time.Hour, 20*time.Minute, first+8+1)
		var msg string
		for _, a := range got.rep.Alerts {
			if a.Kind == shadow.AlertSuspectSample {
				msg = a.Message
			}
		}
		assert.Contains(t, msg, "backfill: 3 value(s)")
		var times []time.Time
		for _, ob := range got.hist {
			if !ob.Time.Before(at(first)) && ob.Time.Before(at(first+8)) {
				times = append(times, ob.Time)
			}
		}
		assert.Equal(t, []time.Time{at(first + 3), at(first + 4), at(first + 5), at(first + 6), at(first + 7)}, times)
	})
}
