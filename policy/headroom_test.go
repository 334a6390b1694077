package policy_test

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/policy/policytest"
)

func TestHeadroom(t *testing.T) {
	// Mean 100, 95% interval [80, 120]: σ = 20 / 1.959964 = 10.204.
	interval := policytest.Forecast(at(60), time.Minute, 0.2, 100)
	noLevel := interval
	noLevel.Level = 0
	nanUpper := interval
	nanUpper.Upper = []float64{math.NaN()}
	tests := []struct {
		name     string
		quantile float64
		f        forecast.Forecast
		wantMean float64 // the mean the inner policy sees; NaN: no forecast
		reason   string
	}{
		{"P90 by default", 0, interval, 100 + 1.2815516*20/1.959964, "headroom P90 of the 95% interval: "},
		{"median is the mean", 0.5, interval, 100, "headroom P50"},
		{"P97.5 is the upper bound", 0.975, interval, 120, "headroom P97.5"},
		{"no interval: mean kept", 0.9, noLevel, 100, "headroom P90 unavailable (forecast has no interval), using the mean: "},
		{"non-finite bound: mean kept", 0.9, nanUpper, 100, "headroom P90 of the 95% interval"},
		{"no forecast passes through", 0.9, forecast.Forecast{}, math.NaN(), "policytest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := policytest.NewFake()
			h, err := policy.Headroom(fake, policy.HeadroomConfig{Quantile: tt.quantile})
			require.NoError(t, err)
			in := input(0, 10, 0)
			in.Forecast = tt.f
			d, err := h.Decide(in)
			require.NoError(t, err)
			assert.Contains(t, d.Reason, tt.reason)
			seen := fake.Inputs()[0].Forecast
			if math.IsNaN(tt.wantMean) {
				assert.Equal(t, 0, seen.Len())
				return
			}
			assert.InDelta(t, tt.wantMean, seen.Mean[0], 1e-4)
			assert.Equal(t, 100.0, in.Forecast.Mean[0], "the caller's forecast is not modified")
		})
	}
	_, err := policy.Headroom(policytest.NewFake(), policy.HeadroomConfig{Quantile: 1})
	assert.ErrorContains(t, err, "Quantile (1) must be in (0, 1)")
}

func TestQuantileForecastNeverNegative(t *testing.T) {
	f := policytest.Forecast(at(60), time.Minute, 0.5, 10, 0)
	q, ok := policy.QuantileForecast(f, 0.01)
	require.True(t, ok)
	for _, v := range q.Mean {
		assert.GreaterOrEqual(t, v, 0.0)
	}
}

