package forecast

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// trendNoise is 100 + slope·t plus Gaussian noise of σ 1.
func trendNoise(n int, slope float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	y := make([]float64, n)
	for i := range y {
		y[i] = 100 + slope*float64(i) + rng.NormFloat64()
	}
	return y
}

// TestHoltFollowsATrend: on a line with noise Holt forecasts the line, 20
// steps ahead within a few noise scales, where a level without a slope
// (EWMA) falls behind by about the slope times the steps.
func TestHoltFollowsATrend(t *testing.T) {
	const n, h, slope = 400, 20, 2.0
	y := trendNoise(n+h, slope, 1)
	hm, err := NewHolt(Config{})
	require.NoError(t, err)
	em, err := NewEWMA(Config{})
	require.NoError(t, err)
	feed(t, hm, y[:n], 0)
	feed(t, em, y[:n], 0)
	require.NoError(t, hm.Refit())
	require.NoError(t, em.Refit())
	fh, err := hm.Forecast(h, 0.9)
	require.NoError(t, err)
	fe, err := em.Forecast(h, 0.9)
	require.NoError(t, err)
	for i := range h {
		truth := 100 + slope*float64(n+i)
		assert.InDelta(t, truth, fh.Mean[i], 4, "Holt, step %d", i+1)
		assert.Less(t, fh.Lower[i], fh.Mean[i])
		assert.Greater(t, fh.Upper[i], fh.Mean[i])
	}
	assert.Greater(t, 100+slope*float64(n+h-1)-fe.Mean[h-1], slope*float64(h)/2, "EWMA lags the trend")
	assert.True(t, strings.HasPrefix(fh.Model, "holt(alpha="), fh.Model)
}

// TestHoltDampedFlattens: the damped form's forecast steps shrink by φ each
// step ahead, with φ fitted inside [0.8, 0.98].
func TestHoltDampedFlattens(t *testing.T) {
	y := trendNoise(300, 1.5, 2)
	m, err := NewHolt(Config{Trend: TrendDamped})
	require.NoError(t, err)
	feed(t, m, y, 0)
	require.NoError(t, m.Refit())
	h := m.m.(*holt)
	require.GreaterOrEqual(t, h.phi, 0.8)
	require.LessOrEqual(t, h.phi, 0.98)
	fc, err := m.Forecast(30, 0.8)
	require.NoError(t, err)
	for i := 2; i < len(fc.Mean); i++ {
		d0, d1 := fc.Mean[i-1]-fc.Mean[i-2], fc.Mean[i]-fc.Mean[i-1]
		require.InDelta(t, h.phi*d0, d1, 1e-9*math.Max(1, math.Abs(d0)), "step %d", i)
	}
	assert.Contains(t, fc.Model, "holt-damped(")
	assert.Contains(t, fc.Model, "phi=")
}

// TestHoltFixedParameters: fixed factors are kept through fits; Phi is not
// used without damping.
func TestHoltFixedParameters(t *testing.T) {
	y := trendNoise(200, 1, 3)
	m, err := NewHolt(Config{Alpha: Float(0.3), Beta: Float(0.05), Phi: Float(0.9), Trend: TrendDamped})
	require.NoError(t, err)
	feed(t, m, y, 0)
	require.NoError(t, m.Refit())
	h := m.m.(*holt)
	assert.Equal(t, [3]float64{0.3, 0.05, 0.9}, [3]float64{h.alpha, h.beta, h.phi})
	m, err = NewHolt(Config{Alpha: Float(0.3), Phi: Float(0.9)})
	require.NoError(t, err)
	feed(t, m, y, 0)
	require.NoError(t, m.Refit())
	h = m.m.(*holt)
	assert.Equal(t, 0.3, h.alpha)
	assert.Equal(t, 1.0, h.phi, "no damping without TrendDamped")
}

// TestNewHoltRefusesBadConfig: no trend, or a factor outside [0, 1], is an
// error naming it.
func TestNewHoltRefusesBadConfig(t *testing.T) {
	_, err := NewHolt(Config{Trend: TrendNone})
	require.True(t, errors.Is(err, ErrInvalidArgument), "%v", err)
	require.Contains(t, err.Error(), "NewEWMA")
	_, err = NewHolt(Config{Beta: Float(1.5)})
	require.True(t, errors.Is(err, ErrInvalidArgument), "%v", err)
	require.Contains(t, err.Error(), "Beta")
	m, err := NewHolt(Config{})
	require.NoError(t, err)
	require.NoError(t, m.Observe(t0, 1))
	_, err = m.Forecast(3, 0.9)
	require.True(t, errors.Is(err, ErrInsufficientHistory), "%v", err)
}

// TestHoltCoverage: on a local linear trend with Gaussian noise of known
// scale the 90% intervals one step ahead cover about 90% of the next
// values, over many seeds.
func TestHoltCoverage(t *testing.T) {
	in, total := 0, 0
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 11))
		y, level, slope := make([]float64, 700), 100.0, 0.5
		for i := range y {
			slope += 0.02 * rng.NormFloat64()
			level += slope + 0.5*rng.NormFloat64()
			y[i] = level + rng.NormFloat64()
		}
		m, err := NewHolt(Config{RefitEvery: 100})
		require.NoError(t, err)
		for i, v := range y {
			if i >= 300 {
				fc, err := m.Forecast(1, 0.9)
				require.NoError(t, err)
				total++
				if v >= fc.Lower[0] && v <= fc.Upper[0] {
					in++
				}
			}
			require.NoError(t, m.Observe(t0.Add(time.Duration(i)*time.Minute), v))
		}
	}
	cov := float64(in) / float64(total)
	t.Logf("90%% intervals one step ahead cover %.1f%% of %d values", 100*cov, total)
	assert.InDelta(t, 0.9, cov, 0.02, "coverage %.3f over %d forecasts", cov, total)
}
