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

// peakInput is an Input whose 80% forecast of four steps has a lead window
// of the first three, with a bound of 150 on the window's peak.
func peakInput() policy.Input {
	in := input(0, 10, 100)
	in.Forecast = policytest.Forecast(at(60), time.Minute, 0.1, 100, 160, 110, 300)
	in.Forecast.Level = 0.8
	in.LeadSteps = 3
	in.PeakUpper = 150
	return in
}

func TestInputPeakForecast(t *testing.T) {
	in := peakInput()
	f := in.PeakForecast()
	assert.Equal(t, []float64{150, 160, 150, 330}, f.Upper,
		"the lead window's bounds are the peak bound, never below a step's mean; the steps after it keep theirs")
	assert.Equal(t, in.Forecast.Mean, f.Mean)
	assert.Equal(t, []float64{110, 176, 121, 330}, in.Forecast.Upper, "the Input's forecast is not modified")

	in.PeakUpper = 0
	assert.Equal(t, in.Forecast, in.PeakForecast(), "no bound: the forecast as it is")
	in.PeakUpper, in.LeadSteps = 150, 0
	assert.Equal(t, []float64{150, 176, 121, 330}, in.PeakForecast().Upper, "a lead window of at least one step")
	in.LeadSteps = 99
	assert.Equal(t, []float64{150, 160, 150, 300}, in.PeakForecast().Upper, "at most the forecast's length")
}

func TestInputPeakUpperValidated(t *testing.T) {
	for _, v := range []float64{-1, math.NaN(), math.Inf(1)} {
		in := peakInput()
		in.PeakUpper = v
		assert.ErrorIs(t, in.Validate(), policy.ErrInvalidInput, "%v", v)
		assert.ErrorContains(t, in.Validate(), "PeakUpper")
	}
}

// Threshold behind Headroom provisions for the bound on the peak: at P90 of
// an 80% forecast, the bound itself.
func TestHeadroomProvisionsForThePeakBound(t *testing.T) {
	fake := policytest.NewFake()
	h, err := policy.Headroom(fake, policy.HeadroomConfig{Quantile: 0.9})
	require.NoError(t, err)
	in := peakInput()
	_, err = h.Decide(in)
	require.NoError(t, err)
	seen := fake.Inputs()[0].Forecast
	assert.InDelta(t, 150, seen.Mean[0], 1e-9)
	assert.InDelta(t, 160, seen.Mean[1], 1e-9, "a mean above the bound stays")
	assert.InDelta(t, 150, seen.Mean[2], 1e-9)
	assert.InDelta(t, 330, seen.Mean[3], 1e-9, "after the lead window: the per-step P90")

	th := mustThreshold(policy.ThresholdConfig{})
	hp, err := policy.Headroom(th, policy.HeadroomConfig{Quantile: 0.9})
	require.NoError(t, err)
	in.Forecast.Mean[1] = 120
	in.PeakUpper = 200
	d, err := hp.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, policy.Replicas(200, in.PerReplica, in.TargetUtilization), d.Target, d.Reason)
}

// Ramp lifts the bound on the peak by the most it lifts the lead window.
func TestRampLiftsThePeakBound(t *testing.T) {
	inner := policytest.NewFake()
	p, err := policy.Ramp(inner, policy.RampConfig{Window: 5})
	require.NoError(t, err)
	for i, l := range []float64{100, 110, 120, 130, 140} {
		in := input(60*i, 10, l)
		in.Forecast = policytest.Forecast(at(60*i+60), time.Minute, 0.1, 100, 100, 100, 100)
		in.LeadSteps, in.PeakUpper = 3, 120
		_, err = p.Decide(in)
		require.NoError(t, err)
	}
	ins := inner.Inputs()
	seen := ins[len(ins)-1]
	assert.InDelta(t, 170, seen.Forecast.Mean[2], 1e-9, "the line at the lead window's end")
	assert.InDelta(t, 120+70, seen.PeakUpper, 1e-9, "the bound plus the lead window's largest lift")
}

// The planner plans with the per-step bounds, whatever the bound on the
// peak: on the evaluation traces' first halves it closed more of the gap to
// perfect foresight with them and started fewer replicas.
func TestPlannerReadsPerStepBounds(t *testing.T) {
	pl, err := policy.NewPlanner(policy.DefaultPlannerConfig())
	require.NoError(t, err)
	in := peakInput()
	in.Current = 1
	d, err := pl.Decide(in)
	require.NoError(t, err)
	in.PeakUpper = 0
	pl2, err := policy.NewPlanner(policy.DefaultPlannerConfig())
	require.NoError(t, err)
	d2, err := pl2.Decide(in)
	require.NoError(t, err)
	assert.Equal(t, policy.ScaleUp, d.Action)
	assert.Equal(t, d2, d)
}
