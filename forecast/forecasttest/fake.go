package forecasttest

import (
	"sync"
	"time"

	"github.com/shadowscale/shadowscale/forecast"
)

var (
	_ forecast.Forecaster = (*Fake)(nil)
	_ forecast.Refitter   = (*Fake)(nil)
	_ forecast.Namer      = (*Fake)(nil)
)

// Observation is one call to Observe recorded by a Fake.
type Observation struct {
	// T is the time Observe was called with.
	T time.Time
	// V is the value Observe was called with.
	V float64
}

// Step scripts the result of one Forecast call.
type Step struct {
	// Forecast is returned when Err is nil. If its Mean is shorter than the
	// requested horizon, the last entry (or 0) is repeated; Lower and Upper
	// default to Mean. Level is set to the requested level. A zero Start
	// becomes one Step after the last observation (Step defaulting to the
	// spacing of the last two observations, or one minute after the first).
	Forecast forecast.Forecast
	// Err, if not nil, is returned instead.
	Err error
}

// Fake is a scripted Forecaster. Forecast returns the scripted steps in
// order and repeats the last one when the script runs out (an empty script
// returns ErrInsufficientHistory). Observe records every call and returns
// ObserveErr. Configure the exported fields before use; Fake is safe for
// concurrent use.
type Fake struct {
	// Script holds the results of successive Forecast calls.
	Script []Step
	// ObserveErr is returned by every Observe call (nil: accepted).
	ObserveErr error
	// RefitErr is returned by every Refit call.
	RefitErr error
	// Model is returned by Name; empty means "fake".
	Model string

	mu       sync.Mutex
	obs      []Observation
	calls    int
	refits   int
	horizons []int
}

// Constant returns a Fake that always forecasts mean with the interval
// [lower, upper].
func Constant(mean, lower, upper float64) *Fake {
	return &Fake{Script: []Step{{Forecast: forecast.Forecast{
		Mean: []float64{mean}, Lower: []float64{lower}, Upper: []float64{upper},
	}}}}
}

// Observe records the observation and returns ObserveErr.
func (f *Fake) Observe(t time.Time, v float64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.obs = append(f.obs, Observation{T: t, V: v})
	return f.ObserveErr
}

// Forecast returns the next scripted step, stretched to h points; h < 1
// gives ErrInvalidArgument without consuming a step.
func (f *Fake) Forecast(h int, level float64) (forecast.Forecast, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.horizons = append(f.horizons, h)
	if h < 1 {
		return forecast.Forecast{}, forecast.ErrInvalidArgument
	}
	if len(f.Script) == 0 {
		f.calls++
		return forecast.Forecast{}, forecast.ErrInsufficientHistory
	}
	s := f.Script[min(f.calls, len(f.Script)-1)]
	f.calls++
	if s.Err != nil {
		return forecast.Forecast{}, s.Err
	}
	fc := s.Forecast
	fc.Mean = stretch(fc.Mean, nil, h)
	fc.Lower = stretch(fc.Lower, fc.Mean, h)
	fc.Upper = stretch(fc.Upper, fc.Mean, h)
	fc.Level = level
	if fc.Start.IsZero() && len(f.obs) > 0 {
		// On the grid of the observations: one step after the last.
		last := f.obs[len(f.obs)-1].T
		switch {
		case fc.Step != 0:
		case len(f.obs) > 1:
			fc.Step = last.Sub(f.obs[len(f.obs)-2].T)
		default:
			fc.Step = time.Minute
		}
		fc.Start = last.Add(fc.Step)
	}
	if fc.Model == "" {
		fc.Model = f.name()
	}
	return fc, nil
}

// stretch returns a copy of v with h entries, repeating its last entry,
// or a copy of def when v is empty.
func stretch(v, def []float64, h int) []float64 {
	if len(v) == 0 {
		if def != nil {
			return append([]float64(nil), def...)
		}
		v = []float64{0}
	}
	out := make([]float64, h)
	for i := range out {
		out[i] = v[min(i, len(v)-1)]
	}
	return out
}

// Refit counts the call and returns RefitErr.
func (f *Fake) Refit() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refits++
	return f.RefitErr
}

// Name returns Model, or "fake".
func (f *Fake) Name() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.name()
}

func (f *Fake) name() string {
	if f.Model == "" {
		return "fake"
	}
	return f.Model
}

// Observations returns a copy of the recorded observations.
func (f *Fake) Observations() []Observation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Observation(nil), f.obs...)
}

// ForecastCalls returns the horizons of the Forecast calls so far.
func (f *Fake) ForecastCalls() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.horizons...)
}

// RefitCalls returns the number of Refit calls so far.
func (f *Fake) RefitCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refits
}
