package shadow_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
)

// faulty is bursty with the faults a metrics source has: a missing sample
// every 97 passes, a NaN every 173, one sample 40 times too high every 131
// (a bad scrape, not load) and a zero outage of 20 passes.
func faulty(at time.Time) map[shadow.Metric]float64 {
	m := bursty(at)
	switch i := int(at.Sub(t0) / (5 * time.Minute)); {
	case i%97 == 13:
		delete(m, shadow.RequestRate)
	case i%173 == 50:
		m[shadow.RequestRate] = math.NaN()
	case i%131 == 7:
		m[shadow.RequestRate] *= 40
	case i >= 450 && i < 470:
		m[shadow.RequestRate] = 0
	}
	return m
}

// A Controller restarted from its snapshot and the source's history in the
// middle of faulty samples (next to a gap, a NaN, a spike, inside the zero
// outage, right after it) decides, pass for pass, as the uninterrupted one.
func TestRestartEquivalenceFaults(t *testing.T) {
	const n = 2*288 + 60
	series := &shadowtest.Series{Fn: faulty, Start: t0}
	var now time.Time
	clock := func() time.Time { return now }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }

	a := restartable(t, series, actuatortest.NewGroup(10, 10*time.Minute, clock))
	var want []shadow.Report
	wantErr := make([]string, n)
	failed := 0
	for i := range n {
		now = at(i)
		r, err := a.Step(context.Background(), now)
		if err != nil {
			wantErr[i] = err.Error()
			failed++
		}
		want = append(want, r)
	}
	require.Positive(t, failed, "some samples fail their pass")
	for _, k := range []int{2*97 + 14, 2*173 + 51, 4*131 + 8, 460, 471, 2*288 - 1} {
		t.Run(fmt.Sprintf("restart at pass %d", k), func(t *testing.T) {
			// The process restarts: a new Controller, forecaster and
			// policy; the production group lives on.
			grp := actuatortest.NewGroup(10, 10*time.Minute, clock)
			store := &memStore{}
			b := restartable(t, series, grp, shadow.WithStateStore(store, "checkout"))
			for i := range k {
				now = at(i)
				_, err := b.Step(context.Background(), now)
				if err != nil || wantErr[i] != "" {
					require.EqualError(t, err, wantErr[i], "pass %d", i)
				}
			}
			c := restartable(t, series, grp, shadow.WithStateStore(store, "checkout"))
			for i := k; i < n; i++ {
				now = at(i)
				r, err := c.Step(context.Background(), now)
				if err != nil || wantErr[i] != "" {
					require.EqualError(t, err, wantErr[i], "pass %d", i)
				}
				requireSamePass(t, i, want[i], r)
				require.Equal(t, want[i].LeadSteps, r.LeadSteps, "pass %d", i)
				got, wantAlerts := r.Alerts, want[i].Alerts
				if i == k { // each reports what its own read-back left out
					got, wantAlerts = withoutBackfillAlerts(got), withoutBackfillAlerts(wantAlerts)
				}
				require.Equal(t, wantAlerts, got, "pass %d", i)
			}
		})
	}
}

// The same faults across a restart whose refill fails three times and is
// retried: once the read works, the Controller forecasts as the
// uninterrupted one, a glitch observed while the read was failing
// included.
func TestRefillRetriedFaults(t *testing.T) {
	const k, n = 4*131 + 4, 2*288 + 30 // the glitch at 4×131+7 comes while the read fails
	series := &shadowtest.Series{Fn: faulty, Start: t0}
	var now time.Time
	clock := func() time.Time { return now }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
	a := restartable(t, series, actuatortest.NewGroup(10, 10*time.Minute, clock))
	var want []shadow.Report
	for i := range n {
		now = at(i)
		r, _ := a.Step(context.Background(), now)
		want = append(want, r)
	}
	store := &memStore{}
	grp := actuatortest.NewGroup(10, 10*time.Minute, clock)
	b := restartable(t, series, grp, shadow.WithStateStore(store, "checkout"))
	for i := range k {
		now = at(i)
		_, _ = b.Step(context.Background(), now)
	}
	c := restartable(t, &flakyHistory{Series: series, fails: 3}, grp, shadow.WithStateStore(store, "checkout"))
	for i := k; i < n; i++ {
		now = at(i)
		r, _ := c.Step(context.Background(), now)
		if i < k+7 {
			continue // the read fails until then
		}
		w := want[i]
		requireSameForecast(t, fmt.Sprintf("pass %d", i), w.Forecast, r.Forecast)
		requireSamePeak(t, fmt.Sprintf("pass %d", i), w.PeakUpper, r.PeakUpper)
	}
	require.Equal(t, a.History(), c.History())
}

