package policy_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/policy/policytest"
)

// thIn is a Threshold input: PerReplica 100, target 0.7, current replicas
// (capacity 100 × current) and a forecast with the given means.
func thIn(current int, lead int, mean ...float64) policy.Input {
	in := input(0, current, 0)
	in.LoadValid = false
	in.LeadSteps = lead
	if len(mean) > 0 {
		in.Forecast = policytest.Forecast(at(60), time.Minute, 0.2, mean...)
	}
	return in
}

func TestThresholdRules(t *testing.T) {
	withShadow := func(in policy.Input, s policy.Shadow) policy.Input { in.Shadow = s; return in }
	withLoad := func(in policy.Input, load float64, valid bool) policy.Input {
		in.Load, in.LoadValid = load, valid
		return in
	}
	tests := []struct {
		name   string
		in     policy.Input
		want   int
		action policy.Action
		reason string
	}{
		{"rule 2: predicted above 0.8 × capacity", thIn(6, 3, 400, 500, 450), 8, policy.ScaleUp,
			"predicted 500 req/s (forecast peak over 3 steps) > 0.8 × capacity 600 req/s: scale up to 8 replicas"},
		{"rule 3: predicted below 0.5 × capacity", thIn(10, 2, 400, 300), 6, policy.ScaleDown,
			"predicted 400 req/s (forecast peak over 2 steps) < 0.5 × capacity 1000 req/s: scale down to 6 replicas"},
		{"rule 4: within the band", thIn(10, 1, 600), 10, policy.NoChange,
			"predicted 600 req/s (forecast peak over 1 steps) within [0.5, 0.8] × capacity 1000 req/s: holding 10"},
		{"lead window covers the peak", thIn(10, 2, 100, 900, 100), 13, policy.ScaleUp, "peak over 2 steps"},
		{"lead window before the peak", thIn(10, 1, 100, 900, 100), 2, policy.ScaleDown, "peak over 1 steps"},
		{"lead steps beyond the forecast", thIn(10, 50, 100, 900), 13, policy.ScaleUp, "peak over 2 steps"},
		{"non-finite forecast entries ignored", thIn(10, 3, math.NaN(), 900, math.Inf(1)), 13, policy.ScaleUp, "predicted 900"},
		{"rule 1: shadow latency", withShadow(thIn(10, 1, 600), policy.Shadow{Valid: true, Latency: 800 * time.Millisecond, LoadRatio: 1}), 13, policy.ScaleUp,
			"shadow latency 800ms > 500ms at load ratio 1: scale up to predicted 600 req/s (forecast peak over 1 steps) × 1.5: 13 replicas"},
		{"rule 1: shadow error rate", withShadow(thIn(10, 1, 600), policy.Shadow{Valid: true, ErrorRate: 0.05, LoadRatio: 1}), 13, policy.ScaleUp,
			"shadow error rate 0.05 > 0.01 at load ratio 1"},
		{"rule 1: when current covers the factor, rules 2–4 decide on it", withShadow(thIn(10, 1, 100), policy.Shadow{Valid: true, ErrorRate: 0.05}), 3, policy.ScaleDown,
			"× 1.5 = 150 req/s < 0.5 × capacity 1000 req/s: scale down to 3 replicas"},
		{"rule 1: the factor keeps capacity a plain forecast would release", withShadow(thIn(10, 1, 400), policy.Shadow{Valid: true, ErrorRate: 0.05}), 10, policy.NoChange,
			"400 req/s (forecast peak over 1 steps) × 1.5 = 600 req/s within"},
		{"shadow ignored above the load ratio band", withShadow(thIn(10, 1, 600), policy.Shadow{Valid: true, Latency: 800 * time.Millisecond, LoadRatio: 1.5}), 10, policy.NoChange, "within"},
		{"shadow ignored outside the load ratio band", withShadow(thIn(10, 1, 600), policy.Shadow{Valid: true, ErrorRate: 0.5, LoadRatio: 5}), 10, policy.NoChange, "within"},
		{"shadow ignored when not valid", withShadow(thIn(10, 1, 600), policy.Shadow{ErrorRate: 0.5, LoadRatio: 1}), 10, policy.NoChange, "within"},
		{"fallback to observed load", withLoad(thIn(10, 3), 900, true), 13, policy.ScaleUp, "predicted 900 req/s (observed load, no forecast) > 0.8"},
		{"stale load may scale up", withLoad(thIn(10, 3), 900, false), 13, policy.ScaleUp, "metric missing"},
		{"stale load never scales down", withLoad(thIn(10, 3), 100, false), 10, policy.NoChange, "no scale-down on a stale metric"},
		{"neither load nor forecast", withLoad(thIn(10, 3), math.NaN(), true), 10, policy.NoChange, "holding: no load and no forecast"},
		{"all-NaN forecast falls back", withLoad(thIn(10, 3, math.NaN()), 900, true), 13, policy.ScaleUp, "observed load, no forecast"},
		{"scale-down bounded by min", func() policy.Input { in := thIn(10, 1, 0); in.Min = 2; return in }(), 2, policy.ScaleDown, "clamped 0 to [2, 100]"},
	}
	th := mustThreshold(policy.DefaultThresholdConfig())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := th.Decide(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, d.Target, d.Reason)
			assert.Equal(t, tt.action, d.Action, d.Reason)
			assert.Contains(t, d.Reason, tt.reason)
		})
	}
}