// TestHeadroomMinZero: for a group allowed to scale to zero, a forecast
// that expects no load (a mean of 0 at every step, an upper bound under
// one replica's load) asks for no replica, so the predictive stack takes
// the group to zero and keeps it there through an idle phase; its upper
// bound (errors made at the ramps) kept a replica up at every pass. A
// forecast with load at any step (a small mean is load: sparse requests
// look the same as a smoothing model's idle phase), an upper bound of a
// replica's load or more, or a group whose minimum is one, gets the
// headroom.
func TestHeadroomMinZero(t *testing.T) {
	idle := forecast.Forecast{Start: at(60), Step: time.Minute, Level: 0.8, Model: "seasonal-naive",
		Mean: []float64{0, 0, 0}, Lower: []float64{0, 0, 0}, Upper: []float64{3.6, 3.6, 3.6}}
	ramp := idle
	ramp.Mean, ramp.Lower, ramp.Upper = []float64{0, 0, 48}, []float64{0, 0, 44}, []float64{3.6, 3.6, 52}
	// A mean a little above 0: a smoothing model's idle phase, or sparse
	// requests.
	low := idle
	low.Mean, low.Upper = []float64{0.3, 0.3, 0.3}, []float64{0.9, 0.9, 0.9}
	// A mean of 0 with an upper bound of a replica's load.
	wide := idle
	wide.Upper = []float64{3.6, 12, 3.6}
	// No interval: the mean alone.
	bare := idle
	bare.Level, bare.Lower, bare.Upper = 0, nil, nil
	for _, tc := range []struct {
		name     string
		current  int
		f        forecast.Forecast
		want     int
		reason   string
		seenPeak float64
	}{
		{"idle at zero: no wake", 0, idle, 0, "min 0: no replica for a forecast that expects no load (mean 0 at every step, upper bound at most 3.6)", 0},
		{"no interval, mean 0: no wake", 0, bare, 0, "min 0: no replica for a forecast that expects no load (mean 0 at every step, upper bound at most 0)", 0},
		{"small mean at zero: headroom", 0, low, 1, "headroom P90 of the 80% interval", 0.9},
		{"upper bound of a replica's load: headroom", 0, wide, 2, "headroom P90 of the 80% interval", 12},
		{"load ahead at zero: headroom", 0, ramp, 6, "headroom P90 of the 80% interval", 52},
		{"idle with a replica: released", 1, idle, 0, "min 0: no replica for a forecast that expects no load", 0},
		{"idle, min 1: headroom", -1, idle, 1, "headroom P90 of the 80% interval", 3.6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th, err := policy.NewThreshold(policy.DefaultPredictiveConfig().Threshold)
			require.NoError(t, err)
			fake := policytest.NewFake()
			for _, inner := range []policy.Policy{th, fake} {
				h, err := policy.Headroom(inner, policy.HeadroomConfig{})
				require.NoError(t, err)
				in := input(0, max(tc.current, 1), 0)
				in.Min, in.PerReplica, in.TargetUtilization, in.LeadSteps = 0, 10, 1, 3
				if tc.current < 0 { // a group with a floor of one replica
					in.Min = 1
				} else {
					in.Current = tc.current
				}
				in.Forecast = tc.f
				d, err := h.Decide(in)
				require.NoError(t, err)
				assert.Contains(t, d.Reason, tc.reason)
				if inner == th {
					assert.Equal(t, tc.want, d.Target, d.Reason)
				}
			}
			assert.InDelta(t, tc.seenPeak, slices.Max(fake.Inputs()[0].Forecast.Mean), 1e-9)
		})
	}
}

// TestPredictiveStaysAtZeroWhenIdle: the whole predictive stack, with
// either rule, keeps a group at zero replicas while its trusted forecast
// expects no load, and wakes it when the forecast expects load within the
// lead window.
func TestPredictiveStaysAtZeroWhenIdle(t *testing.T) {
	for _, rule := range []policy.Rule{policy.RuleThreshold, policy.RulePlanner} {
		t.Run(fmt.Sprint(rule), func(t *testing.T) {
			cfg := policy.DefaultPredictiveConfig()
			cfg.Rule = rule
			p, err := policy.Predictive(cfg)
			require.NoError(t, err)
			current := 0
			for i := range 12 {
				in := input(60*i, current, 0)
				in.Ready, in.Min, in.PerReplica, in.TargetUtilization, in.LeadSteps = current, 0, 10, 1, 3
				in.Forecast = forecast.Forecast{Start: at(60*i + 60), Step: time.Minute, Level: 0.8, Model: "seasonal-naive",
					Mean: []float64{0, 0, 0}, Lower: []float64{0, 0, 0}, Upper: []float64{3.6, 3.6, 3.6}}
				if i == 11 {
					in.Forecast.Mean[2], in.Forecast.Lower[2], in.Forecast.Upper[2] = 48, 44, 52
				}
				d, err := p.Decide(in)
				require.NoError(t, err)
				current = d.Target
				if i < 11 {
					require.Zero(t, current, "pass %d: %s", i, d.Reason)
				}
			}
			assert.GreaterOrEqual(t, current, 5, "the load ahead wakes the group")
		})
	}
}