// A restart after the process was down for three passes, whose refill
// fails twice: once the read works, the Controller forecasts as one that
// ran on and missed those passes: the missed points are read back and the
// forecaster refitted before the passes' own values, as a pass after
// missed passes does.
func TestRefillRetriedAfterDowntime(t *testing.T) {
	const k, n = 2*288 - 30, 2*288 + 20 // down for passes k to k+2
	retriedRestart(t, &shadowtest.Series{Fn: faulty, Start: t0}, k, n, 2, func(i int) bool { return i >= k && i < k+3 })
}

// retriedRestart runs a Controller on series over passes 0 to n−1 but
// those down, and one restarted at pass k (from the state a Controller
// that ran up to it saved) whose first fails history reads fail; from the
// pass whose read works it requires the same forecasts and peak bounds as
// the one that ran on, and returns both Controllers and that pass.
func retriedRestart(t *testing.T, series *shadowtest.Series, k, n, fails int, down func(int) bool) (a, c *shadow.Controller, readAt int) {
	t.Helper()
	var now time.Time
	clock := func() time.Time { return now }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
	a = restartable(t, series, actuatortest.NewGroup(10, 10*time.Minute, clock))
	want := make([]shadow.Report, n)
	for i := range n {
		if !down(i) {
			now = at(i)
			want[i], _ = a.Step(context.Background(), now)
		}
	}
	store := &memStore{}
	grp := actuatortest.NewGroup(10, 10*time.Minute, clock)
	b := restartable(t, series, grp, shadow.WithStateStore(store, "checkout"))
	for i := range k {
		now = at(i)
		_, _ = b.Step(context.Background(), now)
	}
	c = restartable(t, &flakyHistory{Series: series, fails: fails}, grp, shadow.WithStateStore(store, "checkout"))
	readAt = -1
	for i := k; i < n; i++ {
		if down(i) {
			continue
		}
		now = at(i)
		r, _ := c.Step(context.Background(), now)
		if readAt < 0 && r.Backfilled > 0 {
			readAt = i
		}
		if readAt < 0 {
			continue
		}
		w := want[i]
		requireSameForecast(t, fmt.Sprintf("pass %d", i), w.Forecast, r.Forecast)
		requireSamePeak(t, fmt.Sprintf("pass %d", i), w.PeakUpper, r.PeakUpper)
	}
	require.GreaterOrEqual(t, readAt, 0, "the retried read works")
	return a, c, readAt
}

// A restart after one pass down, whose first pass holds a suspect sample
// and whose refill fails once: the next pass has no sample either, so a
// Controller that ran on reads the missed point back there; the retried
// refill does the same, and the forecasts start after it (they were
// refused as off the grid when the Controller's last observation stayed
// before it).
func TestRefillRetriedReadsTheMissedPoint(t *testing.T) {
	const k, n = 2*288 - 40, 2*288 - 20
	fn := func(at time.Time) map[shadow.Metric]float64 {
		m := daily(at)
		switch int(at.Sub(t0) / (5 * time.Minute)) {
		case k:
			m[shadow.RequestRate] *= 1e6
		case k + 1:
			m[shadow.RequestRate] = math.NaN()
		}
		return m
	}
	series := &shadowtest.Series{Fn: fn, Start: t0}
	var now time.Time
	clock := func() time.Time { return now }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
	a := restartable(t, series, actuatortest.NewGroup(10, 10*time.Minute, clock))
	want := make([]shadow.Report, n)
	for i := range n {
		if i != k-1 {
			now = at(i)
			want[i], _ = a.Step(context.Background(), now)
		}
	}
	require.Positive(t, want[k+1].Backfilled, "a Controller that ran on reads the missed point back")
	store := &memStore{}
	grp := actuatortest.NewGroup(10, 10*time.Minute, clock)
	b := restartable(t, series, grp, shadow.WithStateStore(store, "checkout"))
	for i := range k - 1 {
		now = at(i)
		_, _ = b.Step(context.Background(), now)
	}
	c := restartable(t, &flakyHistory{Series: series, fails: 1}, grp, shadow.WithStateStore(store, "checkout"))
	for i := k; i < n; i++ {
		now = at(i)
		r, err := c.Step(context.Background(), now)
		if i == k {
			continue // the read fails
		}
		if err != nil {
			require.NotContains(t, err.Error(), "off the grid", "pass %d", i)
		}
		w := want[i]
		requireSameForecast(t, fmt.Sprintf("pass %d", i), w.Forecast, r.Forecast)
		requireSamePeak(t, fmt.Sprintf("pass %d", i), w.PeakUpper, r.PeakUpper)
	}
}

