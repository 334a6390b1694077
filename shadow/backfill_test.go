package shadow_test

import (
	"context"
	"errors"
	"math"
	"strconv"
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

// daily is a 5-minute load with a daily cycle and deterministic noise.
func daily(t time.Time) map[shadow.Metric]float64 {
	m := t.Sub(t0).Minutes()
	v := 100 + 60*math.Sin(2*math.Pi*m/1440) + 4*math.Sin(m*0.37)
	return map[shadow.Metric]float64{shadow.RequestRate: v}
}

func newDailyController(t *testing.T, src shadow.MetricsSource, grp *actuatortest.Group) *shadow.Controller {
	t.Helper()
	fc, err := forecast.NewAuto(forecast.AutoConfig{Step: 5 * time.Minute, Periods: forecast.SeasonalPeriods(5 * time.Minute)})
	require.NoError(t, err)
	pol, err := policy.Predictive(policy.DefaultPredictiveConfig())
	require.NoError(t, err)
	c, err := shadow.New(shadow.Config{Interval: 5 * time.Minute, PerReplica: 10, MaxReplicas: 60, DisableLeadTimeLearning: true},
		shadow.Deps{Source: src, Forecaster: fc, Policy: pol, Production: grp},
		shadow.WithLogger(testLogger(&syncBuffer{})))
	require.NoError(t, err)
	return c
}

// A Controller restarted after three days backfills its history from the
// source on its first pass: it forecasts with the model the uninterrupted
// Controller uses at once, and decides within one replica of it after the
// first lead time.
func TestRestartWithBackfill(t *testing.T) {
	const restart, end = 3 * 288, 4 * 288
	var now time.Time
	series := &shadowtest.Series{Fn: daily, Start: t0}
	grpA := actuatortest.NewGroup(10, 10*time.Minute, func() time.Time { return now })
	a := newDailyController(t, series, grpA)
	var b *shadow.Controller
	var grpB *actuatortest.Group
	worst := 0
	for i := range end {
		now = t0.Add(time.Duration(i) * 5 * time.Minute)
		ra, err := a.Step(context.Background(), now)
		require.NoError(t, err)
		if i < restart {
			continue
		}
		if i == restart {
			st, _ := grpA.Current(context.Background())
			grpB = actuatortest.NewGroup(st.Ready, 10*time.Minute, func() time.Time { return now })
			b = newDailyController(t, series, grpB)
		}
		rb, err := b.Step(context.Background(), now)
		require.NoError(t, err)
		if i == restart {
			assert.Equal(t, restart, rb.Backfilled, "the whole history is backfilled")
			require.NotEmpty(t, rb.Forecast.Model)
			assert.Equal(t, ra.Forecast.Model, rb.Forecast.Model, "the same fitted model on the first pass")
			assert.InDelta(t, ra.Forecast.Mean[0], rb.Forecast.Mean[0], 0.05*ra.Forecast.Mean[0])
		}
		if i > restart+3 {
			worst = max(worst, abs(ra.Decision.Target-rb.Decision.Target))
		}
		if i > restart && rb.Backfilled != 0 {
			t.Fatalf("pass %d backfilled again", i)
		}
	}
	assert.LessOrEqual(t, worst, 1, "decisions within one replica after the first lead time")
	assert.Len(t, b.History(), restart+end-restart)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// failingHistory is a Series whose History fails.
type failingHistory struct{ *shadowtest.Series }

func (failingHistory) History(context.Context, shadow.Metric, time.Time, time.Time, time.Duration) ([]shadow.Observation, error) {
	return nil, errors.New("query_range: 503")
}

// A failed backfill is reported and leaves no history behind; the
// Controller carries on as a fresh one.
func TestBackfillFailureStartsClean(t *testing.T) {
	now := t0.Add(24 * time.Hour)
	grp := actuatortest.NewGroup(10, 0, func() time.Time { return now })
	c := newDailyController(t, failingHistory{&shadowtest.Series{Fn: daily}}, grp)
	r, err := c.Step(context.Background(), now)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "backfill request_rate")
	assert.Zero(t, r.Backfilled)
	assert.False(t, r.Held)
	assert.Len(t, c.History(), 1)
}

// Passes missed while the Controller was away are filled from the source.
func TestGapBackfilled(t *testing.T) {
	series := &shadowtest.Series{Fn: daily, Start: t0}
	now := t0
	grp := actuatortest.NewGroup(10, 0, func() time.Time { return now })
	c := newDailyController(t, series, grp)
	for i := range 20 {
		now = t0.Add(time.Duration(i) * 5 * time.Minute)
		_, err := c.Step(context.Background(), now)
		require.NoError(t, err)
	}
	now = now.Add(30 * time.Minute) // six passes missed
	r, err := c.Step(context.Background(), now)
	require.NoError(t, err)
	assert.Equal(t, 5, r.Backfilled)
	h := c.History()
	require.Len(t, h, 26)
	for i := 1; i < len(h); i++ {
		assert.Equal(t, 5*time.Minute, h[i].Time.Sub(h[i-1].Time))
	}
}

// One scrape glitch kept by the source (a value of 1e6 amid ~100) does not
// reach a restarted Controller's history, forecaster or robust statistics
// through the backfill: it is left out as a gap, with an alert naming it,
// as a pass leaves out a sample nothing confirms. A step change held in
// the history (×4 from then on) is kept from its first value.
func TestBackfillLeavesOutAnIsolatedGlitch(t *testing.T) {
	for _, glitch := range []int{300, 3} { // amid the history, and among its first values
		t.Run(strconv.Itoa(glitch), func(t *testing.T) { testBackfillGlitch(t, glitch) })
	}
}

func testBackfillGlitch(t *testing.T, glitch int) {
	const restart, step = 3 * 288, 800
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
	fn := func(tm time.Time) map[shadow.Metric]float64 {
		v := daily(tm)
		switch i := int(tm.Sub(t0) / (5 * time.Minute)); {
		case i == glitch:
			v[shadow.RequestRate] = 1e6
		case i >= step:
			v[shadow.RequestRate] *= 4
		}
		return v
	}
	now := at(restart)
	grp := actuatortest.NewGroup(40, 10*time.Minute, func() time.Time { return now })
	c := newDailyController(t, &shadowtest.Series{Fn: fn, Start: t0}, grp)
	r, err := c.Step(context.Background(), now)
	require.NoError(t, err)
	assert.Equal(t, restart-1, r.Backfilled, "every value but the glitch")
	var alerts []string
	for _, a := range r.Alerts {
		if a.Kind == shadow.AlertSuspectSample {
			alerts = append(alerts, a.Message)
		}
	}
	require.Len(t, alerts, 1)
	assert.Contains(t, alerts[0], "backfill: 1 value(s) of request_rate far from the values around them left out as gaps, the first 1e+06 at "+at(glitch).UTC().Format(time.RFC3339))

	h := c.History()
	stepped := 0
	for _, ob := range h {
		assert.Less(t, ob.Value, 1e4, "the glitch at %s reached the history", ob.Time)
		assert.NotEqual(t, at(glitch), ob.Time)
		if !ob.Time.Before(at(step)) {
			stepped++
		}
	}
	assert.Equal(t, restart-step+1, stepped, "the step change is kept from its first value, and the pass's own")
	require.NotEmpty(t, r.Forecast.Mean)
	for _, x := range r.Forecast.Upper {
		assert.Less(t, x, 2000.0, "the forecast learned nothing from the glitch")
	}
}
