package shadow_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
)

// historySource is a metrics source that reads history too.
type historySource interface {
	shadow.MetricsSource
	shadow.HistorySource
}

// flakyHistory is a source (a shadowtest.Series, say) whose History fails
// its first fails calls; it records the end of every span asked for.
type flakyHistory struct {
	Series historySource
	mu     sync.Mutex
	fails  int
	asked  []time.Time
	wide   int // reads that worked over a day or more (a window, not missed points)
}

func (f *flakyHistory) Sample(ctx context.Context, now time.Time) (shadow.Sample, error) {
	return f.Series.Sample(ctx, now)
}

func (f *flakyHistory) History(ctx context.Context, m shadow.Metric, from, to time.Time, step time.Duration) ([]shadow.Observation, error) {
	f.mu.Lock()
	f.asked = append(f.asked, to)
	fail := len(f.asked) <= f.fails
	if !fail && to.Sub(from) >= 24*time.Hour {
		f.wide++
	}
	f.mu.Unlock()
	if fail {
		return nil, errors.New("query_range: 503")
	}
	return f.Series.History(ctx, m, from, to, step)
}

// windowRead reports whether a read over a day or more has worked.
func (f *flakyHistory) windowRead() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wide > 0
}

func (f *flakyHistory) calls() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.asked...)
}

// A refill that fails on the first pass after a restart is retried on
// later passes, after one, two and four intervals, each failure logged and
// counted as a metrics failure; once it succeeds the Controller forecasts
// exactly as the uninterrupted one (its upper bounds within 1%), through
// the daily refit that follows (on the whole window, taken back), and
// holds the same history.
func TestRefillRetried(t *testing.T) {
	const k, n = 3*288 - 20, 3*288 + 30 // a daily refit at pass 864, after the retry
	series := &shadowtest.Series{Fn: daily, Start: t0}
	var now time.Time
	clock := func() time.Time { return now }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
	a := restartable(t, series, actuatortest.NewGroup(10, 10*time.Minute, clock))
	var want []shadow.Report
	for i := range n {
		now = at(i)
		r, err := a.Step(context.Background(), now)
		require.NoError(t, err)
		want = append(want, r)
	}

	store := &memStore{}
	grp := actuatortest.NewGroup(10, 10*time.Minute, clock)
	b := restartable(t, series, grp, shadow.WithStateStore(store, "checkout"))
	for i := range k {
		now = at(i)
		_, err := b.Step(context.Background(), now)
		require.NoError(t, err)
	}
	src := &flakyHistory{Series: series, fails: 3}
	reader, mp := newMeter()
	logs := &syncBuffer{}
	c := restartable(t, src, grp, shadow.WithStateStore(store, "checkout"), shadow.WithMeterProvider(mp), shadow.WithLogger(testLogger(logs)))
	retried := -1
	for i := k; i < n; i++ {
		now = at(i)
		r, err := c.Step(context.Background(), now)
		switch i - k {
		case 0, 1, 3: // the first read and the retries after one and two intervals fail
			require.Error(t, err, "pass %d", i)
			assert.Contains(t, err.Error(), "query_range: 503")
			assert.Zero(t, r.Backfilled)
			if i > k {
				assert.Contains(t, err.Error(), "start-up backfill")
			}
		case 7: // four intervals later it succeeds
			require.NoError(t, err)
			assert.Equal(t, k, r.Backfilled, "the values before the restart")
			retried = i
		default:
			require.NoError(t, err, "pass %d", i)
		}
		assert.True(t, r.Restored == (i == k))
		if i >= k+7 {
			w := want[i]
			requireSameForecast(t, fmt.Sprintf("pass %d", i), w.Forecast, r.Forecast)
			// The bound on the peak's adapted level checked fewer bounds
			// while the refill failed.
			require.InEpsilon(t, w.PeakUpper, r.PeakUpper, 0.01, "pass %d", i)
		}
	}
	require.Equal(t, k+7, retried)
	var asked []time.Time
	for _, i := range []int{k, k + 1, k + 3, k + 7} {
		asked = append(asked, at(i-1))
	}
	assert.Equal(t, asked, src.calls(), "one read per retry, backing off")
	assert.Equal(t, int64(3), counter(t, reader, "shadowscale.errors", "dependency", "metrics"))
	assert.Equal(t, 3, strings.Count(logs.String(), "query_range: 503"), "each failure logged")
	assert.Equal(t, a.History(), c.History())
}

// Without a snapshot, a first backfill that fails is retried too, and the
// forecaster is refitted on the history once it is read: the fitted
// seasonal model from then on.
func TestFirstBackfillRetried(t *testing.T) {
	series := &shadowtest.Series{Fn: daily, Start: t0}
	src := &flakyHistory{Series: series, fails: 1}
	start := t0.Add(3 * 24 * time.Hour)
	now := start
	c := newDailyController(t, src, actuatortest.NewGroup(10, 0, func() time.Time { return now }))
	r, err := c.Step(context.Background(), now)
	require.Error(t, err)
	assert.Zero(t, r.Backfilled)
	assert.False(t, strings.HasPrefix(r.Forecast.Model, "auto:hw-"), "no history yet, got %q", r.Forecast.Model)
	now = now.Add(5 * time.Minute)
	r, err = c.Step(context.Background(), now)
	require.NoError(t, err)
	assert.Equal(t, 3*288, r.Backfilled)
	assert.True(t, strings.HasPrefix(r.Forecast.Model, "auto:hw-"), "refitted on the history, got %q", r.Forecast.Model)
	h := c.History()
	require.Len(t, h, 3*288+2)
	for i := 1; i < len(h); i++ {
		require.Equal(t, 5*time.Minute, h[i].Time.Sub(h[i-1].Time), "index %d", i)
	}
	now = now.Add(5 * time.Minute)
	r, err = c.Step(context.Background(), now)
	require.NoError(t, err)
	assert.Zero(t, r.Backfilled, "done: no more reads")
	assert.Len(t, src.calls(), 2)
}

// The retries back off to at most ten intervals, and stop once the passes
// since the start fill the history window.
func TestRefillRetryBoundedAndGivenUp(t *testing.T) {
	series := &shadowtest.Series{Fn: daily, Start: t0}
	src := &flakyHistory{Series: series, fails: 1 << 30}
	now := t0.Add(24 * time.Hour)
	c, err := shadow.New(shadow.Config{Interval: 5 * time.Minute, PerReplica: 10, HistorySize: 60, DisableLeadTimeLearning: true},
		shadow.Deps{Source: src, Forecaster: &driftForecaster{k: 5, step: 5 * time.Minute}, Policy: peakPolicy, Production: actuatortest.NewGroup(10, 0, func() time.Time { return now })},
		shadow.WithLogger(testLogger(&syncBuffer{})))
	require.NoError(t, err)
	first := now
	for range 80 {
		_, _ = c.Step(context.Background(), now)
		now = now.Add(5 * time.Minute)
	}
	var passes []int
	for _, to := range src.calls() {
		passes = append(passes, int(to.Sub(first)/(5*time.Minute))+1)
	}
	assert.Equal(t, []int{0, 1, 3, 7, 15, 25, 35, 45, 55}, passes, "doubling to ten intervals, none once 60 passes fill the window")
}