// A restart whose first reads fail, after which the process is down for
// four passes, one of which would have seen a sample 40 times too high: no
// pass judged those missed points (the passes' record of what they left
// out spans them all the same), so once the read works the glitch is
// judged and left out, as a Controller that ran on left it out when it
// read the missed points back.
func TestRefillRetriedJudgesTheMissedPoints(t *testing.T) {
	const k, n = 2*288 - 40, 2*288 - 20 // restart at k, down for passes k+2 to k+5
	fn := func(at time.Time) map[shadow.Metric]float64 {
		m := daily(at)
		if int(at.Sub(t0)/(5*time.Minute)) == k+3 {
			m[shadow.RequestRate] *= 40
		}
		return m
	}
	a, c, readAt := retriedRestart(t, &shadowtest.Series{Fn: fn, Start: t0}, k, n, 2, func(i int) bool { return i >= k+2 && i < k+6 })
	require.Greater(t, readAt, k+5, "the read works after the process was down")
	require.Equal(t, a.History(), c.History())
}

// A restart whose reads fail while the load steps up tenfold: the pass
// at the step holds its sample as suspect until the next confirms it, and
// asked for the bound on the peak before the sample was fed; the replay
// asks again at the same point (after the values the pass had fed, not
// after its own), so that the adapted level, and the bound after the read,
// are those of the Controller that ran on.
func TestRefillRetriedAsksPeaksWhereThePassesDid(t *testing.T) {
	const k, n = 3*288 + 10, 3*288 + 40
	fn := func(at time.Time) map[shadow.Metric]float64 {
		m := daily(at)
		if int(at.Sub(t0)/(5*time.Minute)) > k {
			m[shadow.RequestRate] *= 10
		}
		return m
	}
	retriedRestart(t, &shadowtest.Series{Fn: fn, Start: t0}, k, n, 2, func(int) bool { return false })
}

// A restart whose reads fail over the pass that refits the forecasters
// (Config.RefitEvery: daily): the replay refits where that pass did,
// before its forecast, as the Controller that ran on did.
func TestRefillRetriedReplaysTheRefits(t *testing.T) {
	const k, n = 3*288 - 3, 3*288 + 20 // the reads fail at k, k+1 and k+3, the daily refit in between
	a, c, readAt := retriedRestart(t, &shadowtest.Series{Fn: faulty, Start: t0}, k, n, 3, func(int) bool { return false })
	require.Greater(t, readAt, 3*288, "the read works after the refit")
	require.Equal(t, a.History(), c.History())
}

// A young history restarted after six passes, down for five with its
// reads failing, and a sample 100 times too low at the pass after: that
// pass judged it with the nine values it had (fewer than ten: it cannot
// judge, and kept it), where a Controller that ran on read the missed
// points back first and left it out; once the read works, the replay
// judges it again with them.
func TestRefillRetriedJudgesThePassAfterMissedPoints(t *testing.T) {
	const k, n = 6, 40 // down for passes 9 to 13
	fn := func(at time.Time) map[shadow.Metric]float64 {
		m := daily(at)
		if int(at.Sub(t0)/(5*time.Minute)) == 14 {
			m[shadow.RequestRate] /= 100
		}
		return m
	}
	a, c, readAt := retriedRestart(t, &shadowtest.Series{Fn: fn, Start: t0}, k, n, 3, func(i int) bool { return i >= 9 && i < 14 })
	require.Greater(t, readAt, 14)
	require.Equal(t, a.History(), c.History())
}

