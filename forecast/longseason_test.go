package forecast

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	minutesPerDay  = 1440
	minutesPerWeek = 7 * minutesPerDay
)

// weekdayLoad is n minutes, from t0 (a Monday), of a daily cycle times a
// weekly one whose dip is deepest on Saturday at noon (0.55 of the
// working days' load, 0.83 on Sunday at noon), with 1% multiplicative
// noise.
func weekdayLoad(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 2))
	y := make([]float64, n)
	for i := range y {
		day := float64(i) / minutesPerDay
		daily := 1 + 0.6*math.Sin(2*math.Pi*(day-0.25))
		d := math.Mod(day, 7) - 5.5 // days from Saturday noon, in [−5.5, 1.5)
		if d < -3.5 {
			d += 7
		}
		weekly := 1 - 0.45*math.Exp(-d*d)
		y[i] = 200 * daily * weekly * (1 + 0.01*r.NormFloat64())
	}
	return y
}

func newWeekly(t testing.TB, periods ...int) *Auto {
	t.Helper()
	a, err := NewAuto(AutoConfig{Periods: periods, RefitEvery: minutesPerDay})
	require.NoError(t, err)
	return a
}

// The weekly profile learned outside the window tells the weekend from the
// working days, and the forecasts an hour ahead through the fourth week
// are much closer than with the daily period alone.
func TestLongSeasonLearnsTheWeek(t *testing.T) {
	y := weekdayLoad(4*minutesPerWeek, 1)
	weekly, daily := newWeekly(t, minutesPerDay, minutesPerWeek), newWeekly(t, minutesPerDay)
	var errW, errD float64
	for i, v := range y {
		at := t0.Add(time.Duration(i) * time.Minute)
		if i >= 3*minutesPerWeek && i+60 <= len(y) {
			for _, m := range []struct {
				a   *Auto
				sum *float64
			}{{weekly, &errW}, {daily, &errD}} {
				fc, err := m.a.Forecast(60, 0.9)
				require.NoError(t, err)
				*m.sum += math.Abs(fc.Mean[59] - y[i+59])
			}
		}
		require.NoError(t, weekly.Observe(at, v))
		require.NoError(t, daily.Observe(at, v))
		if i == minutesPerWeek-2 {
			assert.NotContains(t, weekly.Name(), "season(10080)", "no profile before a whole week")
		}
		if i == minutesPerWeek {
			assert.Contains(t, weekly.Name(), "×season(10080)")
		}
	}
	t.Logf("MAE 60 min ahead in the fourth week: %.2f with the weekly profile, %.2f without", errW, errD)
	assert.Less(t, errW, 0.7*errD)

	s := weekly.a.long
	noon := func(day int) float64 {
		return s.factor(t0.Add(time.Duration(3*minutesPerWeek+day*minutesPerDay+720) * time.Minute))
	}
	// Saturday and Sunday noon over Wednesday noon: 0.55 and 0.83 in the
	// load; three harmonics smooth the dip a little.
	assert.InDelta(t, 0.55, noon(5)/noon(2), 0.05)
	assert.InDelta(t, 0.83, noon(6)/noon(2), 0.05)
	fc, err := weekly.Forecast(15, 0.9)
	require.NoError(t, err)
	assert.Contains(t, fc.Model, "×season(10080)")
}

// A restored Auto with a long season, given its window again, forecasts
// exactly as the one that saved the state, through daily refits and the
// freezing of a new weekly profile.
func TestLongSeasonStateRestoresForecasts(t *testing.T) {
	y := weekdayLoad(15*minutesPerDay, 3)
	run := func(a *Auto, from, to int) []Forecast {
		var out []Forecast
		for i := from; i < to; i++ {
			require.NoError(t, a.Observe(t0.Add(time.Duration(i)*time.Minute), y[i]))
			fc, err := a.Forecast(15, 0.8)
			require.NoError(t, err)
			out = append(out, fc)
		}
		return out
	}
	const k = 12*minutesPerDay + 77 // mid-day, during the first profile
	a := newWeekly(t, minutesPerDay, minutesPerWeek)
	feed(t, a, y[:minutesPerDay], 0)
	want := run(a, minutesPerDay, len(y))

	b := newWeekly(t, minutesPerDay, minutesPerWeek)
	feed(t, b, y[:k], 0)
	data, err := b.MarshalState()
	require.NoError(t, err)

	c := newWeekly(t, minutesPerDay, minutesPerWeek)
	require.NoError(t, c.UnmarshalState(data))
	feed(t, c, y[:k], 0)
	got := run(c, k, len(y))
	require.Equal(t, len(want[k-minutesPerDay:]), len(got))
	for i := range got {
		require.Equal(t, want[k-minutesPerDay+i], got[i], "forecast after minute %d", k+i)
	}
	assert.Equal(t, int64(2), c.a.long.epoch, "a second profile was frozen after the restore")
}

