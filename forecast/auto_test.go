package forecast

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAutoFallsBackThenSelectsSeasonal(t *testing.T) {
	const p = 24
	y := seasonal(p*8, p, 100, 0, 40, 2, 21)
	a, err := NewAuto(AutoConfig{Periods: []int{p}, Horizon: 6})
	require.NoError(t, err)

	_, err = a.Forecast(6, 0.95)
	require.ErrorIs(t, err, ErrInsufficientHistory)

	feed(t, a, y[:10], 0)
	fc, err := a.Forecast(6, 0.95)
	require.NoError(t, err, "a short history falls back to a simple model")
	assert.Len(t, fc.Mean, 6)
	assert.Contains(t, a.Name(), "fallback")
	assert.True(t, a.Selection().Fallback)

	feed(t, a, y[10:], 10)
	sel := a.Selection()
	assert.False(t, sel.Fallback, sel.Reason)
	assert.Regexp(t, `^(hw|seasonal-naive)`, sel.Model)
	assert.Contains(t, sel.Reason, "lowest 6-step backtest MASE")
	assert.Equal(t, "auto:"+sel.Model, a.Name())
	require.NotEmpty(t, sel.Scores)
	family := func(s string) string { return strings.SplitN(s, "(", 2)[0] }
	assert.Equal(t, family(sel.Model), family(sel.Scores[0].Model), "scores hold the backtest fit, Model the final fit")
	for i := 1; i < len(sel.Scores); i++ {
		assert.LessOrEqual(t, sel.Scores[i-1].MASE, sel.Scores[i].MASE, "scores sorted")
	}
	assert.Less(t, sel.Scores[0].MASE, 1.0)
}

func TestAutoPrefersNaiveOnRandomWalk(t *testing.T) {
	noise := seasonal(600, 24, 0, 0, 0, 1, 4)
	y := make([]float64, len(noise))
	v := 500.0
	for i, e := range noise {
		v += e
		y[i] = v
	}
	a, err := NewAuto(AutoConfig{Periods: []int{24}})
	require.NoError(t, err)
	feed(t, a, y, 0)
	require.NoError(t, a.Refit())
	assert.Regexp(t, `^(naive|drift|ewma|hw-additive)`, a.Selection().Model, a.Selection().Reason)
}

func TestAutoSkipsMultiplicativeOnZeros(t *testing.T) {
	y := seasonal(24*6, 24, 20, 0, 19, 3, 8)
	y[30] = 0
	a, err := NewAuto(AutoConfig{Periods: []int{24}})
	require.NoError(t, err)
	feed(t, a, y, 0)
	require.NoError(t, a.Refit())
	var skipped int
	for _, s := range a.Selection().Scores {
		if s.Skipped != "" {
			skipped++
			assert.Contains(t, s.Model, "multiplicative")
			assert.Contains(t, s.Skipped, "positive values")
			assert.True(t, math.IsInf(s.MASE, 1))
		}
	}
	assert.Equal(t, 2, skipped)
}

func TestAutoDoubleSeasonalCandidate(t *testing.T) {
	a, err := NewAuto(AutoConfig{Periods: []int{4, 16}, Horizon: 4})
	require.NoError(t, err)
	feed(t, a, seasonal(16*5, 4, 50, 0, 10, 1, 2), 0)
	require.NoError(t, a.Refit())
	var names []string
	for _, s := range a.Selection().Scores {
		names = append(names, strings.SplitN(s.Model, "(", 2)[0])
	}
	assert.Contains(t, names, "dshw-additive-notrend")
	assert.Contains(t, names, "dshw-multiplicative-notrend")
	// The second period's candidates are told from the first's by name.
	assert.Contains(t, names, "seasonal-naive")
	assert.Contains(t, names, "seasonal-naive[m=16]")
	assert.Contains(t, names, "hw-additive-notrend")
	assert.Contains(t, names, "hw-additive-notrend[m=16]")
	assert.Equal(t, len(names), len(slices.Compact(slices.Sorted(slices.Values(names)))), "candidate names are distinct: %v", names)
}

func TestAutoShortHistoryBacktestsShorterHorizon(t *testing.T) {
	const p = 12
	y := seasonal(2*p+6, p, 100, 0, 40, 1, 13)
	a, err := NewAuto(AutoConfig{Periods: []int{p}, Horizon: 2 * p})
	require.NoError(t, err)
	feed(t, a, y, 0)
	require.NoError(t, a.Refit())
	sel := a.Selection()
	assert.Contains(t, sel.Reason, "lowest 6-step backtest MASE", "backtest shortened to fit Holt-Winters")
	assert.Equal(t, 6, sel.Horizon)

	b, err := NewAuto(AutoConfig{Periods: []int{p}, Horizon: 2 * p})
	require.NoError(t, err)
	feed(t, b, y[:2*p], 0)
	require.NoError(t, b.Refit())
	assert.Contains(t, b.Selection().Reason, "seasonal naive fallback")
	assert.True(t, b.Selection().Fallback)
}

func TestAutoRefitReselectsOnlyEveryReselectEvery(t *testing.T) {
	const p = 12
	y := seasonal(p*20, p, 100, 0, 40, 2, 17)
	a, err := NewAuto(AutoConfig{Periods: []int{p}, Horizon: 6, Window: 10 * p, ReselectEvery: 50})
	require.NoError(t, err)
	feed(t, a, y[:12*p], 0)
	require.NoError(t, a.Refit())
	at := a.a.selTotal
	feed(t, a, y[12*p:12*p+20], 12*p)
	require.NoError(t, a.Refit())
	assert.Equal(t, at, a.a.selTotal, "20 observations later: parameters only")
	assert.Equal(t, "auto:"+a.Selection().Model, a.Name())
	feed(t, a, y[12*p+20:12*p+60], 12*p+20)
	require.NoError(t, a.Refit())
	assert.Equal(t, int64(12*p+60), a.a.selTotal, "60 observations later: a new selection")

	_, err = NewAuto(AutoConfig{ReselectEvery: -1})
	require.ErrorIs(t, err, ErrInvalidArgument)
}

