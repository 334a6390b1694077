package policy_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/policy"
)

// hpaIn is an HPA input with PerReplica 100 and target 0.5, so a load of
// 50 × n is exactly on target for n ready replicas.
func hpaIn(s, current, ready int, load float64) policy.Input {
	in := input(s, current, load)
	in.Ready = ready
	in.TargetUtilization = 0.5
	in.Max = 1000
	return in
}

func TestHPASingleSync(t *testing.T) {
	tests := []struct {
		name           string
		in             policy.Input
		want           int
		action         policy.Action
		reasonContains string
	}{
		{"on target", hpaIn(0, 10, 10, 500), 10, policy.NoChange, "within tolerance 0.1"},
		{"tolerance is inclusive", hpaIn(0, 10, 10, 550), 10, policy.NoChange, "ratio 1.1) within tolerance"},
		{"just outside tolerance", hpaIn(0, 10, 10, 551), 12, policy.ScaleUp, "ceil(1.1 × 10) = 12"},
		{"scale up ceil(ratio × ready)", hpaIn(0, 10, 10, 600), 12, policy.ScaleUp, "ceil(1.2 × 10) = 12"},
		{"rate limit 100% beats 4 pods", hpaIn(0, 10, 10, 5000), 20, policy.ScaleUp, "ScaleUpLimit: 20"},
		{"rate limit 4 pods beats 100%", hpaIn(0, 2, 2, 5000), 6, policy.ScaleUp, "ScaleUpLimit: 6"},
		{"max bounds a scale-up", func() policy.Input { in := hpaIn(0, 10, 10, 700); in.Max = 13; return in }(), 13, policy.ScaleUp, "TooManyReplicas: 13"},
		{"unready count as zero: ratio falls below 1", hpaIn(0, 10, 5, 400), 10, policy.NoChange, "with 5 unready at 0 the ratio is 0.8"},
		{"unready count as zero: still above", hpaIn(0, 10, 5, 1000), 20, policy.ScaleUp, "with 5 unready at 0: ceil(2 × 10) = 20"},
		{"missing metric holds", func() policy.Input { in := hpaIn(0, 10, 10, 0); in.LoadValid = false; return in }(), 10, policy.NoChange, "metric missing"},
		{"NaN metric holds", hpaIn(0, 10, 10, math.NaN()), 10, policy.NoChange, "metric missing"},
		{"no ready replica, a load they will carry holds", hpaIn(0, 4, 0, 150), 4, policy.NoChange, "no ready replica reports the metric, and load 150 needs 3 at target 0.5: holding 4"},
		{"no ready replica, a load beyond sizes up, rate limited", hpaIn(0, 4, 0, 1000), 8, policy.ScaleUp, "no ready replica reports the metric, but load 1000 needs 20 at target 0.5; ScaleUpLimit: 8"},
		{"no ready replica, scaled up within the limit", hpaIn(0, 4, 0, 350), 7, policy.ScaleUp, "but load 350 needs 7 at target 0.5"},
		{"above max goes to max", func() policy.Input { in := hpaIn(0, 12, 12, 0); in.Max = 8; return in }(), 8, policy.ScaleDown, "current 12 above max 8"},
		{"below min goes to min", func() policy.Input { in := hpaIn(0, 1, 1, 0); in.Min = 3; return in }(), 3, policy.ScaleUp, "below min 3"},
		{"zero replicas and no load stay at zero", func() policy.Input { in := hpaIn(0, 0, 0, 0); in.Min = 0; return in }(), 0, policy.NoChange, "current 0 and no load: holding 0"},
		{"zero replicas sized from the load", func() policy.Input { in := hpaIn(0, 0, 0, 150); in.Min = 0; return in }(), 3, policy.ScaleUp, "current 0: load 150 needs 3 at target 0.5"},
		{"zero replicas, scale-up rate limited", func() policy.Input { in := hpaIn(0, 0, 0, 5000); in.Min = 0; return in }(), 4, policy.ScaleUp, "current 0: load 5000 needs 100 at target 0.5; ScaleUpLimit: 4"},
		{"zero replicas, metric missing", func() policy.Input { in := hpaIn(0, 0, 0, 0); in.Min = 0; in.LoadValid = false; return in }(), 1, policy.ScaleUp, "current 0, metric missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := mustHPA().Decide(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, d.Target, d.Reason)
			assert.Equal(t, tt.action, d.Action, d.Reason)
			assert.Contains(t, d.Reason, tt.reasonContains)
		})
	}
}

func TestHPAScaleDownStabilization(t *testing.T) {
	h := mustHPA()
	// Load drops to 40% of 10 replicas' target: the proposal is 4, but the
	// initial recommendation (10 at t=0) holds for 300 s.
	for s := 0; s < 300; s += 60 {
		d, err := h.Decide(hpaIn(s, 10, 10, 200))
		require.NoError(t, err)
		require.Equal(t, 10, d.Target, "at %ds: %s", s, d.Reason)
		if s > 0 {
			assert.Contains(t, d.Reason, "ScaleDownStabilized")
		}
	}
	d, err := h.Decide(hpaIn(300, 10, 10, 200))
	require.NoError(t, err)
	assert.Equal(t, 4, d.Target, d.Reason)
	assert.Equal(t, policy.ScaleDown, d.Action)
}