// A value the models refuse leaves the long season as it was.
func TestLongSeasonRefusedValueLeavesNoTrace(t *testing.T) {
	a := newWeekly(t, minutesPerDay, minutesPerWeek)
	y := weekdayLoad(minutesPerWeek+10, 4)
	feed(t, a, y[:minutesPerWeek], 0) // the next minute starts the second week
	before := *a.a.long
	next := t0.Add(minutesPerWeek * time.Minute)
	assert.ErrorIs(t, a.Observe(next, math.NaN()), ErrInvalidValue)
	assert.ErrorIs(t, a.Observe(next.Add(-time.Minute), 5), ErrInvalidArgument)
	assert.Equal(t, before, *a.a.long)
	require.NoError(t, a.Observe(next, y[minutesPerWeek]))
	assert.True(t, a.a.long.active())
}

// States of another shape, or saved with or without a long season that
// the forecaster does not have, are refused and change nothing.
func TestLongSeasonBadState(t *testing.T) {
	a := newWeekly(t, minutesPerDay, minutesPerWeek)
	feed(t, a, weekdayLoad(minutesPerWeek+100, 5), 0)
	good, err := a.MarshalState()
	require.NoError(t, err)

	daily := newWeekly(t, minutesPerDay)
	assert.ErrorIs(t, daily.UnmarshalState(good), ErrBadState)
	d, err := daily.MarshalState()
	require.NoError(t, err)
	err = newWeekly(t, minutesPerDay, minutesPerWeek).UnmarshalState(d)
	assert.ErrorIs(t, err, ErrBadState)
	assert.ErrorContains(t, err, "long season saved false, configured true")

	corrupt := func(edit func(v []float64) []float64) error {
		var doc map[string]any
		require.NoError(t, json.Unmarshal(good, &doc))
		auto := doc["auto"].(map[string]any)
		var v floats
		require.NoError(t, v.UnmarshalText([]byte(auto["long_season"].(string))))
		text, err := floats(edit(v)).MarshalText()
		require.NoError(t, err)
		auto["long_season"] = string(text)
		data, err := json.Marshal(doc)
		require.NoError(t, err)
		return a.UnmarshalState(data)
	}
	fc, err := a.Forecast(30, 0.9)
	require.NoError(t, err)
	for name, edit := range map[string]func(v []float64) []float64{
		"short":      func(v []float64) []float64 { return v[:5] },
		"period":     func(v []float64) []float64 { v[0] = 2016; return v },
		"NaN sum":    func(v []float64) []float64 { v[2] = math.NaN(); return v },
		"slots":      func(v []float64) []float64 { v[17], v[18] = v[18], v[17]-5; return v },
		"epoch":      func(v []float64) []float64 { v[19] = 3; return v },
		"inf factor": func(v []float64) []float64 { v[20] = math.Inf(1); return v },
	} {
		err := corrupt(edit)
		assert.ErrorIs(t, err, ErrBadState, name)
		assert.True(t, strings.Contains(err.Error(), "long season"), "%s: %v", name, err)
	}
	again, err := a.Forecast(30, 0.9)
	require.NoError(t, err)
	assert.Equal(t, fc, again, "the refused states changed nothing")
	assert.NoError(t, corrupt(func(v []float64) []float64 { return v }), "the unedited state loads")
}

