package shadow_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/forecast/forecasttest"
	"github.com/shadowscale/shadowscale/mirror"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
	"github.com/shadowscale/shadowscale/transition"
)

// steady is a Controller on the default Predictive stack after 300 passes
// at about 100 req/s with PerReplica 10, as an operator would run it.
type steady struct {
	c   *shadow.Controller
	grp *actuatortest.Group
	src *shadowtest.Source
	now time.Time
	i   int
}

func newSteady(t *testing.T, opts ...shadow.Option) *steady {
	t.Helper()
	return newSteadyWith(t, policy.DefaultPredictiveConfig(), opts...)
}

// newSteadyWith is newSteady with the Predictive stack of cfg.
func newSteadyWith(t *testing.T, cfg policy.PredictiveConfig, opts ...shadow.Option) *steady {
	t.Helper()
	return newFresh(t, cfg, opts...).warm(t)
}

// warm runs s for 300 passes at about 100 req/s (CPU 10).
func (s *steady) warm(t *testing.T) *steady {
	t.Helper()
	for range 300 {
		s.src.Set(shadow.RequestRate, s.noisy(100))
		s.src.Set(shadow.CPU, s.noisy(10))
		s.step(t, s.now)
	}
	return s
}

// noisy adds a deterministic ±2% wobble.
func (s *steady) noisy(v float64) float64 { return v * (1 + 0.02*math.Sin(float64(s.i)*1.7)) }

func (s *steady) step(t *testing.T, at time.Time) shadow.Report {
	t.Helper()
	r, _ := s.c.Step(context.Background(), at)
	s.i++
	s.now = s.now.Add(time.Minute)
	return r
}

// restart replaces s's Controller by a new one on the same source and
// group, with the Predictive stack of cfg, restored from store.
func (s *steady) restart(t *testing.T, cfg policy.PredictiveConfig, store shadow.StateStore) {
	t.Helper()
	fc, err := forecast.NewAuto(forecast.AutoConfig{Step: time.Minute})
	require.NoError(t, err)
	pol, err := policy.Predictive(cfg)
	require.NoError(t, err)
	s.c, err = shadow.New(shadow.Config{PerReplica: 10, MaxReplicas: 100},
		shadow.Deps{Source: s.src, Forecaster: fc, Policy: pol, Production: s.grp},
		shadow.WithLogger(testLogger(&syncBuffer{})), shadow.WithStateStore(store, "svc"))
	require.NoError(t, err)
}

// passes runs n passes at about load (the ±2% wobble) and returns the
// replicas production was asked for after each.
func (s *steady) passes(t *testing.T, load float64, n int) []int {
	t.Helper()
	var got []int
	for range n {
		s.src.Set(shadow.RequestRate, s.noisy(load))
		s.step(t, s.now)
		got = append(got, s.desired(t))
	}
	return got
}

func (s *steady) desired(t *testing.T) int {
	st, err := s.grp.Current(context.Background())
	require.NoError(t, err)
	return st.Desired
}

func TestSpikeIsSuspectNotActedOn(t *testing.T) {
	planner := policy.DefaultPredictiveConfig()
	planner.Rule = policy.RulePlanner
	for _, spike := range []float64{1e6, 1e12, math.MaxFloat64} {
		for name, cfg := range map[string]policy.PredictiveConfig{"threshold": policy.DefaultPredictiveConfig(), "planner": planner} {
			t.Run(fmt.Sprintf("%s %g", name, spike), func(t *testing.T) { spikeNotActedOn(t, newSteadyWith(t, cfg), spike) })
		}
	}
}

// spikeNotActedOn feeds s one spike and 30 passes of its usual load.
func spikeNotActedOn(t *testing.T, s *steady, spike float64) {
	before := s.desired(t)
	s.src.Set(shadow.RequestRate, spike)
	r := s.step(t, s.now)
	assert.Equal(t, []shadow.Metric{shadow.RequestRate}, r.Suspect)
	lim, _ := r.Condition(shadow.ScalingLimited)
	assert.Equal(t, shadow.ReasonSuspectSample, lim.Reason, lim.Message)
	require.NotEmpty(t, r.Alerts)
	assert.Equal(t, shadow.AlertSuspectSample, r.Alerts[0].Kind)
	assert.LessOrEqual(t, s.desired(t), before*3/2, "at most ×1.5 on an unconfirmed spike (was %d)", before)
	for k := range 30 {
		s.src.Set(shadow.RequestRate, s.noisy(100))
		r = s.step(t, s.now)
		require.False(t, r.Held, r.Decision.Reason)
		require.Empty(t, r.Suspect)
		// The glitch is not learned either: no pass after it asks for
		// more than its ×1.5 (the ramp guard once fitted its slope on it
		// and asked for MaxReplicas for nine passes).
		require.LessOrEqual(t, s.desired(t), before*3/2, "pass %d after the spike: %s", k+1, r.Decision.Reason)
	}
	assert.LessOrEqual(t, s.desired(t), before+2, "capacity back near %d", before)
	for _, o := range s.c.History() {
		require.Less(t, o.Value, 1000.0, "the unconfirmed spike never reaches the history")
	}
}

// newFresh is newSteadyWith's Controller before any pass: no history,
// 15 replicas, PerReplica 10, at most 100.
func newFresh(t *testing.T, cfg policy.PredictiveConfig, opts ...shadow.Option) *steady {
	t.Helper()
	return newFreshConfig(t, shadow.Config{PerReplica: 10, MaxReplicas: 100}, cfg, opts...)
}

// newFreshConfig is newFresh with the Controller's Config c.
func newFreshConfig(t *testing.T, c shadow.Config, cfg policy.PredictiveConfig, opts ...shadow.Option) *steady {
	t.Helper()
	src := shadowtest.NewSource(100)
	s := newFreshFrom(t, c, cfg, src, opts...)
	s.src = src
	return s
}

// newFreshFrom is newFreshConfig reading src (s.src is nil).
func newFreshFrom(t *testing.T, c shadow.Config, cfg policy.PredictiveConfig, src shadow.MetricsSource, opts ...shadow.Option) *steady {
	t.Helper()
	s := &steady{now: t0}
	s.grp = actuatortest.NewGroup(15, 0, func() time.Time { return s.now })
	fc, err := forecast.NewAuto(forecast.AutoConfig{Step: time.Minute})
	require.NoError(t, err)
	pol, err := policy.Predictive(cfg)
	require.NoError(t, err)
	s.c, err = shadow.New(c,
		shadow.Deps{Source: src, Forecaster: fc, Policy: pol, Production: s.grp},
		append([]shadow.Option{shadow.WithLogger(testLogger(&syncBuffer{})), shadow.WithRetry(actuator.RetryConfig{After: instant})}, opts...)...)
	require.NoError(t, err)
	return s
}

// namedRule is the default Predictive stack with one rule.
type namedRule struct {
	name string
	cfg  policy.PredictiveConfig
}

// bothRules returns the default Predictive stack with Threshold and with
// the planner.
func bothRules() []namedRule {
	planner := policy.DefaultPredictiveConfig()
	planner.Rule = policy.RulePlanner
	return []namedRule{{"threshold", policy.DefaultPredictiveConfig()}, {"planner", planner}}
}

// newYoung is newFresh on the default Predictive stack, with the planner
// rule when planner.
func newYoung(t *testing.T, planner bool) *steady {
	t.Helper()
	cfg := policy.DefaultPredictiveConfig()
	if planner {
		cfg.Rule = policy.RulePlanner
	}
	return newFresh(t, cfg)
}

// A glitch of 40 times the load in a Controller's first passes (a new
// service, or no history to read) is held as suspect as it is later on:
// too few values to judge it by their spread, but ten times their median
// is implausible. It took production from 15 replicas to MaxReplicas (100)
// and held it there while the forecaster had learned it.
func TestSpikeOnAYoungHistoryIsSuspect(t *testing.T) {
	eachYoungGlitch(t, 4000, "far above", func(t *testing.T, s *steady, _ shadow.Report, before int) {
		assert.LessOrEqual(t, s.desired(t), before*3/2, "at most ×1.5 on an unconfirmed spike (was %d)", before)
		for k := range 30 {
			s.src.Set(shadow.RequestRate, s.noisy(100))
			s.step(t, s.now)
			require.LessOrEqual(t, s.desired(t), before*3/2, "pass %d after the spike", k+1)
		}
		for _, o := range s.c.History() {
			require.Less(t, o.Value, 1000.0, "the unconfirmed spike never reaches the history")
		}
	})
}

// A dip to a hundredth of the load in a Controller's first passes (a
// scrape that caught a restarting exporter) is held as suspect as it is
// later on: before, it was taken, and the forecaster's interval, widened
// by it, put production at up to 70 replicas (from 15) for minutes.
func TestDipOnAYoungHistoryIsSuspect(t *testing.T) {
	eachYoungGlitch(t, 1, "far below", func(t *testing.T, s *steady, r shadow.Report, _ int) {
		assert.True(t, r.Held, r.Decision.Reason)
		most := 0
		for range 40 {
			s.src.Set(shadow.RequestRate, s.noisy(100))
			s.step(t, s.now)
			most = max(most, s.desired(t))
		}
		t.Logf("at most %d replicas in the 40 passes after the dip", most)
		assert.LessOrEqual(t, most, 18, "production stays near the 15 to 16 replicas the load needs")
		for _, o := range s.c.History() {
			require.Greater(t, o.Value, 50.0, "the dip never reaches the history")
		}
	})
}

