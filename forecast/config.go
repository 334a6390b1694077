package forecast

import (
	"fmt"
	"math"
	"time"

	"github.com/shadowscale/shadowscale/internal/defaults"

	"github.com/shadowscale/shadowscale/internal/enum"
)

// Seasonality selects how a seasonal component combines with the level.
type Seasonality int

const (
	// Additive seasonality adds a seasonal offset to the level.
	Additive Seasonality = iota
	// Multiplicative seasonality multiplies the level by a seasonal factor.
	// It needs strictly positive data.
	Multiplicative
)

// String returns "additive" or "multiplicative".
func (s Seasonality) String() string {
	return enum.Name(s, "seasonality", seasonalityNames)
}

var seasonalityNames = []string{Additive: "additive", Multiplicative: "multiplicative"}

// Trend selects the trend component of Holt-Winters models.
type Trend int

const (
	// TrendAdditive is a linear trend, as in R's stats::HoltWinters.
	TrendAdditive Trend = iota
	// TrendDamped is a linear trend damped by Phi at each step ahead.
	TrendDamped
	// TrendNone has no trend: the level is flat ahead.
	TrendNone
)

// String returns "additive", "damped" or "none".
func (t Trend) String() string {
	return enum.Name(t, "trend", trendNames)
}

var trendNames = []string{TrendAdditive: "additive", TrendDamped: "damped", TrendNone: "none"}

// IntervalMethod selects how prediction intervals are computed.
type IntervalMethod int

const (
	// IntervalDefault is IntervalEmpirical.
	IntervalDefault IntervalMethod = iota
	// IntervalNormal uses normal quantiles and the ETS state-space variance
	// σ²·(1 + Σ_{j<h} c_j²), with σ² the recent one-step error variance.
	IntervalNormal
	// IntervalEmpirical replaces the normal quantiles by empirical quantiles
	// of the standardized one-step errors seen in the last fit, and keeps the
	// same growth with the horizon. It is honest for skewed, bursty errors.
	IntervalEmpirical
)

// String returns "default", "normal" or "empirical".
func (m IntervalMethod) String() string {
	return enum.Name(m, "interval method", intervalMethodNames)
}

var intervalMethodNames = []string{IntervalDefault: "default", IntervalNormal: "normal", IntervalEmpirical: "empirical"}

// Config configures the single models (Holt-Winters, double-seasonal
// Holt-Winters and the baselines). The zero value of every field except
// Period selects its documented default.
type Config struct {
	// Step is the grid interval; observations are snapped to the grid
	// anchored at the first observation's time. Default 1 minute.
	Step time.Duration
	// Period is the season length in steps (1440 for daily seasonality on
	// 1-minute data). Required (≥ 2) by the seasonal models, ignored by
	// Naive, Drift and EWMA.
	Period int
	// Period2 is the second, longer season of DoubleSeasonal (10080 or 2016
	// for a weekly cycle on 1- or 5-minute data). It must exceed Period.
	Period2 int
	// Seasonality is additive (default) or multiplicative.
	Seasonality Seasonality
	// Trend is additive (default), damped or none.
	Trend Trend
	// Alpha, Beta, Gamma and Phi fix a smoothing parameter instead of
	// fitting it (nil: fitted). Alpha is the level, Beta the trend, Gamma
	// the seasonal (for DoubleSeasonal, the first season; Delta the second)
	// and Phi the damping or, for DoubleSeasonal, the AR(1) error
	// coefficient. Values must lie in [0, 1]. See [Float].
	Alpha, Beta, Gamma, Delta, Phi *float64
	// Window is the number of most recent observations kept and fitted on.
	// It bounds the cost of a fit. Default: max(4×Period, 1000) for
	// Holt-Winters, 3×Period2 for DoubleSeasonal, 1000 for the baselines.
	Window int
	// RefitEvery refits the parameters automatically after this many
	// observations (0: never; the first fit happens as soon as the history
	// is long enough, and Refit fits on demand). While the history is
	// shorter than 1,000 values (and the window), the model also refits
	// each time the history has doubled since its last fit, so that a fit
	// on the first few values does not last.
	RefitEvery int
	// MaxGap is the longest gap, in steps, that is filled; a longer gap,
	// or one longer than the history before it, discards the history and
	// starts afresh. Default max(2×Period2,
	// 2×Period, 1440).
	MaxGap int
	// StateWindow is the longest history window a saved state holds (see
	// [Stateful]): while the window is at most this long (a young
	// history), MarshalState saves it, and a restored forecaster refits
	// and reselects as the one that saved it without the history being
	// observed again (a history source that fails at start-up). 0 selects
	// 4096 values (32 KiB before encoding: two days of 1-minute steps);
	// a negative value never saves it. It does not change what a state
	// means: states saved under another StateWindow restore.
	StateWindow int
	// Interval selects the interval method (default IntervalEmpirical).
	Interval IntervalMethod
	// ResidualWindow is the time constant, in steps, of the exponentially
	// weighted one-step error variance that scales the intervals, so that
	// they follow the recent volatility. Default: two hours of steps, at
	// least 24 (120 at 1-minute steps, 24 at 5-minute steps, 480 at
	// 15-second steps): the volatility of a load changes with the time of
	// day, whatever the step, and a scale that remembered ten hours of
	// 5-minute errors carried the day's surges into the night's headroom.
	ResidualWindow int
	// BiasWindow, when positive, is the time constant, in steps, of a
	// tracking signal that refits a fitted model early: the exponentially
	// weighted mean of the one-step errors (each clipped at three error
	// scales) divided by their weighted mean absolute value (Trigg's
	// tracking signal), restarted at each fit. When it falls below −0.8 at
	// least BiasWindow observations after the last fit (the forecasts have
	// run above the observations, step after step) the model refits at
	// once rather than at its next scheduled refit: a load that drops to a
	// level the fit has not seen (the first weekend of a series fitted on
	// weekdays, whose fitted level smoothing is near zero) is otherwise
	// forecast at the old level until then, a day at the Controller's
	// default. Five one-step errors in a row, each below three error
	// scales (a level shift down), refit at once, however recent the last
	// fit. An early refit searches the parameters from the model's usual
	// starts, not from the fitted ones. Each early refit doubles the wait
	// for the next until a scheduled refit, and leaves the schedule of
	// scheduled refits as it was. Only forecasts that run high refit
	// early. 0 (the default): never; [Auto] sets it to [DefaultBiasWindow]
	// unless told otherwise.
	// forecast/README.md ("Early refits") has what it changed, with an
	// hour of steps (at least 12).
	BiasWindow int
}