// A restart whose reads fail, down for four passes, then a pass whose
// own sample is held as suspect: that pass fed nothing, but a Controller
// that ran on read the missed points back before it asked for the bound
// on the peak; the replay asks it after them too.
func TestRefillRetriedAsksAfterTheMissedPoints(t *testing.T) {
	const k, n = 2*288 + 100, 2*288 + 140 // down for passes k+2 to k+5
	fn := func(at time.Time) map[shadow.Metric]float64 {
		m := daily(at)
		switch i := int(at.Sub(t0) / (5 * time.Minute)); {
		case i == k+6:
			m[shadow.RequestRate] = 0
		case i > k+1:
			m[shadow.RequestRate] *= 1.3
		}
		return m
	}
	_, _, readAt := retriedRestart(t, &shadowtest.Series{Fn: fn, Start: t0}, k, n, 4, func(i int) bool { return i >= k+2 && i < k+6 })
	require.Greater(t, readAt, k+7, "the read works after the pass with the suspect sample and the next")
}

// A restart during a monitoring outage whose reads fail: the zero of the
// pass after the restart is held as suspect, then the process is down for
// five passes while the zeros go on. A Controller that ran on read them
// back at the next pass and judged the held zero with them (part of the
// run, kept); once the read works, the replay judges it with them too,
// and the robust statistics that judge the next samples are the same.
func TestRefillRetriedJudgesTheHeldSampleWithTheMissedPoints(t *testing.T) {
	const k, n = 2*288 + 100, 2*288 + 160 // zeros from k−5 to k+5, down for passes k+2 to k+6
	fn := func(at time.Time) map[shadow.Metric]float64 {
		m := daily(at)
		if i := int(at.Sub(t0) / (5 * time.Minute)); i >= k-5 && i <= k+5 {
			m[shadow.RequestRate] = 0
		}
		return m
	}
	a, c, readAt := retriedRestart(t, &shadowtest.Series{Fn: fn, Start: t0}, k, n, 2, func(i int) bool { return i >= k+2 && i < k+7 })
	require.Equal(t, k+7, readAt)
	require.Equal(t, a.History(), c.History())
}

// A restart whose reads fail, down for 3 to 8 passes during a burst three
// times the load that ends one pass after: that pass judged its sample
// against values from before the burst and held it, the next dropped it;
// a Controller that ran on read the burst back first and judged it
// against statistics the burst had not moved either, and dropped it too.
// The replay keeps the pass's judgement (judged again with the burst read
// back, the sample joined it as one step change and was kept).
func TestRefillRetriedKeepsAJudgedSampleAfterMissedPoints(t *testing.T) {
	const k, n = 2*288 + 100, 2*288 + 140
	for _, down := range []int{3, 6, 8} {
		fn := func(at time.Time) map[shadow.Metric]float64 {
			m := daily(at)
			if i := int(at.Sub(t0) / (5 * time.Minute)); i >= k+2 && i <= k+2+down {
				m[shadow.RequestRate] *= 3
			}
			return m
		}
		a, c, readAt := retriedRestart(t, &shadowtest.Series{Fn: fn, Start: t0}, k, n, 4, func(i int) bool { return i >= k+2 && i < k+2+down })
		require.Greater(t, readAt, k+2+down, "down %d", down)
		require.Equal(t, a.History(), c.History(), "down %d", down)
	}
}

// A restart right after a pass that held its sample as suspect (the load
// stepped up threefold and stays there), with reads that fail: the saved
// Controller was waiting to confirm the sample, the first pass confirmed
// it and fed it. Once the read works, the replay feeds it too, where it
// left it out when the restart pass was too soon to read missed points
// back (a gap the forecaster filled with its own forecast).
func TestRefillRetriedFeedsTheSampleTheSavedControllerHeld(t *testing.T) {
	const k, n = 2*288 + 100, 2*288 + 130
	fn := func(at time.Time) map[shadow.Metric]float64 {
		m := daily(at)
		if int(at.Sub(t0)/(5*time.Minute)) >= k-1 {
			m[shadow.RequestRate] *= 3
		}
		return m
	}
	a, c, readAt := retriedRestart(t, &shadowtest.Series{Fn: fn, Start: t0}, k, n, 2, func(int) bool { return false })
	require.Greater(t, readAt, k)
	require.Equal(t, a.History(), c.History())
}

