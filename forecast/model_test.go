package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		mk   func() error
		want string
	}{
		{"period", func() error { _, err := NewHoltWinters(Config{Period: 1}); return err }, "Period ≥ 2, got 1"},
		{"snaive period", func() error { _, err := NewSeasonalNaive(Config{}); return err }, "got 0"},
		{"alpha NaN", func() error { _, err := NewHoltWinters(Config{Period: 4, Alpha: Float(math.NaN())}); return err }, "Alpha NaN"},
		{"gamma", func() error { _, err := NewHoltWinters(Config{Period: 4, Gamma: Float(1.5)}); return err }, "Gamma 1.5"},
		{"window", func() error { _, err := NewNaive(Config{Window: -3}); return err }, "Window -3"},
		{"step", func() error { _, err := NewNaive(Config{Step: -time.Second}); return err }, "Step -1s"},
		{"period2", func() error { _, err := NewDoubleSeasonal(Config{Period: 24, Period2: 24}); return err }, "Period2 24"},
		{"dshw damped", func() error {
			_, err := NewDoubleSeasonal(Config{Period: 4, Period2: 8, Trend: TrendDamped})
			return err
		}, "got damped"},
		{"auto periods", func() error { _, err := NewAuto(AutoConfig{Periods: []int{24, 12}}); return err }, "[24 12]"},
		{"auto period", func() error { _, err := NewAuto(AutoConfig{Periods: []int{1}}); return err }, "Periods[0] 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.mk()
			require.ErrorIs(t, err, ErrInvalidArgument)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestObserveRejectsBadValues(t *testing.T) {
	m, err := NewNaive(Config{})
	require.NoError(t, err)
	require.NoError(t, m.Observe(t0, 5))
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1} {
		err := m.Observe(t0.Add(time.Minute), v)
		require.ErrorIs(t, err, ErrInvalidValue)
		assert.Contains(t, err.Error(), "want a finite value")
	}
	fc, err := m.Forecast(2, 0.9)
	require.NoError(t, err)
	assert.Equal(t, []float64{5, 5}, fc.Mean, "rejected values never reach the state")
	assert.Equal(t, 1, m.Len())
}

func TestObserveOrderAndGrid(t *testing.T) {
	m, err := NewNaive(Config{Step: time.Minute})
	require.NoError(t, err)
	require.NoError(t, m.Observe(t0, 1))
	err = m.Observe(t0.Add(20*time.Second), 2) // snaps onto the same grid point
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), "not after the last observation")
	require.NoError(t, m.Observe(t0.Add(70*time.Second), 3)) // jitter: grid point 1
	require.NoError(t, m.Observe(t0.Add(110*time.Second), 4))
	assert.Equal(t, 3, m.Len())
	fc, err := m.Forecast(1, 0.95)
	require.NoError(t, err)
	assert.Equal(t, t0.Add(3*time.Minute), fc.Start)
	assert.Equal(t, time.Minute, fc.Step)
}

func TestGapFilling(t *testing.T) {
	t.Run("interpolated before the fit", func(t *testing.T) {
		m, err := NewSeasonalNaive(Config{Period: 6})
		require.NoError(t, err)
		for i, v := range []float64{0, 2, 4} {
			require.NoError(t, m.Observe(t0.Add(time.Duration(i)*time.Minute), v))
		}
		require.NoError(t, m.Observe(t0.Add(6*time.Minute), 12)) // fills 6, 8, 10
		fc, err := m.Forecast(6, 0.95)
		require.NoError(t, err)
		assert.Equal(t, []float64{2, 4, 6, 8, 10, 12}, fc.Mean)
	})
	t.Run("model forecast after the fit", func(t *testing.T) {
		m, err := NewHoltWinters(Config{Period: 24})
		require.NoError(t, err)
		y := seasonal(24*6, 24, 100, 0, 20, 0.5, 1)
		feed(t, m, y[:24*5], 0)
		before, err := m.Forecast(24, 0.95)
		require.NoError(t, err)
		// Skip 10 steps: they are filled with the model's own forecast.
		require.NoError(t, m.Observe(t0.Add(time.Duration(24*5+10)*time.Minute), y[24*5+10]))
		assert.Equal(t, 24*5+11, m.Len())
		after, err := m.Forecast(13, 0.95)
		require.NoError(t, err)
		assert.InDelta(t, before.Mean[11], after.Mean[0], 3, "state advanced along the forecast")
	})
	t.Run("long gap restarts", func(t *testing.T) {
		m, err := NewHoltWinters(Config{Period: 4, MaxGap: 5})
		require.NoError(t, err)
		feed(t, m, seasonal(16, 4, 10, 0, 2, 0, 1), 0)
		require.True(t, m.Fitted())
		require.NoError(t, m.Observe(t0.Add(100*time.Minute), 10))
		assert.False(t, m.Fitted())
		_, err = m.Forecast(1, 0.95)
		require.ErrorIs(t, err, ErrInsufficientHistory)
		assert.Contains(t, err.Error(), "has 1 observations, needs 8")
	})
}

