package policy_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/policy/policytest"
)

// pass is one call of a wrapper over a scripted inner policy.
type pass struct {
	s       int // seconds after t0
	current int
	inner   int // the inner policy's target
	want    int
	reason  string // substring of the wrapper's reason
}

// runPasses drives wrap(fake) through the passes, each with current
// replicas and a load of 0.
func runPasses(t *testing.T, wrap func(policy.Policy) (policy.Policy, error), passes []pass) {
	t.Helper()
	fake := policytest.NewFake()
	for _, p := range passes {
		fake.Push(policytest.Step{Decision: policytest.Target(p.current, p.inner)})
	}
	w, err := wrap(fake)
	require.NoError(t, err)
	for i, p := range passes {
		d, err := w.Decide(input(p.s, p.current, 0))
		require.NoError(t, err)
		assert.Equal(t, p.want, d.Target, "pass %d: %s", i, d.Reason)
		assert.Contains(t, d.Reason, p.reason, "pass %d", i)
	}
	assert.Equal(t, len(passes), fake.Calls())
}

func TestBounds(t *testing.T) {
	tests := []struct {
		name   string
		cfg    policy.BoundsConfig
		passes []pass
	}{
		{"within", policy.BoundsConfig{Min: 2, Max: 10}, []pass{{0, 5, 7, 7, "target 7"}}},
		{"above max", policy.BoundsConfig{Min: 2, Max: 10}, []pass{{0, 5, 40, 10, "clamped 40 to [2, 10]"}}},
		{"below min", policy.BoundsConfig{Min: 3}, []pass{{0, 5, 1, 3, "clamped 1 to [3, 100]"}}},
		{"input max is tighter", policy.BoundsConfig{Max: 500}, []pass{{0, 5, 400, 100, "clamped 400 to [1, 100]"}}},
		{"negative inner target", policy.BoundsConfig{}, []pass{{0, 5, -3, 1, "clamped -3 to [1, 100]"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runPasses(t, func(p policy.Policy) (policy.Policy, error) { return policy.Bounds(p, tt.cfg) }, tt.passes)
		})
	}
	_, err := policy.Bounds(policytest.NewFake(), policy.BoundsConfig{Min: 5, Max: 2})
	assert.ErrorContains(t, err, "Min (5) must not exceed Max (2)")
}

func TestStabilize(t *testing.T) {
	tests := []struct {
		name   string
		cfg    policy.StabilizeConfig
		passes []pass
	}{
		{"down window keeps the highest recent target", policy.StabilizeConfig{Down: 5 * time.Minute}, []pass{
			{0, 10, 10, 10, "target 10"},
			{60, 10, 4, 10, "ScaleDownStabilized: highest recommendation in the last 5m0s is 10"},
			{240, 10, 6, 10, "ScaleDownStabilized"},
			{301, 10, 5, 6, "ScaleDownStabilized: highest recommendation in the last 5m0s is 6"},
		}},
		{"up window keeps the lowest recent target", policy.StabilizeConfig{Up: 2 * time.Minute}, []pass{
			{0, 5, 5, 5, "target 5"},
			{60, 5, 9, 5, "ScaleUpStabilized"},
			{121, 5, 9, 9, "target 9"},
		}},
		{"windows apply separately", policy.StabilizeConfig{Up: time.Minute}, []pass{
			{0, 10, 10, 10, "target 10"},
			{30, 10, 3, 3, "target 3"},
		}},
		{"time going backwards forgets", policy.StabilizeConfig{Down: time.Hour}, []pass{
			{600, 10, 10, 10, "target 10"},
			{0, 10, 2, 2, "target 2"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runPasses(t, func(p policy.Policy) (policy.Policy, error) { return policy.Stabilize(p, tt.cfg) }, tt.passes)
		})
	}
}

func TestRateLimit(t *testing.T) {
	pods := func(n int, d time.Duration) policy.RateRules {
		return policy.RateRules{Policies: []policy.ScalingPolicy{{Kind: policy.Pods, Value: n, Period: d}}}
	}
	tests := []struct {
		name   string
		cfg    policy.RateLimitConfig
		passes []pass
	}{
		{"pods per period, counted from the period start", policy.RateLimitConfig{Up: pods(2, time.Minute)}, []pass{
			{0, 10, 20, 12, "ScaleUpLimit: 12"},
			{30, 12, 20, 12, "ScaleUpLimit: 12"},
			{60, 12, 20, 14, "ScaleUpLimit: 14"},
		}},
		{"percent down truncates", policy.RateLimitConfig{Down: policy.RateRules{Policies: []policy.ScalingPolicy{{Kind: policy.Percent, Value: 25, Period: time.Minute}}}}, []pass{
			{0, 10, 1, 7, "ScaleDownLimit: 7"},
		}},
		{"select min picks the smaller change", policy.RateLimitConfig{Up: policy.RateRules{Select: policy.SelectMin, Policies: []policy.ScalingPolicy{
			{Kind: policy.Pods, Value: 4, Period: time.Minute}, {Kind: policy.Percent, Value: 10, Period: time.Minute}}}}, []pass{
			{0, 10, 30, 11, "ScaleUpLimit: 11"},
		}},
		{"select min down picks the smaller change", policy.RateLimitConfig{Down: policy.RateRules{Select: policy.SelectMin, Policies: []policy.ScalingPolicy{
			{Kind: policy.Pods, Value: 4, Period: time.Minute}, {Kind: policy.Percent, Value: 10, Period: time.Minute}}}}, []pass{
			{0, 20, 1, 18, "ScaleDownLimit: 18"},
		}},
		{"select max down picks the larger change", policy.RateLimitConfig{Down: policy.RateRules{Policies: []policy.ScalingPolicy{
			{Kind: policy.Pods, Value: 4, Period: time.Minute}, {Kind: policy.Percent, Value: 10, Period: time.Minute}}}}, []pass{
			{0, 20, 1, 16, "ScaleDownLimit: 16"},
		}},
		{"no policies, no limit", policy.RateLimitConfig{}, []pass{{0, 10, 90, 90, "target 90"}}},
		{"disabled direction", policy.RateLimitConfig{Down: policy.RateRules{Select: policy.SelectDisabled}}, []pass{{0, 10, 2, 10, "ScaleDownLimit: 10"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runPasses(t, func(p policy.Policy) (policy.Policy, error) { return policy.RateLimit(p, tt.cfg) }, tt.passes)
		})
	}
	_, err := policy.RateLimit(policytest.NewFake(), policy.RateLimitConfig{Up: pods(0, time.Minute)})
	assert.ErrorContains(t, err, "Up.Policies[0].Value (0) must be positive")
}

func TestCooldown(t *testing.T) {
	tests := []struct {
		name   string
		cfg    policy.CooldownConfig
		passes []pass
	}{
		{"scale-down waits after a scale-up", policy.CooldownConfig{Up: time.Minute, Down: 10 * time.Minute}, []pass{
			{0, 5, 8, 8, "target 8"},
			{60, 8, 4, 8, "cooldown: last scaling 1m0s ago < 10m0s scale_down cooldown: holding 8"},
			{600, 8, 4, 4, "target 4"},
		}},
		{"scale-up waits its own cooldown", policy.CooldownConfig{Up: 2 * time.Minute}, []pass{
			{0, 5, 8, 8, "target 8"},
			{60, 8, 9, 8, "scale_up cooldown"},
			{120, 8, 9, 9, "target 9"},
		}},
		{"no change does not start a cooldown", policy.CooldownConfig{Up: time.Hour}, []pass{
			{0, 5, 5, 5, "target 5"},
			{60, 5, 6, 6, "target 6"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runPasses(t, func(p policy.Policy) (policy.Policy, error) { return policy.Cooldown(p, tt.cfg) }, tt.passes)
		})
	}
}

func TestTolerance(t *testing.T) {
	tests := []struct {
		name   string
		cfg    policy.ToleranceConfig
		passes []pass
	}{
		{"small scale-up ignored, inclusive", policy.ToleranceConfig{Up: 0.1}, []pass{{0, 10, 11, 10, "change 0.1 within scale_up tolerance 0.1"}}},
		{"larger scale-up passes", policy.ToleranceConfig{Up: 0.1}, []pass{{0, 10, 12, 12, "target 12"}}},
		{"down band separate", policy.ToleranceConfig{Up: 0.5, Down: 0.1}, []pass{{0, 10, 8, 8, "target 8"}, {1, 10, 13, 10, "scale_up tolerance 0.5"}}},
		{"down band ignores small scale-down", policy.ToleranceConfig{Down: 0.3}, []pass{{0, 10, 7, 10, "scale_down tolerance 0.3"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runPasses(t, func(p policy.Policy) (policy.Policy, error) { return policy.Tolerance(p, tt.cfg) }, tt.passes)
		})
	}
	_, err := policy.Tolerance(policytest.NewFake(), policy.ToleranceConfig{Up: 1})
	assert.ErrorContains(t, err, "Up (1)")
}

func TestMax(t *testing.T) {
	tests := []struct {
		name    string
		targets []int
		want    int
		reason  string
	}{
		{"predictive above reactive", []int{12, 8}, 12, "max of [12 8]: policytest: target 12"},
		{"reactive above predictive", []int{5, 8}, 8, "max of [5 8]: policytest: target 8"},
		{"single policy", []int{7}, 7, "policytest: target 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps []policy.Policy
			for _, n := range tt.targets {
				ps = append(ps, policytest.Decisions(policytest.Target(10, n)))
			}
			m, err := policy.Max(ps...)
			require.NoError(t, err)
			d, err := m.Decide(input(0, 10, 0))
			require.NoError(t, err)
			assert.Equal(t, tt.want, d.Target)
			assert.Equal(t, tt.reason, d.Reason)
		})
	}
	t.Run("every policy is called and errors are returned", func(t *testing.T) {
		boom := errors.New("boom")
		a := policytest.NewFake(policytest.Step{Err: boom})
		b := policytest.Decisions(policytest.Target(10, 3))
		m, err := policy.Max(a, b)
		require.NoError(t, err)
		_, err = m.Decide(input(0, 10, 0))
		require.ErrorIs(t, err, boom)
		assert.Equal(t, 1, b.Calls())
	})
	_, err := policy.Max()
	assert.ErrorContains(t, err, "no policies")
	_, err = policy.Max(policytest.NewFake(), nil)
	assert.ErrorContains(t, err, "policies[1] is nil")
}

func TestNoScaleInOnForecast(t *testing.T) {
	tests := []struct {
		name     string
		forecast int
		reactive int // -1: no reactive policy, use the observed load
		load     float64
		valid    bool
		want     int
		reason   string
	}{
		{"scale-up passes", 14, 3, 0, true, 14, "target 14"},
		{"reactive disagrees: hold", 6, 10, 0, true, 10, "no scale-in on forecast: reactive asks 10 ≥ current 10"},
		{"reactive agrees: not below reactive", 4, 7, 0, true, 7, "scale-in limited to 7: reactive asks 7"},
		{"reactive agrees further: forecast wins", 6, 3, 0, true, 6, "target 6"},
		{"observed load needs more: hold", 6, -1, 700, true, 10, "observed load 700 needs 10"},
		{"observed load allows part", 4, -1, 490, true, 7, "scale-in limited to 7"},
		{"metric missing: hold", 4, -1, 100, false, 10, "while the load metric is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reactive policy.Policy
			if tt.reactive >= 0 {
				reactive = policytest.Decisions(policytest.Target(10, tt.reactive))
			}
			g, err := policy.NoScaleInOnForecast(policytest.Decisions(policytest.Target(10, tt.forecast)), reactive)
			require.NoError(t, err)
			in := input(0, 10, tt.load)
			in.LoadValid = tt.valid
			d, err := g.Decide(in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, d.Target, d.Reason)
			assert.Contains(t, d.Reason, tt.reason)
		})
	}
}

func TestMinHistory(t *testing.T) {
	withForecast := func(s int) policy.Input {
		in := input(s, 10, 0)
		in.Forecast = policytest.Forecast(at(s+60), time.Minute, 0.1, 500)
		return in
	}
	tests := []struct {
		name    string
		cfg     policy.MinHistoryConfig
		inputs  []policy.Input
		reasons []string
	}{
		{"reactive until 3 forecasts", policy.MinHistoryConfig{Forecasts: 3},
			[]policy.Input{input(0, 10, 0), withForecast(60), withForecast(120), withForecast(180)},
			[]string{"no forecast this pass, falling back: reactive", "forecast not trusted yet (1 of 3 forecasts), falling back: reactive", "(2 of 3 forecasts)", "predictive"}},
		{"same time counted once", policy.MinHistoryConfig{Forecasts: 2},
			[]policy.Input{withForecast(60), withForecast(60), withForecast(120)},
			[]string{"(1 of 2", "(1 of 2", "predictive"}},
		{"caller decides", policy.MinHistoryConfig{Forecasts: 100, Trusted: func(in policy.Input) bool { return in.Now.After(at(60)) }},
			[]policy.Input{withForecast(60), withForecast(120)},
			[]string{"forecast not trusted yet, falling back", "predictive"}},
		{"no forecast after trust falls back", policy.MinHistoryConfig{Forecasts: 1},
			[]policy.Input{withForecast(60), input(120, 10, 0)},
			[]string{"predictive", "no forecast this pass"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pred := policytest.NewFake()
			reactive := policytest.NewFake()
			for range tt.inputs {
				pred.Push(policytest.Step{Decision: policy.NewDecision(10, 12, "predictive")})
				reactive.Push(policytest.Step{Decision: policy.NewDecision(10, 10, "reactive")})
			}
			m, err := policy.MinHistory(pred, reactive, tt.cfg)
			require.NoError(t, err)
			for i, in := range tt.inputs {
				d, err := m.Decide(in)
				require.NoError(t, err)
				assert.Contains(t, d.Reason, tt.reasons[i], "pass %d", i)
			}
			assert.Equal(t, len(tt.inputs), pred.Calls()+reactive.Calls(), "one policy per pass")
		})
	}
}

func TestDryRun(t *testing.T) {
	tests := []struct {
		name    string
		current int
		inner   int
		reason  string
	}{
		{"scale-up reported, not asked", 5, 9, "dry run, would scale_up to 9: policytest: target 9"},
		{"scale-down reported, not asked", 5, 2, "dry run, would scale_down to 2"},
		{"no change", 5, 5, "dry run, would no_change to 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dr, err := policy.DryRun(policytest.Decisions(policytest.Target(tt.current, tt.inner)))
			require.NoError(t, err)
			_, ok := dr.Last()
			assert.False(t, ok)
			d, err := dr.Decide(input(0, tt.current, 0))
			require.NoError(t, err)
			assert.Equal(t, policy.NoChange, d.Action)
			assert.Equal(t, tt.current, d.Target)
			assert.Contains(t, d.Reason, tt.reason)
			last, ok := dr.Last()
			require.True(t, ok)
			assert.Equal(t, tt.inner, last.Target)
		})
	}
}

func TestMaxCapacity(t *testing.T) {
	tests := []struct {
		name   string
		cfg    policy.MaxCapacityConfig
		mean   float64 // forecast peak; 0 for no forecast
		inner  int
		want   int
		reason string
	}{
		{"honor max", policy.MaxCapacityConfig{}, 1400, 30, 20, "clamped 30 to [1, 20]"},
		{"increase max to the forecast", policy.MaxCapacityConfig{Behavior: policy.IncreaseMax}, 1400, 30, 20 + 0, "clamped 30 to [1, 20]"},
		{"increase max with buffer", policy.MaxCapacityConfig{Behavior: policy.IncreaseMax, BufferPercent: 10}, 2100, 40, 33, "clamped 40 to [1, 33]"},
		{"within the raised max", policy.MaxCapacityConfig{Behavior: policy.IncreaseMax, BufferPercent: 10}, 2100, 31, 31, "max 20 raised to 33 (forecast capacity 30 + 10% buffer)"},
		{"no forecast honors max", policy.MaxCapacityConfig{Behavior: policy.IncreaseMax, BufferPercent: 50}, 0, 31, 20, "clamped 31 to [1, 20]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := policy.MaxCapacity(policytest.Decisions(policytest.Target(10, tt.inner)), tt.cfg)
			require.NoError(t, err)
			in := input(0, 10, 0)
			in.Max = 20
			if tt.mean > 0 {
				in.Forecast = policytest.Forecast(at(60), time.Minute, 0.1, tt.mean)
			}
			d, err := m.Decide(in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, d.Target, d.Reason)
			assert.Contains(t, d.Reason, tt.reason)
		})
	}
	_, err := policy.MaxCapacity(policytest.NewFake(), policy.MaxCapacityConfig{BufferPercent: 101})
	assert.ErrorContains(t, err, "BufferPercent (101)")
}

func TestWrappersRejectNilPolicies(t *testing.T) {
	fake := policytest.NewFake()
	ctors := map[string]func() error{
		"Bounds":    func() error { _, err := policy.Bounds(nil, policy.BoundsConfig{}); return err },
		"Stabilize": func() error { _, err := policy.Stabilize(nil, policy.StabilizeConfig{}); return err },
		"RateLimit": func() error { _, err := policy.RateLimit(nil, policy.RateLimitConfig{}); return err },
		"Cooldown":  func() error { _, err := policy.Cooldown(nil, policy.CooldownConfig{}); return err },
		"Tolerance": func() error { _, err := policy.Tolerance(nil, policy.ToleranceConfig{}); return err },
		"Headroom":  func() error { _, err := policy.Headroom(nil, policy.HeadroomConfig{}); return err },
		"NoScaleIn": func() error { _, err := policy.NoScaleInOnForecast(nil, fake); return err },
		"MinHistory": func() error {
			_, err := policy.MinHistory(fake, nil, policy.MinHistoryConfig{})
			return err
		},
		"DryRun":      func() error { _, err := policy.DryRun(nil); return err },
		"MaxCapacity": func() error { _, err := policy.MaxCapacity(nil, policy.MaxCapacityConfig{}); return err },
	}
	for name, ctor := range ctors {
		assert.ErrorContains(t, ctor(), "is nil", name)
	}
}
