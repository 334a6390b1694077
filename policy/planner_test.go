package policy_test

import (
	"math"
	"math/rand/v2"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/policy/policytest"
)

func mustPlanner(t testing.TB, cfg policy.PlannerConfig) *policy.Planner {
	t.Helper()
	p, err := policy.NewPlanner(cfg)
	require.NoError(t, err)
	return p
}

// flat is a one-minute forecast of n steps at load with a ±spread 95%
// interval, starting one minute after s seconds.
func flat(s, n int, spread, load float64) forecast.Forecast {
	m := make([]float64, n)
	for i := range m {
		m[i] = load
	}
	return policytest.Forecast(at(s+60), time.Minute, spread, m...)
}

// loop feeds p one pass per minute from load(i) (the forecast of every
// step of the horizon is load(i+k) plus the noise of pass i) and applies
// each target; it returns the targets.
func loop(t *testing.T, p policy.Policy, passes, leadSteps int, spread float64, load func(i int) float64, noise func() float64) []int {
	t.Helper()
	current := policy.Replicas(load(0), policytest.PerReplica, policytest.TargetUtilization)
	targets := make([]int, passes)
	for i := range passes {
		in := input(60*i, current, load(i))
		in.LeadSteps = leadSteps
		e := noise()
		m := make([]float64, leadSteps)
		for k := range m {
			m[k] = max(0, load(i+k+1)+e)
		}
		in.Forecast = policytest.Forecast(at(60*i+60), time.Minute, spread, m...)
		d, err := p.Decide(in)
		require.NoError(t, err)
		require.NotEmpty(t, d.Reason)
		targets[i] = d.Target
		current = d.Target
	}
	return targets
}

// events returns the passes at which the count went up and down.
func events(targets []int) (ups, downs []int) {
	for i := 1; i < len(targets); i++ {
		switch {
		case targets[i] > targets[i-1]:
			ups = append(ups, i)
		case targets[i] < targets[i-1]:
			downs = append(downs, i)
		}
	}
	return ups, downs
}

// atMostOnePer fails when two of the passes lie closer than window.
func atMostOnePer(t *testing.T, what string, passes []int, window int) {
	t.Helper()
	for i := 1; i < len(passes); i++ {
		assert.GreaterOrEqual(t, passes[i]-passes[i-1], window, "%s at passes %d and %d", what, passes[i-1], passes[i])
	}
}

func TestPlannerConstantLoadWithNoiseDoesNotOscillate(t *testing.T) {
	const lead = 11 // a 10-minute lead time at one-minute passes, plus one
	for _, sd := range []float64{10, 30, 60} {
		rng := rand.New(rand.NewPCG(1, uint64(sd)))
		p := mustPlanner(t, policy.DefaultPlannerConfig())
		targets := loop(t, p, 3000, lead, 0.05, func(int) float64 { return 1000 }, func() float64 { return sd * rng.NormFloat64() })
		ups, downs := events(targets)
		atMostOnePer(t, "scale-ups", ups, lead)
		atMostOnePer(t, "scale-downs", downs, lead)
		// It does move with a noise this large, but rarely.
		assert.Less(t, len(ups)+len(downs), 3000/lead/4, "noise sd %v: %d ups, %d downs", sd, len(ups), len(downs))
	}
}

func TestPlannerDailyCycleStartsFollowTheRamp(t *testing.T) {
	const day = 1440
	rng := rand.New(rand.NewPCG(2, 2))
	load := func(i int) float64 { return 1000 + 700*math.Sin(2*math.Pi*float64(i)/day) }
	p := mustPlanner(t, policy.DefaultPlannerConfig())
	targets := loop(t, p, 5*day, 11, 0.1, load, func() float64 { return 40 * rng.NormFloat64() })
	// The noiseless need swings between these counts once a day.
	lo := policy.Replicas(300, policytest.PerReplica, policytest.TargetUtilization)
	hi := policy.Replicas(1700, policytest.PerReplica, policytest.TargetUtilization)
	for d := 1; d < 5; d++ {
		starts := 0
		for i := d * day; i < (d+1)*day; i++ {
			starts += max(0, targets[i]-targets[i-1])
		}
		assert.GreaterOrEqual(t, starts, hi-lo-2, "day %d", d)
		assert.LessOrEqual(t, starts, (hi-lo)*5/4, "day %d: %d starts for a ramp of %d replicas", d, starts, hi-lo)
	}
}