// TestSelectDefaultByHorizon: the default forecasts the combination
// (SelectCombined) when the horizon reaches the first period, and the best
// one at shorter horizons; no periods: the best one.
func TestSelectDefaultByHorizon(t *testing.T) {
	y := simulated(15*12, 12, 5, false, 3)
	for _, tc := range []struct {
		periods []int
		horizon int
		median  bool
	}{{[]int{12}, 11, false}, {[]int{12}, 12, true}, {[]int{12}, 24, true}, {nil, 24, false}, {[]int{12, 48}, 12, true}, {[]int{12, 48}, 6, false}} {
		a, err := NewAuto(AutoConfig{Periods: tc.periods, Horizon: tc.horizon, Window: len(y)})
		require.NoError(t, err)
		feed(t, a, y, 0)
		require.NoError(t, a.Refit())
		sel := a.Selection()
		assert.Equal(t, tc.median, strings.HasPrefix(sel.Model, "median("), "periods %v, horizon %d: %s (%s)", tc.periods, tc.horizon, sel.Model, sel.Reason)
		if tc.median {
			assert.Contains(t, sel.Reason, "median of the 3 candidates")
		}
		fc, err := a.Forecast(tc.horizon, 0.9)
		require.NoError(t, err)
		for i := range fc.Mean {
			require.True(t, fc.Lower[i] <= fc.Mean[i] && fc.Mean[i] <= fc.Upper[i], "step %d", i)
		}
	}
}

// The default backtest horizon is 15 steps, and no more than 75 minutes at
// coarser steps: fifteen hourly steps would select for forecasts 15 hours
// ahead where the Controller uses the next hour.
func TestAutoDefaultHorizonBoundedInTime(t *testing.T) {
	for _, tc := range []struct {
		step time.Duration
		want int
	}{{0, 15}, {30 * time.Second, 15}, {time.Minute, 15}, {5 * time.Minute, 15}, {10 * time.Minute, 7},
		{15 * time.Minute, 5}, {time.Hour, 1}, {24 * time.Hour, 1}} {
		assert.Equal(t, tc.want, defaultHorizon(tc.step), "step %s", tc.step)
	}
	// The selection scores the default horizon; an explicit one is kept.
	y := simulated(24*20, 24, 5, false, 3)
	for _, tc := range []struct{ horizon, want int }{{0, 1}, {15, 15}} {
		a, err := NewAuto(AutoConfig{Step: time.Hour, Periods: SeasonalPeriods(time.Hour), Horizon: tc.horizon})
		require.NoError(t, err)
		for i, v := range y {
			require.NoError(t, a.Observe(t0.Add(time.Duration(i)*time.Hour), v))
		}
		require.NoError(t, a.Refit())
		assert.Equal(t, tc.want, a.Selection().Horizon, "Horizon %d: %s", tc.horizon, a.Selection().Reason)
		assert.Contains(t, a.Selection().Reason, fmt.Sprintf("lowest %d-step backtest", tc.want))
	}
}

// A backtest winner fitted on the first part of the window can fail on
// the whole of it: a multiplicative model and a zero among the held-out
// values. The next candidate by backtest MASE that fits takes its place,
// not the naive forecast.
func TestAutoRefitFailureTakesTheNextCandidate(t *testing.T) {
	const p, n = 24, 24 * 30
	f := func(i int) float64 {
		return 100 * (1 + 0.8*math.Sin(2*math.Pi*float64(i)/p)) * (1 + 0.01*float64(i))
	}
	y := make([]float64, n)
	for i := range y {
		y[i] = f(i)
	}
	y[n-1] = 0
	a, err := NewAuto(AutoConfig{Periods: []int{p}, Horizon: 6, Window: n, Select: SelectBacktest, ZeroRun: -1})
	require.NoError(t, err)
	feed(t, a, y, 0)
	require.NoError(t, a.Refit())
	sel := a.Selection()
	require.Contains(t, sel.Reason, "refit failed", "the case under test: %s", sel.Reason)
	assert.Contains(t, sel.Reason, "the next by backtest MASE")
	assert.False(t, sel.Fallback, sel.Reason)
	// The naive forecast would repeat the zero (which the season's slot
	// of the last value, 24 steps ahead, learned: not checked).
	fc, err := a.Forecast(p/2, 0.9)
	require.NoError(t, err)
	for i, m := range fc.Mean {
		assert.InDelta(t, f(n+i), m, 0.25*f(n+i)+10, "step %d (%s)", i+1, a.Name())
	}
}

// A missing value at the step where Holt-Winters becomes eligible (two
// seasons and one value): the gap filled with the next value passes over
// that length, and the selection still runs there, not ten steps later
// when the young history's doubling rule comes round.
func TestAutoUpgradesAcrossAGap(t *testing.T) {
	y := simulated(80, 24, 1, false, 3)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	for _, missing := range []int{47, 48} {
		a, err := NewAuto(AutoConfig{Periods: []int{24}, Horizon: 6})
		require.NoError(t, err)
		for i := range 50 {
			if i != missing {
				require.NoError(t, a.Observe(at(i), y[i]))
			}
		}
		require.False(t, a.Selection().Fallback, "missing value %d: %s", missing, a.Selection().Model)
	}
}
