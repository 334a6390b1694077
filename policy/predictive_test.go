package policy_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/policy/policytest"
)

func TestPredictive(t *testing.T) {
	for _, tc := range []struct {
		rule   policy.Rule
		target int
		reason string
	}{
		// The planner: the mean at the target (1200 / 70 → 18) covers the
		// P90 at full utilization (1357 / 100 → 14).
		{policy.RulePlanner, 18, "mean 1200 req/s in 3m0s needs 18 at target 0.7"},
		// Threshold: the P90 of the peak at the target (1200 + 1.28 × 122
		// = 1357 → ceil(1357 / 70) = 20).
		{policy.RuleThreshold, 20, "headroom P90"},
	} {
		t.Run(tc.rule.String(), func(t *testing.T) {
			testPredictive(t, tc.rule, tc.target, tc.reason)
		})
	}
}

func testPredictive(t *testing.T, rule policy.Rule, target int, reason string) {
	cfg := policy.DefaultPredictiveConfig()
	cfg.MinForecasts = 1
	cfg.Rule = rule
	p, err := policy.Predictive(cfg)
	require.NoError(t, err)
	fc := func(s int, means ...float64) policy.Input {
		in := input(s, 10, 700)
		in.LeadSteps = 3
		in.Forecast = policytest.Forecast(at(s+60), time.Minute, 0.2, means...)
		return in
	}
	// A ramp within the lead window.
	d, err := p.Decide(fc(0, 800, 1000, 1200, 5000))
	require.NoError(t, err)
	assert.Equal(t, target, d.Target, d.Reason)
	assert.Contains(t, d.Reason, reason)
	// The forecast falls but the observed load still needs 10: no scale-in
	// (the reactive floor also holds the first 300 s).
	in := fc(60, 100, 100, 100)
	in.Current, in.Ready = target, target
	in.Load = 1300
	d, err = p.Decide(in)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, d.Target, target-1, d.Reason)
	// Never below the reactive ask: load far above the forecast.
	in = fc(120, 100, 100, 100)
	in.Current, in.Ready, in.Load = 20, 20, 2800
	d, err = p.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 40, d.Target, d.Reason)
	assert.Contains(t, d.Reason, "HPA")
}

func TestPredictiveFallsBackUntilTrusted(t *testing.T) {
	p, err := policy.Predictive(policy.DefaultPredictiveConfig())
	require.NoError(t, err)
	in := input(0, 10, 700)
	in.Forecast = policytest.Forecast(at(60), time.Minute, 0.2, 5000)
	d, err := p.Decide(in)
	require.NoError(t, err)
	assert.Contains(t, d.Reason, "forecast not trusted yet (1 of 3 forecasts), falling back: HPA")
	assert.Equal(t, 10, d.Target)
}

func TestPredictiveDryRun(t *testing.T) {
	cfg := policy.DefaultPredictiveConfig()
	cfg.DryRun = true
	p, err := policy.Predictive(cfg)
	require.NoError(t, err)
	dr, ok := p.(*policy.DryRunPolicy)
	require.True(t, ok)
	d, err := dr.Decide(input(0, 10, 1400))
	require.NoError(t, err)
	assert.Equal(t, policy.NoChange, d.Action)
	last, ok := dr.Last()
	require.True(t, ok)
	assert.Equal(t, 20, last.Target, last.Reason)
}

func TestPredictiveConfigErrors(t *testing.T) {
	cfg := policy.DefaultPredictiveConfig()
	cfg.Threshold.DownscaleThreshold = 2
	_, err := policy.Predictive(cfg)
	assert.ErrorContains(t, err, "DownscaleThreshold (2)")
	cfg = policy.DefaultPredictiveConfig()
	cfg.Rule = policy.RulePlanner
	cfg.Planner.Tolerance = 1
	_, err = policy.Predictive(cfg)
	assert.ErrorContains(t, err, "Tolerance (1)")
	cfg = policy.DefaultPredictiveConfig()
	cfg.Rule = 7
	_, err = policy.Predictive(cfg)
	assert.ErrorContains(t, err, "Rule (7)")
}

