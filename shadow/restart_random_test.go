package shadow_test

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
)

// restartSeeds is how many random fault schedules
// TestRestartEquivalenceRandomFaults tries (go test ./shadow -run
// RandomFaults -restart-seeds 500 explores further).
var restartSeeds = flag.Int("restart-seeds", 8, "fault schedules TestRestartEquivalenceRandomFaults tries")

// faults draws a fault schedule of n passes: for each pass, what happens
// to a metric's sample (see TestRestartEquivalenceRandomFaults).
type faults struct {
	kind []int // 0 none, 1 missing, 2 NaN, 3 times mult, 4 zero
	mult []float64
}

func drawFaults(r *rand.Rand, n int) faults {
	f := faults{kind: make([]int, n), mult: make([]float64, n)}
	for i := range n {
		switch x := r.IntN(60); {
		case x == 0:
			f.kind[i] = 1
		case x == 1:
			f.kind[i] = 2
		case x == 2:
			f.kind[i], f.mult[i] = 3, []float64{5, 40, 1e6, 0.01}[r.IntN(4)]
		case x == 3:
			for j := i; j < min(n, i+1+r.IntN(30)); j++ {
				f.kind[j] = 4
			}
		}
	}
	return f
}

// apply applies pass i's fault to metric m of sample s.
func (f faults) apply(i int, s map[shadow.Metric]float64, m shadow.Metric) {
	if i < 0 || i >= len(f.kind) {
		return
	}
	switch f.kind[i] {
	case 1:
		delete(s, m)
	case 2:
		s[m] = math.NaN()
	case 3:
		s[m] *= f.mult[i]
	case 4:
		s[m] = 0
	}
}

// withoutBackfillAlerts returns as without the alerts of a read-back's
// left-out values (nil when none is left).
func withoutBackfillAlerts(as []shadow.Alert) []shadow.Alert {
	as = slices.DeleteFunc(slices.Clone(as), func(a shadow.Alert) bool { return strings.HasPrefix(a.Message, "backfill: ") })
	if len(as) == 0 {
		return nil
	}
	return as
}

// A Controller restarted at a random pass of a daily series with bursts
// and random faults (missing samples, NaNs, samples 5, 40 or 1e6 times too
// high or 100 times too low, zero runs of 1 to 30 passes, each starting at
// 1 in 60 passes), with a second metric (CPU, with faults of its own) on
// half the seeds and pauses of the process (1 to 12 passes without a
// pass, the following pass reading the missed points back) on all,
// decides, pass for pass, as the uninterrupted one: the same errors,
// plans, alerts (but the restart's report of what its backfill left out),
// lead steps, decisions and forecasts. Each seed draws its own schedules,
// length and restart pass.
func TestRestartEquivalenceRandomFaults(t *testing.T) {
	for seed := 1; seed <= *restartSeeds; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 5))
		n := 300 + r.IntN(500)
		rr, cpuFaults := drawFaults(r, n), drawFaults(r, n)
		two := r.IntN(2) == 0
		paused := make([]bool, n)
		for i := 1; i < n; i++ {
			if r.IntN(80) == 0 {
				for j := i; j < min(n, i+1+r.IntN(12)); j++ {
					paused[j] = true
				}
			}
		}
		fn := func(at time.Time) map[shadow.Metric]float64 {
			m := bursty(at)
			i := int(at.Sub(t0) / (5 * time.Minute))
			if two {
				m[shadow.CPU] = 0.02*m[shadow.RequestRate] + 0.3*math.Sin(at.Sub(t0).Minutes()/97)
				cpuFaults.apply(i, m, shadow.CPU)
			}
			rr.apply(i, m, shadow.RequestRate)
			return m
		}
		mk := func(src shadow.MetricsSource, grp *actuatortest.Group, opts ...shadow.Option) *shadow.Controller {
			if two {
				fc, err := forecast.NewAuto(forecast.AutoConfig{Step: 5 * time.Minute, Periods: []int{288}})
				require.NoError(t, err)
				opts = append(opts, shadow.WithMetric(shadow.MetricTarget{Metric: shadow.CPU, PerReplica: 0.25, TargetUtilization: 0.6}, fc))
			}
			return restartable(t, src, grp, opts...)
		}
		series := &shadowtest.Series{Fn: fn, Start: t0}
		var now time.Time
		clock := func() time.Time { return now }
		at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
		a := mk(series, actuatortest.NewGroup(10, 10*time.Minute, clock))
		want := make([]shadow.Report, n)
		wantErr := make([]string, n)
		for i := range n {
			if paused[i] {
				continue
			}
			now = at(i)
			rep, err := a.Step(context.Background(), now)
			if err != nil {
				wantErr[i] = err.Error()
			}
			want[i] = rep
		}
		k := 1 + r.IntN(n-1)
		for paused[k] && k < n-1 {
			k++
		}
		where := fmt.Sprintf("seed %d (two metrics %t), restart at pass %d", seed, two, k)
		grp := actuatortest.NewGroup(10, 10*time.Minute, clock)
		store := &memStore{}
		b := mk(series, grp, shadow.WithStateStore(store, "checkout"))
		for i := range k {
			if !paused[i] {
				now = at(i)
				_, _ = b.Step(context.Background(), now)
			}
		}
		c := mk(series, grp, shadow.WithStateStore(store, "checkout"))
		for i := k; i < n; i++ {
			if paused[i] {
				continue
			}
			now = at(i)
			rep, err := c.Step(context.Background(), now)
			ge := ""
			if err != nil {
				ge = err.Error()
			}
			if i > k {
				require.Equal(t, wantErr[i], ge, "%s: pass %d", where, i)
			}
			w := want[i]
			require.Equal(t, w.Plan, rep.Plan, "%s: pass %d", where, i)
			got, wantAlerts := rep.Alerts, w.Alerts
			if i == k { // each reports what its own read-back left out
				got, wantAlerts = withoutBackfillAlerts(got), withoutBackfillAlerts(wantAlerts)
			}
			require.Equal(t, wantAlerts, got, "%s: pass %d", where, i)
			require.Equal(t, w.LeadSteps, rep.LeadSteps, "%s: pass %d", where, i)
			require.Equal(t, w.Decision, rep.Decision, "%s: pass %d", where, i)
			require.Equal(t, w.Forecast.Model, rep.Forecast.Model, "%s: pass %d", where, i)
			for j := range w.Forecast.Mean {
				require.InDelta(t, w.Forecast.Mean[j], rep.Forecast.Mean[j], 1e-9, "%s: pass %d step %d", where, i, j)
				require.InDelta(t, w.Forecast.Upper[j], rep.Forecast.Upper[j], 1e-9, "%s: pass %d step %d", where, i, j)
			}
		}
	}
}