// eachYoungGlitch feeds a young Controller (both rules) about 100 req/s
// for 1, 2, 5 or 9 passes, then the glitch v, checks that the pass holds
// it as suspect (lying where, against the young median) and hands the
// Controller, the glitch pass's report and the replicas before it to
// check.
func eachYoungGlitch(t *testing.T, v float64, where string, check func(t *testing.T, s *steady, r shadow.Report, before int)) {
	for _, planner := range []bool{false, true} {
		for _, at := range []int{1, 2, 5, 9} {
			t.Run(fmt.Sprintf("planner %t, pass %d", planner, at), func(t *testing.T) {
				s := newYoung(t, planner)
				for range at {
					s.src.Set(shadow.RequestRate, s.noisy(100))
					s.step(t, s.now)
				}
				before := s.desired(t)
				s.src.Set(shadow.RequestRate, v)
				r := s.step(t, s.now)
				assert.Equal(t, []shadow.Metric{shadow.RequestRate}, r.Suspect)
				require.NotEmpty(t, r.Alerts)
				assert.Contains(t, r.Alerts[0].Message, fmt.Sprintf("request_rate = %v lies %s its recent median 10", v, where))
				check(t, s, r, before)
			})
		}
	}
}

// A young service's load that grows tenfold from one pass to the next
// (traffic starting), or to more than three times the highest it has had,
// is followed on the pass after (with the head start of ×1.5 on the
// first), as a step change is later on; growth by less is followed at
// once.
func TestYoungLoadStartsFollowed(t *testing.T) {
	s := newYoung(t, false)
	for range 3 {
		s.src.Set(shadow.RequestRate, 5)
		r := s.step(t, s.now)
		assert.Empty(t, r.Suspect)
	}
	s.src.Set(shadow.RequestRate, 400)
	r := s.step(t, s.now)
	assert.Equal(t, []shadow.Metric{shadow.RequestRate}, r.Suspect, "80 times the load so far")
	s.src.Set(shadow.RequestRate, 410)
	r = s.step(t, s.now)
	assert.Empty(t, r.Suspect)
	assert.False(t, r.Held, r.Decision.Reason)
	assert.GreaterOrEqual(t, s.desired(t), policy.Replicas(400, 10, 0.7), "followed on the confirming pass")
	assert.Equal(t, 400.0, s.c.History()[len(s.c.History())-2].Value, "the first sample of the step is kept")

	s = newYoung(t, false)
	for _, v := range []float64{100, 100, 250} {
		s.src.Set(shadow.RequestRate, v)
		r := s.step(t, s.now)
		assert.Empty(t, r.Suspect, "%v: less than three times the highest load so far", v)
	}
	assert.Equal(t, 30, s.desired(t), "followed at once, as far as the ×2 a pass of the scale-up limit allows")

	s = newYoung(t, false)
	for _, v := range []float64{100, 100} {
		s.src.Set(shadow.RequestRate, v)
		s.step(t, s.now)
	}
	before := s.desired(t)
	s.src.Set(shadow.RequestRate, 900)
	r = s.step(t, s.now)
	assert.Equal(t, []shadow.Metric{shadow.RequestRate}, r.Suspect, "nine times the load so far")
	assert.Equal(t, before*3/2, s.desired(t), "the head start")
	s.src.Set(shadow.RequestRate, 910)
	r = s.step(t, s.now)
	assert.Empty(t, r.Suspect)
	assert.GreaterOrEqual(t, s.desired(t), 2*before, "followed on the confirming pass")
	assert.Equal(t, 900.0, s.c.History()[len(s.c.History())-2].Value, "the first sample of the step is kept")
}

func TestStepChangeFollowedWithinTwoPasses(t *testing.T) {
	s := newSteady(t)
	before := s.desired(t)
	s.src.Set(shadow.RequestRate, s.noisy(400))
	r1 := s.step(t, s.now)
	assert.Equal(t, []shadow.Metric{shadow.RequestRate}, r1.Suspect, "the first sample of a ×4 step is suspect")
	assert.Greater(t, s.desired(t), before, "a head start")
	assert.LessOrEqual(t, s.desired(t), before*3/2)
	s.src.Set(shadow.RequestRate, s.noisy(400))
	r2 := s.step(t, s.now)
	assert.False(t, r2.Held, r2.Decision.Reason)
	assert.GreaterOrEqual(t, s.desired(t), policy.Replicas(400, 10, 0.7), "followed on the confirming pass (was %d)", before)
}

// TestHeldStepIsNotCarriedAhead: a load that steps up and stays is
// followed in full on the confirming pass, and not carried further: the
// ramp guard used to fit its line through the jump and lift the forecast
// along it for the lead time's passes after, which asked for up to 1.6
// times what the new load needs (×2: 47 replicas for 30 with Threshold, 45
// with the planner; ×4: 91 for 59, and 84; ×5: MaxReplicas, 100, for 73).
func TestHeldStepIsNotCarriedAhead(t *testing.T) {
	bounds := map[string]float64{"threshold": 1.4, "planner": 1.1} // the most asked for, in needs
	for _, rule := range bothRules() {
		for _, f := range []float64{2, 4, 5} {
			t.Run(fmt.Sprintf("%s ×%g", rule.name, f), func(t *testing.T) {
				s := newSteadyWith(t, rule.cfg)
				need, most := 0, 0
				var got []int
				for i := range 40 {
					load := s.noisy(100 * f)
					need = max(need, policy.Replicas(load, 10, 0.7))
					s.src.Set(shadow.RequestRate, load)
					s.src.Set(shadow.CPU, s.noisy(10*f))
					r := s.step(t, s.now)
					d := s.desired(t)
					got, most = append(got, d), max(most, d)
					if i == 1 {
						assert.GreaterOrEqual(t, d, policy.Replicas(load, 10, 0.7), "followed on the confirming pass: %s", r.Decision.Reason)
					}
				}
				t.Logf("needs up to %d, asked for up to %d: %v", need, most, got)
				assert.LessOrEqual(t, float64(most), bounds[rule.name]*float64(need)+1)
			})
		}
	}
}

// TestLoadDropFollowed: a load that falls to a tenth and stays, after a
// day and more of steady load. The forecaster's early refits (on by
// default) follow it within minutes; without them its model, fitted with
// next to no level smoothing, forecast the old level until its next
// scheduled refit, its error scale widened by its own misses, and the
// stack held more than before the drop (18 replicas fifteen passes after
// it and 16 an hour after, where 2 serve the load; on a younger history,
// refitted as it doubled, up to 26 for five hours).
func TestLoadDropFollowed(t *testing.T) {
	s := newSteady(t)
	for range 5 {
		s.warm(t)
	}
	before, most, at15 := s.desired(t), 0, 0
	for i := range 60 {
		s.src.Set(shadow.RequestRate, s.noisy(10))
		s.src.Set(shadow.CPU, s.noisy(1))
		s.step(t, s.now)
		most = max(most, s.desired(t))
		if i == 14 {
			at15 = s.desired(t)
		}
	}
	need := policy.Replicas(10*1.02, 10, 0.7)
	t.Logf("%d replicas before the drop, at most %d after it, %d fifteen passes after, %d an hour after (%d needed)", before, most, at15, s.desired(t), need)
	assert.LessOrEqual(t, most, before, "a drop adds no capacity")
	assert.LessOrEqual(t, at15, need+1, "followed within fifteen passes")
	assert.LessOrEqual(t, s.desired(t), need+1)
}

// TestStepAlertedOnce: a load that steps (down to a tenth, up four times)
// and stays is suspect at its first sample only. The recent window judges
// the new level far from the old one until it has caught up (16 values):
// every other pass held its sample as suspect again and the next
// confirmed it, so one step raised eight alerts, and a step down held
// eight passes. A sample far on the side of the step the last accepted
// sample confirmed now continues it, as a read-back run does.
func TestStepAlertedOnce(t *testing.T) {
	for _, f := range []float64{0.1, 4} {
		t.Run(fmt.Sprintf("×%g", f), func(t *testing.T) {
			s := newSteady(t)
			var alerts, held []int
			for i := range 40 {
				s.src.Set(shadow.RequestRate, s.noisy(100*f))
				s.src.Set(shadow.CPU, s.noisy(10*f))
				r := s.step(t, s.now)
				for _, a := range r.Alerts {
					if a.Kind == shadow.AlertSuspectSample {
						alerts = append(alerts, i)
					}
				}
				if r.Held {
					held = append(held, i)
				}
			}
			assert.Equal(t, []int{0}, alerts, "passes with a suspect-sample alert")
			if f < 1 {
				assert.Equal(t, []int{0}, held, "passes held")
			} else {
				assert.Empty(t, held, "passes held")
			}
		})
	}
}

// A step confirmed by a second reading is continued by the next one far
// on the same side, but not by a copy bit for bit of an implausibly high
// last reading (more than ten times the recent median, within
// Config.SourceLookback): the source serving it again confirms nothing,
// as it confirms nothing of a held sample.
func TestCopyOfAHighStepContinuesNothing(t *testing.T) {
	for _, c := range []struct {
		name    string
		third   float64
		suspect bool
	}{{"new reading", 2020, false}, {"copy", 2010, true}} {
		t.Run(c.name, func(t *testing.T) {
			s := newSteady(t)
			var r shadow.Report
			for _, v := range []float64{2000, 2010, c.third} {
				s.src.Set(shadow.RequestRate, v)
				r = s.step(t, s.now)
			}
			assert.Equal(t, c.suspect, slices.Contains(r.Suspect, shadow.RequestRate), "third reading %g suspect", c.third)
		})
	}
}