func TestThresholdDesignExample(t *testing.T) {
	in := thIn(6, 1, 412)
	in.PerReplica = 80
	d, err := mustThreshold(policy.DefaultThresholdConfig()).Decide(in)
	require.NoError(t, err)
	assert.Equal(t, "predicted 412 req/s (forecast peak over 1 steps) > 0.8 × capacity 480 req/s: scale up to 8 replicas", d.Reason)
	assert.Equal(t, 8, d.Target) // ceil(412 / (80 × 0.7)) = ceil(7.36)
}

func TestThresholdRelativeToTarget(t *testing.T) {
	cfg := policy.DefaultThresholdConfig()
	cfg.RelativeToTarget, cfg.CapacityThreshold, cfg.DownscaleThreshold = true, 1, 0.85
	th := mustThreshold(cfg)
	// 10 replicas at target 0.7 serve 700: 720 needs 11.
	d, err := th.Decide(thIn(10, 1, 720))
	require.NoError(t, err)
	assert.Equal(t, 11, d.Target, d.Reason)
	assert.Contains(t, d.Reason, "> 1 × target 0.7 × capacity 1000 req/s")
	// 600 ≥ 0.85 × 700 = 595: hold.
	d, err = th.Decide(thIn(10, 1, 600))
	require.NoError(t, err)
	assert.Equal(t, 10, d.Target, d.Reason)
	d, err = th.Decide(thIn(10, 1, 590))
	require.NoError(t, err)
	assert.Equal(t, 9, d.Target, d.Reason)
}

func TestThresholdConfigValidate(t *testing.T) {
	require.NoError(t, policy.DefaultThresholdConfig().Validate())
	tests := []struct {
		name   string
		mutate func(*policy.ThresholdConfig)
		want   string
	}{
		{"scale factor", func(c *policy.ThresholdConfig) { c.ScaleFactor = 0.5 }, "ScaleFactor (0.5)"},
		{"capacity threshold", func(c *policy.ThresholdConfig) { c.CapacityThreshold = 1.5 }, "CapacityThreshold (1.5) must be in (0, 1]"},
		{"downscale above capacity", func(c *policy.ThresholdConfig) { c.DownscaleThreshold = 0.9 }, "DownscaleThreshold (0.9)"},
		{"error rate", func(c *policy.ThresholdConfig) { c.ErrorRateThreshold = math.NaN() }, "ErrorRateThreshold (NaN)"},
		{"downscale NaN", func(c *policy.ThresholdConfig) { c.DownscaleThreshold = math.NaN() }, "DownscaleThreshold (NaN)"},
		{"shadow band", func(c *policy.ThresholdConfig) { c.MinShadowLoadRatio = -1 }, "MinShadowLoadRatio (-1)"},
		{"shadow band order", func(c *policy.ThresholdConfig) { c.MaxShadowLoadRatio = 0.4 }, "MaxShadowLoadRatio (0.4)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := policy.DefaultThresholdConfig()
			tt.mutate(&cfg)
			_, err := policy.NewThreshold(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestThresholdInvalidInput(t *testing.T) {
	in := thIn(1, 1, 10)
	in.Min, in.Max = 5, 2
	_, err := mustThreshold(policy.DefaultThresholdConfig()).Decide(in)
	require.ErrorIs(t, err, policy.ErrInvalidInput)
	assert.Contains(t, err.Error(), "Min (5) must not exceed Max (2)")
}

func TestThresholdRuleFiresWithoutChange(t *testing.T) {
	cfg := policy.DefaultThresholdConfig()
	cfg.CapacityThreshold, cfg.DownscaleThreshold = 0.6, 0.55
	th := mustThreshold(cfg)
	// 650 > 0.6 × 1000, but 10 replicas serve 650 at 0.7 (700).
	d, err := th.Decide(thIn(10, 1, 650))
	require.NoError(t, err)
	assert.Equal(t, policy.NoChange, d.Action)
	assert.Contains(t, d.Reason, "> 0.6 × capacity 1000 req/s, but 10 replicas serve it at target 0.7: holding")

	// Target 0.5: 540 < 0.55 × 1000, yet it needs ceil(540 / 50) = 11.
	in := thIn(10, 1, 540)
	in.TargetUtilization = 0.5
	d, err = th.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 10, d.Target)
	assert.Contains(t, d.Reason, "but it needs 11 replicas at target 0.5: holding 10")
}

func TestThresholdShadowHold(t *testing.T) {
	cfg := policy.DefaultThresholdConfig()
	cfg.ShadowHold = 10 * time.Minute
	th, err := policy.NewThreshold(cfg)
	require.NoError(t, err)
	breach := policy.Shadow{Valid: true, Latency: 2 * time.Second, LoadRatio: 1}
	calm := policy.Shadow{Valid: true, Latency: 10 * time.Millisecond, LoadRatio: 1}
	in := thIn(10, 1, 600)
	in.Shadow = breach
	d, err := th.Decide(in)
	require.NoError(t, err)
	require.Equal(t, 13, d.Target, d.Reason)
	require.True(t, d.ShadowTriggered)

	// Calm five minutes later, production at 13: the breach is held, so no
	// scale-down to the 9 replicas 600 req/s needs.
	in = thIn(13, 1, 600)
	in.Now, in.Shadow = at(300), calm
	d, err = th.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 13, d.Target, d.Reason)
	assert.Contains(t, d.Reason, "held since")

	// Ten minutes after the last breach the hold is over.
	in.Now = at(600)
	d, err = th.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, policy.ScaleDown, d.Action, d.Reason)

	cfg.ShadowHold = -time.Second
	_, err = policy.NewThreshold(cfg)
	assert.ErrorContains(t, err, "ShadowHold (-1s)")
}
