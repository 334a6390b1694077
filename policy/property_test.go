package policy_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
)

// chaos is an inner policy that returns arbitrary decisions: negative,
// huge, empty reasons, wrong actions.
func chaos(r *rand.Rand) policy.Policy {
	return policy.Func(func(in policy.Input) (policy.Decision, error) {
		targets := []int{-5, 0, 1, in.Current, in.Current + 1, in.Current - 1, 3 * in.Current, math.MaxInt, math.MinInt}
		reasons := []string{"", "chaos"}
		return policy.Decision{
			Action: policy.Action(r.IntN(5) - 1),
			Target: targets[r.IntN(len(targets))],
			Reason: reasons[r.IntN(2)],
		}, nil
	})
}

// subject is one policy under the property test, with how its targets may
// relate to the bounds.
type subject struct {
	name string
	p    policy.Policy
	// dryRun: Target is always Input.Current.
	dryRun bool
	// aboveMax: the target may exceed Input.Max (MaxCapacity IncreaseMax).
	aboveMax bool
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// subjects builds fresh instances of every policy and wrapper.
func subjects(r *rand.Rand) []subject {
	th := must(policy.NewThreshold(policy.DefaultThresholdConfig()))
	rel := policy.DefaultPredictiveConfig().Threshold
	predScaleIn := policy.DefaultPredictiveConfig()
	predScaleIn.ForecastScaleIn, predScaleIn.ScaleDownStabilization, predScaleIn.MinForecasts = true, 5*time.Minute, -1
	predPlanner := policy.DefaultPredictiveConfig()
	predPlanner.Rule = policy.RulePlanner
	predMax := policy.DefaultPredictiveConfig()
	predMax.MaxCapacity = policy.MaxCapacityConfig{Behavior: policy.IncreaseMax, BufferPercent: 10}
	hpaRate := policy.DefaultHPAConfig()
	return []subject{
		{name: "Threshold", p: th},
		{name: "Threshold relative", p: must(policy.NewThreshold(rel))},
		{name: "HPA", p: mustHPA()},
		{name: "Predictive", p: must(policy.Predictive(policy.DefaultPredictiveConfig()))},
		{name: "Predictive planner", p: must(policy.Predictive(predPlanner))},
		{name: "Planner", p: must(policy.NewPlanner(policy.DefaultPlannerConfig()))},
		{name: "Planner lifetime", p: must(policy.NewPlanner(policy.PlannerConfig{Boot: time.Minute, Settle: 2 * time.Minute, MinLifetime: 3 * time.Minute, MinScaleDownInterval: time.Minute}))},
		{name: "Predictive forecast scale-in", p: must(policy.Predictive(predScaleIn))},
		{name: "Predictive increase max", p: must(policy.Predictive(predMax)), aboveMax: true},
		{name: "Bounds", p: must(policy.Bounds(chaos(r), policy.BoundsConfig{Min: 2, Max: 50}))},
		{name: "Stabilize", p: must(policy.Stabilize(chaos(r), policy.StabilizeConfig{Up: time.Minute, Down: 5 * time.Minute}))},
		{name: "RateLimit", p: must(policy.RateLimit(chaos(r), policy.RateLimitConfig{Up: hpaRate.ScaleUp.RateRules, Down: hpaRate.ScaleDown.RateRules}))},
		{name: "Cooldown", p: must(policy.Cooldown(chaos(r), policy.CooldownConfig{Up: time.Minute, Down: 10 * time.Minute}))},
		{name: "Tolerance", p: must(policy.Tolerance(chaos(r), policy.ToleranceConfig{Up: 0.1, Down: 0.2}))},
		{name: "Ramp", p: must(policy.Ramp(chaos(r), policy.RampConfig{Window: 3}))},
		{name: "Headroom", p: must(policy.Headroom(th, policy.HeadroomConfig{}))},
		{name: "Headroom chaos", p: must(policy.Headroom(chaos(r), policy.HeadroomConfig{Quantile: 0.99}))},
		{name: "Max", p: must(policy.Max(chaos(r), mustHPA(), th))},
		{name: "NoScaleInOnForecast observed", p: must(policy.NoScaleInOnForecast(chaos(r), nil))},
		{name: "NoScaleInOnForecast reactive", p: must(policy.NoScaleInOnForecast(chaos(r), mustHPA()))},
		{name: "MinHistory", p: must(policy.MinHistory(chaos(r), th, policy.MinHistoryConfig{Forecasts: 2}))},
		{name: "DryRun", p: must(policy.DryRun(chaos(r))), dryRun: true},
		{name: "MaxCapacity honor", p: must(policy.MaxCapacity(chaos(r), policy.MaxCapacityConfig{}))},
		{name: "MaxCapacity increase", p: must(policy.MaxCapacity(chaos(r), policy.MaxCapacityConfig{Behavior: policy.IncreaseMax, BufferPercent: 20})), aboveMax: true},
	}
}

var (
	wildFloats = []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1, 0, 1e-300, 0.5, 1, 7, 100, 1234.5, 1e9, 1e300, math.MaxFloat64}
	wildInts   = []int{-1, 0, 1, 2, 5, 10, 40, 1000, 1 << 40}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// wildFloat is usually a plausible value and sometimes a hostile one.
func wildFloat(r *rand.Rand, scale float64) float64 {
	if r.IntN(4) == 0 {
		return pick(r, wildFloats)
	}
	return r.Float64() * scale
}

func wildInt(r *rand.Rand, scale int) int {
	if r.IntN(5) == 0 {
		return pick(r, wildInts)
	}
	return r.IntN(scale + 1)
}

func wildForecast(r *rand.Rand, now time.Time) forecast.Forecast {
	n := r.IntN(5)
	if r.IntN(6) == 0 {
		n = 0
	}
	f := forecast.Forecast{Start: now.Add(time.Minute), Step: time.Minute, Level: pick(r, []float64{0.95, 0.8, 0, 1, math.NaN(), -3})}
	for i := 0; i < n; i++ {
		m := wildFloat(r, 3000)
		f.Mean = append(f.Mean, m)
		f.Lower = append(f.Lower, m-wildFloat(r, 500))
		if r.IntN(8) > 0 {
			f.Upper = append(f.Upper, m+wildFloat(r, 500)*pick(r, []float64{1, -1}))
		}
	}
	return f
}

func wildInput(r *rand.Rand, now time.Time) policy.Input {
	current := wildInt(r, 60)
	return policy.Input{
		Now:               now,
		Current:           current,
		Ready:             min(wildInt(r, 60), max(current, 0)+r.IntN(3)),
		Load:              wildFloat(r, 5000),
		LoadValid:         r.IntN(5) > 0,
		Forecast:          wildForecast(r, now),
		LeadSteps:         wildInt(r, 12),
		Shadow:            policy.Shadow{Valid: r.IntN(2) == 0, Latency: time.Duration(wildInt(r, 2000)) * time.Millisecond, ErrorRate: wildFloat(r, 0.1), LoadRatio: wildFloat(r, 3)},
		PerReplica:        pick(r, []float64{100, 100, 100, 0.001, 1e12, 0, -1, math.NaN(), math.Inf(1)}),
		TargetUtilization: pick(r, []float64{0.7, 0.7, 0.5, 1, 0.01, 0, 1.5, math.NaN()}),
		Min:               pick(r, []int{0, 1, 1, 3, -1, 70}),
		Max:               pick(r, []int{100, 100, 20, 1, 0, 1 << 30}),
	}
}

// checkDecision asserts the properties every policy promises.
func checkDecision(t *testing.T, s subject, in policy.Input, d policy.Decision, err error) {
	t.Helper()
	if verr := in.Validate(); verr != nil {
		require.ErrorIs(t, err, policy.ErrInvalidInput, "%s: %+v", s.name, in)
		return
	}
	require.NoError(t, err, "%s", s.name)
	require.NotEmpty(t, d.Reason, "%s", s.name)
	require.GreaterOrEqual(t, d.Target, 0, "%s: %s", s.name, d.Reason)
	switch {
	case s.dryRun:
		require.Equal(t, in.Current, d.Target, "%s", s.name)
		require.Equal(t, policy.NoChange, d.Action, "%s", s.name)
		return
	case s.aboveMax:
		require.GreaterOrEqual(t, d.Target, in.Min, "%s: %s", s.name, d.Reason)
	default:
		require.GreaterOrEqual(t, d.Target, in.Min, "%s: %s", s.name, d.Reason)
		require.LessOrEqual(t, d.Target, in.Max, "%s: %s", s.name, d.Reason)
	}
	want := policy.NoChange
	if d.Target > in.Current {
		want = policy.ScaleUp
	} else if d.Target < in.Current {
		want = policy.ScaleDown
	}
	require.Equal(t, want, d.Action, "%s: %s", s.name, d.Reason)
}

// TestPropertyDecisionsStayInBounds drives every policy and wrapper
// through sequences of hostile inputs, mostly moving forward in time and
// sometimes jumping back.
func TestPropertyDecisionsStayInBounds(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		subs := subjects(r)
		now := t0
		for step := 0; step < 60; step++ {
			now = now.Add(time.Duration(r.IntN(600)-60) * time.Second)
			in := wildInput(r, now)
			for _, s := range subs {
				d, err := s.p.Decide(in)
				checkDecision(t, s, in, d, err)
			}
		}
	}
}