// Float returns a pointer to v, for the fixed parameters of [Config].
func Float(v float64) *float64 { return &v }

// kind names a model family for validation and defaults.
type kind int

const (
	kindNaive kind = iota
	kindSeasonalNaive
	kindDrift
	kindEWMA
	kindHoltWinters
	kindDoubleSeasonal
	kindHolt
)

func (k kind) String() string {
	switch k {
	case kindNaive:
		return "naive"
	case kindSeasonalNaive:
		return "seasonal naive"
	case kindDrift:
		return "drift"
	case kindEWMA:
		return "EWMA"
	case kindHoltWinters:
		return "Holt-Winters"
	case kindHolt:
		return "Holt"
	default:
		return "double-seasonal Holt-Winters"
	}
}

// validate checks c for model kind k and returns c with defaults applied.
func (c Config) validate(k kind) (Config, error) {
	if c.Step < 0 {
		return c, fmt.Errorf("%w: Step %s must be positive", ErrInvalidArgument, c.Step)
	}
	c.Step = defaults.IfZero(c.Step, time.Minute)
	seasonal := k == kindSeasonalNaive || k == kindHoltWinters || k == kindDoubleSeasonal
	if seasonal && c.Period < 2 {
		return c, fmt.Errorf("%w: %s needs Period ≥ 2, got %d", ErrInvalidArgument, k, c.Period)
	}
	if c.Period < 0 {
		return c, fmt.Errorf("%w: Period %d is negative", ErrInvalidArgument, c.Period)
	}
	if k == kindDoubleSeasonal && c.Period2 <= c.Period {
		return c, fmt.Errorf("%w: %s needs Period2 > Period, got Period2 %d and Period %d",
			ErrInvalidArgument, k, c.Period2, c.Period)
	}
	if c.Seasonality != Additive && c.Seasonality != Multiplicative {
		return c, fmt.Errorf("%w: Seasonality %d", ErrInvalidArgument, int(c.Seasonality))
	}
	if c.Trend < TrendAdditive || c.Trend > TrendNone {
		return c, fmt.Errorf("%w: Trend %d", ErrInvalidArgument, int(c.Trend))
	}
	if c.Interval < IntervalDefault || c.Interval > IntervalEmpirical {
		return c, fmt.Errorf("%w: Interval %d", ErrInvalidArgument, int(c.Interval))
	}
	for _, p := range []struct {
		name string
		v    *float64
	}{{"Alpha", c.Alpha}, {"Beta", c.Beta}, {"Gamma", c.Gamma}, {"Delta", c.Delta}, {"Phi", c.Phi}} {
		if p.v != nil && (math.IsNaN(*p.v) || *p.v < 0 || *p.v > 1) {
			return c, fmt.Errorf("%w: %s %v must lie in [0, 1]", ErrInvalidArgument, p.name, *p.v)
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"Window", c.Window}, {"RefitEvery", c.RefitEvery}, {"MaxGap", c.MaxGap}, {"ResidualWindow", c.ResidualWindow}, {"BiasWindow", c.BiasWindow}, {"Period2", c.Period2}} {
		if f.v < 0 {
			return c, fmt.Errorf("%w: %s %d is negative", ErrInvalidArgument, f.name, f.v)
		}
	}
	if c.Window == 0 {
		switch k {
		case kindHoltWinters:
			c.Window = max(4*c.Period, 1000)
		case kindDoubleSeasonal:
			c.Window = 3 * c.Period2
		case kindSeasonalNaive:
			c.Window = max(c.Period, 1000)
		default:
			c.Window = 1000
		}
	}
	c.MaxGap = defaults.IfZero(c.MaxGap, max(2*c.Period2, 2*c.Period, 1440))
	c.StateWindow = defaults.IfZero(c.StateWindow, defaultStateWindow)
	c.ResidualWindow = defaults.IfZero(c.ResidualWindow, defaultResidualWindow(c.Step))
	if c.Interval == IntervalDefault {
		c.Interval = IntervalEmpirical
	}
	return c, nil
}

// residualSpan is the time the default ResidualWindow spans, and
// minResidualSteps the fewest steps it holds.
const (
	residualSpan     = 2 * time.Hour
	minResidualSteps = 24
)

// defaultResidualWindow is the default ResidualWindow at a step > 0:
// residualSpan of steps, at least minResidualSteps.
func defaultResidualWindow(step time.Duration) int {
	n := (residualSpan + step - 1) / step
	return int(max(n, minResidualSteps))
}