// TestYoungLoadDropFollowed: a load that falls to a half, a tenth or a
// hundredth and stays, on a history of five and ten hours. The young
// forecaster refits as its history doubles, so the tracking signal's wait
// of a BiasWindow after the last fit held its old level, an EWMA fitted
// with next to no smoothing on the steady load, for most of an hour, its
// error scale widened by its own misses: Threshold asked for more and more
// (16 replicas before the drop, up to 25 an hour after it, where 2 to 8
// serve the load), and so did the planner on ten hours (15 → 18). Five
// misses in a row, each below three error scales, are a level shift: the
// forecaster refits at once, searching from its usual starts (a search
// from the fitted smoothing stays there).
func TestYoungLoadDropFollowed(t *testing.T) {
	for _, rule := range bothRules() {
		for _, warms := range []int{1, 2} {
			for _, f := range []float64{0.5, 0.1, 0.01} {
				t.Run(fmt.Sprintf("%s %dh ×%g", rule.name, 5*warms, f), func(t *testing.T) {
					s := newSteadyWith(t, rule.cfg)
					for range warms - 1 {
						s.warm(t)
					}
					before, most, late := s.desired(t), 0, 0
					var got []int
					for i := range 60 {
						s.src.Set(shadow.RequestRate, s.noisy(100*f))
						s.src.Set(shadow.CPU, s.noisy(10*f))
						s.step(t, s.now)
						d := s.desired(t)
						got, most = append(got, d), max(most, d)
						if i >= 10 {
							late = max(late, d)
						}
					}
					need := policy.Replicas(100*f*1.02, 10, 0.7)
					t.Logf("%d before, %d needed after: %v", before, need, got)
					assert.LessOrEqual(t, most, before, "a drop adds no capacity")
					if rule.name == "planner" {
						assert.Less(t, s.desired(t), before, "released within the hour")
					} else {
						assert.LessOrEqual(t, late, need+1, "followed from the tenth pass")
					}
				})
			}
		}
	}
}

// A glitch the source serves again bit for bit (a gauge whose next
// scrapes are missing: Prometheus's lookback repeats the last one) is not
// a step change: the copies confirm nothing and add no capacity, and the
// load after them finds production where the first copy left it. The same
// value lasting Config.SourceLookback (5m) is a step, and followed; so is
// a step of less than ten times the load served bit for bit (a synthetic
// load), at its second sample.
func TestRepeatedGlitchIsNotConfirmation(t *testing.T) {
	for _, copies := range []int{1, 4} {
		t.Run(fmt.Sprintf("%d copies", copies), func(t *testing.T) {
			s := newSteady(t)
			before := s.desired(t)
			s.src.Set(shadow.RequestRate, 4000)
			held := s.now
			r := s.step(t, s.now)
			require.Equal(t, []shadow.Metric{shadow.RequestRate}, r.Suspect)
			limit := s.desired(t)
			assert.LessOrEqual(t, limit, before*3/2)
			for k := range copies {
				r = s.step(t, s.now)
				require.Equal(t, []shadow.Metric{shadow.RequestRate}, r.Suspect, "copy %d", k+1)
				require.NotEmpty(t, r.Alerts)
				assert.Contains(t, r.Alerts[0].Message, "request_rate = 4000 repeats bit for bit the unconfirmed sample of "+held.UTC().Format(time.RFC3339))
				lim, _ := r.Condition(shadow.ScalingLimited)
				assert.Equal(t, shadow.ReasonSuspectSample, lim.Reason, lim.Message)
				require.Equal(t, limit, s.desired(t), "copy %d adds nothing: %s", k+1, r.Decision.Reason)
			}
			for k := range 30 {
				s.src.Set(shadow.RequestRate, s.noisy(100))
				r = s.step(t, s.now)
				require.Empty(t, r.Suspect, "pass %d after", k+1)
				require.LessOrEqual(t, s.desired(t), limit, "pass %d after: %s", k+1, r.Decision.Reason)
			}
			t.Logf("%d replicas before the glitch, %d with it and its copies, %d 30 passes later", before, limit, s.desired(t))
			for _, o := range s.c.History() {
				require.Less(t, o.Value, 1000.0, "neither the glitch nor its copies reach the history")
			}
		})
	}
	for _, glitch := range []int{300, 1} {
		// A gauge whose scrapes stop for three minutes after a glitch, as
		// Prometheus serves it: the third pass comes more than two
		// intervals after the last observation and reads the minutes
		// since back, the held glitch and its copy among them; at the
		// second pass, among the few values a young history is judged by.
		t.Run(fmt.Sprintf("read back after two held passes, glitch at pass %d", glitch), func(t *testing.T) {
			fn := func(at time.Time) map[shadow.Metric]float64 {
				i := int(at.Sub(t0) / time.Minute)
				v := 100 * (1 + 0.02*math.Sin(float64(i)*1.7))
				if i >= glitch && i <= glitch+3 {
					v = 4000
				}
				return map[shadow.Metric]float64{shadow.RequestRate: v}
			}
			s := newFreshFrom(t, shadow.Config{PerReplica: 10, MaxReplicas: 100}, policy.DefaultPredictiveConfig(), &shadowtest.Series{Fn: fn, Start: t0})
			before, most := 0, 0
			for i := range glitch + 60 {
				r := s.step(t, s.now)
				switch {
				case i == glitch-1:
					before = s.desired(t)
				case i >= glitch:
					most = max(most, s.desired(t))
				}
				if i >= glitch && i <= glitch+3 {
					require.Equal(t, []shadow.Metric{shadow.RequestRate}, r.Suspect, "pass %d", i)
				}
			}
			assert.LessOrEqual(t, most, before*3/2, "the glitch and its copies add at most half the capacity (was %d)", before)
			for _, o := range s.c.History() {
				require.Less(t, o.Value, 1000.0, "the glitch at %s reached the history", o.Time)
			}
		})
	}
	t.Run("left out, then read back after a held pass", func(t *testing.T) {
		// A young service's glitch served four times, then a zero held as
		// suspect: the pass after it comes more than two intervals after
		// the last observation and reads the passes since back. The
		// glitch and its copies, each left out by its pass, stay out: as
		// values among the history's first few they set its median.
		fn := func(at time.Time) map[shadow.Metric]float64 {
			v := 100.0
			switch i := int(at.Sub(t0) / time.Minute); {
			case i >= 1 && i <= 4:
				v = 4000
			case i == 5 || i == 6:
				v = 0
			}
			return map[shadow.Metric]float64{shadow.RequestRate: v}
		}
		s := newFreshFrom(t, shadow.Config{PerReplica: 10, MaxReplicas: 100}, policy.DefaultPredictiveConfig(), &shadowtest.Series{Fn: fn, Start: t0})
		for i := range 40 {
			r := s.step(t, s.now)
			// (Read back and judged again, they took production to
			// MaxReplicas two passes later.)
			require.LessOrEqual(t, s.desired(t), 23, "pass %d: %s", i, r.Decision.Reason)
		}
		for _, o := range s.c.History() {
			require.Less(t, o.Value, 1000.0, "the glitch at %s reached the history", o.Time)
		}
	})
	t.Run("lasting the lookback", func(t *testing.T) {
		s := newSteady(t)
		s.src.Set(shadow.RequestRate, 4000)
		for k := range 5 {
			r := s.step(t, s.now)
			require.Equal(t, []shadow.Metric{shadow.RequestRate}, r.Suspect, "pass %d, %d min after the first", k+1, k)
		}
		r := s.step(t, s.now)
		assert.Empty(t, r.Suspect, "5 min after the first: a step")
		assert.False(t, r.Held, r.Decision.Reason)
		assert.Greater(t, s.desired(t), 24, "followed")
		h := s.c.History()
		assert.Equal(t, 4000.0, h[len(h)-1].Value)
		assert.Equal(t, 4000.0, h[len(h)-2].Value, "the first sample kept")
		assert.Equal(t, 5*time.Minute, h[len(h)-1].Time.Sub(h[len(h)-2].Time), "the copies in between left out")
	})
	t.Run("a step of four times, served bit for bit", func(t *testing.T) {
		// Within ten times the load a copy confirms as any new reading
		// does: a synthetic load that steps between exact levels is
		// followed on its second sample.
		s := newSteady(t)
		s.src.Set(shadow.RequestRate, 400)
		r := s.step(t, s.now)
		require.Equal(t, []shadow.Metric{shadow.RequestRate}, r.Suspect)
		r = s.step(t, s.now)
		assert.Empty(t, r.Suspect)
		assert.GreaterOrEqual(t, s.desired(t), policy.Replicas(400, 10, 0.7))
	})
	t.Run("SourceLookback negative", func(t *testing.T) {
		s := newFreshConfig(t, shadow.Config{PerReplica: 10, MaxReplicas: 100, SourceLookback: -1}, policy.DefaultPredictiveConfig()).warm(t)
		s.src.Set(shadow.RequestRate, 4000)
		r := s.step(t, s.now)
		require.Equal(t, []shadow.Metric{shadow.RequestRate}, r.Suspect)
		r = s.step(t, s.now)
		assert.Empty(t, r.Suspect, "any repeat confirms")
		t.Logf("%d replicas once a copy confirmed the glitch", s.desired(t))
		assert.Equal(t, 100, s.desired(t), "MaxReplicas, as before the rule")
	})
}

func TestSecondMetricConfirmsAtOnce(t *testing.T) {
	cpu, err := forecast.NewNaive(forecast.Config{Step: time.Minute})
	require.NoError(t, err)
	s := newSteady(t, shadow.WithMetric(shadow.MetricTarget{Metric: shadow.CPU, PerReplica: 1}, cpu))
	s.src.Set(shadow.RequestRate, 400)
	s.src.Set(shadow.CPU, 40)
	r := s.step(t, s.now)
	assert.False(t, r.Held, r.Decision.Reason)
	assert.Empty(t, r.Suspect)
	assert.GreaterOrEqual(t, s.desired(t), policy.Replicas(400, 10, 0.7))
}

