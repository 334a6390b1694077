package policy_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/policy/policytest"
)

// rampRun feeds loads one pass a minute through Ramp over a recording
// inner policy, each pass with a flat forecast of 3 steps at flat, and
// returns what the inner policy saw last and the last decision.
func rampRun(t *testing.T, cfg policy.RampConfig, flat float64, loads ...float64) (policy.Input, policy.Decision) {
	t.Helper()
	inner := policytest.NewFake()
	p, err := policy.Ramp(inner, cfg)
	require.NoError(t, err)
	var d policy.Decision
	for i, l := range loads {
		in := input(60*i, 10, l)
		in.Forecast = policytest.Forecast(at(60*i+60), time.Minute, 0.1, flat, flat, flat)
		d, err = p.Decide(in)
		require.NoError(t, err)
	}
	ins := inner.Inputs()
	require.Len(t, ins, len(loads))
	return ins[len(ins)-1], d
}

func TestRamp(t *testing.T) {
	cfg := policy.RampConfig{Window: 5}
	t.Run("a climb lifts the forecast along its slope", func(t *testing.T) {
		in, d := rampRun(t, cfg, 100, 100, 110, 120, 130, 140)
		assert.InDelta(t, 150, in.Forecast.Mean[0], 1e-9)
		assert.InDelta(t, 170, in.Forecast.Mean[2], 1e-9)
		assert.Greater(t, in.Forecast.Upper[2], 170.0, "the interval moves with the mean")
		assert.Contains(t, d.Reason, "ramp 10/step over 5 passes")
	})
	t.Run("noise below MinRise is no ramp", func(t *testing.T) {
		in, d := rampRun(t, cfg, 100, 100, 103, 99, 102, 104)
		assert.InDelta(t, 100, in.Forecast.Mean[0], 1e-9)
		assert.NotContains(t, d.Reason, "ramp")
	})
	t.Run("a fall never lowers the forecast", func(t *testing.T) {
		in, _ := rampRun(t, cfg, 100, 140, 130, 120, 110, 100)
		assert.InDelta(t, 100, in.Forecast.Mean[0], 1e-9)
	})
	t.Run("a forecast already above the line is kept", func(t *testing.T) {
		in, _ := rampRun(t, cfg, 500, 100, 110, 120, 130, 140)
		assert.InDelta(t, 500, in.Forecast.Mean[0], 1e-9)
	})
	t.Run("a window not yet full is no ramp", func(t *testing.T) {
		in, _ := rampRun(t, cfg, 100, 100, 150, 200)
		assert.InDelta(t, 100, in.Forecast.Mean[0], 1e-9)
	})
}

// TestRampStepIsNoClimb: a load that jumped once and stayed has risen, and
// the forecast is lifted to the level it reached, not along the line
// fitted through the jump (which rose 22 a pass with the jump on the
// window's last pass and 61 with it in the middle, and carried 500 to
// 740 and 1,167 ten passes ahead).
func TestRampStepIsNoClimb(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	noisy := func(v float64) float64 { return v * (1 + 0.01*rng.NormFloat64()) }
	for _, after := range []int{1, 2, 5, 8} {
		loads := make([]float64, 10)
		for i := range loads {
			loads[i] = noisy(100)
			if i >= len(loads)-after {
				loads[i] = noisy(500)
			}
		}
		in, d := rampRun(t, policy.RampConfig{}, 100, loads...)
		last := loads[len(loads)-1]
		for k, m := range in.Forecast.Mean {
			assert.InDelta(t, last, m, 0.03*last, "%d passes after the step, step %d ahead: lifted to the level, %s", after, k+1, d.Reason)
		}
		assert.Greater(t, in.Forecast.Upper[2], in.Forecast.Mean[2], "the interval moves with the mean")
		assert.Regexp(t, `^ramp \S+/step over 10 passes \(a step of [34]\d\d taken out\)`, d.Reason)
	}
	t.Run("noise-free", func(t *testing.T) {
		in, d := rampRun(t, policy.RampConfig{Window: 5}, 100, 100, 100, 100, 100, 500)
		assert.Equal(t, []float64{500, 500, 500}, in.Forecast.Mean)
		assert.Contains(t, d.Reason, "ramp 0/step over 5 passes (a step of 400 taken out)")
	})
	t.Run("a climb with a jump in it keeps climbing", func(t *testing.T) {
		in, d := rampRun(t, policy.RampConfig{Window: 6}, 100, 100, 110, 120, 330, 340, 350)
		assert.InDelta(t, 360, in.Forecast.Mean[0], 1e-9, "the climb of 10 a pass around the jump")
		assert.InDelta(t, 380, in.Forecast.Mean[2], 1e-9)
		assert.Contains(t, d.Reason, "ramp 10/step over 6 passes (a step of 200 taken out)")
	})
	t.Run("a steady climb with noise is no step", func(t *testing.T) {
		loads := make([]float64, 10)
		for i := range loads {
			loads[i] = 100 + 10*float64(i) + rng.NormFloat64()
		}
		_, d := rampRun(t, policy.RampConfig{}, 100, loads...)
		assert.Regexp(t, `^ramp (9\.\d+|10\.\d+|10)/step over 10 passes lifts`, d.Reason)
	})
}

