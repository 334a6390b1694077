package policy_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
)

// hpaFirstPass returns a default HPA after its first pass over load with
// two replicas, the pass's input and its decision.
func hpaFirstPass(t *testing.T, load float64) (policy.Policy, policy.Input, policy.Decision) {
	t.Helper()
	h, err := policy.NewHPA(policy.DefaultHPAConfig())
	require.NoError(t, err)
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	in := policy.Input{Now: t0, Current: 2, Ready: 2, Load: load, LoadValid: true, PerReplica: 10, TargetUtilization: 0.7, Min: 1, Max: 100}
	first, err := h.Decide(in)
	require.NoError(t, err)
	return h, in, first
}

// A change that is not carried out (a dry run, a refused actuation) must not
// count in the HPA's rate limits: the next decision from the same observed
// state is the same.
func TestHPAUnappliedChangeLeavesNoTrace(t *testing.T) {
	h, in, first := hpaFirstPass(t, 42)
	t0 := in.Now
	require.Equal(t, policy.ScaleUp, first.Action)
	in.Now = t0.Add(time.Minute) // Current still 2: the change did not happen
	second, err := h.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, first.Target, second.Target, "second: %s", second.Reason)
	assert.NotContains(t, second.Reason, "ScaleUpLimit")
}

// A carried-out change does count: within the 15 s period the HPA's default
// rate limit (+4 pods or +100%) measures from the count before it.
func TestHPAAppliedChangeCounts(t *testing.T) {
	h, in, first := hpaFirstPass(t, 420)
	t0 := in.Now
	require.Equal(t, 6, first.Target, first.Reason) // max(2+4, 2×2)
	in.Now, in.Current = t0.Add(5*time.Second), first.Target
	second, err := h.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 6, second.Target, "still within the period that allowed +4: %s", second.Reason)
}

func TestCooldownStartsOnlyOnAppliedChange(t *testing.T) {
	up := policy.Func(func(in policy.Input) (policy.Decision, error) {
		return policy.NewDecision(in.Current, in.Current+1, "up"), nil
	})
	p, err := policy.Cooldown(up, policy.CooldownConfig{Up: 10 * time.Minute})
	require.NoError(t, err)
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	in := policy.Input{Now: t0, Current: 2, Ready: 2, Load: 1, LoadValid: true, PerReplica: 10, TargetUtilization: 0.7, Min: 1, Max: 100}
	d, err := p.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 3, d.Target)
	in.Now = t0.Add(time.Minute) // not carried out
	d, err = p.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 3, d.Target, "no cooldown from a change that did not happen: %s", d.Reason)
	in.Now, in.Current = t0.Add(2*time.Minute), 3 // carried out
	d, err = p.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 3, d.Target, "cooldown runs: %s", d.Reason)
}

// MaxCapacity's IncreaseMax survives the wrappers around it.
func TestIncreaseMaxSurvivesOuterWrappers(t *testing.T) {
	inner := policy.Func(func(in policy.Input) (policy.Decision, error) {
		return policy.NewDecision(in.Current, policy.Replicas(in.Forecast.Mean[0], in.PerReplica, in.TargetUtilization), "forecast"), nil
	})
	mc, err := policy.MaxCapacity(inner, policy.MaxCapacityConfig{Behavior: policy.IncreaseMax, BufferPercent: 10})
	require.NoError(t, err)
	p, err := policy.Stabilize(mc, policy.StabilizeConfig{Down: time.Minute})
	require.NoError(t, err)
	p, err = policy.RateLimit(p, policy.RateLimitConfig{})
	require.NoError(t, err)
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	in := policy.Input{Now: t0, Current: 10, Ready: 10, Load: 100, LoadValid: true, PerReplica: 10, TargetUtilization: 0.7, Min: 1, Max: 20,
		Forecast: forecastOf(t0, 300), LeadSteps: 1}
	d, err := p.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 43, d.Target, d.Reason) // ceil(300/7) = 43 ≤ ceiling ceil(43 × 1.1) = 48
	assert.Equal(t, 48, d.Ceiling)
}

func forecastOf(t0 time.Time, v float64) forecast.Forecast {
	return forecast.Forecast{Start: t0.Add(time.Minute), Step: time.Minute, Mean: []float64{v}, Lower: []float64{v}, Upper: []float64{v}, Level: 0.9, Model: "fixed"}
}
