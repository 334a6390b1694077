package forecast

import (
	"time"
)

// Forecaster predicts a load series from its own history.
//
// Observations arrive in time order, one per step of the forecaster's grid.
// Observe must update the state in O(1) amortized time without refitting the
// model; refitting happens periodically or on demand (see [Refitter]).
// Forecast predicts the h steps that follow the last observation.
//
// Implementations are not required to be safe for concurrent use: the
// Controller calls a Forecaster from one goroutine at a time. They must never
// panic on bad input: NaN, Inf and negative values are rejected by Observe
// with an error that wraps [ErrInvalidValue] and never reach the state.
type Forecaster interface {
	// Observe adds the observation v at time t.
	Observe(t time.Time, v float64) error
	// Forecast predicts the next h steps with a central prediction
	// interval at the given level (for example 0.95). It returns an error
	// wrapping ErrInsufficientHistory when the history is too short.
	Forecast(h int, level float64) (Forecast, error)
}

// Refitter is implemented by forecasters whose parameters can be re-estimated
// on demand. The Controller calls Refit every Config.RefitEvery passes when the
// forecaster implements it.
type Refitter interface {
	Refit() error
}

// Namer is implemented by forecasters that report which model they use; Auto
// reports the model it selected.
type Namer interface {
	Name() string
}

// PeakBounder is implemented by forecasters that bound the largest value
// of the next lead steps directly, at a one-sided level, rather than by
// the largest per-step upper bound of a central interval ([Auto] does, by
// split-conformal quantiles of its peak errors with an adapted level). The
// Controller provisions for it when the forecaster implements it.
type PeakBounder interface {
	PeakUpper(lead int, level float64) (float64, error)
}

var _ PeakBounder = (*Auto)(nil)

// ZeroHolder is a forecaster that holds back a run of zeros it takes for a
// possible monitoring outage rather than for load ([Auto] does, see "Zero
// runs" there). The Controller reports the run and alerts when one starts
// and when it ends.
type ZeroHolder interface {
	// HeldZeros returns the time of the first zero of the run held back
	// and the number of grid steps from it to the last; 0 steps when no
	// run is held back.
	HeldZeros() (since time.Time, steps int)
}

var _ ZeroHolder = (*Auto)(nil)

// Forecast is a point forecast with a prediction interval.
//
// Mean, Lower and Upper have one entry per step; entry i predicts the
// interval that starts at Start + i×Step.
type Forecast struct {
	// Start is the time of the first predicted step.
	Start time.Time
	// Step is the grid interval.
	Step time.Duration
	// Mean is the point forecast for each step.
	Mean []float64
	// Lower and Upper bound the central prediction interval at Level.
	Lower, Upper []float64
	// Level is the nominal coverage of [Lower, Upper], in (0, 1).
	Level float64
	// Model names the model that produced the forecast.
	Model string
}

// Len is the number of predicted steps.
func (f Forecast) Len() int { return len(f.Mean) }

// Peak returns the largest mean and the largest upper bound over the first h
// steps (all steps when h <= 0 or h > Len). Both are 0 for an empty forecast.
func (f Forecast) Peak(h int) (mean, upper float64) {
	if h <= 0 || h > len(f.Mean) {
		h = len(f.Mean)
	}
	for i := 0; i < h; i++ {
		if f.Mean[i] > mean {
			mean = f.Mean[i]
		}
		if i < len(f.Upper) && f.Upper[i] > upper {
			upper = f.Upper[i]
		}
	}
	return mean, upper
}