func TestPredictiveKeepsCapacityForTheLeadWindowPeak(t *testing.T) {
	cfg := policy.DefaultPredictiveConfig()
	cfg.MinForecasts = -1 // trust the first forecast
	cfg.Reactive = policy.Func(func(in policy.Input) (policy.Decision, error) {
		return policy.NewDecision(in.Current, in.Min, "reactive wants min"), nil
	})
	p, err := policy.Predictive(cfg)
	require.NoError(t, err)
	in := input(0, 30, 100)
	in.LeadSteps = 3
	// A surge at the third step: P90 of 1500 ± 20% (95%) is 1696 → 25 replicas.
	in.Forecast = policytest.Forecast(at(60), time.Minute, 0.2, 100, 100, 1500, 100)
	d, err := p.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 25, d.Target, d.Reason)
	// Past the lead window the surge no longer holds capacity.
	in.LeadSteps = 2
	d, err = p.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 2, d.Target, d.Reason)
}

// TestPredictivePlannerKeepsCapacityForLeadAndBoot: the planner keeps a
// surge within the lead time plus a boot, and releases it beyond.
func TestPredictivePlannerKeepsCapacityForLeadAndBoot(t *testing.T) {
	decide := func(lead int) policy.Decision {
		cfg := policy.DefaultPredictiveConfig()
		cfg.Rule = policy.RulePlanner
		cfg.MinForecasts = -1 // trust the first forecast
		cfg.Planner.Boot = 2 * time.Minute
		cfg.Reactive = policy.Func(func(in policy.Input) (policy.Decision, error) {
			return policy.NewDecision(in.Current, in.Min, "reactive wants min"), nil
		})
		p, err := policy.Predictive(cfg)
		require.NoError(t, err)
		in := input(0, 30, 100)
		in.LeadSteps = lead
		// A surge at the fourth step: 1500 / 70 → 22 replicas.
		in.Forecast = policytest.Forecast(at(60), time.Minute, 0.05, 100, 100, 100, 1500, 100)
		d, err := p.Decide(in)
		require.NoError(t, err)
		return d
	}
	d := decide(2) // lead 2 + boot 2 reach the fourth step
	assert.Equal(t, 22, d.Target, d.Reason)
	assert.Contains(t, d.Reason, "mean 1500 req/s in 4m0s needs 22, within lead 2m0s + boot 2m0s")
	d = decide(1) // lead 1 + boot 2 do not
	assert.Equal(t, 2, d.Target, d.Reason)
}

// TestPredictiveReportsShadowTrigger: a shadow-caused scale-up keeps its
// ShadowTriggered mark through every wrapper of the stack, and a forecast
// or reactive scale-up does not carry it.
func TestPredictiveReportsShadowTrigger(t *testing.T) {
	cfg := policy.DefaultPredictiveConfig()
	cfg.MinForecasts = 1
	p, err := policy.Predictive(cfg)
	require.NoError(t, err)
	in := input(0, 10, 700)
	in.LeadSteps = 2
	in.Forecast = policytest.Forecast(at(60), time.Minute, 0.05, 700, 700)
	d, err := p.Decide(in)
	require.NoError(t, err)
	assert.False(t, d.ShadowTriggered, d.Reason)

	in.Now = at(60)
	in.Shadow = policy.Shadow{Valid: true, Latency: 2 * time.Second, LoadRatio: 1}
	d, err = p.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, policy.ScaleUp, d.Action, d.Reason)
	assert.True(t, d.ShadowTriggered, d.Reason)
	assert.Contains(t, d.Reason, "shadow latency")

	// Past the shadow hold (15 minutes), a surge the forecast sees is not
	// the shadows' doing.
	in.Now = at(60 + 16*60)
	in.Shadow = policy.Shadow{}
	in.Current, in.Ready = d.Target, d.Target
	in.Forecast = policytest.Forecast(at(60+17*60), time.Minute, 0.05, 3000, 3000)
	d, err = p.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, policy.ScaleUp, d.Action, d.Reason)
	assert.False(t, d.ShadowTriggered, d.Reason)
}