// A restart while the process is down for three passes, right after a
// pass that held its sample as suspect (the load stepped up threefold, or
// fell to zero: a monitoring outage), with a read that works: a
// Controller that ran on read the missed points back at its pass after
// the gap and judged the held sample with them; the restarted one does
// the same (it used to drop the sample as stale, and the first pass
// confirmed a zero the other held as suspect). When the held sample is a
// second metric's (CPU fell to zero, the request rate was observed), a
// Controller that ran on reads back only what came after that pass, and
// the restarted one does not read the held sample either. Same history,
// forecasts, peak bounds, decisions and alerts.
func TestRefillJudgesTheHeldSampleWithTheMissedPoints(t *testing.T) {
	const k, n = 2*288 + 73, 2*288 + 103 // restart at k (near the daily peak), down for passes k to k+2
	cpu := func(t *testing.T) []shadow.Option {
		fc, err := forecast.NewAuto(forecast.AutoConfig{Step: 5 * time.Minute, Periods: []int{288}})
		require.NoError(t, err)
		return []shadow.Option{shadow.WithMetric(shadow.MetricTarget{Metric: shadow.CPU, PerReplica: 0.25, TargetUtilization: 0.6}, fc)}
	}
	for _, tc := range []struct {
		name   string
		metric shadow.Metric
		step   func(float64) float64
		opts   func(*testing.T) []shadow.Option
	}{
		{"step up", shadow.RequestRate, func(x float64) float64 { return 3 * x }, func(*testing.T) []shadow.Option { return nil }},
		{"zeros", shadow.RequestRate, func(float64) float64 { return 0 }, func(*testing.T) []shadow.Option { return nil }},
		{"second metric's zeros", shadow.CPU, func(float64) float64 { return 0 }, cpu},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := func(at time.Time) map[shadow.Metric]float64 {
				m := daily(at)
				m[shadow.CPU] = 0.02*m[shadow.RequestRate] + 0.3*math.Sin(at.Sub(t0).Minutes()/97)
				if int(at.Sub(t0)/(5*time.Minute)) >= k-1 {
					m[tc.metric] = tc.step(m[tc.metric])
				}
				return m
			}
			down := func(i int) bool { return i >= k && i < k+3 }
			series := &shadowtest.Series{Fn: fn, Start: t0}
			var now time.Time
			clock := func() time.Time { return now }
			at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
			a := restartable(t, series, actuatortest.NewGroup(10, 10*time.Minute, clock), tc.opts(t)...)
			want := make([]shadow.Report, n)
			for i := range n {
				if !down(i) {
					now = at(i)
					want[i], _ = a.Step(context.Background(), now)
				}
			}
			require.Equal(t, []shadow.Metric{tc.metric}, want[k-1].Suspect, "the pass before the restart holds its sample as suspect")
			require.Positive(t, want[k+3].Backfilled, "a Controller that ran on reads the missed points back")
			store := &memStore{}
			grp := actuatortest.NewGroup(10, 10*time.Minute, clock)
			b := restartable(t, series, grp, append(tc.opts(t), shadow.WithStateStore(store, "checkout"))...)
			for i := range k {
				now = at(i)
				_, _ = b.Step(context.Background(), now)
			}
			c := restartable(t, series, grp, append(tc.opts(t), shadow.WithStateStore(store, "checkout"))...)
			for i := k + 3; i < n; i++ {
				now = at(i)
				r, _ := c.Step(context.Background(), now)
				w := want[i]
				where := fmt.Sprintf("pass %d", i)
				require.Equal(t, w.Decision, r.Decision, where)
				if i > k+3 { // each reports what its own read-back left out
					require.Equal(t, w.Alerts, r.Alerts, where)
				}
				requireSameForecast(t, where, w.Forecast, r.Forecast)
				requireSamePeak(t, where, w.PeakUpper, r.PeakUpper)
			}
			require.Equal(t, a.History(), c.History())
		})
	}
}