func TestPlannerKeepsWhatTheLeadWindowAndABootNeed(t *testing.T) {
	// Lead 3 steps, boot 5 minutes: the planner looks 8 steps ahead.
	cfg := policy.PlannerConfig{Boot: 5 * time.Minute}
	peak := func(where int) policy.Input {
		in := input(0, 19, 300)
		in.LeadSteps = 3
		m := make([]float64, 12)
		for i := range m {
			m[i] = 300
		}
		m[where] = 1330 // 19 replicas at 0.7 × 100
		in.Forecast = policytest.Forecast(at(60), time.Minute, 0.01, m...)
		return in
	}
	for _, tc := range []struct {
		name string
		at   int
		want int
	}{
		{"returns within the lead time", 1, 19},
		{"returns within lead time + boot", 6, 19},
		{"returns after lead time + boot", 9, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := mustPlanner(t, cfg).Decide(peak(tc.at))
			require.NoError(t, err)
			assert.Equal(t, tc.want, d.Target, d.Reason)
		})
	}
	d, err := mustPlanner(t, cfg).Decide(peak(6))
	require.NoError(t, err)
	assert.Equal(t, "keep 19: mean 1330 req/s in 7m0s needs 19, within lead 3m0s + boot 5m0s (forecast)", d.Reason)
}

func TestPlannerReleasesOnlyAfterTheNeedStayedAwayForSettle(t *testing.T) {
	// Without the SettleRatio cap: the whole need is held for Settle.
	p := mustPlanner(t, policy.PlannerConfig{Boot: 5 * time.Minute, Settle: 10 * time.Minute, SettleRatio: -1})
	in := input(0, 10, 1000)
	in.LeadSteps = 3
	in.Forecast = flat(0, 3, 0.01, 1000) // 15 replicas
	d, err := p.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 15, d.Target, d.Reason)
	// The forecast falls to 6 replicas' worth: the need of 10 minutes ago
	// holds until it is 10 minutes old.
	for s := 60; s < 600; s += 60 {
		in = input(s, 15, 400)
		in.LeadSteps = 3
		in.Forecast = flat(s, 3, 0.01, 400)
		d, err = p.Decide(in)
		require.NoError(t, err)
		require.Equal(t, 15, d.Target, "at %ds: %s", s, d.Reason)
		assert.Regexp(t, `^keep 15: needed 15 \d+m0s ago, less than 10m0s`, d.Reason)
	}
	in = input(600, 15, 400)
	in.LeadSteps = 3
	in.Forecast = flat(600, 3, 0.01, 400)
	d, err = p.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 6, d.Target, d.Reason)
	assert.Contains(t, d.Reason, "scale down to 6")
}

func TestPlannerReleasesAnEndedSurgeAfterABoot(t *testing.T) {
	// Boot 5 minutes, Settle 60: a surge of 30 replicas ends and the
	// forecast falls to 10 (ratio 3), then to 14 of a need of 10 (ratio
	// 1.4 ≤ 1.5: a dip the size of noise, held for the whole Settle).
	decide := func(p *policy.Planner, s, current int, load float64) policy.Decision {
		t.Helper()
		in := input(s, current, load)
		in.LeadSteps = 3
		in.Forecast = flat(s, 3, 0.01, load)
		d, err := p.Decide(in)
		require.NoError(t, err)
		return d
	}
	cfg := policy.PlannerConfig{Boot: 5 * time.Minute, Settle: time.Hour}
	p := mustPlanner(t, cfg)
	require.Equal(t, 30, decide(p, 0, 30, 2100).Target) // 30 replicas at 0.7 × 100
	for s := 60; s < 300; s += 60 {
		d := decide(p, s, 30, 700) // 10 replicas
		require.Equal(t, 30, d.Target, "at %ds, within the boot: %s", s, d.Reason)
	}
	d := decide(p, 300, 30, 700)
	assert.Equal(t, 15, d.Target, d.Reason)
	assert.Equal(t, "scale down to 15: needed 30 5m0s ago, less than 1h0m0s, more than 1.5 × the 10 needed now and older than the boot 5m0s: hold 15; "+
		"15 not needed within lead 3m0s + boot 5m0s nor for the last boot", d.Reason)
	// 15 is within 1.5 × 10: held until the Settle is over.
	d = decide(p, 3540, 15, 700)
	assert.Equal(t, 15, d.Target, d.Reason)
	assert.Regexp(t, `^keep 15: needed 30 59m0s ago, less than 1h0m0s, more than 1.5 × the 10 needed now`, d.Reason)
	d = decide(p, 3600, 15, 700)
	assert.Equal(t, 10, d.Target, d.Reason)

	// Without the cap the surge is held for the whole Settle.
	cfg.SettleRatio = -1
	p = mustPlanner(t, cfg)
	require.Equal(t, 30, decide(p, 0, 30, 2100).Target)
	d = decide(p, 300, 30, 700)
	assert.Equal(t, 30, d.Target, d.Reason)
	d = decide(p, 3540, 30, 700)
	assert.Equal(t, 30, d.Target, d.Reason)
}