// Zeros, values near the largest float64, gaps and a clock jump of a year
// leave the forecasts finite and not negative, and the state loadable.
func TestLongSeasonOddInput(t *testing.T) {
	a, err := NewAuto(AutoConfig{Periods: []int{48, 2100}, Horizon: 6, MaxGap: 30})
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(9, 9))
	at := t0
	for i := range 5 * 2100 {
		v := 100 + 50*math.Sin(2*math.Pi*float64(i)/48) + 10*r.NormFloat64()
		switch {
		case i >= 2500 && i < 2700:
			v = 0
		case i%997 == 0:
			v = math.MaxFloat64 / 3
		}
		v = math.Max(v, 0)
		at = at.Add(time.Minute)
		switch i {
		case 3000:
			at = at.Add(20 * time.Minute) // a gap that is filled
		case 6000:
			at = at.AddDate(1, 0, 0) // a clock jump: the models restart
		}
		require.NoError(t, a.Observe(at, v), "index %d", i)
		if a.Fitted() && i%50 == 0 {
			fc, err := a.Forecast(12, 0.9)
			require.NoError(t, err)
			for j := range fc.Mean {
				for _, x := range []float64{fc.Mean[j], fc.Lower[j], fc.Upper[j]} {
					require.False(t, math.IsNaN(x) || math.IsInf(x, 0) || x < 0, "index %d step %d: %v", i, j, fc)
				}
			}
			if _, err := a.PeakUpper(6, 0.9); err != nil {
				require.NoError(t, err)
			}
		}
	}
	assert.True(t, a.a.long.active())
	data, err := a.MarshalState()
	require.NoError(t, err)
	b, err := NewAuto(AutoConfig{Periods: []int{48, 2100}, Horizon: 6, MaxGap: 30})
	require.NoError(t, err)
	require.NoError(t, b.UnmarshalState(data))
}

// The factors of consecutive steps, rotated from the first, are the
// factors of each step on its own, across the change of profile at a
// period's start.
func TestLongSeasonFactorsRotate(t *testing.T) {
	a := newWeekly(t, minutesPerDay, minutesPerWeek)
	feed(t, a, weekdayLoad(15*minutesPerDay, 6), 0)
	s := a.a.long
	require.Equal(t, int64(2), s.epoch)
	require.NotEqual(t, s.cur, s.prev)
	start := t0.Add((2*minutesPerWeek - 1000) * time.Minute) // in the first profile's last period
	got := make([]float64, 3000)
	s.factors(start, got)
	for i, f := range got {
		require.InDelta(t, s.factor(start.Add(time.Duration(i)*time.Minute)), f, 1e-9, "step %d", i)
	}
}

// A value after a gap that crosses the end of a week is divided by the
// profile the gap's fills freeze, the one the long season then uses at
// its time: the window holds it deseasoned by factor(t), as it would
// without the gap.
func TestLongSeasonGapAcrossWeekEnd(t *testing.T) {
	y := weekdayLoad(2*minutesPerWeek+60, 5)
	a := newWeekly(t, minutesPerDay, minutesPerWeek)
	const from, to = 2*minutesPerWeek - 7, 2*minutesPerWeek + 5 // the missing minutes
	for i, v := range y {
		if i >= from && i < to {
			continue
		}
		at := t0.Add(time.Duration(i) * time.Minute)
		require.NoError(t, a.Observe(at, v))
		if i == to {
			require.Equal(t, int64(2), a.a.long.epoch, "the fills froze the second profile")
			got := a.hist.At(a.hist.Len()-1) * a.a.long.factor(at)
			require.InEpsilon(t, v, got, 1e-12, "the value after the gap, multiplied back by the factor at its time")
		}
	}
	// Filled, not refused or started over.
	assert.Equal(t, int64(len(y)-1), a.slot)
}

// Restored just before such a gap, with its history given back, an Auto
// forecasts through the gap, the profile its fills freeze and after
// exactly as the one that saved the state: the first value after the gap
// ends the taking back of the window and fills the gap as Observe would.
func TestLongSeasonGapAcrossWeekEndRestored(t *testing.T) {
	y := weekdayLoad(2*minutesPerWeek+120, 6)
	const from, to = 2*minutesPerWeek - 7, 2*minutesPerWeek + 5
	run := func(a *Auto) []Forecast {
		var out []Forecast
		for i := from; i < len(y); i++ {
			if i < to {
				continue
			}
			require.NoError(t, a.Observe(t0.Add(time.Duration(i)*time.Minute), y[i]))
			fc, err := a.Forecast(15, 0.8)
			require.NoError(t, err)
			out = append(out, fc)
		}
		return out
	}
	a := newWeekly(t, minutesPerDay, minutesPerWeek)
	feed(t, a, y[:from], 0)
	data, err := a.MarshalState()
	require.NoError(t, err)
	want := run(a)

	b := newWeekly(t, minutesPerDay, minutesPerWeek)
	require.NoError(t, b.UnmarshalState(data))
	feed(t, b, y[:from], 0)
	got := run(b)
	require.Equal(t, len(want), len(got))
	for i := range got {
		require.Equal(t, want[i], got[i], "forecast after minute %d", to+i)
	}
	assert.Equal(t, int64(2), b.a.long.epoch, "the fills froze the second profile")
}