// A second metric confirms a sample far above only with news of its own:
// not with a sample far above only because its window has not caught up
// with a step it confirmed before (CPU back from an exporter outage, its
// window all zeros), nor with a copy of its own held sample (the same
// scrape served again). Either had confirmed a glitch of a million times
// the load on the other metric and sent it to the forecaster.
func TestSecondMetricConfirmsOnlyWithNews(t *testing.T) {
	newTwo := func(t *testing.T) *steady {
		cpu, err := forecast.NewNaive(forecast.Config{Step: time.Minute})
		require.NoError(t, err)
		return newSteady(t, shadow.WithMetric(shadow.MetricTarget{Metric: shadow.CPU, PerReplica: 1}, cpu))
	}
	check := func(t *testing.T, s *steady, before int) {
		t.Helper()
		assert.LessOrEqual(t, s.desired(t), before*3/2)
		for _, o := range s.c.History() {
			require.Less(t, o.Value, 1e5, "the glitch reached the history")
		}
	}
	t.Run("a step continued", func(t *testing.T) {
		s := newTwo(t)
		for range 2 {
			s.src.Set(shadow.RequestRate, s.noisy(100))
			s.src.Set(shadow.CPU, s.noisy(40))
			s.step(t, s.now)
		}
		before := s.desired(t)
		s.src.Set(shadow.RequestRate, 1e8)
		s.src.Set(shadow.CPU, s.noisy(40)) // far above its window, continuing its step
		r := s.step(t, s.now)
		assert.Equal(t, []shadow.Metric{shadow.RequestRate}, r.Suspect)
		check(t, s, before)
	})
	t.Run("glitches on both at once", func(t *testing.T) {
		s := newTwo(t)
		before := s.desired(t)
		// A glitch implausibly far above (ten times the load or more)
		// confirms no other metric and is confirmed by none.
		s.src.Set(shadow.RequestRate, 500)
		s.src.Set(shadow.CPU, 400)
		r := s.step(t, s.now)
		assert.ElementsMatch(t, []shadow.Metric{shadow.RequestRate, shadow.CPU}, r.Suspect)
		s.src.Set(shadow.RequestRate, s.noisy(100))
		s.src.Set(shadow.CPU, s.noisy(10))
		s.step(t, s.now)
		check(t, s, before)
		for _, o := range s.c.History() {
			require.Less(t, o.Value, 400.0, "the glitch reached the history")
		}
	})
	t.Run("a copy of its held sample", func(t *testing.T) {
		s := newTwo(t)
		before := s.desired(t)
		scrape := s.now
		s.src.Set(shadow.CPU, 50)
		s.src.SetScraped(shadow.CPU, scrape)
		r := s.step(t, s.now)
		require.Equal(t, []shadow.Metric{shadow.CPU}, r.Suspect)
		s.src.Set(shadow.RequestRate, 1e8) // and CPU's held sample served again
		r = s.step(t, s.now)
		assert.ElementsMatch(t, []shadow.Metric{shadow.RequestRate, shadow.CPU}, r.Suspect)
		check(t, s, before)
	})
}

func TestClockJumps(t *testing.T) {
	cases := []struct {
		name  string
		jump  time.Duration
		stays bool // the clock stays shifted (a real step) or returns (a glitch)
	}{
		{"one pass a year ahead", 365 * 24 * time.Hour, false},
		{"back ten minutes", -10 * time.Minute, true},
		{"forward three hours", 3 * time.Hour, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSteady(t)
			r := s.step(t, s.now.Add(tc.jump))
			require.True(t, r.Held)
			held, _ := r.Condition(shadow.Held)
			assert.Equal(t, shadow.ReasonClockJump, held.Reason, held.Message)
			shift := time.Duration(0)
			if tc.stays {
				shift = tc.jump
			}
			r = s.step(t, s.now.Add(shift))
			assert.False(t, r.Held, "recovered on the next pass: %s", r.Decision.Reason)
			// The load then quadruples for good: followed within 2 passes.
			s.src.Set(shadow.RequestRate, s.noisy(400))
			s.step(t, s.now.Add(shift))
			s.src.Set(shadow.RequestRate, s.noisy(400))
			r = s.step(t, s.now.Add(shift))
			assert.False(t, r.Held, r.Decision.Reason)
			assert.GreaterOrEqual(t, s.desired(t), policy.Replicas(400, 10, 0.7))
			h := s.c.History()
			for i := 1; i < len(h); i++ {
				require.True(t, h[i].Time.After(h[i-1].Time), "history stays in time order at %d", i)
			}
		})
	}
}

// panicky panics in Forecast while armed.
type panicky struct {
	forecast.Forecaster
	mu    sync.Mutex
	armed bool
}

func (p *panicky) Forecast(h int, level float64) (forecast.Forecast, error) {
	p.mu.Lock()
	armed := p.armed
	p.mu.Unlock()
	if armed {
		panic("plug-in bug")
	}
	return p.Forecaster.Forecast(h, level)
}

func TestForecasterPanicUnderRun(t *testing.T) {
	mock := clock.NewMock()
	mock.Set(t0)
	inner, err := forecast.NewNaive(forecast.Config{Step: time.Minute})
	require.NoError(t, err)
	fc := &panicky{Forecaster: inner, armed: true}
	reports := make(chan shadow.Report, 16)
	grp := actuatortest.NewGroup(2, 0, mock.Now)
	c, err := shadow.New(shadow.Config{PerReplica: 10},
		shadow.Deps{Source: shadowtest.NewSource(50), Forecaster: fc, Policy: peakPolicy, Production: grp},
		shadow.WithClock(mock), shadow.WithLogger(testLogger(&syncBuffer{})),
		shadow.WithReportHandler(func(r shadow.Report, _ error) { reports <- r }))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	r := <-reports
	for range 3 {
		assert.True(t, r.Held)
		held, _ := r.Condition(shadow.Held)
		assert.Equal(t, shadow.ReasonForecastFailed, held.Reason)
		assert.Contains(t, held.Message, "panicked: plug-in bug")
		mock.Add(time.Minute)
		r = <-reports
	}
	fc.mu.Lock()
	fc.armed = false
	fc.mu.Unlock()
	mock.Add(time.Minute)
	r = <-reports
	assert.False(t, r.Held, r.Decision.Reason)
	cancel()
	require.NoError(t, <-done)
}

func TestPolicyPanicHolds(t *testing.T) {
	now := t0
	grp := actuatortest.NewGroup(2, 0, func() time.Time { return now })
	boom := policy.Func(func(policy.Input) (policy.Decision, error) { panic("custom policy bug") })
	c, err := shadow.New(shadow.Config{PerReplica: 10},
		shadow.Deps{Source: shadowtest.NewSource(500), Forecaster: &driftForecaster{k: 3, step: time.Minute}, Policy: boom, Production: grp},
		shadow.WithLogger(testLogger(&syncBuffer{})))
	require.NoError(t, err)
	r, err := c.Step(context.Background(), now)
	require.Error(t, err)
	assert.True(t, r.Held)
	held, _ := r.Condition(shadow.Held)
	assert.Equal(t, shadow.ReasonPolicyFailed, held.Reason)
	var pe *shadow.PanicError
	assert.ErrorAs(t, err, &pe)
	assert.Empty(t, grp.Calls())
}

func TestInvalidForecastHeld(t *testing.T) {
	cases := []struct {
		name string
		f    forecast.Forecast
		want string
	}{
		{"one step for the whole horizon", forecast.Forecast{Mean: []float64{50}, Lower: []float64{40}, Upper: []float64{60}}, "1 steps for a horizon of 11"},
		{"lower above upper", forecast.Forecast{Mean: []float64{50}, Lower: []float64{70}, Upper: []float64{60}}, "out of order"},
		{"zero start", forecast.Forecast{Mean: []float64{50}, Lower: []float64{40}, Upper: []float64{60}}, "zero Start"},
		{"NaN", forecast.Forecast{Mean: []float64{math.NaN()}, Lower: []float64{40}, Upper: []float64{60}}, "not finite"},
		{"off the grid", forecast.Forecast{Mean: []float64{50}, Lower: []float64{40}, Upper: []float64{60}}, "off the grid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := t0
			grp := actuatortest.NewGroup(20, 0, func() time.Time { return now })
			fc := fixedForecaster{f: tc.f, name: tc.name}
			c, err := shadow.New(shadow.Config{PerReplica: 10},
				shadow.Deps{Source: shadowtest.NewSource(10), Forecaster: &fc, Policy: peakPolicy, Production: grp},
				shadow.WithLogger(testLogger(&syncBuffer{})))
			require.NoError(t, err)
			r, err := c.Step(context.Background(), now)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "forecaster custom-"+tc.name, "names the plug-in")
			assert.True(t, r.Held)
			assert.Empty(t, grp.Calls(), "no scale-down on an invalid forecast")
		})
	}
}

// fixedForecaster returns f for any horizon, as a buggy plug-in might.
type fixedForecaster struct {
	f    forecast.Forecast
	name string
	last time.Time
}

func (f *fixedForecaster) Observe(t time.Time, _ float64) error { f.last = t; return nil }
func (f *fixedForecaster) Name() string                         { return "custom-" + f.name }
func (f *fixedForecaster) Forecast(h int, level float64) (forecast.Forecast, error) {
	out := f.f
	switch f.name {
	case "one step for the whole horizon":
		out.Start = f.last.Add(time.Minute)
	case "zero start":
		out.Mean, out.Lower, out.Upper = fill(50, h), fill(40, h), fill(60, h)
	case "off the grid":
		out.Start = f.last.Add(time.Hour)
		out.Mean, out.Lower, out.Upper = fill(50, h), fill(40, h), fill(60, h)
	default:
		out.Start = f.last.Add(time.Minute)
		out.Mean, out.Lower, out.Upper = fill(out.Mean[0], h), fill(out.Lower[0], h), fill(out.Upper[0], h)
	}
	return out, nil
}

