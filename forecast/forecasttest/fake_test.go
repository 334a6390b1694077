package forecasttest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/forecast/forecasttest"
)

func TestFakeScriptAndRecord(t *testing.T) {
	boom := errors.New("boom")
	f := &forecasttest.Fake{
		Script: []forecasttest.Step{
			{Forecast: forecast.Forecast{Mean: []float64{10, 20}, Upper: []float64{15, 30}}},
			{Err: boom},
			{Forecast: forecast.Forecast{Mean: []float64{5}}},
		},
		Model: "scripted",
	}
	now := time.Unix(100, 0)
	require.NoError(t, f.Observe(now, 3))

	fc, err := f.Forecast(3, 0.9)
	require.NoError(t, err)
	assert.Equal(t, []float64{10, 20, 20}, fc.Mean)
	assert.Equal(t, []float64{10, 20, 20}, fc.Lower, "Lower defaults to Mean")
	assert.Equal(t, []float64{15, 30, 30}, fc.Upper)
	assert.InDelta(t, 0.9, fc.Level, 0)
	assert.Equal(t, "scripted", fc.Model)

	_, err = f.Forecast(1, 0.9)
	require.ErrorIs(t, err, boom)

	for range 2 { // the last step repeats
		fc, err = f.Forecast(2, 0.95)
		require.NoError(t, err)
		assert.Equal(t, []float64{5, 5}, fc.Mean)
	}
	assert.Equal(t, []int{3, 1, 2, 2}, f.ForecastCalls())
	assert.Equal(t, []forecasttest.Observation{{T: now, V: 3}}, f.Observations())
	assert.Equal(t, "scripted", f.Name())
}

func TestFakeErrors(t *testing.T) {
	f := &forecasttest.Fake{ObserveErr: forecast.ErrInvalidValue, RefitErr: forecast.ErrInsufficientHistory}
	require.ErrorIs(t, f.Observe(time.Unix(0, 0), -1), forecast.ErrInvalidValue)
	require.ErrorIs(t, f.Refit(), forecast.ErrInsufficientHistory)
	assert.Equal(t, 1, f.RefitCalls())
	_, err := f.Forecast(1, 0.95)
	require.ErrorIs(t, err, forecast.ErrInsufficientHistory, "empty script")
	assert.Equal(t, "fake", f.Name())
	assert.Len(t, f.Observations(), 1, "rejected observations are recorded too")
}

func TestConstant(t *testing.T) {
	fc, err := forecasttest.Constant(100, 80, 130).Forecast(4, 0.95)
	require.NoError(t, err)
	assert.Equal(t, []float64{100, 100, 100, 100}, fc.Mean)
	assert.Equal(t, []float64{80, 80, 80, 80}, fc.Lower)
	mean, upper := fc.Peak(0)
	assert.InDelta(t, 100, mean, 0)
	assert.InDelta(t, 130, upper, 0)
}

func TestFakeRejectsBadHorizon(t *testing.T) {
	f := forecasttest.Constant(1, 1, 1)
	_, err := f.Forecast(0, 0.95)
	require.ErrorIs(t, err, forecast.ErrInvalidArgument)
}
