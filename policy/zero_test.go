package policy_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/policy/policytest"
)

// walk returns n passes a minute apart of a random load with a forecast
// and, now and then, a shadow breach; Current follows the previous
// decision when decide is called in order.
func walk(seed uint64, n int) []policy.Input {
	r := rand.New(rand.NewPCG(seed, 1))
	load := 500.0
	ins := make([]policy.Input, n)
	for i := range ins {
		load = max(10, load*(0.8+0.4*r.Float64()))
		in := input(60*i, 1, load)
		in.LeadSteps = 3
		in.Forecast = policytest.Forecast(at(60*i+60), time.Minute, 0.2, load, load*1.1, load*1.2)
		if r.IntN(5) == 0 {
			in.Shadow = policy.Shadow{Valid: true, Latency: time.Duration(r.IntN(1000)) * time.Millisecond, ErrorRate: r.Float64() / 20, LoadRatio: 1}
		}
		ins[i] = in
	}
	return ins
}

// sameDecisions runs the walk through the policies built from a and b,
// each fed its own previous target as Current, and requires equal
// decisions.
func sameDecisions(t *testing.T, a, b policy.Policy) {
	t.Helper()
	curA, curB := 1, 1
	changes := 0
	for i, in := range walk(7, 120) {
		inA, inB := in, in
		inA.Current, inA.Ready = curA, curA
		inB.Current, inB.Ready = curB, curB
		da, err := a.Decide(inA)
		require.NoError(t, err)
		db, err := b.Decide(inB)
		require.NoError(t, err)
		require.Equal(t, da, db, "pass %d", i)
		if da.Target != curA {
			changes++
		}
		curA, curB = da.Target, db.Target
	}
	require.Greater(t, changes, 10, "the walk exercises scaling both ways")
}

func TestZeroConfigsSelectTheDefaults(t *testing.T) {
	t.Run("Threshold", func(t *testing.T) {
		sameDecisions(t, mustThreshold(policy.ThresholdConfig{}), mustThreshold(policy.DefaultThresholdConfig()))
	})
	t.Run("HPA", func(t *testing.T) {
		zero, err := policy.NewHPA(policy.HPAConfig{})
		require.NoError(t, err)
		sameDecisions(t, zero, mustHPA())
	})
	t.Run("Planner", func(t *testing.T) {
		zero, err := policy.NewPlanner(policy.PlannerConfig{})
		require.NoError(t, err)
		def, err := policy.NewPlanner(policy.DefaultPlannerConfig())
		require.NoError(t, err)
		sameDecisions(t, zero, def)
	})
	t.Run("Predictive", func(t *testing.T) {
		zero, err := policy.Predictive(policy.PredictiveConfig{})
		require.NoError(t, err)
		def, err := policy.Predictive(policy.DefaultPredictiveConfig())
		require.NoError(t, err)
		sameDecisions(t, zero, def)
	})
}

func TestNegativeSelectsZero(t *testing.T) {
	t.Run("Threshold latency and error tests disabled", func(t *testing.T) {
		th := mustThreshold(policy.ThresholdConfig{LatencyThreshold: -1, ErrorRateThreshold: -1})
		in := input(0, 10, 100)
		in.Shadow = policy.Shadow{Valid: true, Latency: time.Hour, ErrorRate: 1, LoadRatio: 1}
		d, err := th.Decide(in)
		require.NoError(t, err)
		assert.False(t, d.ShadowTriggered, d.Reason)
		assert.NotContains(t, d.Reason, "shadow", "a disabled test is not reported")
		// With the defaults the same shadows trigger rule 1.
		d, err = mustThreshold(policy.ThresholdConfig{}).Decide(in)
		require.NoError(t, err)
		assert.Contains(t, d.Reason, "shadow latency", "with the defaults rule 1 applies")
	})
	t.Run("Threshold never scales down", func(t *testing.T) {
		in := input(0, 10, 1) // a tenth of a replica's load on 10 replicas
		d, err := mustThreshold(policy.ThresholdConfig{DownscaleThreshold: -1}).Decide(in)
		require.NoError(t, err)
		assert.Equal(t, 10, d.Target, d.Reason)
		d, err = mustThreshold(policy.ThresholdConfig{}).Decide(in)
		require.NoError(t, err)
		assert.Less(t, d.Target, 10, d.Reason)
	})
	t.Run("HPA without tolerance or stabilization", func(t *testing.T) {
		h, err := policy.NewHPA(policy.HPAConfig{Tolerance: -1, ScaleDown: policy.HPARules{StabilizationWindow: -1}})
		require.NoError(t, err)
		// Usage ratio 0.95: within the default tolerance, outside none.
		d, err := h.Decide(hpaIn(0, 20, 20, 20*policytest.PerReplica*0.5*0.95))
		require.NoError(t, err)
		assert.Equal(t, 19, d.Target, d.Reason)
		d, err = mustHPA().Decide(hpaIn(0, 20, 20, 20*policytest.PerReplica*0.5*0.95))
		require.NoError(t, err)
		assert.Equal(t, 20, d.Target, d.Reason)
	})
	t.Run("Predictive trusts the first forecast", func(t *testing.T) {
		reactive := policy.Func(func(in policy.Input) (policy.Decision, error) {
			return policy.NewDecision(in.Current, in.Min, "reactive wants min"), nil
		})
		in := input(0, 30, 100)
		in.Forecast = policytest.Forecast(at(60), time.Minute, 0.2, 1500)
		for _, c := range []struct {
			minForecasts int
			trusted      bool
		}{{-1, true}, {0, false}, {1, true}, {2, false}} {
			p, err := policy.Predictive(policy.PredictiveConfig{MinForecasts: c.minForecasts, Reactive: reactive})
			require.NoError(t, err)
			d, err := p.Decide(in)
			require.NoError(t, err)
			assert.Equal(t, !c.trusted, d.Target == in.Min, "MinForecasts %d: %s", c.minForecasts, d.Reason)
		}
	})
}
