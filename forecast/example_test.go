package forecast_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/shadowscale/shadowscale/forecast"
)

// daily returns n hourly points with a daily cycle.
func daily(n int) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = 100 + 40*math.Sin(2*math.Pi*float64(i)/24)
	}
	return y
}

func ExampleNewHoltWinters() {
	hw, err := forecast.NewHoltWinters(forecast.Config{Step: time.Hour, Period: 24, Trend: forecast.TrendNone})
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for i, v := range daily(24 * 7) {
		if err := hw.Observe(start.Add(time.Duration(i)*time.Hour), v); err != nil {
			fmt.Println(err)
			return
		}
	}
	fc, err := hw.Forecast(6, 0.95)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(fc.Start.Format(time.RFC3339))
	for _, m := range fc.Mean {
		fmt.Printf("%.0f ", m)
	}
	fmt.Println()
	// Output:
	// 2026-03-09T00:00:00Z
	// 100 110 120 128 135 139
}

// A load climbing by about 3 req/s a minute, without a daily cycle: Holt's
// damped trend carries the slope ahead, flattening it a little each step.
func ExampleNewHolt() {
	m, err := forecast.NewHolt(forecast.Config{Trend: forecast.TrendDamped, RefitEvery: 60})
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	noise := rand.New(rand.NewPCG(1, 2))
	for i := range 120 {
		v := 200 + 3*float64(i) + 4*noise.NormFloat64()
		if err := m.Observe(start.Add(time.Duration(i)*time.Minute), v); err != nil {
			fmt.Println(err)
			return
		}
	}
	fc, err := m.Forecast(10, 0.9)
	if err != nil {
		fmt.Println(err)
		return
	}
	line := 200 + 3*129.0 // the load 10 minutes after the last observation
	fmt.Println(strings.SplitN(fc.Model, "(", 2)[0])
	fmt.Println("within 1% of the line 10 minutes ahead:", math.Abs(fc.Mean[9]-line) < 0.01*line)
	fmt.Println("the line inside the 90% interval:", fc.Lower[9] <= line && line <= fc.Upper[9])
	// Output:
	// holt-damped
	// within 1% of the line 10 minutes ahead: true
	// the line inside the 90% interval: true
}

func ExampleNewAuto() {
	// The online configuration for the Controller: one-minute steps, a daily
	// cycle, a new selection every 6 hours.
	a, err := forecast.NewAuto(forecast.AutoConfig{Step: time.Minute, Periods: []int{1440}, RefitEvery: 360})
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for i := range 30 {
		_ = a.Observe(start.Add(time.Duration(i)*time.Minute), 50+float64(i%2))
	}
	fmt.Println(strings.HasSuffix(a.Name(), "(fallback: short history)"))
	fmt.Println(a.Selection().Fallback)
	// Output:
	// true
	// true
}

func ExampleBacktest() {
	y := daily(24 * 10)
	for i := range y {
		y[i] += float64(i % 7) // a weekly wobble the daily models do not know
	}
	score := func(newF func() (forecast.Forecaster, error)) forecast.Accuracy {
		acc, err := forecast.Backtest(newF, y, 12, 5, forecast.BacktestOptions{Period: 24})
		if err != nil {
			panic(err)
		}
		return acc
	}
	snaive := score(func() (forecast.Forecaster, error) { return forecast.NewSeasonalNaive(forecast.Config{Period: 24}) })
	naive := score(func() (forecast.Forecaster, error) { return forecast.NewNaive(forecast.Config{}) })
	fmt.Printf("origins %d, seasonal naive MASE %.2f, naive MASE %.2f\n", snaive.Origins, snaive.MASE, naive.MASE)
	// Output: origins 5, seasonal naive MASE 1.00, naive MASE 10.25
}

// MSIS scores an interval by its width and by how far its misses lie
// outside: at 90%, a point 1 below the interval costs 2/0.1 = 20 units.
func ExampleMSIS() {
	insample := []float64{10, 12, 11, 13, 12} // naive scale (2+1+2+1)/4 = 1.5
	actual := []float64{12, 14}
	lower, upper := []float64{11, 11}, []float64{13, 13}
	s, err := forecast.MSIS(actual, lower, upper, insample, 1, 0.9)
	if err != nil {
		panic(err)
	}
	fmt.Printf("MSIS %.2f\n", s) // (2 + (2 + 20·1)) / 2 / 1.5
	// Output: MSIS 8.00
}

func ExampleNewBrutlag() {
	hw, _ := forecast.NewHoltWinters(forecast.Config{Step: time.Hour, Period: 24, Trend: forecast.TrendNone})
	det, _ := forecast.NewBrutlag(hw, forecast.BrutlagConfig{Period: 24, Window: 1, Threshold: 1})
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	y := daily(24 * 6)
	for i, v := range y {
		v += float64(i%3) - 1 // a little noise
		if _, err := det.Detect(start.Add(time.Duration(i)*time.Hour), v); err != nil {
			fmt.Println(err)
			return
		}
	}
	a, _ := det.Detect(start.Add(time.Duration(len(y))*time.Hour), 400)
	fmt.Println(a.Outside, a.Alarm)
	// Output: true true
}

// noisyDaily returns n hourly points with a daily cycle and deterministic
// pseudo-random noise.
func noisyDaily(n int) []float64 {
	y := daily(n)
	for i := range y {
		y[i] += 5 * math.Sin(float64(i)*12.9898)
	}
	return y
}

