package shadow_test

import (
	"context"
	"flag"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
)

// restartSeeds is how many random fault schedules
// TestRestartEquivalenceRandomFaults tries (go test ./shadow -run
// RandomFaults -restart-seeds 500 explores further).
var restartSeeds = flag.Int("restart-seeds", 8, "fault schedules TestRestartEquivalenceRandomFaults tries")

// A Controller restarted at a random pass of a daily series with bursts
// and random faults (missing samples, NaNs, samples 5, 40 or 1e6 times too
// high or 100 times too low, zero runs of 1 to 30 passes, each starting at
// 1 in 60 passes) decides, pass for pass, as the uninterrupted one: the
// same errors, plans, alerts (but the restart's report of what its
// backfill left out), lead steps, decisions and forecasts. Each seed draws
// its own schedule, length and restart pass.
func TestRestartEquivalenceRandomFaults(t *testing.T) {
	for seed := 1; seed <= *restartSeeds; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 5))
		n := 300 + r.IntN(500)
		kind := make([]int, n)
		mult := make([]float64, n)
		for i := range kind {
			switch x := r.IntN(60); {
			case x == 0:
				kind[i] = 1 // missing
			case x == 1:
				kind[i] = 2 // NaN
			case x == 2:
				kind[i], mult[i] = 3, []float64{5, 40, 1e6, 0.01}[r.IntN(4)]
			case x == 3:
				z := 1 + r.IntN(30)
				for j := i; j < min(n, i+z); j++ {
					kind[j] = 4
				}
			}
		}
		fn := func(at time.Time) map[shadow.Metric]float64 {
			m := bursty(at)
			i := int(at.Sub(t0) / (5 * time.Minute))
			if i < 0 || i >= n {
				return m
			}
			switch kind[i] {
			case 1:
				delete(m, shadow.RequestRate)
			case 2:
				m[shadow.RequestRate] = math.NaN()
			case 3:
				m[shadow.RequestRate] *= mult[i]
			case 4:
				m[shadow.RequestRate] = 0
			}
			return m
		}
		series := &shadowtest.Series{Fn: fn, Start: t0}
		var now time.Time
		clock := func() time.Time { return now }
		at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
		a := restartable(t, series, actuatortest.NewGroup(10, 10*time.Minute, clock))
		var want []shadow.Report
		wantErr := make([]string, n)
		for i := range n {
			now = at(i)
			rep, err := a.Step(context.Background(), now)
			if err != nil {
				wantErr[i] = err.Error()
			}
			want = append(want, rep)
		}
		k := 1 + r.IntN(n-1)
		grp := actuatortest.NewGroup(10, 10*time.Minute, clock)
		store := &memStore{}
		b := restartable(t, series, grp, shadow.WithStateStore(store, "checkout"))
		for i := range k {
			now = at(i)
			_, _ = b.Step(context.Background(), now)
		}
		c := restartable(t, series, grp, shadow.WithStateStore(store, "checkout"))
		for i := k; i < n; i++ {
			now = at(i)
			rep, err := c.Step(context.Background(), now)
			ge := ""
			if err != nil {
				ge = err.Error()
			}
			if i > k {
				require.Equal(t, wantErr[i], ge, "seed %d restart %d pass %d", seed, k, i)
			}
			w := want[i]
			require.Equal(t, w.Plan, rep.Plan, "seed %d restart %d pass %d", seed, k, i)
			got := rep.Alerts
			if i == k {
				got = slices.DeleteFunc(slices.Clone(got), func(a shadow.Alert) bool { return strings.HasPrefix(a.Message, "backfill: ") })
			}
			if len(got) == 0 {
				got = nil
			}
			require.Equal(t, w.Alerts, got, "seed %d restart %d pass %d", seed, k, i)
			require.Equal(t, w.LeadSteps, rep.LeadSteps, "seed %d restart %d pass %d", seed, k, i)
			require.Equal(t, w.Decision, rep.Decision, "seed %d restart %d pass %d", seed, k, i)
			require.Equal(t, w.Forecast.Model, rep.Forecast.Model, "seed %d restart %d pass %d", seed, k, i)
			for j := range w.Forecast.Mean {
				require.InDelta(t, w.Forecast.Mean[j], rep.Forecast.Mean[j], 1e-9, "seed %d restart %d pass %d step %d", seed, k, i, j)
				require.InDelta(t, w.Forecast.Upper[j], rep.Forecast.Upper[j], 1e-9, "seed %d restart %d pass %d step %d", seed, k, i, j)
			}
		}
	}
}