// flatStepper decides with p at s seconds, with current replicas and a
// one-step flat forecast of load.
func flatStepper(t *testing.T, p policy.Policy) func(s, current int, load float64) policy.Decision {
	return func(s, current int, load float64) policy.Decision {
		t.Helper()
		in := input(s, current, load)
		in.Forecast = flat(s, 1, 0.01, load)
		d, err := p.Decide(in)
		require.NoError(t, err)
		return d
	}
}

func TestPlannerMinLifetime(t *testing.T) {
	p := mustPlanner(t, policy.PlannerConfig{Boot: time.Minute, Settle: time.Minute, MinLifetime: 30 * time.Minute})
	step := flatStepper(t, p)
	require.Equal(t, 20, step(0, 10, 1400).Target)
	// Ten replicas were started at 0 s; the load falls at once.
	d := step(60, 20, 100)
	assert.Equal(t, 10, d.Target, d.Reason)
	assert.Contains(t, d.Reason, "10 started within the minimum lifetime 30m0s are billed anyway")
	d = step(240, 10, 100)
	assert.Equal(t, 10, d.Target, d.Reason)
	// Past the lifetime they go.
	d = step(1800, 10, 100)
	assert.Equal(t, 2, d.Target, d.Reason)
}

func TestPlannerMinScaleDownInterval(t *testing.T) {
	p := mustPlanner(t, policy.PlannerConfig{Boot: time.Minute, Settle: time.Minute, MinScaleDownInterval: 10 * time.Minute})
	step := flatStepper(t, p)
	assert.Equal(t, 15, step(0, 20, 1000).Target)
	d := step(60, 15, 300) // the count fell after the pass at 0 s
	assert.Equal(t, 15, d.Target, d.Reason)
	assert.Contains(t, d.Reason, "last scale-down 1m0s ago, less than the minimum interval 10m0s (would keep 5")
	assert.Equal(t, 5, step(600, 15, 300).Target)
}

func TestPlannerHeadroomOnce(t *testing.T) {
	p := mustPlanner(t, policy.PlannerConfig{})
	in := input(0, 1, 1000)
	in.LeadSteps = 2
	// A narrow interval: the mean at the target decides, 1000 / 70 → 15.
	in.Forecast = flat(0, 2, 0.02, 1000)
	d, err := p.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 15, d.Target, d.Reason)
	assert.Contains(t, d.Reason, "mean 1000 req/s")
	// A wide one: P90 of 1000 ± 60% (95%) at full utilization, 1392 → 14
	// is below the mean's 15, so the mean still decides; at ± 100% the
	// P90 (1654 → 17) does.
	in.Forecast = flat(0, 2, 1, 1000)
	d, err = mustPlanner(t, policy.PlannerConfig{}).Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 17, d.Target, d.Reason)
	assert.Contains(t, d.Reason, "P90 1654 req/s")
}

func TestPlannerShadowRule(t *testing.T) {
	cfg := policy.PlannerConfig{Shadow: policy.DefaultThresholdConfig()}
	cfg.Shadow.ShadowHold = 10 * time.Minute
	p := mustPlanner(t, cfg)
	in := input(0, 15, 1000)
	in.Forecast = flat(0, 1, 0.01, 1000)
	in.Shadow = policy.Shadow{Valid: true, Latency: time.Second, LoadRatio: 1}
	d, err := p.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 22, d.Target, d.Reason) // 1500 / 70
	assert.True(t, d.ShadowTriggered)
	assert.Contains(t, d.Reason, "shadow latency 1000ms > 500ms")
	// Held: the inflated load keeps the capacity, not marked as a new
	// shadow scale-up.
	in = input(300, 22, 1000)
	in.Forecast = flat(300, 1, 0.01, 1000)
	d, err = p.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 22, d.Target, d.Reason)
	assert.False(t, d.ShadowTriggered)
}

func TestPlannerWithoutForecast(t *testing.T) {
	p := mustPlanner(t, policy.PlannerConfig{})
	d, err := p.Decide(input(0, 2, 700))
	require.NoError(t, err)
	assert.Equal(t, 10, d.Target, d.Reason)
	assert.Contains(t, d.Reason, "observed load, no forecast")
	in := input(0, 20, 100)
	in.LoadValid = false
	d, err = mustPlanner(t, policy.PlannerConfig{}).Decide(in)
	require.NoError(t, err)
	assert.Equal(t, 20, d.Target, d.Reason)
	assert.Contains(t, d.Reason, "no scale-down on a stale metric")
	in.Load = math.NaN()
	d, err = mustPlanner(t, policy.PlannerConfig{}).Decide(in)
	require.NoError(t, err)
	assert.Equal(t, "holding: no load and no forecast", d.Reason)
}