func ExampleAuto_PeakUpper() {
	a, err := forecast.NewAuto(forecast.AutoConfig{Step: time.Hour, Periods: []int{24}, Horizon: 6})
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for i, v := range noisyDaily(24 * 28) {
		if err := a.Observe(start.Add(time.Duration(i)*time.Hour), v); err != nil {
			fmt.Println(err)
			return
		}
	}
	// What to provision for when capacity takes 3 steps to arrive.
	u, err := a.PeakUpper(3, 0.9)
	if err != nil {
		fmt.Println(err)
		return
	}
	fc, err := a.Forecast(3, 0.9)
	if err != nil {
		fmt.Println(err)
		return
	}
	peak, _ := fc.Peak(3)
	fmt.Println(u > peak)
	// Output:
	// true
}

func ExampleAutoConfig_select() {
	// The median of three selections: the median of the three candidates
	// with the lowest backtest error, the lowest alone and the lowest AICc.
	a, err := forecast.NewAuto(forecast.AutoConfig{Step: time.Hour, Periods: []int{24}, Horizon: 6, Select: forecast.SelectCombined})
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for i, v := range noisyDaily(24 * 14) {
		if err := a.Observe(start.Add(time.Duration(i)*time.Hour), v); err != nil {
			fmt.Println(err)
			return
		}
	}
	fmt.Println(strings.HasPrefix(a.Selection().Model, "median("))
	// Output:
	// true
}

// The default selection depends on how far ahead the forecasts go: at a
// horizon of a season or more (here two days of hourly data) Auto forecasts
// a median of three selections (SelectCombined), at shorter horizons (six hours,
// or the Controller's lead time) the single best.
func ExampleSelectMethod_default() {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for _, horizon := range []int{48, 6} {
		a, err := forecast.NewAuto(forecast.AutoConfig{Step: time.Hour, Periods: []int{24}, Horizon: horizon})
		if err != nil {
			fmt.Println(err)
			return
		}
		for i, v := range noisyDaily(24 * 14) {
			if err := a.Observe(start.Add(time.Duration(i)*time.Hour), v); err != nil {
				fmt.Println(err)
				return
			}
		}
		fmt.Println(horizon, strings.HasPrefix(a.Selection().Model, "median("))
	}
	// Output:
	// 48 true
	// 6 false
}

// With one-minute steps, SeasonalPeriods proposes the day and the week; the
// week of 10,080 steps is modeled outside the window, as a smooth profile
// used once a whole week was observed. Here Saturdays and Sundays carry
// 60% of a working day's load, and the forecast for Saturday at noon made
// on Friday at 11:00, two weeks in, expects the dip.
func ExampleAutoConfig_weekly() {
	periods := forecast.SeasonalPeriods(time.Minute)
	a, err := forecast.NewAuto(forecast.AutoConfig{Step: time.Minute, Periods: periods, RefitEvery: 1440})
	if err != nil {
		fmt.Println(err)
		return
	}
	monday := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	load := func(t time.Time) float64 {
		day := t.Sub(monday).Hours() / 24
		v := 100 + 50*math.Sin(2*math.Pi*(day-0.25))
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			v *= 0.6
		}
		return v
	}
	friday := monday.Add((7 + 4) * 24 * time.Hour).Add(11 * time.Hour)
	for t := monday; t.Before(friday); t = t.Add(time.Minute) {
		if err := a.Observe(t, load(t)); err != nil {
			fmt.Println(err)
			return
		}
	}
	fc, err := a.Forecast(25*60+1, 0.9) // Friday 11:00 to Saturday 12:00
	if err != nil {
		fmt.Println(err)
		return
	}
	noon := fc.Start.Add(time.Duration(len(fc.Mean)-1) * time.Minute)
	got, want := fc.Mean[len(fc.Mean)-1], load(noon)
	fmt.Println(periods, strings.Contains(a.Name(), "×season(10080)"))
	fmt.Printf("%s %s: forecast within 15%% of %.0f: %t\n", noon.Weekday(), noon.Format("15:04"), want, math.Abs(got/want-1) < 0.15)
	// Output:
	// [1440 10080] true
	// Saturday 12:00: forecast within 15% of 90: true
}

// A monitoring outage recorded as zeros is held back from the models, not
// learned as load: HeldZeros reports it, and the forecasts continue from
// the last load seen until load returns.
func ExampleAuto_HeldZeros() {
	a, err := forecast.NewAuto(forecast.AutoConfig{Step: time.Minute, Periods: []int{60}})
	if err != nil {
		panic(err)
	}
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	for i := range 180 {
		if err := a.Observe(at(i), 100+float64(i%7)); err != nil {
			panic(err)
		}
	}
	for i := 180; i < 190; i++ { // ten minutes of zeros
		if err := a.Observe(at(i), 0); err != nil {
			panic(err)
		}
	}
	since, steps := a.HeldZeros()
	fc, err := a.Forecast(1, 0.9)
	if err != nil {
		panic(err)
	}
	fmt.Printf("holding %d zeros since %s; next minute forecast above 90: %v\n", steps, since.Format("15:04"), fc.Mean[0] > 90)
	if err := a.Observe(at(190), 104); err != nil {
		panic(err)
	}
	_, steps = a.HeldZeros()
	fmt.Println("after load returned:", steps)
	// Output:
	// holding 10 zeros since 03:00; next minute forecast above 90: true
	// after load returned: 0
}
