package forecast

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBrutlagFlagsSpikes(t *testing.T) {
	const p = 24
	hw, err := NewHoltWinters(Config{Period: p, Trend: TrendNone})
	require.NoError(t, err)
	b, err := NewBrutlag(hw, BrutlagConfig{Period: p, Window: 3, Threshold: 2})
	require.NoError(t, err)
	y := seasonal(p*10, p, 100, 0, 30, 1, 6)
	var outside int
	for i, v := range y[:p*8] {
		a, err := b.Detect(t0.Add(time.Duration(i)*time.Minute), v)
		require.NoError(t, err)
		if a.Outside {
			outside++
		}
	}
	assert.Less(t, outside, p/2, "normal data rarely leaves a 3-deviation band")

	i := p * 8
	spike := func(v float64) Anomaly {
		a, err := b.Detect(t0.Add(time.Duration(i)*time.Minute), v)
		require.NoError(t, err)
		i++
		return a
	}
	a := spike(y[i] + 200)
	assert.True(t, a.Outside)
	assert.False(t, a.Alarm, "one violation of 2 needed")
	assert.Greater(t, a.Score, 1.0)
	assert.Contains(t, a.Reason, "outside band")
	a = spike(y[i] + 200)
	assert.True(t, a.Alarm)
	assert.Contains(t, a.Reason, "alarm: 2 of the last 3")
	assert.Equal(t, a, b.Last())

	fc, err := b.Forecast(3, 0.9)
	require.NoError(t, err)
	assert.Len(t, fc.Mean, 3)
	require.NoError(t, b.Refit())
	require.ErrorIs(t, b.Observe(t0.Add(time.Duration(i)*time.Minute), -1), ErrInvalidValue)
}

func TestBrutlagWarmUpAndConfig(t *testing.T) {
	n, err := NewNaive(Config{})
	require.NoError(t, err)
	b, err := NewBrutlag(n, BrutlagConfig{})
	require.NoError(t, err)
	a, err := b.Detect(t0, 5)
	require.NoError(t, err)
	assert.False(t, a.Outside)
	assert.Equal(t, "warming up", a.Reason)

	for _, cfg := range []BrutlagConfig{{Period: -1}, {Gamma: 2}, {Delta: -1}, {Window: 2, Threshold: 3}} {
		_, err := NewBrutlag(n, cfg)
		require.ErrorIs(t, err, ErrInvalidArgument)
	}
	_, err = NewBrutlag(nil, BrutlagConfig{})
	require.ErrorIs(t, err, ErrInvalidArgument)
}

// A load that begins after three periods of zeros raises no alarm while
// the detector learns it: the zeros are not history. Fed to a Holt-Winters
// forecaster and its deviations, they made a band of zero width that
// flagged the load for a whole period.
func TestBrutlagLeadingZeros(t *testing.T) {
	const p = 24
	load := seasonal(5*p, p, 100, 0, 40, 3, 13)
	y := append(make([]float64, 3*p), load...)
	hw, err := NewHoltWinters(Config{Period: p, Trend: TrendNone, RefitEvery: p})
	require.NoError(t, err)
	b, err := NewBrutlag(hw, BrutlagConfig{Period: p})
	require.NoError(t, err)
	alarms := 0
	for i, v := range y {
		a, err := b.Detect(t0.Add(time.Duration(i)*time.Minute), v)
		require.NoError(t, err)
		if i < 3*p {
			assert.False(t, a.Outside, "zero %d judged", i)
			assert.Contains(t, a.Reason, "before the first positive value")
		}
		if a.Alarm {
			alarms++
		}
	}
	assert.Zero(t, alarms)
	assert.Equal(t, t0.Add(time.Duration(len(y)-1)*time.Minute), b.Last().Time)
}