func TestRampForgetsWhenTimeRewinds(t *testing.T) {
	inner := policytest.NewFake()
	p, err := policy.Ramp(inner, policy.RampConfig{Window: 3})
	require.NoError(t, err)
	for i, l := range []float64{100, 150, 200} {
		in := input(60*i, 10, l)
		in.Forecast = policytest.Forecast(at(60*i+60), time.Minute, 0.1, 100)
		_, err := p.Decide(in)
		require.NoError(t, err)
	}
	in := input(0, 10, 210) // a replay restarted
	in.Forecast = policytest.Forecast(at(60), time.Minute, 0.1, 100)
	_, err = p.Decide(in)
	require.NoError(t, err)
	ins := inner.Inputs()
	assert.Greater(t, ins[2].Forecast.Mean[0], 200.0)
	assert.InDelta(t, 100, ins[3].Forecast.Mean[0], 1e-9, "the window restarted")
}

func TestRampConfigErrors(t *testing.T) {
	_, err := policy.Ramp(nil, policy.RampConfig{})
	assert.ErrorContains(t, err, "p is nil")
	_, err = policy.Ramp(policytest.NewFake(), policy.RampConfig{Window: 2})
	assert.ErrorContains(t, err, "Window (2)")
	_, err = policy.Ramp(policytest.NewFake(), policy.RampConfig{MinRise: -1})
	assert.ErrorContains(t, err, "MinRise (-1)")
	_, err = policy.Ramp(policytest.NewFake(), policy.RampConfig{})
	require.NoError(t, err)
}

// rampLifts runs loads through Ramp (default config) one pass every step,
// with LeadSteps lead and a flat forecast at 100 over the lead window, and
// counts the passes whose forecast the ramp lifted, with the reason of the
// last such pass.
func rampLifts(t *testing.T, step time.Duration, lead int, loads []float64) (int, string) {
	t.Helper()
	inner := policytest.NewFake()
	p, err := policy.Ramp(inner, policy.RampConfig{})
	require.NoError(t, err)
	flat := make([]float64, lead)
	for i := range flat {
		flat[i] = 100
	}
	lifts, why := 0, ""
	for i, l := range loads {
		now := t0.Add(time.Duration(i) * step)
		in := policytest.NewInput(now, 10, l)
		in.LeadSteps = lead
		in.Forecast = policytest.Forecast(now.Add(step), step, 0.1, flat...)
		d, err := p.Decide(in)
		require.NoError(t, err)
		if strings.Contains(d.Reason, "ramp ") {
			lifts, why = lifts+1, d.Reason
		}
	}
	return lifts, why
}

