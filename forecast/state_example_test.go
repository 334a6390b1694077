package forecast_test

import (
	"fmt"
	"math"
	"time"

	"github.com/shadowscale/shadowscale/forecast"
)

// A restarted process restores Auto's fitted model from its state and
// observes the history window again: it forecasts exactly as before. (Ten
// days of hourly values, 240: the state holds them too, see
// Config.StateWindow, and observing them again changes nothing.)
func ExampleStateful() {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	load := func(i int) float64 { return 100 + 30*math.Sin(2*math.Pi*float64(i)/24) + float64(i%5) }
	cfg := forecast.AutoConfig{Step: time.Hour, Periods: []int{24}}
	before, _ := forecast.NewAuto(cfg)
	for i := range 24 * 10 {
		_ = before.Observe(start.Add(time.Duration(i)*time.Hour), load(i))
	}
	state, _ := before.MarshalState()

	after, _ := forecast.NewAuto(cfg)
	if err := after.UnmarshalState(state); err != nil {
		fmt.Println(err)
		return
	}
	for i := range 24 * 10 { // the history, from a metrics source
		_ = after.Observe(start.Add(time.Duration(i)*time.Hour), load(i))
	}
	a, _ := before.Forecast(6, 0.9)
	b, _ := after.Forecast(6, 0.9)
	fmt.Println(after.Name() == before.Name(), fmt.Sprint(a) == fmt.Sprint(b))
	// Output:
	// true true
}