func fill(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestIncreaseMaxHonoredByTheController(t *testing.T) {
	now := t0
	grp := actuatortest.NewGroup(10, 0, func() time.Time { return now })
	cfg := policy.DefaultPredictiveConfig()
	cfg.MaxCapacity = policy.MaxCapacityConfig{Behavior: policy.IncreaseMax, BufferPercent: 10}
	pol, err := policy.Predictive(cfg)
	require.NoError(t, err)
	fc := forecasttest.Constant(300, 280, 320)
	c, err := shadow.New(shadow.Config{PerReplica: 10, MaxReplicas: 20},
		shadow.Deps{Source: shadowtest.NewSource(300), Forecaster: fc, Policy: pol, Production: grp},
		shadow.WithLogger(testLogger(&syncBuffer{})))
	require.NoError(t, err)
	var r shadow.Report
	for range 10 {
		r, err = c.Step(context.Background(), now)
		require.NoError(t, err)
		now = now.Add(time.Minute)
	}
	st, _ := grp.Current(context.Background())
	assert.Greater(t, st.Desired, 20, "above MaxReplicas: %s", r.Decision.Reason)
	assert.LessOrEqual(t, st.Desired, r.Decision.Ceiling)
	assert.NotContains(t, r.Decision.Reason, "clamped")
}

// A scale-down drains replicas first; when the scale then fails, the
// drained backends serve again.
func TestDrainThenFailedScaleRestoresBackends(t *testing.T) {
	router, err := transition.NewRouter(transition.RouterConfig{})
	require.NoError(t, err)
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		require.NoError(t, router.Add(transition.Backend{Name: n, Handler: ok, Weight: 1}))
	}
	dr, err := transition.NewInFlightDrainer(router, transition.InFlightDrainerConfig{})
	require.NoError(t, err)
	now := t0
	grp := actuatortest.NewGroup(5, 0, func() time.Time { return now })
	grp.SetScaleError(actuator.Permanent(errors.New("quota exceeded")))
	logs := &syncBuffer{}
	c, err := shadow.New(shadow.Config{PerReplica: 10},
		shadow.Deps{Source: shadowtest.NewSource(10), Forecaster: &driftForecaster{k: 3, step: time.Minute}, Policy: peakPolicy, Production: grp},
		shadow.WithDrainer(dr), shadow.WithLogger(testLogger(logs)))
	require.NoError(t, err)
	r, err := c.Step(context.Background(), now)
	require.Error(t, err)
	assert.True(t, r.Plan.Scale)
	assert.Equal(t, 3, r.Plan.Drain)
	assert.Equal(t, 3, r.Applied.Drained)
	assert.Equal(t, 3, r.Applied.Undrained)
	assert.False(t, r.Applied.Scaled)
	for _, b := range router.Backends() {
		assert.False(t, b.Draining, "backend %s back in service", b.Name)
	}
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, logs.String(), "drained replicas returned to service")
	able, _ := r.Condition(shadow.AbleToScale)
	assert.Equal(t, shadow.ReasonFailedScale, able.Reason)
}

// Forecast-only mode applies nothing, and decides exactly what a live
// Controller decides from the same observed states.
func TestForecastOnlyMatchesLiveDecisions(t *testing.T) {
	type seen struct {
		at           time.Time
		load         float64
		prod, shadow actuator.State
		stats        mirror.Stats
	}
	build := func(only bool, src shadow.MetricsSource, prod, sh actuator.Actuator, m mirror.Mirror) *shadow.Controller {
		fc, err := forecast.NewHoltWinters(forecast.Config{Step: time.Minute, Period: 60})
		require.NoError(t, err)
		pol, err := policy.Predictive(policy.DefaultPredictiveConfig())
		require.NoError(t, err)
		c, err := shadow.New(shadow.Config{PerReplica: 10, MaxReplicas: 60, ForecastOnly: only},
			shadow.Deps{Source: src, Forecaster: fc, Policy: pol, Production: prod},
			shadow.WithLogger(testLogger(&syncBuffer{})),
			shadow.WithShadowPool(m, sh, shadow.PoolConfig{MinHistory: 20, ProvisionAfter: 1}))
		require.NoError(t, err)
		return c
	}
	// The live run on a real (simulated) group, recording what each pass
	// observed.
	now := t0
	load := func(t time.Time) float64 {
		m := float64(t.Sub(t0) / time.Minute)
		return 100 + 60*math.Sin(2*math.Pi*m/60) + 5*math.Sin(m*1.3)
	}
	var log []seen
	live := actuatortest.NewGroup(10, 4*time.Minute, func() time.Time { return now })
	liveShadows := actuatortest.NewGroup(0, 2*time.Minute, func() time.Time { return now })
	lm := &fakeMirror{}
	recordSrc := shadow.SourceFunc(func(_ context.Context, at time.Time) (shadow.Sample, error) {
		return shadow.Sample{Time: at, Values: map[shadow.Metric]float64{shadow.RequestRate: load(at)}}, nil
	})
	lc := build(false, recordSrc, live, liveShadows, lm)
	var liveTargets []int
	for range 240 {
		p, _ := live.Current(context.Background())
		sh, _ := liveShadows.Current(context.Background())
		stats := mirror.Stats{At: now, Requests: 50, P95: 30 * time.Millisecond, Window: time.Minute}
		lm.set(stats, nil)
		log = append(log, seen{at: now, load: load(now), prod: p, shadow: sh, stats: stats})
		r, err := lc.Step(context.Background(), now)
		require.NoError(t, err)
		liveTargets = append(liveTargets, r.Decision.Target)
		now = now.Add(time.Minute)
	}
	require.NotEmpty(t, live.Calls())
	require.NotEmpty(t, liveShadows.Calls(), "the live run used its shadow pool")

	// The forecast-only run sees the same states.
	i := 0
	replayProd := &replayActuator{states: func() actuator.State { return log[i].prod }}
	replayShadows := &replayActuator{states: func() actuator.State { return log[i].shadow }}
	fm := &fakeMirror{}
	oc := build(true, recordSrc, replayProd, replayShadows, fm)
	for i = range log {
		fm.set(log[i].stats, nil)
		r, err := oc.Step(context.Background(), log[i].at)
		require.NoError(t, err)
		require.Equal(t, liveTargets[i], r.Decision.Target, "pass %d: %s", i, r.Decision.Reason)
		require.True(t, r.Plan.ForecastOnly)
		able, _ := r.Condition(shadow.AbleToScale)
		require.Equal(t, shadow.ReasonForecastOnly, able.Reason)
	}
	assert.Zero(t, replayProd.scales, "no production Scale")
	assert.Zero(t, replayShadows.scales, "no shadow Scale")
	assert.Empty(t, fm.sets, "mirror fraction untouched")
}

// replayActuator reports scripted states and counts Scale calls.
type replayActuator struct {
	states func() actuator.State
	scales int
}

func (r *replayActuator) Scale(context.Context, int) error { r.scales++; return nil }
func (r *replayActuator) Current(context.Context) (actuator.State, error) {
	return r.states(), nil
}

// A CPU-bound service: the request rate is flat, CPU climbs. The Controller
// scales on CPU and says so.
func TestMultiMetricScalesOnCPU(t *testing.T) {
	now := t0
	grp := actuatortest.NewGroup(3, 0, func() time.Time { return now })
	cpuFc, err := forecast.NewNaive(forecast.Config{Step: time.Minute})
	require.NoError(t, err)
	reqFc, err := forecast.NewNaive(forecast.Config{Step: time.Minute})
	require.NoError(t, err)
	src := shadowtest.NewSource(20) // 20 req/s: 3 replicas of 10 at 0.7
	c, err := shadow.New(shadow.Config{PerReplica: 10},
		shadow.Deps{Source: src, Forecaster: reqFc, Policy: peakPolicy, Production: grp},
		shadow.WithMetric(shadow.MetricTarget{Metric: shadow.CPU, PerReplica: 1, TargetUtilization: 0.6}, cpuFc),
		shadow.WithLogger(testLogger(&syncBuffer{})))
	require.NoError(t, err)
	var r shadow.Report
	for i := range 40 {
		src.Set(shadow.CPU, 1+0.2*float64(i)) // cores; climbs to 8.8
		r, err = c.Step(context.Background(), now)
		require.NoError(t, err)
		now = now.Add(time.Minute)
	}
	assert.Equal(t, shadow.CPU, r.Metric)
	st, _ := grp.Current(context.Background())
	assert.GreaterOrEqual(t, st.Desired, policy.Replicas(8.8, 1, 0.6), "CPU 8.8 cores at 1 per replica and 0.6 target")
	assert.True(t, strings.Contains(r.Decision.Reason, "forecast peak") || strings.Contains(r.Decision.Reason, "observed"))
}