func TestForecastArguments(t *testing.T) {
	m, err := NewNaive(Config{})
	require.NoError(t, err)
	_, err = m.Forecast(1, 0.95)
	require.ErrorIs(t, err, ErrInsufficientHistory)
	require.NoError(t, m.Observe(t0, 1))
	for _, tc := range []struct {
		h     int
		level float64
		want  string
	}{{0, 0.9, "horizon 0"}, {1, 1, "level 1"}, {1, math.NaN(), "level NaN"}} {
		_, err := m.Forecast(tc.h, tc.level)
		require.ErrorIs(t, err, ErrInvalidArgument)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func TestHoltWintersFitsSeasonalTrend(t *testing.T) {
	const p = 24
	y := seasonal(p*12, p, 200, 0.2, 40, 2, 7)
	for _, cfg := range []Config{
		{Period: p},
		{Period: p, Trend: TrendDamped},
		{Period: p, Seasonality: Multiplicative},
	} {
		t.Run(cfg.Seasonality.String()+"/"+cfg.Trend.String(), func(t *testing.T) {
			m, err := NewHoltWinters(cfg)
			require.NoError(t, err)
			feed(t, m, y[:p*10], 0)
			require.NoError(t, m.Refit())
			fc, err := m.Forecast(2*p, 0.95)
			require.NoError(t, err)
			truth := seasonal(p*12, p, 200, 0.2, 40, 0, 7)[p*10:]
			assert.Less(t, mae(fc.Mean, truth), 6.0, m.Name())
			assert.Contains(t, m.Name(), "alpha=")
			for i := range fc.Mean {
				assert.LessOrEqual(t, fc.Lower[i], fc.Mean[i])
				assert.GreaterOrEqual(t, fc.Upper[i], fc.Mean[i])
			}
		})
	}
}

func TestHoltWintersFixedParameters(t *testing.T) {
	m, err := NewHoltWinters(Config{Period: 12, Alpha: Float(0.3), Beta: Float(0), Gamma: Float(0.2)})
	require.NoError(t, err)
	feed(t, m, seasonal(120, 12, 50, 0, 10, 1, 3), 0)
	require.NoError(t, m.Refit())
	assert.Equal(t, "hw-additive(alpha=0.3 beta=0 gamma=0.2)", m.Name())
}

func TestMultiplicativeNeedsPositiveValues(t *testing.T) {
	m, err := NewHoltWinters(Config{Period: 4, Seasonality: Multiplicative})
	require.NoError(t, err)
	err = nil
	for i, v := range []float64{1, 2, 0, 4, 1, 2, 3, 4} {
		err = m.Observe(t0.Add(time.Duration(i)*time.Minute), v)
	}
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), "got 0 at index 2")
}

func TestFailedFitIsNotRetriedEveryStep(t *testing.T) {
	m, err := NewHoltWinters(Config{Period: 4, Seasonality: Multiplicative})
	require.NoError(t, err)
	var errs int
	for i := range 20 {
		v := 1.0 + float64(i%4)
		if i == 2 {
			v = 0
		}
		if m.Observe(t0.Add(time.Duration(i)*time.Minute), v) != nil {
			errs++
		}
	}
	assert.Equal(t, 2, errs, "fit attempts at 8 and 16 observations only")
}

func TestIntervalsCoverAndWiden(t *testing.T) {
	const p = 24
	y := seasonal(p*60, p, 100, 0, 30, 5, 11)
	for _, method := range []IntervalMethod{IntervalNormal, IntervalEmpirical} {
		t.Run(method.String(), func(t *testing.T) {
			m, err := NewHoltWinters(Config{Period: p, Trend: TrendNone, Interval: method, Window: 20 * p})
			require.NoError(t, err)
			feed(t, m, y[:20*p], 0)
			require.NoError(t, m.Refit())
			in, n := 0, 0
			for i := 20 * p; i+6 < len(y); i++ {
				fc, err := m.Forecast(6, 0.95)
				require.NoError(t, err)
				for h := range 6 {
					if y[i+h] >= fc.Lower[h] && y[i+h] <= fc.Upper[h] {
						in++
					}
					n++
				}
				require.NoError(t, m.Observe(t0.Add(time.Duration(i)*time.Minute), y[i]))
			}
			cov := float64(in) / float64(n)
			assert.InDelta(t, 0.95, cov, 0.03)
			fc, err := m.Forecast(3*p, 0.95)
			require.NoError(t, err)
			assert.Greater(t, fc.Upper[3*p-1]-fc.Lower[3*p-1], fc.Upper[0]-fc.Lower[0], "intervals widen with the horizon")
			narrow, err := m.Forecast(1, 0.5)
			require.NoError(t, err)
			assert.Less(t, narrow.Upper[0]-narrow.Lower[0], fc.Upper[0]-fc.Lower[0])
		})
	}
}