// TestRampWindowCoversTheLeadTime: with passes every 10 seconds and a
// 10-minute lead time (61 steps), the slope is fitted on the lead time's
// 60 passes, not on the last 10 (100 seconds): noise of 5% around a flat
// load never passes for a ramp (over ten passes it did about one pass in
// twenty, each lifting the forecast along a noise slope carried ten minutes
// ahead), while a climb of 30% in ten minutes still lifts it.
func TestRampWindowCoversTheLeadTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	noise := make([]float64, 2000)
	for i := range noise {
		noise[i] = 100 + 5*rng.NormFloat64()
	}
	n, why := rampLifts(t, 10*time.Second, 61, noise)
	assert.Zero(t, n, "noise lifted the forecast: %s", why)

	climb := make([]float64, 120)
	for i := range climb {
		climb[i] = 100 + 0.5*float64(i) + rng.NormFloat64()
	}
	n, why = rampLifts(t, 10*time.Second, 61, climb)
	assert.Positive(t, n, "a climb of 30%% in ten minutes")
	assert.Contains(t, why, "over 60 passes")

	// At one-minute passes the lead time's 10 passes are the default
	// window.
	climb = climb[:30]
	for i := range climb {
		climb[i] = 100 + 3*float64(i)
	}
	n, why = rampLifts(t, time.Minute, 11, climb)
	assert.Positive(t, n)
	assert.Contains(t, why, "over 10 passes")
}

// An unconfirmed load (Input.LoadUnconfirmed: a glitch or a surge's first
// sample) stays out of the window: the passes after a glitch see no ramp.
// A confirmed climb still lifts the forecast.
func TestRampLeavesOutUnconfirmedLoads(t *testing.T) {
	inner := policytest.NewFake()
	p, err := policy.Ramp(inner, policy.RampConfig{Window: 5})
	require.NoError(t, err)
	loads := []float64{100, 101, 99, 100, 1e6, 100, 101, 99, 100, 102}
	for i, l := range loads {
		in := input(60*i, 10, l)
		in.LoadUnconfirmed = l > 1000
		in.Forecast = policytest.Forecast(at(60*i+60), time.Minute, 0.1, 100, 100, 100)
		d, err := p.Decide(in)
		require.NoError(t, err)
		assert.NotContains(t, d.Reason, "ramp", "pass %d", i)
	}
	for _, in := range inner.Inputs() {
		assert.InDelta(t, 100, in.Forecast.Mean[0], 1e-9, "the forecast the inner policy saw")
	}
	in, d := rampRun(t, policy.RampConfig{Window: 5}, 100, 100, 110, 120, 130, 140)
	assert.InDelta(t, 150, in.Forecast.Mean[0], 1e-9)
	assert.Contains(t, d.Reason, "ramp 10/step")
}

// TestRampNeedsASignificantSlope: a window's least-squares slope counts as
// a climb only when it lies at least two standard errors above zero. A
// load that swings pass by pass about its level fits a slope of a few
// percent of its swing over a window that ends high (alternating 100 and
// 250: 4.5 a pass, a rise of 40 over ten passes, beyond MinRise's 17.5:
// every other pass lifted), and noise of 15% around a flat load passed
// MinRise at 478 of 2,000 passes; each such slope was carried over the
// lead time and lifted the forecast. Now none and 81 (the test's 5% false
// positives). A climb of 3% a pass with noise of 5% still lifts it (91 of
// 100 passes, as before).
func TestRampNeedsASignificantSlope(t *testing.T) {
	alternating := make([]float64, 200)
	for i := range alternating {
		alternating[i] = 100 + 150*float64(i%2)
	}
	n, why := rampLifts(t, time.Minute, 11, alternating)
	assert.Zero(t, n, "an alternating load lifted the forecast: %s", why)

	rng := rand.New(rand.NewPCG(7, 8))
	noise := make([]float64, 2000)
	for i := range noise {
		noise[i] = 100 * (1 + 0.15*rng.NormFloat64())
	}
	n, why = rampLifts(t, time.Minute, 11, noise)
	t.Logf("noise of 15%%: %d of %d passes lifted", n, len(noise))
	assert.Less(t, n, len(noise)/20, "noise lifted the forecast: %s", why)

	climb := make([]float64, 100)
	for i := range climb {
		climb[i] = 100 * math.Pow(1.03, float64(i)) * (1 + 0.05*rng.NormFloat64())
	}
	n, _ = rampLifts(t, time.Minute, 11, climb)
	t.Logf("a climb of 3%% a pass with noise of 5%%: %d of %d passes lifted", n, len(climb))
	assert.Greater(t, n, len(climb)*3/4)
}
