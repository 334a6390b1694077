package forecast

import (
	"fmt"
	"math"
	"time"

	"github.com/shadowscale/shadowscale/internal/defaults"
)

// AnomalyDetector judges each observation against what was expected from the
// data before it.
//
// Detect judges v at t and then learns from it, so it must be called once
// per observation in time order. Implementations are not required to be
// safe for concurrent use.
type AnomalyDetector interface {
	Detect(t time.Time, v float64) (Anomaly, error)
}

// Anomaly is the verdict on one observation.
type Anomaly struct {
	// Time is when the observation was made.
	Time time.Time
	// Value is the observed value.
	Value float64
	// Expected is the one-step forecast; Lower and Upper bound the band.
	// All three are 0 while the detector warms up.
	Expected, Lower, Upper float64
	// Outside reports that Value lies outside [Lower, Upper].
	Outside bool
	// Alarm reports that enough recent observations were outside the band
	// (BrutlagConfig.Threshold of the last BrutlagConfig.Window).
	Alarm bool
	// Score is the deviation from Expected in units of the band half-width
	// (|Score| > 1 is outside), 0 while warming up.
	Score float64
	// Reason describes the verdict with its numbers.
	Reason string
}

// BrutlagConfig configures [NewBrutlag]. Zero values select the defaults.
type BrutlagConfig struct {
	// Period is the season of the deviation estimate, in steps (≥ 1;
	// default 1: no seasonal deviation).
	Period int
	// Gamma smooths the deviation, in (0, 1]. Default 0.1.
	Gamma float64
	// Delta is the band half-width in deviations. Default 3.
	Delta float64
	// Window and Threshold raise an alarm when Threshold of the last Window
	// observations are outside the band. Defaults 5 and 3.
	Window, Threshold int
}

// Brutlag is Brutlag's (2000) aberrant-behaviour detector, as in RRDtool:
// the band is the one-step forecast ± Delta × d, where d is an
// exponentially smoothed absolute one-step error kept per seasonal
// position,
//
//	d_t = γ|y_t − ŷ_t| + (1−γ)d_{t−m}.
//
// It owns a Forecaster (any implementation, typically Holt-Winters) that
// gives ŷ and learns every observation. Brutlag implements Forecaster
// itself, forwarding Forecast, so that one object can serve as the
// Controller's forecaster and detector: Observe runs Detect and keeps the
// verdict for [Brutlag.Last]. No observation is flagged until the
// forecaster forecasts and every seasonal position has a deviation. Zeros
// before the first positive value are neither judged nor passed to the
// forecaster: a band learned on them would flag every value of a load
// that begins after them, for as long as the deviations take to adapt.
//
// Brutlag implements [Stateful] when its forecaster does: the deviations,
// the alarm window and the last verdict are saved with the forecaster's
// own state.
type Brutlag struct {
	f     Forecaster
	cfg   BrutlagConfig
	dev   []float64
	seen  []bool
	warm  int
	hits  []bool
	hi    int
	count int
	t0    time.Time
	step  time.Duration
	start bool
	last  Anomaly
	// refill: restored by UnmarshalState, and no observation after the
	// last one the state had judged has come yet.
	refill bool
}

var (
	_ AnomalyDetector = (*Brutlag)(nil)
	_ Forecaster      = (*Brutlag)(nil)
)

// NewBrutlag returns a detector around the forecaster f.
func NewBrutlag(f Forecaster, cfg BrutlagConfig) (*Brutlag, error) {
	if f == nil {
		return nil, fmt.Errorf("%w: nil Forecaster", ErrInvalidArgument)
	}
	cfg.Period = defaults.IfZero(cfg.Period, 1)
	cfg.Gamma = defaults.IfZero(cfg.Gamma, 0.1)
	cfg.Delta = defaults.IfZero(cfg.Delta, 3)
	cfg.Window = defaults.IfZero(cfg.Window, 5)
	cfg.Threshold = defaults.IfZero(cfg.Threshold, min(3, cfg.Window))
	switch {
	case cfg.Period < 1:
		return nil, fmt.Errorf("%w: Period %d must be ≥ 1", ErrInvalidArgument, cfg.Period)
	case !(cfg.Gamma > 0 && cfg.Gamma <= 1):
		return nil, fmt.Errorf("%w: Gamma %v must lie in (0, 1]", ErrInvalidArgument, cfg.Gamma)
	case !(cfg.Delta > 0) || math.IsInf(cfg.Delta, 0):
		return nil, fmt.Errorf("%w: Delta %v must be positive", ErrInvalidArgument, cfg.Delta)
	case cfg.Window < 1 || cfg.Threshold < 1 || cfg.Threshold > cfg.Window:
		return nil, fmt.Errorf("%w: Threshold %d and Window %d must satisfy 1 ≤ Threshold ≤ Window", ErrInvalidArgument, cfg.Threshold, cfg.Window)
	}
	return &Brutlag{
		f: f, cfg: cfg,
		dev: make([]float64, cfg.Period), seen: make([]bool, cfg.Period),
		hits: make([]bool, cfg.Window),
	}, nil
}

