package forecast

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetrics(t *testing.T) {
	actual := []float64{10, 20, 30}
	fc := []float64{12, 18, 30}
	m, err := MASE(actual, fc, []float64{0, 5, 15, 20}, 1) // scale (5+10+5)/3
	require.NoError(t, err)
	assert.InDelta(t, (4.0/3)/(20.0/3), m, 1e-12)
	s, err := SMAPE(actual, fc)
	require.NoError(t, err)
	assert.InDelta(t, 200.0/3*(2.0/22+2.0/38), s, 1e-12)
	r, err := RMSE(actual, fc)
	require.NoError(t, err)
	assert.InDelta(t, 1.632993161855452, r, 1e-12)
	c, err := Coverage(actual, []float64{9, 19, 31}, []float64{11, 21, 40})
	require.NoError(t, err)
	assert.InDelta(t, 2.0/3, c, 1e-12)

	_, err = MASE(actual, fc[:2], []float64{1, 2}, 1)
	require.ErrorIs(t, err, ErrInvalidArgument)
	_, err = MASE(actual, fc, []float64{3, 3, 3}, 1)
	require.ErrorIs(t, err, ErrInvalidArgument)
	_, err = MASE(actual, fc, []float64{3, 4}, 4)
	require.ErrorIs(t, err, ErrInsufficientHistory)
}

func TestMSIS(t *testing.T) {
	actual := []float64{10, 20, 30}
	insample := []float64{0, 5, 15, 20} // naive scale (5+10+5)/3
	// Inside (width 2), below by 1 (width 2), above by 4 (width 6); at
	// level 0.8 a miss costs 2/0.2 = 10 per unit outside.
	s, err := MSIS(actual, []float64{9, 21, 20}, []float64{11, 23, 26}, insample, 1, 0.8)
	require.NoError(t, err)
	assert.InDelta(t, (2+(2+10*1)+(6+10*4))/3.0/(20.0/3), s, 1e-12)

	// A wider interval that covers everything scores its width; a
	// narrower one that misses scores worse when the misses are far.
	wide, err := MSIS(actual, []float64{0, 10, 20}, []float64{20, 30, 40}, insample, 1, 0.95)
	require.NoError(t, err)
	assert.InDelta(t, 20/(20.0/3), wide, 1e-12)
	narrow, err := MSIS(actual, []float64{14, 24, 34}, []float64{15, 25, 35}, insample, 1, 0.95)
	require.NoError(t, err)
	assert.Greater(t, narrow, wide, "misses by 4 at 95%% cost 160 each")

	_, err = MSIS(actual, actual[:2], actual, insample, 1, 0.9)
	require.ErrorIs(t, err, ErrInvalidArgument)
	_, err = MSIS(actual, actual, actual[:1], insample, 1, 0.9)
	require.ErrorIs(t, err, ErrInvalidArgument)
	for _, level := range []float64{0, 1, -0.5, 2} {
		_, err = MSIS(actual, actual, actual, insample, 1, level)
		require.ErrorIs(t, err, ErrInvalidArgument, "level %v", level)
	}
	_, err = MSIS(actual, actual, actual, []float64{3, 3, 3}, 1, 0.9)
	require.ErrorIs(t, err, ErrInvalidArgument)
	_, err = MSIS(actual, actual, actual, []float64{3, 4}, 4, 0.9)
	require.ErrorIs(t, err, ErrInsufficientHistory)
}

func TestBacktest(t *testing.T) {
	const p = 24
	y := seasonal(p*10, p, 100, 0, 30, 2, 3)
	hw, err := Backtest(func() (Forecaster, error) { return NewHoltWinters(Config{Period: p, Trend: TrendNone}) },
		y, 6, 10, BacktestOptions{Period: p})
	require.NoError(t, err)
	nv, err := Backtest(func() (Forecaster, error) { return NewNaive(Config{}) }, y, 6, 10, BacktestOptions{Period: p})
	require.NoError(t, err)
	assert.Equal(t, 10, hw.Origins)
	assert.Equal(t, 60, hw.Points)
	assert.Less(t, hw.MASE, nv.MASE/2, "%s vs %s", hw, nv)
	assert.Greater(t, hw.Coverage, 0.8)
	assert.Contains(t, hw.String(), "10 origins")
	assert.Greater(t, hw.MSIS, 0.0)
	assert.Less(t, hw.MSIS, nv.MSIS/2, "%s vs %s", hw, nv)
	assert.Contains(t, hw.String(), "MSIS")

	_, err = Backtest(func() (Forecaster, error) { return NewNaive(Config{}) }, y[:5], 6, 1, BacktestOptions{})
	require.ErrorIs(t, err, ErrInsufficientHistory)
	_, err = Backtest(func() (Forecaster, error) { return NewHoltWinters(Config{Period: p}) }, y[:40], 6, 3,
		BacktestOptions{Step: time.Minute, Refit: true})
	require.ErrorIs(t, err, ErrInsufficientHistory, "HW needs two seasons before the first origin")
}