func TestHPAStabilizationUsesHighestRecentRecommendation(t *testing.T) {
	h := mustHPA()
	steps := []struct {
		s, current int
		load       float64
		want       int
	}{
		{0, 10, 500, 10},   // initial recommendation 10
		{60, 10, 900, 18},  // up to 18, no up window
		{120, 18, 450, 18}, // proposal 9, but 18 was asked 60 s ago
		{420, 18, 450, 9},  // 18 left the window (at 60 s ≤ 420 − 300 is not after the cutoff)
	}
	for _, st := range steps {
		d, err := h.Decide(hpaIn(st.s, st.current, st.current, st.load))
		require.NoError(t, err)
		assert.Equal(t, st.want, d.Target, "at %ds: %s", st.s, d.Reason)
	}
}

func TestHPAScaleUpRateLimitPerPeriod(t *testing.T) {
	h := mustHPA()
	d, err := h.Decide(hpaIn(0, 10, 10, 1000))
	require.NoError(t, err)
	require.Equal(t, 20, d.Target)
	// 5 s later: +10 already added within 15 s, so the period started at 10
	// and max(10 + 4, 10 × 2) = 20 is the limit.
	d, err = h.Decide(hpaIn(5, 20, 10, 3000))
	require.NoError(t, err)
	assert.Equal(t, 20, d.Target, d.Reason)
	assert.Contains(t, d.Reason, "ScaleUpLimit")
	// 15 s after the first change the event has left the period.
	d, err = h.Decide(hpaIn(15, 20, 10, 3000))
	require.NoError(t, err)
	assert.Equal(t, 40, d.Target, d.Reason)
}

func TestHPAScaleDownRateLimit(t *testing.T) {
	cfg := policy.DefaultHPAConfig()
	cfg.ScaleDown = policy.HPARules{StabilizationWindow: -1, RateRules: policy.RateRules{Policies: []policy.ScalingPolicy{
		{Kind: policy.Percent, Value: 50, Period: time.Minute},
	}}}
	h, err := policy.NewHPA(cfg)
	require.NoError(t, err)
	d, err := h.Decide(hpaIn(0, 10, 10, 50))
	require.NoError(t, err)
	assert.Equal(t, 5, d.Target, d.Reason) // 10 × (1 − 0.5)
	d, err = h.Decide(hpaIn(30, 5, 5, 50))
	require.NoError(t, err)
	assert.Equal(t, 5, d.Target, "period started at 10, limit 5: %s", d.Reason)
	d, err = h.Decide(hpaIn(60, 5, 5, 50))
	require.NoError(t, err)
	assert.Equal(t, 2, d.Target, "5 × 0.5 truncated: %s", d.Reason)
}

func TestHPADisabledSelectForbidsScaleDown(t *testing.T) {
	cfg := policy.DefaultHPAConfig()
	cfg.ScaleDown = policy.HPARules{RateRules: policy.RateRules{Select: policy.SelectDisabled}}
	h, err := policy.NewHPA(cfg)
	require.NoError(t, err)
	d, err := h.Decide(hpaIn(0, 10, 10, 50))
	require.NoError(t, err)
	assert.Equal(t, 10, d.Target, d.Reason)
}

func TestHPAMissingMetricNeverScalesDown(t *testing.T) {
	h := mustHPA()
	for s := 0; s <= 900; s += 60 {
		in := hpaIn(s, 10, 10, 10)
		in.LoadValid = false
		d, err := h.Decide(in)
		require.NoError(t, err)
		require.Equal(t, 10, d.Target, d.Reason)
	}
}

func TestHPATimeGoingBackwardsResets(t *testing.T) {
	h := mustHPA()
	_, err := h.Decide(hpaIn(1000, 10, 10, 500))
	require.NoError(t, err)
	// A replay restarted at t=0: the old recommendations are forgotten and
	// the new initial recommendation is 4.
	d, err := h.Decide(hpaIn(0, 4, 4, 200))
	require.NoError(t, err)
	assert.Equal(t, 4, d.Target, d.Reason)
}

func TestHPAConfigValidate(t *testing.T) {
	cfg := policy.DefaultHPAConfig()
	cfg.Tolerance = 1
	cfg.ScaleUp.Policies[0].Value = 0
	_, err := policy.NewHPA(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Tolerance (1)")
	assert.Contains(t, err.Error(), "ScaleUp.Policies[0].Value (0)")
	require.NoError(t, policy.DefaultHPAConfig().Validate())
}

func TestHPAInvalidInput(t *testing.T) {
	in := hpaIn(0, 1, 1, 10)
	in.PerReplica = 0
	_, err := mustHPA().Decide(in)
	require.ErrorIs(t, err, policy.ErrInvalidInput)
}