// judgedBefore reports whether t falls on or before the grid step of the
// last verdict: a history read back after a restart carries the phase of
// the pass that reads it, not that of the passes judged before.
func (b *Brutlag) judgedBefore(t time.Time) bool {
	if b.start && b.step > 0 {
		return gridSlot(b.t0, t, b.step) <= gridSlot(b.t0, b.last.Time, b.step)
	}
	return !t.After(b.last.Time)
}

// Detect judges v at t against the band predicted before it, then feeds v
// to the forecaster. Errors of the forecaster's Observe are returned (the
// verdict is then the zero Anomaly); a forecaster without enough history
// gives a warm-up verdict.
func (b *Brutlag) Detect(t time.Time, v float64) (Anomaly, error) {
	if err := checkValue(v); err != nil {
		return Anomaly{}, err
	}
	if b.refill {
		if b.judgedBefore(t) {
			// History taken back after a restore (see UnmarshalState).
			return Anomaly{Time: t, Value: v, Reason: "history before the restored state: not judged"}, b.f.Observe(t, v)
		}
		b.refill = false
	}
	if v == 0 && b.last.Time.IsZero() {
		// A load that has never been positive gives no band to judge
		// by: its zeros are not history (see "Zero runs" in Auto).
		return Anomaly{Time: t, Value: v, Reason: "zero before the first positive value: not judged, not learned"}, nil
	}
	a := Anomaly{Time: t, Value: v, Reason: "warming up"}
	k := 1
	if b.start && b.step > 0 {
		k = max(1, int(gridSlot(b.t0, t, b.step)-gridSlot(b.t0, b.last.Time, b.step)))
	}
	fc, ferr := b.f.Forecast(min(k, max(b.cfg.Period, 1)), 0.95)
	// The detector's own state changes only once the wrapped forecaster
	// has taken the value: a value it refuses leaves no trace.
	start, t0, step := b.start, b.t0, b.step
	pos, resid := -1, 0.0
	if ferr == nil {
		if !start {
			start, t0, step = true, t, fc.Step
		}
		if step > 0 {
			slot := gridSlot(t0, t, step) % int64(b.cfg.Period)
			pos = int((slot + int64(b.cfg.Period)) % int64(b.cfg.Period))
		} else {
			pos = 0
		}
		exp := fc.Mean[len(fc.Mean)-1]
		resid = math.Abs(v - exp)
		if b.warm == b.cfg.Period {
			d := b.dev[pos]
			w := b.cfg.Delta * d
			a.Expected, a.Lower, a.Upper = exp, math.Max(exp-w, 0), exp+w
			a.Outside = v < a.Lower || v > a.Upper
			if w > 0 {
				a.Score = (v - exp) / w
			} else if v != exp {
				a.Score = math.Copysign(math.Inf(1), v-exp)
			}
			a.Reason = fmt.Sprintf("value %.4g inside band [%.4g, %.4g]", v, a.Lower, a.Upper)
			if a.Outside {
				a.Reason = fmt.Sprintf("value %.4g outside band [%.4g, %.4g] (expected %.4g ± %.3g×%.4g)",
					v, a.Lower, a.Upper, exp, b.cfg.Delta, d)
			}
		}
	}
	if err := b.f.Observe(t, v); err != nil {
		return Anomaly{}, err
	}
	b.start, b.t0, b.step = start, t0, step
	if pos >= 0 {
		if !b.seen[pos] {
			b.seen[pos] = true
			b.dev[pos] = resid
			b.warm++
		} else {
			b.dev[pos] += b.cfg.Gamma * (resid - b.dev[pos])
		}
	}
	if b.hits[b.hi] {
		b.count--
	}
	b.hits[b.hi] = a.Outside
	if a.Outside {
		b.count++
	}
	b.hi = (b.hi + 1) % len(b.hits)
	if b.count >= b.cfg.Threshold {
		a.Alarm = true
		a.Reason += fmt.Sprintf("; alarm: %d of the last %d observations outside", b.count, b.cfg.Window)
	}
	b.last = a
	return a, nil
}

// Observe runs Detect and keeps the verdict for Last.
func (b *Brutlag) Observe(t time.Time, v float64) error {
	_, err := b.Detect(t, v)
	return err
}

// Forecast forwards to the wrapped forecaster.
func (b *Brutlag) Forecast(h int, level float64) (Forecast, error) { return b.f.Forecast(h, level) }

// Last returns the verdict on the last observation.
func (b *Brutlag) Last() Anomaly { return b.last }

// Refit forwards to the wrapped forecaster when it implements Refitter.
func (b *Brutlag) Refit() error {
	if r, ok := b.f.(Refitter); ok {
		return r.Refit()
	}
	return nil
}