func TestBaselines(t *testing.T) {
	y := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	for _, tc := range []struct {
		name string
		mk   func() (*Model, error)
		want []float64
	}{
		{"naive", func() (*Model, error) { return NewNaive(Config{}) }, []float64{8, 8, 8}},
		{"seasonal-naive", func() (*Model, error) { return NewSeasonalNaive(Config{Period: 4}) }, []float64{5, 6, 7}},
		{"drift", func() (*Model, error) { return NewDrift(Config{}) }, []float64{9, 10, 11}},
		{"ewma", func() (*Model, error) { return NewEWMA(Config{Alpha: Float(1)}) }, []float64{8, 8, 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.mk()
			require.NoError(t, err)
			feed(t, m, y, 0)
			fc, err := m.Forecast(3, 0.95)
			require.NoError(t, err)
			assert.InDeltaSlice(t, tc.want, fc.Mean, 1e-9)
			assert.Equal(t, fc.Model, m.Name())
		})
	}
}

func TestEWMAFitsAlpha(t *testing.T) {
	m, err := NewEWMA(Config{})
	require.NoError(t, err)
	feed(t, m, seasonal(500, 50, 100, 0.5, 0, 1, 5), 0)
	require.NoError(t, m.Refit())
	assert.Regexp(t, `^ewma\(alpha=0\.[5-9]|^ewma\(alpha=1\)`, m.Name(), "a trending series needs a high alpha")
}

func TestDoubleSeasonalBeatsSingle(t *testing.T) {
	const p1, p2 = 12, 84
	n := p2 * 6
	y := make([]float64, n)
	truth := make([]float64, n)
	noise := seasonal(n, p1, 0, 0, 0, 1, 9)
	for i := range y {
		truth[i] = 100 + 20*math.Sin(2*math.Pi*float64(i)/p1) + 30*math.Sin(2*math.Pi*float64(i)/p2)
		y[i] = truth[i] + noise[i]
	}
	train := y[:n-2*p1]
	ds, err := NewDoubleSeasonal(Config{Period: p1, Period2: p2, Trend: TrendNone})
	require.NoError(t, err)
	hw, err := NewHoltWinters(Config{Period: p1, Trend: TrendNone})
	require.NoError(t, err)
	var errs []float64
	for _, m := range []*Model{ds, hw} {
		feed(t, m, train, 0)
		require.NoError(t, m.Refit())
		fc, err := m.Forecast(2*p1, 0.95)
		require.NoError(t, err)
		errs = append(errs, mae(fc.Mean, truth[n-2*p1:]))
	}
	assert.Less(t, errs[0], 2.0, ds.Name())
	assert.Less(t, errs[0], errs[1]/2, "double-seasonal %v vs single %v", errs[0], errs[1])
	assert.Contains(t, ds.Name(), "delta=")
}

func TestObserveDoesNotAllocate(t *testing.T) {
	for _, mk := range []func() (*Model, error){
		func() (*Model, error) { return NewHoltWinters(Config{Period: 24}) },
		func() (*Model, error) { return NewDoubleSeasonal(Config{Period: 4, Period2: 24}) },
		func() (*Model, error) { return NewSeasonalNaive(Config{Period: 24}) },
	} {
		m, err := mk()
		require.NoError(t, err)
		y := seasonal(24*5, 24, 100, 0, 10, 1, 1)
		feed(t, m, y, 0)
		require.True(t, m.Fitted())
		i := len(y)
		allocs := testing.AllocsPerRun(200, func() {
			_ = m.Observe(t0.Add(time.Duration(i)*time.Minute), y[i%len(y)])
			i++
		})
		assert.Zero(t, allocs, m.Name())
	}
}

func TestNoLookAhead(t *testing.T) {
	y := seasonal(24*8, 24, 100, 0, 10, 3, 2)
	a, err := NewAuto(AutoConfig{Periods: []int{24}, RefitEvery: 24})
	require.NoError(t, err)
	b, err := NewAuto(AutoConfig{Periods: []int{24}, RefitEvery: 24})
	require.NoError(t, err)
	feed(t, a, y[:24*6], 0)
	changed := append([]float64(nil), y...)
	for i := 24 * 6; i < len(changed); i++ {
		changed[i] *= 3
	}
	feed(t, b, changed[:24*6], 0)
	fa, err := a.Forecast(15, 0.95)
	require.NoError(t, err)
	fb, err := b.Forecast(15, 0.95)
	require.NoError(t, err)
	assert.Equal(t, fa, fb, "a forecast depends only on the data observed")
}