func TestPlannerConfigErrors(t *testing.T) {
	_, err := policy.NewPlanner(policy.PlannerConfig{Quantile: 1, MaxUtilization: 2, Boot: -1, Settle: -1, SettleRatio: 0.5, MinLifetime: -1, MinScaleDownInterval: -1})
	for _, want := range []string{"Quantile (1)", "MaxUtilization (2)", "Boot (-1ns)", "Settle (-1ns)", "SettleRatio (0.5)", "MinLifetime (-1ns)", "MinScaleDownInterval (-1ns)"} {
		assert.ErrorContains(t, err, want)
	}
	_, err = policy.NewPlanner(policy.PlannerConfig{Shadow: policy.ThresholdConfig{ScaleFactor: 0.5}})
	assert.ErrorContains(t, err, "Shadow")
	_, err = policy.NewPlanner(policy.PlannerConfig{Tolerance: math.NaN()})
	assert.ErrorContains(t, err, "Tolerance (NaN)")
	_, err = mustPlanner(t, policy.PlannerConfig{}).Decide(policy.Input{})
	assert.ErrorIs(t, err, policy.ErrInvalidInput)
}

// TestPlannerReasonsCarryNumbers: every reason of a random walk names the
// count it decided and at least one other number.
func TestPlannerReasonsCarryNumbers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	p := mustPlanner(t, policy.PlannerConfig{MinLifetime: 5 * time.Minute, MinScaleDownInterval: 3 * time.Minute})
	current := 5
	numbers := regexp.MustCompile(`\d`)
	for i := range 500 {
		load := 500 + 400*math.Sin(float64(i)/30) + 50*rng.NormFloat64()
		in := input(60*i, current, load)
		in.LeadSteps = 4
		in.Forecast = flat(60*i, 4, 0.1, load)
		d, err := p.Decide(in)
		require.NoError(t, err)
		assert.Regexp(t, `^(scale up to|scale down to|keep) \d+`, d.Reason)
		assert.GreaterOrEqual(t, len(numbers.FindAllString(d.Reason, -1)), 3, d.Reason)
		current = d.Target
	}
}

// FuzzPlanner: over arbitrary forecasts and inputs the target stays within
// [Min, Max], the reason is set and nothing panics.
func FuzzPlanner(f *testing.F) {
	f.Add(uint64(1), 10, 5, 1, 40, 500.0, 600.0, 0.2, 0.95)
	f.Add(uint64(2), 0, 11, 0, 3, math.NaN(), math.Inf(1), -1.0, 0.0)
	f.Add(uint64(3), 1<<40, 1, 2, 1<<41, 1e300, -5.0, math.NaN(), 1.0)
	f.Fuzz(func(t *testing.T, seed uint64, current, lead, lo, hi int, load, mean, spread, level float64) {
		// Valid bounds: invalid ones are rejected by Validate, tested above.
		lo = int(uint(lo) % 50)
		hi = lo + int(uint(hi)%1000)
		rng := rand.New(rand.NewPCG(seed, 0))
		p := mustPlanner(t, policy.PlannerConfig{Boot: time.Duration(rng.IntN(4)) * time.Minute, MinLifetime: time.Duration(rng.IntN(3)) * time.Minute})
		for i := range 20 {
			in := input(60*i, max(current, 0), load)
			in.Min, in.Max, in.LeadSteps = lo, hi, lead
			in.Forecast = forecast.Forecast{Start: at(60*i + 60), Step: time.Minute, Level: level}
			for range rng.IntN(12) {
				m := mean * rng.Float64() * 2
				in.Forecast.Mean = append(in.Forecast.Mean, m)
				in.Forecast.Upper = append(in.Forecast.Upper, m+spread*m)
			}
			d, err := p.Decide(in)
			require.NoError(t, err)
			require.NotEmpty(t, d.Reason)
			require.GreaterOrEqual(t, d.Target, lo, d.Reason)
			require.LessOrEqual(t, d.Target, hi, d.Reason)
			current = d.Target
		}
	})
}

// TestPlannerExtremeHorizons: a boot of many forecast steps or a lead of
// any size reads the forecast it has and no further.
func TestPlannerExtremeHorizons(t *testing.T) {
	for _, lead := range []int{math.MinInt, -1, 0, 1, math.MaxInt} {
		p := mustPlanner(t, policy.PlannerConfig{Boot: math.MaxInt64})
		in := input(0, 3, 700)
		in.LeadSteps = lead
		in.Forecast = policytest.Forecast(at(60), time.Nanosecond, 0.01, 700, math.NaN(), 1400)
		d, err := p.Decide(in)
		require.NoError(t, err)
		want := 10 // 700 / 70: a lead window of one step
		if lead == math.MaxInt {
			want = 20 // the whole forecast: 1400 / 70
		}
		assert.Equal(t, want, d.Target, "lead %d: %s", lead, d.Reason)
	}
}