// FuzzPolicies checks the same properties on fuzzed inputs (go test -fuzz
// FuzzPolicies explores further; plain go test runs the seeds).
func FuzzPolicies(f *testing.F) {
	f.Add(700.0, true, 900.0, 1100.0, 0.95, 3, 10, 10, 1, 100, 100.0, 0.7, int64(0), 0.0, 1.0, int64(0))
	f.Add(math.NaN(), false, math.Inf(1), math.NaN(), 0.0, -1, 0, 0, 0, 0, 1e-300, 1.0, int64(-1), math.NaN(), math.NaN(), int64(-600))
	f.Add(1e308, true, -5.0, -10.0, 0.5, 1<<30, 1<<40, 3, 2, 1<<30, math.MaxFloat64, 0.01, int64(math.MaxInt64), 2.0, 0.0, int64(1e9))
	f.Add(-1.0, true, 0.0, 0.0, 1.0, 0, 5, 9, 6, 5, 0.0, 0.7, int64(5e8), 0.5, 1e-9, int64(60))
	f.Fuzz(func(t *testing.T, load float64, valid bool, mean, upper, level float64, lead, current, ready, lo, hi int,
		perReplica, target float64, latency int64, errRate, loadRatio float64, nowSec int64) {
		r := rand.New(rand.NewPCG(uint64(current), uint64(lead)))
		now := t0.Add(time.Duration(nowSec%(1<<33)) * time.Second)
		in := policy.Input{
			Now: now, Current: current, Ready: ready, Load: load, LoadValid: valid,
			Forecast:   forecast.Forecast{Start: now, Step: time.Minute, Mean: []float64{mean, mean / 2}, Lower: []float64{0, 0}, Upper: []float64{upper, upper}, Level: level},
			LeadSteps:  lead,
			Shadow:     policy.Shadow{Valid: true, Latency: time.Duration(latency), ErrorRate: errRate, LoadRatio: loadRatio},
			PerReplica: perReplica, TargetUtilization: target, Min: lo, Max: hi,
		}
		for _, s := range subjects(r) {
			for i := 0; i < 2; i++ { // twice: stateful policies see their own history
				d, err := s.p.Decide(in)
				checkDecision(t, s, in, d, err)
				in.Now = in.Now.Add(time.Minute)
			}
			in.Now = now
		}
	})
}