// TestPredictSkipsAhead: every model's forecast of steps skip+1..skip+h
// equals the tail of its forecast of steps 1..skip+h, for skips within and
// beyond a season (the forecasts of a held zero run skip its steps).
func TestPredictSkipsAhead(t *testing.T) {
	const p = 24
	y := seasonal(10*p, p, 100, 0.05, 30, 4, 11)
	// A weekly-like second cycle for the double-seasonal models.
	w := seasonal(10*p, 3*p, 0, 0, 10, 0, 1)
	y2 := make([]float64, len(y))
	for i := range y {
		y2[i] = y[i] + w[i] + 20
	}
	type mk func() (*Model, error)
	hwOf := func(s Seasonality, tr Trend) mk {
		return func() (*Model, error) { return NewHoltWinters(Config{Period: p, Seasonality: s, Trend: tr}) }
	}
	builders := map[string]mk{
		"naive":          func() (*Model, error) { return NewNaive(Config{}) },
		"drift":          func() (*Model, error) { return NewDrift(Config{}) },
		"ewma":           func() (*Model, error) { return NewEWMA(Config{}) },
		"seasonal-naive": func() (*Model, error) { return NewSeasonalNaive(Config{Period: p}) },
		"holt":           func() (*Model, error) { return NewHolt(Config{}) },
		"holt-damped":    func() (*Model, error) { return NewHolt(Config{Trend: TrendDamped}) },
		"hw-add":         hwOf(Additive, TrendAdditive),
		"hw-add-damped":  hwOf(Additive, TrendDamped),
		"hw-add-none":    hwOf(Additive, TrendNone),
		"hw-mul-damped":  hwOf(Multiplicative, TrendDamped),
		"hw-mul-none":    hwOf(Multiplicative, TrendNone),
		"dshw-add": func() (*Model, error) {
			return NewDoubleSeasonal(Config{Period: p, Period2: 3 * p, Trend: TrendAdditive})
		},
		"dshw-mul": func() (*Model, error) {
			return NewDoubleSeasonal(Config{Period: p, Period2: 3 * p, Seasonality: Multiplicative, Trend: TrendNone})
		},
	}
	for name, build := range builders {
		m, err := build()
		require.NoError(t, err, name)
		feed(t, m, y2, 0)
		require.NoError(t, m.Refit(), name)
		check := func(name string, mod model) {
			for _, skip := range []int{0, 1, 5, p - 1, p, p + 3, 7*p + 2} {
				const h = 15
				all := make([]float64, skip+h)
				mod.predict(0, all)
				got := make([]float64, h)
				mod.predict(skip, got)
				for i := range got {
					require.InDelta(t, all[skip+i], got[i], 1e-9*max(1, math.Abs(all[skip+i])), "%s skip %d step %d", name, skip, i)
				}
			}
		}
		check(name, m.m)
		if name == "hw-add-damped" {
			c := newCombination([]model{m.m, builderModel(t, builders["seasonal-naive"], y2), builderModel(t, builders["drift"], y2)})
			check("combination", c)
		}
	}
}

// builderModel builds, feeds and fits a model for TestPredictSkipsAhead.
func builderModel(t *testing.T, build func() (*Model, error), y []float64) model {
	t.Helper()
	m, err := build()
	require.NoError(t, err)
	feed(t, m, y, 0)
	require.NoError(t, m.Refit())
	return m.m
}

// A fit on the first handful of values is redone each time the young
// history has doubled, so a caller that refits once a day does not
// forecast with it for a day: noise around 100 for 60 steps, then a
// level of 300 that the EWMA's first fit (on two values of noise) would
// follow at its smallest smoothing.
func TestFitRedoneWhileTheHistoryIsYoung(t *testing.T) {
	for _, mk := range []func() (Forecaster, error){
		func() (Forecaster, error) { return NewEWMA(Config{Window: 5000}) },
		func() (Forecaster, error) {
			return NewAuto(AutoConfig{Periods: []int{1440}, Window: 5000, Horizon: 10, ReselectEvery: 5000})
		},
	} {
		f, err := mk()
		require.NoError(t, err)
		rng := rand.New(rand.NewPCG(3, 3))
		y := make([]float64, 400)
		for i := range y {
			y[i] = 100 + 10*rng.NormFloat64()
			if i >= 60 {
				y[i] += 200
			}
		}
		feed(t, f, y, 0)
		fc, err := f.Forecast(1, 0.9)
		require.NoError(t, err)
		assert.InDelta(t, 300, fc.Mean[0], 20, "%s follows the new level", fc.Model)
	}
}
