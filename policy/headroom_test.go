package policy_test

import (
	"math"
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
