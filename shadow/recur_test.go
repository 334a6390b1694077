package shadow_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
)

// alternate runs s for n passes of a load that alternates pass by pass
// between about 100 and hi (hi at passes of parity phase) and returns
// the reports.
func (s *steady) alternate(t *testing.T, n int, hi float64, phase int) []shadow.Report {
	t.Helper()
	var reps []shadow.Report
	for range n {
		v := s.noisy(100)
		if s.i%2 == phase {
			v = s.noisy(hi)
		}
		s.src.Set(shadow.RequestRate, v)
		reps = append(reps, s.step(t, s.now))
	}
	return reps
}

// A load that comes and goes between passes (here, 250 req/s every other
// minute over 100) shows a reading far above its recent median at every
// high phase, each followed by the lower level: each alone looks as a
// glitch does. They were all held and let go, and production stayed at
// the first one's head start (24 replicas; the high phases need 36 at the
// target utilization), under-provisioned at every high phase for as long
// as the pattern lasted. A reading far above that two earlier ones within
// 32 passes match (within a factor of two) is taken as load: the first two
// are held, the rest followed; across a restart too (the readings are
// saved).
func TestRecurringLoadFollowed(t *testing.T) {
	for _, r := range bothRules() {
		for phase := range 2 {
			var runs [2][]int
			for k, restart := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s phase %d restart %v", r.name, phase, restart), func(t *testing.T) {
					store := &memStore{}
					s := newSteadyWith(t, r.cfg, shadow.WithStateStore(store, "svc"))
					before := s.desired(t)
					reps := s.alternate(t, 3, 250, phase)
					if restart {
						s.restart(t, r.cfg, store)
					}
					reps = append(reps, s.alternate(t, 117, 250, phase)...)
					held, alerts := 0, 0
					for i, rep := range reps {
						if len(rep.Suspect) > 0 {
							held++
							require.Less(t, i, 4+phase, "pass %d held: %s", i, rep.Decision.Reason)
						}
						for _, a := range rep.Alerts {
							if strings.Contains(a.Message, "a load that comes and goes") {
								alerts++
								assert.Equal(t, 4+phase, i, "the alert comes with the third high phase")
							}
						}
						runs[k] = append(runs[k], s.desired(t))
					}
					assert.Equal(t, 2, held, "the first two high phases are held")
					assert.Equal(t, 1, alerts)
					need := policy.Replicas(250, 10, 0.7)
					t.Logf("%d replicas before, %d after two hours of alternation, at most %d (%d needed at the high phases)", before, s.desired(t), slices.Max(runs[k]), need)
					assert.GreaterOrEqual(t, s.desired(t), need, "provisioned for the high phases")
					high := 0
					for _, o := range s.c.History() {
						if o.Value > 200 {
							high++
						}
					}
					assert.Equal(t, 58, high, "every high phase from the third on reaches the history")
				})
			}
			assert.Equal(t, runs[0], runs[1], "%s: the restart changes nothing", r.name)
		}
	}
}

// What recurrence does not take: glitches of five times the load further
// apart than 32 passes, or only two within them, are each held (each
// costs at most its head start); nor do readings of ten times the median
// or more recur (a flapping exporter's garbage): a load that alternates
// by that much is still held at every high phase.
func TestRecurrenceNeedsThreeReadingsAtOneLevel(t *testing.T) {
	for _, r := range bothRules() {
		for _, c := range []struct {
			name  string
			highs []float64 // per pass; 0: the usual load
		}{
			{"three glitches 40 passes apart", spaced(500, 40, 3)},
			{"two glitches 3 passes apart", spaced(500, 3, 2)},
			{"three glitches 3 passes apart, not within a factor of two", []float64{300, 0, 0, 700, 0, 0, 1400 / 1.1}},
			{"a load alternating by 15 times", spaced(1500, 2, 20)},
		} {
			t.Run(r.name+" "+c.name, func(t *testing.T) {
				s := newSteadyWith(t, r.cfg)
				before := s.desired(t)
				for i, h := range c.highs {
					v := s.noisy(100)
					if h > 0 {
						v = h
					}
					s.src.Set(shadow.RequestRate, v)
					rep := s.step(t, s.now)
					if h > 0 {
						require.Equal(t, []shadow.Metric{shadow.RequestRate}, rep.Suspect, "pass %d", i)
					}
					require.LessOrEqual(t, s.desired(t), before*3/2, "pass %d: %s", i, rep.Decision.Reason)
				}
				for _, o := range s.c.History() {
					require.Less(t, o.Value, 200.0, "a glitch at %s reached the history", o.Time)
				}
			})
		}
	}
}

// spaced returns n readings of v, every gap passes (the usual load between).
func spaced(v float64, gap, n int) []float64 {
	out := make([]float64, (n-1)*gap+1)
	for i := 0; i < len(out); i += gap {
		out[i] = v
	}
	return out
}

// A Controller that starts on a load that comes and goes reads its history
// back as the passes judge it: the high phases are kept from the third on
// (they were all left out as glitches, and the forecaster learned only the
// low phases), and the passes provision for them once the forecast is
// trusted.
func TestRecurringLoadReadBack(t *testing.T) {
	for _, r := range bothRules() {
		t.Run(r.name, func(t *testing.T) {
			from := t0.Add(-2 * time.Hour)
			src := &shadowtest.Series{Start: t0.Add(-8 * time.Hour), Fn: func(at time.Time) map[shadow.Metric]float64 {
				v := 100.0
				if !at.Before(from) && at.Minute()%2 == 0 {
					v = 250
				}
				return map[shadow.Metric]float64{shadow.RequestRate: v}
			}}
			s := newFreshFrom(t, shadow.Config{PerReplica: 10, MaxReplicas: 100}, r.cfg, src)
			rep := s.step(t, s.now)
			require.False(t, rep.Held, rep.Decision.Reason)
			high := 0
			for _, o := range s.c.History() {
				if o.Value > 200 {
					high++
				}
			}
			assert.Equal(t, 60-2+1, high, "the high phases from the third on, and this pass's")
			for range 5 { // until the forecast is trusted (three forecasts)
				rep = s.step(t, s.now)
			}
			t.Logf("%d of 60 high phases read back kept; %d replicas after six passes: %s", high, s.desired(t), rep.Decision.Reason)
			assert.GreaterOrEqual(t, s.desired(t), policy.Replicas(250, 10, 0.7))
		})
	}
}