func TestForecastOverChosenHorizon(t *testing.T) {
	now := t0
	grp := actuatortest.NewGroup(3, 0, func() time.Time { return now })
	fc, err := forecast.NewNaive(forecast.Config{Step: time.Minute})
	require.NoError(t, err)
	c, err := shadow.New(shadow.Config{PerReplica: 10},
		shadow.Deps{Source: shadowtest.NewSource(20), Forecaster: fc, Policy: peakPolicy, Production: grp},
		shadow.WithLogger(testLogger(&syncBuffer{})))
	require.NoError(t, err)
	_, err = c.Forecast(48 * time.Hour)
	assert.ErrorIs(t, err, forecast.ErrInsufficientHistory)
	for range 5 {
		_, err = c.Step(context.Background(), now)
		require.NoError(t, err)
		now = now.Add(time.Minute)
	}
	f, err := c.Forecast(48 * time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 48*60, f.Len())
	_, err = c.Forecast(0)
	assert.Error(t, err)
}

// limitError is what a cloud driver returns when the group's own bounds
// clamped the target.
type limitError struct{ asked, applied int }

func (e limitError) Error() string {
	return fmt.Sprintf("target %d limited to %d by MaxSize", e.asked, e.applied)
}
func (e limitError) ScalingLimited() (int, int) { return e.asked, e.applied }

// clampingGroup applies at most max replicas and says so.
type clampingGroup struct {
	*actuatortest.Group
	max int
}

func (g clampingGroup) Scale(ctx context.Context, n int) error {
	if n <= g.max {
		return g.Group.Scale(ctx, n)
	}
	if err := g.Group.Scale(ctx, g.max); err != nil {
		return err
	}
	return actuator.Permanent(limitError{n, g.max})
}

// A scale the group clamps to its own maximum was carried out: no failure,
// no alert, and the ScalingLimited condition says so.
func TestScaleLimitedByTheGroup(t *testing.T) {
	now := t0
	grp := actuatortest.NewGroup(2, 0, func() time.Time { return now })
	c, err := shadow.New(shadow.Config{PerReplica: 10, ActuationFailureAlert: 1},
		shadow.Deps{Source: shadowtest.NewSource(200), Forecaster: &driftForecaster{k: 3, step: time.Minute}, Policy: peakPolicy, Production: clampingGroup{grp, 8}},
		shadow.WithLogger(testLogger(&syncBuffer{})), shadow.WithRetry(actuator.RetryConfig{After: instant}))
	require.NoError(t, err)
	r, err := c.Step(context.Background(), now)
	require.NoError(t, err)
	assert.True(t, r.Actuated)
	assert.Equal(t, 8, r.Applied.LimitedTo)
	assert.Empty(t, r.Alerts)
	lim, _ := r.Condition(shadow.ScalingLimited)
	assert.Equal(t, shadow.ReasonLimitedByActuator, lim.Reason)
	assert.Contains(t, lim.Message, "limited to 8")
	assert.Len(t, grp.Calls(), 1, "one call: a limited scale is not retried")
}

// peakBounded is a forecaster that also bounds the peak of the lead window.
type peakBounded struct {
	fixedForecaster
	upper func(lead int, level float64) (float64, error)
	asked []float64 // levels asked
}

func (p *peakBounded) PeakUpper(lead int, level float64) (float64, error) {
	p.asked = append(p.asked, level)
	return p.upper(lead, level)
}

// A forecaster's bound on the peak reaches the policy as Input.PeakUpper,
// at the one-sided level of the interval's upper end, and the forecast
// keeps its per-step upper bounds; a bound it cannot give yet is 0; a
// panicking, negative or non-finite bound holds the pass, naming the
// forecaster.
func TestPeakBoundProvisioned(t *testing.T) {
	run := func(t *testing.T, upper func(int, float64) (float64, error)) (shadow.Report, *peakBounded, *actuatortest.Group, error) {
		now := t0
		grp := actuatortest.NewGroup(20, 0, func() time.Time { return now })
		fc := &peakBounded{fixedForecaster: fixedForecaster{f: forecast.Forecast{Mean: []float64{50}, Lower: []float64{40}, Upper: []float64{60}}, name: "peak"}, upper: upper}
		c, err := shadow.New(shadow.Config{PerReplica: 10, Level: 0.8},
			shadow.Deps{Source: shadowtest.NewSource(10), Forecaster: fc, Policy: peakPolicy, Production: grp},
			shadow.WithLogger(testLogger(&syncBuffer{})))
		require.NoError(t, err)
		r, err := c.Step(context.Background(), now)
		return r, fc, grp, err
	}
	t.Run("bound", func(t *testing.T) {
		r, fc, _, err := run(t, func(lead int, _ float64) (float64, error) { return 90, nil })
		require.NoError(t, err)
		assert.InDelta(t, 0.9, fc.asked[0], 1e-12, "the one-sided level of the 80% interval's upper end")
		assert.Equal(t, 90.0, r.PeakUpper)
		for i := range r.LeadSteps {
			assert.Equal(t, 60.0, r.Forecast.Upper[i], "step %d: the per-step bound", i)
		}
		assert.Contains(t, r.Decision.Reason, "forecast peak 90.0", "the policy saw the bound")
	})
	t.Run("not yet", func(t *testing.T) {
		r, _, _, err := run(t, func(int, float64) (float64, error) {
			return 0, fmt.Errorf("%w: warming up", forecast.ErrInsufficientHistory)
		})
		require.NoError(t, err)
		assert.Zero(t, r.PeakUpper)
		assert.Contains(t, r.Decision.Reason, "forecast peak 60.0", "the per-step bounds")
	})
	for name, upper := range map[string]func(int, float64) (float64, error){
		"panic":    func(int, float64) (float64, error) { panic("peak") },
		"NaN":      func(int, float64) (float64, error) { return math.NaN(), nil },
		"negative": func(int, float64) (float64, error) { return -1, nil },
	} {
		t.Run(name, func(t *testing.T) {
			r, _, grp, err := run(t, upper)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "custom-peak")
			assert.True(t, r.Held)
			assert.Empty(t, grp.Calls())
		})
	}
}

// A glitch of five times the load while the load falls steadily (a daily
// cycle's evening) is held as suspect, as on a steady load: the spread of
// the recent values around their median, which a ramp across the window
// widens to several times the noise, no longer sets how far is far; the
// changes from one value to the next do. Before, 2 × (median + 6 of those
// deviations) lay above it: the glitch was taken as load and put
// production at 32 replicas where 8 served it (the planner 29 for 12).
func TestGlitchOnAFallingLoadIsSuspect(t *testing.T) {
	for _, r := range bothRules() {
		t.Run(r.name, func(t *testing.T) {
			s := newFresh(t, r.cfg).warm(t)
			load := 100.0
			for range 40 {
				load -= 1.5
				s.src.Set(shadow.RequestRate, s.noisy(load))
				s.src.Set(shadow.CPU, s.noisy(load/10))
				s.step(t, s.now)
			}
			before := s.desired(t)
			s.src.Set(shadow.RequestRate, 5*load)
			s.src.Set(shadow.CPU, s.noisy(load/10))
			rep := s.step(t, s.now)
			assert.Equal(t, []shadow.Metric{shadow.RequestRate}, rep.Suspect, rep.Decision.Reason)
			most := s.desired(t)
			for range 30 {
				s.src.Set(shadow.RequestRate, s.noisy(load))
				s.src.Set(shadow.CPU, s.noisy(load/10))
				s.step(t, s.now)
				most = max(most, s.desired(t))
			}
			t.Logf("%d replicas before the glitch, at most %d after", before, most)
			assert.LessOrEqual(t, most, before*3/2, "at most the head start of an unconfirmed sample")
			for _, o := range s.c.History() {
				require.Less(t, o.Value, 150.0, "the glitch never reaches the history")
			}
		})
	}
}

// A glitch right after a glitch, more than ten times apart (5 times the
// load, then a million times; or a million times, then 40): the second
// confirms neither, and its pass adds no capacity (the first's had the
// head start). Before, it confirmed the first as a step and both were fed
// to the forecaster, and production went to MaxReplicas (100) at once.
func TestGlitchAfterAGlitchConfirmsNeither(t *testing.T) {
	for _, r := range bothRules() {
		for _, pair := range [][2]float64{{500, 1e8}, {1e8, 4000}} {
			t.Run(fmt.Sprintf("%s, %g then %g", r.name, pair[0], pair[1]), func(t *testing.T) {
				s := newFresh(t, r.cfg).warm(t)
				before := s.desired(t)
				s.src.Set(shadow.RequestRate, pair[0])
				rep := s.step(t, s.now)
				require.Equal(t, []shadow.Metric{shadow.RequestRate}, rep.Suspect)
				s.src.Set(shadow.RequestRate, pair[1])
				rep = s.step(t, s.now)
				require.Equal(t, []shadow.Metric{shadow.RequestRate}, rep.Suspect, "the second is held: %s", rep.Decision.Reason)
				require.NotEmpty(t, rep.Alerts)
				assert.Contains(t, rep.Alerts[0].Message, "more than ten times apart from the unconfirmed sample of")
				most := s.desired(t)
				for range 30 {
					s.src.Set(shadow.RequestRate, s.noisy(100))
					s.step(t, s.now)
					most = max(most, s.desired(t))
				}
				t.Logf("%d replicas before the glitches, at most %d with them and after", before, most)
				assert.LessOrEqual(t, most, before*3/2, "at most the head start of an unconfirmed sample")
				for _, o := range s.c.History() {
					require.Less(t, o.Value, 200.0, "a glitch at %s reached the history", o.Time)
				}
			})
		}
	}
}

