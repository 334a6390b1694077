package forecast

import (
	"fmt"
	"math"
	"time"

	"github.com/shadowscale/shadowscale/internal/defaults"
)

// BacktestOptions tunes [Backtest]. The zero value selects the defaults.
type BacktestOptions struct {
	// Step is the grid interval of the synthesized timestamps. Default 1
	// minute; it must match the forecasters' Config.Step.
	Step time.Duration
	// Level is the interval level whose coverage is measured. Default 0.95.
	Level float64
	// Period is the seasonal period of the MASE scale (≤ 1: naive scale).
	Period int
	// Stride is the number of steps between origins. Default: Horizon.
	Stride int
	// Refit re-estimates the parameters at every origin (when the
	// forecaster implements Refitter), instead of only at the first.
	Refit bool
}

// Accuracy summarizes forecast errors over the origins of a backtest.
type Accuracy struct {
	// MASE is the mean absolute scaled error, scaled by the in-sample
	// (before the first origin) seasonal naive error.
	MASE float64
	// SMAPE is the symmetric mean absolute percentage error, in percent.
	SMAPE float64
	// RMSE is the root mean squared error.
	RMSE float64
	// Coverage is the fraction of actual values inside the interval.
	Coverage float64
	// MSIS is the mean scaled interval score of the interval at
	// BacktestOptions.Level, scaled as MASE (see [MSIS]): lower is
	// better, and unlike Coverage it charges width.
	MSIS float64
	// Origins is the number of forecast origins evaluated.
	Origins int
	// Points is the number of forecast points evaluated.
	Points int
}

// String formats the accuracy on one line.
func (a Accuracy) String() string {
	return fmt.Sprintf("MASE %.3f sMAPE %.2f%% RMSE %.4g coverage %.1f%% MSIS %.3f (%d origins, %d points)",
		a.MASE, a.SMAPE, a.RMSE, 100*a.Coverage, a.MSIS, a.Origins, a.Points)
}

// Backtest evaluates forecasters made by newForecaster on y with rolling
// origins: the forecaster observes y up to the first origin (refitted there
// when it implements Refitter), forecasts horizon steps, observes Stride
// more values, forecasts again, and so on. The last origin is len(y) −
// horizon and there are origins of them (fewer if y is too short). The
// forecaster sees only data before each origin.
func Backtest(newForecaster func() (Forecaster, error), y []float64, horizon, origins int, opt BacktestOptions) (Accuracy, error) {
	if horizon < 1 || origins < 1 {
		return Accuracy{}, fmt.Errorf("%w: horizon %d and origins %d must be ≥ 1", ErrInvalidArgument, horizon, origins)
	}
	opt.Step = defaults.IfZero(opt.Step, time.Minute)
	opt.Level = defaults.IfZero(opt.Level, 0.95)
	if opt.Stride <= 0 {
		opt.Stride = horizon
	}
	last := len(y) - horizon
	first := last - (origins-1)*opt.Stride
	for first < 2 && origins > 1 {
		origins--
		first = last - (origins-1)*opt.Stride
	}
	if first < 1 {
		return Accuracy{}, fmt.Errorf("%w: %d values leave no origin for horizon %d", ErrInsufficientHistory, len(y), horizon)
	}
	scale, err := naiveScale(y[:first], opt.Period)
	if err != nil {
		return Accuracy{}, err
	}
	f, err := newForecaster()
	if err != nil {
		return Accuracy{}, err
	}
	t0 := time.Unix(0, 0).UTC()
	fed := 0
	feed := func(to int) error {
		for ; fed < to; fed++ {
			if err := f.Observe(t0.Add(time.Duration(fed)*opt.Step), y[fed]); err != nil {
				return fmt.Errorf("observe index %d: %w", fed, err)
			}
		}
		return nil
	}
	var acc Accuracy
	var absSum, sqSum, smape, isSum float64
	in := 0
	for o := first; o <= last; o += opt.Stride {
		if err := feed(o); err != nil {
			return Accuracy{}, err
		}
		if r, ok := f.(Refitter); ok && (o == first || opt.Refit) {
			if err := r.Refit(); err != nil {
				return Accuracy{}, fmt.Errorf("refit at origin %d: %w", o, err)
			}
		}
		fc, err := f.Forecast(horizon, opt.Level)
		if err != nil {
			return Accuracy{}, fmt.Errorf("forecast at origin %d: %w", o, err)
		}
		for h := range horizon {
			a, m := y[o+h], fc.Mean[h]
			absSum += math.Abs(a - m)
			sqSum += (a - m) * (a - m)
			if d := math.Abs(a) + math.Abs(m); d > 0 {
				smape += math.Abs(a-m) / d
			}
			if a >= fc.Lower[h] && a <= fc.Upper[h] {
				in++
			}
			isSum += intervalScore(a, fc.Lower[h], fc.Upper[h], 1-opt.Level)
		}
		acc.Origins++
		acc.Points += horizon
	}
	n := float64(acc.Points)
	acc.MASE = absSum / n / scale
	acc.SMAPE = 200 * smape / n
	acc.RMSE = math.Sqrt(sqSum / n)
	acc.Coverage = float64(in) / n
	acc.MSIS = isSum / n / scale
	return acc, nil
}