// TestPropertyStateRoundTrips: whatever state a policy saves after hostile
// inputs, a fresh instance of the same configuration reads back, and the
// policies without a random inner one then decide as the original does.
func TestPropertyStateRoundTrips(t *testing.T) {
	deterministic := map[string]bool{
		"Threshold": true, "Threshold relative": true, "HPA": true, "Predictive": true, "Predictive planner": true,
		"Planner": true, "Planner lifetime": true, "Predictive forecast scale-in": true, "Predictive increase max": true, "Headroom": true,
	}
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 11))
		subs := subjects(r)
		now := t0
		for step := 0; step < 60; step++ {
			now = now.Add(time.Duration(r.IntN(600)-60) * time.Second)
			in := wildInput(r, now)
			fresh := subjects(rand.New(rand.NewPCG(seed, 12)))
			for i, s := range subs {
				_, _ = s.p.Decide(in)
				st, ok := s.p.(policy.Stateful)
				if !ok {
					continue
				}
				data, err := st.MarshalState()
				require.NoError(t, err, "seed %d step %d: %s", seed, step, s.name)
				c := fresh[i].p
				require.NoError(t, c.(policy.Stateful).UnmarshalState(data), "seed %d step %d: %s refuses the state it saved:\n%s", seed, step, s.name, data)
				if deterministic[s.name] {
					next := wildInput(rand.New(rand.NewPCG(seed, uint64(step))), now.Add(time.Minute))
					want, werr := s.p.Decide(next)
					got, gerr := c.Decide(next)
					require.Equal(t, werr, gerr, "seed %d step %d: %s", seed, step, s.name)
					require.Equal(t, want, got, "seed %d step %d: %s", seed, step, s.name)
					subs[i].p = c // the restored one carries on
				}
			}
		}
	}
}