// A glitch far above held, then a fall both metrics show (a load moved
// elsewhere as a scrape glitched, or both exporters restarting): the fall
// is a step of its own, confirmed by the second metric, and the held
// glitch is let go, not taken as the first sample of that step. Before,
// it was fed to the forecaster as if confirmed, whose implausible
// forecasts then held production at the glitch's head start (24 replicas
// for a load that needs 1) for the 30 passes after; now it follows the
// fall.
func TestGlitchThenAFallIsNotFed(t *testing.T) {
	cpu, err := forecast.NewNaive(forecast.Config{Step: time.Minute})
	require.NoError(t, err)
	s := newSteady(t, shadow.WithMetric(shadow.MetricTarget{Metric: shadow.CPU, PerReplica: 1}, cpu))
	before := s.desired(t)
	s.src.Set(shadow.RequestRate, 1e8)
	rep := s.step(t, s.now)
	require.Equal(t, []shadow.Metric{shadow.RequestRate}, rep.Suspect)
	most := s.desired(t)
	for k := range 30 {
		s.src.Set(shadow.RequestRate, s.noisy(5))
		s.src.Set(shadow.CPU, s.noisy(0.5))
		rep = s.step(t, s.now)
		if k == 0 {
			assert.Empty(t, rep.Suspect, "the fall is confirmed by the second metric")
		}
		most = max(most, s.desired(t))
	}
	t.Logf("%d replicas before, at most %d with the glitch and the fall after it, %d at the end", before, most, s.desired(t))
	assert.LessOrEqual(t, most, before*3/2, "at most the head start of the unconfirmed glitch")
	assert.LessOrEqual(t, s.desired(t), before/4, "the fall followed")
	for _, o := range s.c.History() {
		require.Less(t, o.Value, 200.0, "the glitch at %s reached the history", o.Time)
	}
}

// A glitch of five times the load that the source serves again at the next
// passes: by value alone a copy is a step served bit for bit and confirms
// it; with scrape times (Sample.Scraped) a sample of the same scrape
// confirms nothing, whatever its size, and adds no capacity, also across a
// restart (the held sample's scrape time is saved), while a new reading of
// the same value confirms it.
func TestScrapeTimesTellCopiesApart(t *testing.T) {
	type result struct {
		limit, after int
		kept         int // glitch values in the history
	}
	run := func(t *testing.T, stamped, restart, fresh bool) result {
		store := &memStore{}
		s := newSteady(t, shadow.WithStateStore(store, "svc"))
		before := s.desired(t)
		scrape := s.now.Add(-20 * time.Second)
		s.src.Set(shadow.RequestRate, 500)
		if stamped {
			s.src.SetScraped(shadow.RequestRate, scrape)
		}
		r := s.step(t, s.now)
		require.Equal(t, []shadow.Metric{shadow.RequestRate}, r.Suspect)
		res := result{limit: s.desired(t)}
		assert.LessOrEqual(t, res.limit, before*3/2)
		if restart {
			s.restart(t, policy.DefaultPredictiveConfig(), store)
		}
		for k := range 3 {
			if fresh {
				s.src.SetScraped(shadow.RequestRate, s.now.Add(-20*time.Second))
			}
			r = s.step(t, s.now)
			if stamped && !fresh {
				require.Equal(t, []shadow.Metric{shadow.RequestRate}, r.Suspect, "copy %d", k+1)
				require.True(t, slices.ContainsFunc(r.Alerts, func(a shadow.Alert) bool {
					return strings.HasPrefix(a.Message, "request_rate = 500 is the unconfirmed sample of") &&
						strings.Contains(a.Message, "served again (scraped at "+scrape.UTC().Format(time.RFC3339)+")")
				}), "copy %d: %v", k+1, r.Alerts)
				require.Equal(t, res.limit, s.desired(t), "copy %d adds nothing: %s", k+1, r.Decision.Reason)
			}
		}
		for range 5 {
			s.src.Set(shadow.RequestRate, s.noisy(100))
			if stamped {
				s.src.SetScraped(shadow.RequestRate, s.now)
			}
			s.step(t, s.now)
		}
		res.after = s.desired(t)
		for _, o := range s.c.History() {
			if o.Value >= 500 {
				res.kept++
			}
		}
		return res
	}
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprintf("restart %v", restart), func(t *testing.T) {
			stamped := run(t, true, restart, false)
			valuesOnly := run(t, false, restart, false)
			fresh := run(t, true, restart, true)
			t.Logf("scrape times: at most %d, %d five passes after, %d glitch values kept; values only: %d, %d, %d; new readings: %d, %d, %d",
				stamped.limit, stamped.after, stamped.kept, valuesOnly.limit, valuesOnly.after, valuesOnly.kept, fresh.limit, fresh.after, fresh.kept)
			assert.Zero(t, stamped.kept, "the glitch or its copies reached the history")
			assert.Equal(t, 4, valuesOnly.kept, "by value alone the copies confirm the glitch")
			assert.Equal(t, 4, fresh.kept, "new readings of the same value confirm it")
			assert.Greater(t, valuesOnly.after, stamped.after)
		})
	}
}

// A surge of twenty times the load served bit for bit at the next pass: by
// value alone (or of the same scrape) the repeat is a copy of a held
// value of a glitch's size and confirms nothing; from a new scrape it is
// a new reading and confirms it, whatever its size, as Config.
// SourceLookback says. It was held as a copy until it had lasted
// SourceLookback, scrape times or not: a gauge that jumps to a level ten
// times its median and stays there exactly (a queue's depth with no
// consumer yet, a deployment scaled to zero) got its head start and
// nothing more for five minutes.
func TestNewScrapeConfirmsAnySize(t *testing.T) {
	for _, tc := range []struct {
		name      string
		scrapes   func(s *steady, first time.Time) time.Time // the repeat's scrape time; zero: none
		confirmed bool
	}{
		{"values only", func(*steady, time.Time) time.Time { return time.Time{} }, false},
		{"same scrape", func(_ *steady, first time.Time) time.Time { return first }, false},
		{"new scrape", func(s *steady, _ time.Time) time.Time { return s.now.Add(-10 * time.Second) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSteady(t)
			before := s.desired(t)
			first := s.now.Add(-10 * time.Second)
			s.src.Set(shadow.RequestRate, 2000)
			if !tc.scrapes(s, first).IsZero() {
				s.src.SetScraped(shadow.RequestRate, first)
			}
			r := s.step(t, s.now)
			require.Equal(t, []shadow.Metric{shadow.RequestRate}, r.Suspect)
			head := s.desired(t)
			assert.LessOrEqual(t, head, before*3/2, "the unconfirmed surge: at most the head start")
			if at := tc.scrapes(s, first); !at.IsZero() {
				s.src.SetScraped(shadow.RequestRate, at)
			}
			r = s.step(t, s.now)
			need := min(policy.Replicas(2000, 10, 0.7), 100) // MaxReplicas
			t.Logf("%d replicas before, %d with the head start, %d after the repeat (%d needed): %s", before, head, s.desired(t), need, r.Decision.Reason)
			if tc.confirmed {
				assert.Empty(t, r.Suspect, "a new reading confirms the surge")
				assert.GreaterOrEqual(t, s.desired(t), need)
			} else {
				assert.Equal(t, []shadow.Metric{shadow.RequestRate}, r.Suspect, "the copy confirms nothing")
				assert.Equal(t, head, s.desired(t), "and adds nothing")
			}
		})
	}
}

// Glitches a few passes apart, each held as suspect with its head start,
// while a scale-down stabilization window holds the first head start: the
// second is measured from where production stood before the first (×1.5
// of it), not stacked on it (16 → 24 → 36 → 54 before), also across a
// restart; a step confirmed after them is followed as before.
func TestHeadStartsDoNotStack(t *testing.T) {
	for _, restart := range []bool{false, true} {
		for _, r := range bothRules() {
			t.Run(fmt.Sprintf("%s restart %v", r.name, restart), func(t *testing.T) {
				cfg := r.cfg
				cfg.ScaleDownStabilization = 30 * time.Minute
				store := &memStore{}
				s := newSteadyWith(t, cfg, shadow.WithStateStore(store, "svc"))
				before := s.desired(t)
				var got []int
				for _, glitch := range []float64{4000, 3000, 5000} {
					s.src.Set(shadow.RequestRate, glitch)
					rep := s.step(t, s.now)
					require.Equal(t, []shadow.Metric{shadow.RequestRate}, rep.Suspect)
					got = append(got, s.desired(t))
					if restart {
						s.restart(t, cfg, store)
					}
					for range 2 {
						s.src.Set(shadow.RequestRate, s.noisy(100))
						s.step(t, s.now)
					}
				}
				t.Logf("%d replicas before, after each glitch %v", before, got)
				for i, d := range got {
					assert.Equal(t, before*3/2, d, "glitch %d: ×1.5 of the replicas before the first", i+1)
				}
				// A step confirmed while the head start stands is followed.
				s.src.Set(shadow.RequestRate, 400)
				s.step(t, s.now)
				s.src.Set(shadow.RequestRate, s.noisy(400))
				s.step(t, s.now)
				assert.GreaterOrEqual(t, s.desired(t), policy.Replicas(400, 10, 1), "the confirmed step")
			})
		}
	}
}

// A glitch on top of a step the metric confirmed a pass before (the
// recent window has not caught up with the new level, so every sample far
// above continued the step): more than ten times the step's level, it is
// judged as any sample far above and held, where it was taken as the
// step's continuation and fed to the forecaster. After a zero run (a
// metric's exporter down) the window is all zeros and the load's return
// is such a step; a glitch right after it took production to MaxReplicas
// in about a fifth of the random fault schedules that reach it.
func TestGlitchOnAConfirmedStepIsSuspect(t *testing.T) {
	for _, r := range bothRules() {
		for _, glitch := range []float64{2000, 1e6} {
			t.Run(fmt.Sprintf("%s %g", r.name, glitch), func(t *testing.T) {
				s := newSteadyWith(t, r.cfg)
				for range 3 {
					s.src.Set(shadow.RequestRate, s.noisy(400))
					s.step(t, s.now)
				}
				before := s.desired(t)
				s.src.Set(shadow.RequestRate, glitch)
				rep := s.step(t, s.now)
				assert.Equal(t, []shadow.Metric{shadow.RequestRate}, rep.Suspect, "a glitch on top of the step")
				assert.LessOrEqual(t, s.desired(t), before*3/2)
				for range 5 {
					s.src.Set(shadow.RequestRate, s.noisy(400))
					s.step(t, s.now)
				}
				t.Logf("%d replicas on the step, %d after the glitch and five passes", before, s.desired(t))
				assert.LessOrEqual(t, s.desired(t), before*3/2)
				for _, o := range s.c.History() {
					require.Less(t, o.Value, glitch, "the glitch reached the history")
				}
			})
		}
	}
}

