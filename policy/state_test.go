package policy_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/policy/policytest"
)

// stacks builds each policy under test afresh.
var stacks = map[string]func() (policy.Policy, error){
	"hpa": func() (policy.Policy, error) { return policy.NewHPA(policy.DefaultHPAConfig()) },
	"predictive-threshold": func() (policy.Policy, error) {
		cfg := policy.DefaultPredictiveConfig()
		cfg.ScaleDownStabilization = 10 * time.Minute
		return policy.Predictive(cfg)
	},
	"predictive-planner": func() (policy.Policy, error) {
		cfg := policy.DefaultPredictiveConfig()
		cfg.Rule = policy.RulePlanner
		return policy.Predictive(cfg)
	},
	"dry-run": func() (policy.Policy, error) {
		cfg := policy.DefaultPredictiveConfig()
		cfg.DryRun = true
		return policy.Predictive(cfg)
	},
	"cooldown-ratelimit-stabilize-bounds": func() (policy.Policy, error) {
		p, err := policy.Stabilize(mustHPA(), policy.StabilizeConfig{Up: time.Minute, Down: 5 * time.Minute})
		if err != nil {
			return nil, err
		}
		if p, err = policy.RateLimit(p, policy.RateLimitConfig{Up: policy.RateRules{Policies: []policy.ScalingPolicy{{Kind: policy.Pods, Value: 2, Period: 2 * time.Minute}}}}); err != nil {
			return nil, err
		}
		if p, err = policy.Cooldown(p, policy.CooldownConfig{Up: time.Minute, Down: 3 * time.Minute}); err != nil {
			return nil, err
		}
		if p, err = policy.Tolerance(p, policy.ToleranceConfig{}); err != nil {
			return nil, err
		}
		return policy.Bounds(p, policy.BoundsConfig{})
	},
}

// drive runs p over passes [from, to) of a scripted service whose replicas
// follow each decision one pass later, starting from current, and returns
// the targets and the replica count after the last pass.
func drive(t testing.TB, p policy.Policy, from, to, current int) ([]int, int) {
	t.Helper()
	var out []int
	for i := from; i < to; i++ {
		s := 15 * i
		load := 600 + 400*math.Sin(float64(i)/25) + 60*math.Sin(float64(i)*1.7)
		in := input(s, current, load)
		means := make([]float64, 8)
		for j := range means {
			means[j] = 600 + 400*math.Sin(float64(i+j+1)/25)
		}
		in.Forecast = policytest.Forecast(at(s+15), 15*time.Second, 0.1, means...)
		in.LeadSteps = 4
		in.Max = 100
		d, err := p.Decide(in)
		require.NoError(t, err, "pass %d", i)
		out = append(out, d.Target)
		if d.Action != policy.NoChange {
			current = d.Target
		}
	}
	return out, current
}

// interrupted drives one policy of mk over passes [0, n) for the targets
// it wants, and a second one over [0, k), returned with its last count:
// the predecessor of a restart at pass k.
func interrupted(t *testing.T, mk func() (policy.Policy, error), k, n int) (want []int, b policy.Policy, current int) {
	t.Helper()
	a, err := mk()
	require.NoError(t, err)
	want, _ = drive(t, a, 0, n, 10)
	b, err = mk()
	require.NoError(t, err)
	_, current = drive(t, b, 0, k, 10)
	return want, b, current
}

// A policy restored from the state its predecessor saved decides, pass for
// pass, as the predecessor would have.
func TestStateRestoresDecisions(t *testing.T) {
	const n, k = 400, 160
	for name, mk := range stacks {
		t.Run(name, func(t *testing.T) {
			want, b, current := interrupted(t, mk, k, n)
			data, err := b.(policy.Stateful).MarshalState()
			require.NoError(t, err)

			c, err := mk()
			require.NoError(t, err)
			require.NoError(t, c.(policy.Stateful).UnmarshalState(data))
			got, _ := drive(t, c, k, n, current)
			assert.Equal(t, want[k:], got)
			again, err := c.(policy.Stateful).MarshalState()
			require.NoError(t, err)
			assert.True(t, json.Valid(again))
		})
	}
}

// Without the state, a restarted stack forgets its rate-limit window and
// cooldown and decides otherwise: the test above can fail.
func TestStateMatters(t *testing.T) {
	const n, k = 400, 160
	mk := stacks["cooldown-ratelimit-stabilize-bounds"]
	want, _, current := interrupted(t, mk, k, n)
	c, err := mk()
	require.NoError(t, err)
	fresh, _ := drive(t, c, k, n, current)
	assert.NotEqual(t, want[k:], fresh)
}

func TestBadStateRejected(t *testing.T) {
	b, err := stacks["predictive-threshold"]()
	require.NoError(t, err)
	_, current := drive(t, b, 0, 100, 10)
	good, err := b.(policy.Stateful).MarshalState()
	require.NoError(t, err)
	planner, err := stacks["predictive-planner"]()
	require.NoError(t, err)
	other, err := planner.(policy.Stateful).MarshalState()
	require.NoError(t, err)
	cases := map[string]struct {
		data []byte
		want string
	}{
		"empty":         {nil, "unexpected end of JSON input"},
		"truncated":     {good[:len(good)/2], "unexpected end"},
		"other version": {[]byte(strings.Replace(string(good), `"version":1`, `"version":7`, 1)), "version 7"},
		"other stack":   {other, `saved by a "max_capacity" policy, this is "headroom" (inner policy 0 of ramp)`},
		"negative count": {[]byte(strings.Replace(string(good), `"count":`, `"count":-`, 1)),
			"forecast count -"},
		"out of order": {[]byte(strings.Replace(string(good), `"recommendations":[{"at":"2026-01-01T00:`, `"recommendations":[{"at":"2027-01-01T00:`, 1)),
			"before the entry ahead of it"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			require.NotEqual(t, string(good), string(tc.data), "the case changes the state")
			c, err := stacks["predictive-threshold"]()
			require.NoError(t, err)
			err = c.(policy.Stateful).UnmarshalState(tc.data)
			require.ErrorIs(t, err, policy.ErrBadState)
			assert.Contains(t, err.Error(), tc.want)
			// Nothing was restored: c decides as a fresh stack does.
			fresh, err := stacks["predictive-threshold"]()
			require.NoError(t, err)
			want, _ := drive(t, fresh, 100, 200, current)
			got, _ := drive(t, c, 100, 200, current)
			assert.Equal(t, want, got)
		})
	}
}

// FuzzUnmarshalState: no state, however mangled, makes UnmarshalState or
// the policy after it panic.
func FuzzUnmarshalState(f *testing.F) {
	for _, name := range []string{"predictive-planner", "cooldown-ratelimit-stabilize-bounds", "predictive-threshold"} {
		p, err := stacks[name]()
		require.NoError(f, err)
		drive(f, p, 0, 120, 10)
		data, err := p.(policy.Stateful).MarshalState()
		require.NoError(f, err)
		f.Add(name, data)
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		mk, ok := stacks[name]
		if !ok {
			return
		}
		p, err := mk()
		require.NoError(t, err)
		if err := p.(policy.Stateful).UnmarshalState(data); err != nil {
			require.ErrorIs(t, err, policy.ErrBadState)
			return
		}
		for i := 120; i < 130; i++ {
			in := input(15*i, 10, 700)
			in.Forecast = policytest.Forecast(at(15*i+15), 15*time.Second, 0.1, 700, 720, 740, 760)
			in.LeadSteps, in.Max = 4, 100
			_, _ = p.Decide(in)
		}
		_, _ = p.(policy.Stateful).MarshalState()
	})
}