// The same glitch on a step, read back after missed passes: the values of
// the step are kept, the glitch on top of it (five times the step) is
// left out, as a pass would have left it out.
func TestGlitchOnAStepReadBackIsLeftOut(t *testing.T) {
	const from, glitchAt = 300, 303 // minutes
	fn := func(at time.Time) map[shadow.Metric]float64 {
		i := int(at.Sub(t0) / time.Minute)
		v := 100 * (1 + 0.02*math.Sin(float64(i)*1.7))
		switch {
		case i == glitchAt:
			v = 2000
		case i >= from:
			v *= 4
		}
		return map[shadow.Metric]float64{shadow.RequestRate: v}
	}
	s := newFreshFrom(t, shadow.Config{PerReplica: 10, MaxReplicas: 100}, policy.DefaultPredictiveConfig(), &shadowtest.Series{Fn: fn, Start: t0})
	for range from {
		s.step(t, s.now)
	}
	// The process pauses for six minutes; the next pass reads them back.
	s.now = s.now.Add(6 * time.Minute)
	r := s.step(t, s.now)
	assert.Equal(t, 5, r.Backfilled, "six points read back, the glitch left out: %v", r.Alerts)
	step := 0
	for _, o := range s.c.History() {
		require.Less(t, o.Value, 1000.0, "the glitch at %s reached the history", o.Time)
		if o.Value > 300 {
			step++
		}
	}
	assert.Equal(t, 5, step, "the step's values are kept")
}

// A head start is at least one replica: at one replica, half of it is
// none, and a service scaled to zero has nothing to take half of. A real
// surge on a small deployment waited a whole pass for its first replica;
// a glitch there costs one replica for a pass.
func TestHeadStartAtLeastOneReplica(t *testing.T) {
	cases := []struct {
		name       string
		min        int
		calm, high float64
		want       int // the replicas production stood at
	}{
		{"one replica", 1, 3, 60, 1},
		{"scaled to zero", 0, 0, 20, 0},
	}
	for _, tc := range cases {
		for _, r := range bothRules() {
			t.Run(tc.name+" "+r.name, func(t *testing.T) {
				s := newFreshConfig(t, shadow.Config{PerReplica: 10, MinReplicas: tc.min, MaxReplicas: 100}, r.cfg)
				for range 120 {
					s.src.Set(shadow.RequestRate, s.noisy(tc.calm))
					s.step(t, s.now)
				}
				require.Equal(t, tc.want, s.desired(t), "production at the calm load")
				s.src.Set(shadow.RequestRate, tc.high)
				rep := s.step(t, s.now)
				require.Equal(t, []shadow.Metric{shadow.RequestRate}, rep.Suspect)
				assert.Equal(t, tc.want+1, s.desired(t), "one replica more on the unconfirmed sample: %s", rep.Decision.Reason)
				// Confirmed at the next pass and followed at once.
				var got []int
				for range 3 {
					s.src.Set(shadow.RequestRate, s.noisy(tc.high))
					rep = s.step(t, s.now)
					assert.Empty(t, rep.Suspect)
					got = append(got, s.desired(t))
				}
				t.Logf("%d, then %v: %s", tc.want+1, got, rep.Decision.Reason)
				for i, d := range got {
					assert.GreaterOrEqual(t, d, policy.Replicas(tc.high, 10, 0.7), "the confirmed step, pass %d after: %v", i+1, got)
				}
			})
		}
	}
}

// A deployment that scales to zero (MinReplicas 0) stays there while the
// load is zero, whether the forecast is trusted yet or not, and is sized
// from the load when it comes back. The reactive floor took a group at
// zero to one replica at every pass, and the next pass released it: one
// start per two passes for as long as there was no load.
func TestScaledToZeroStaysAtZero(t *testing.T) {
	for _, r := range bothRules() {
		t.Run(r.name, func(t *testing.T) {
			s := newFreshConfig(t, shadow.Config{PerReplica: 10, MinReplicas: 0, MaxReplicas: 100}, r.cfg)
			got := s.passes(t, 0, 120)
			first := slices.Index(got, 0)
			require.GreaterOrEqual(t, first, 0, "never reached zero: %v", got)
			for i, d := range got[first:] {
				require.Zero(t, d, "pass %d after reaching zero: %v", i+1, got[first:])
			}
			need := policy.Replicas(40, 10, 0.7)
			back := s.passes(t, 40, 3)
			assert.Positive(t, back[0], "the first pass with load: %v", back)
			assert.GreaterOrEqual(t, back[2], need, "the load followed: %v", back)
		})
	}
}

// A deployment scaled to zero whose load comes back, with replicas that
// take ten minutes to start: while none is ready and the forecast is not
// yet trusted, the reactive floor sizes the group from the load (it held
// the first replica for as long as it took the forecast to be trusted,
// then asked for the rest: 1, 1, 1, 7).
func TestScaleFromZeroWhileReplicasStart(t *testing.T) {
	for _, r := range bothRules() {
		t.Run(r.name, func(t *testing.T) {
			s := &steady{now: t0}
			s.grp = actuatortest.NewGroup(5, 10*time.Minute, func() time.Time { return s.now })
			s.src = shadowtest.NewSource(0)
			fc, err := forecast.NewAuto(forecast.AutoConfig{Step: time.Minute})
			require.NoError(t, err)
			pol, err := policy.Predictive(r.cfg)
			require.NoError(t, err)
			s.c, err = shadow.New(shadow.Config{PerReplica: 10, MinReplicas: 0, MaxReplicas: 100},
				shadow.Deps{Source: s.src, Forecaster: fc, Policy: pol, Production: s.grp},
				shadow.WithLogger(testLogger(&syncBuffer{})), shadow.WithRetry(actuator.RetryConfig{After: instant}))
			require.NoError(t, err)
			s.passes(t, 0, 300)
			require.Zero(t, s.desired(t), "scaled to zero")
			need := policy.Replicas(40, 10, 0.7)
			got := s.passes(t, 40, 4)
			t.Logf("replicas asked at the passes after the load came back: %v (%d needed)", got, need)
			assert.Equal(t, 1, got[0], "the unconfirmed first sample: one replica")
			assert.GreaterOrEqual(t, got[2], need, "two passes later: %v", got)
		})
	}
}

// A deployment allowed to scale to zero whose load is zero for 20 minutes
// of every 30 and about 40 req/s for the other 10 (a batch, a cron-driven
// load): once the seasonal forecast has learned the cycle, production is
// at zero through most of each idle phase and ready at every busy step,
// with replicas that take two minutes to start. The forecast's upper
// bound at the idle phase (the spread of its errors at the ramps) kept a
// replica up at every idle pass.
func TestOnOffLoadScalesToZeroBetweenBursts(t *testing.T) {
	const period, busy, boot = 30, 10, 2
	for _, r := range bothRules() {
		t.Run(r.name, func(t *testing.T) {
			s := &steady{now: t0}
			s.grp = actuatortest.NewGroup(1, boot*time.Minute, func() time.Time { return s.now })
			s.src = shadowtest.NewSource(0)
			fc, err := forecast.NewAuto(forecast.AutoConfig{Step: time.Minute, Periods: []int{period}})
			require.NoError(t, err)
			pol, err := policy.Predictive(r.cfg)
			require.NoError(t, err)
			s.c, err = shadow.New(shadow.Config{PerReplica: 10, MinReplicas: 0, MaxReplicas: 100, LeadTime: boot * time.Minute},
				shadow.Deps{Source: s.src, Forecaster: fc, Policy: pol, Production: s.grp},
				shadow.WithLogger(testLogger(&syncBuffer{})), shadow.WithRetry(actuator.RetryConfig{After: instant}))
			require.NoError(t, err)
			load := func(i int) float64 {
				if i%period < period-busy {
					return 0
				}
				return 40 * (1 + 0.05*math.Sin(float64(i)*1.7))
			}
			const cycles, judged = 24, 6
			var zero, idle, short, held int
			var ready []int
			for i := range cycles * period {
				s.src.Set(shadow.RequestRate, load(i))
				rep := s.step(t, s.now)
				if i < (cycles-judged)*period {
					continue
				}
				held = max(held, rep.HeldZeros)
				st, err := s.grp.Current(context.Background())
				require.NoError(t, err)
				if l := load(i); l > 0 {
					ready = append(ready, st.Ready)
					if st.Ready < policy.Replicas(l, 10, 1) {
						short++
					}
				} else {
					idle++
					if st.Desired == 0 {
						zero++
					}
				}
			}
			t.Logf("last %d cycles: at zero at %d of %d idle passes; ready at the busy passes: %v", judged, zero, idle, ready)
			assert.GreaterOrEqual(t, zero, idle/2, "at zero through most of the idle phase")
			assert.Zero(t, held, "the idle phases' zeros are load, none held back as an outage")
			assert.LessOrEqual(t, short, judged, "at most one busy step short a cycle (its first)")
		})
	}
}
