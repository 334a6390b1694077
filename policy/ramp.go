package policy

import (
	"fmt"
	"math"
	"slices"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/internal/mathx"

	"github.com/shadowscale/shadowscale/internal/defaults"
)

// RampConfig configures Ramp.
type RampConfig struct {
	// Window is the least number of recent passes the slope is fitted
	// on. When the lead time spans more passes (Input.LeadSteps − 1: with
	// a 10-minute lead time, passes more often than once a minute), the
	// slope is fitted on the lead time's passes instead, so that it is
	// never carried further ahead than the stretch of load it was fitted
	// on and the noise of frequent passes is not taken for a ramp (at most
	// 3,600 passes). Default 10.
	Window int
	// MinRise is the smallest rise over the window, relative to the
	// window's mean, that counts as a ramp (noise makes every window
	// slope a little). Default 0.1.
	MinRise float64
}

// Ramp makes the inner policy see a load that is climbing: when the
// observed load rose over the last Window passes (or the lead time's
// passes, when more) by more than MinRise, along a slope at least two
// standard errors above zero (a load that swings about its level, or
// noise, fits a slope too: no climb), it
// raises every step of the forecast (mean and bounds) to at least the
// straight line from the last observation along the recent slope,
// extended over the horizon, and Input.PeakUpper by the largest lift over
// the lead window. A one-pass jump that exceeds the median one-pass change
// of the window by more than six robust deviations of those changes is a
// step, not a climb: it is taken out (as a level shift) before the slope
// is fitted, so a load that jumped and stayed lifts the forecast to the
// level it reached, not along a line through the jump.
// Seasonal forecasters adapt their level one observation at a
// time and flat ones (EWMA, naive) never extrapolate; a ramp that outruns
// them would otherwise be seen only when it is too late to add capacity.
// Ramp only ever raises the forecast. It keeps its window keyed on
// Input.Now and forgets it when Now goes backwards; an unconfirmed load
// (Input.LoadUnconfirmed) stays out of it, so that one glitch is not a
// ramp for the passes after it.
func Ramp(p Policy, cfg RampConfig) (Policy, error) {
	if err := needPolicy("Ramp", "p", p); err != nil {
		return nil, err
	}
	cfg.Window = defaults.IfZero(cfg.Window, 10)
	cfg.MinRise = defaults.IfZero(cfg.MinRise, 0.1)
	if cfg.Window < 3 {
		return nil, fmt.Errorf("policy: Ramp: Window (%d) must be at least 3", cfg.Window)
	}
	if !(cfg.MinRise > 0) {
		return nil, fmt.Errorf("policy: Ramp: MinRise (%v) must be positive", cfg.MinRise)
	}
	return &ramp{p: p, cfg: cfg}, nil
}

type ramp struct {
	p     Policy
	cfg   RampConfig
	clk   clock
	loads []float64
	diffs []float64 // scratch for excessJump
}

func (r *ramp) Decide(in Input) (Decision, error) { return finalize(r.decide(in)) }

func (r *ramp) decide(in Input) (decided, error) {
	if err := in.Validate(); err != nil {
		return decided{}, err
	}
	if r.clk.advance(in.Now) {
		r.loads = r.loads[:0]
	}
	window := r.window(in)
	if in.loadOK() && !in.LoadUnconfirmed {
		r.loads = append(r.loads, in.Load)
	}
	if len(r.loads) > window {
		r.loads = r.loads[len(r.loads)-window:]
	}
	slope, jump, ok := r.slope(window)
	if !ok || in.Forecast.Len() == 0 {
		return decideInner(r.p, in)
	}
	last := r.loads[len(r.loads)-1]
	f := in.Forecast
	raised := forecast.Forecast{Start: f.Start, Step: f.Step, Level: f.Level, Model: f.Model,
		Mean: slices.Clone(f.Mean), Lower: slices.Clone(f.Lower), Upper: slices.Clone(f.Upper)}
	lifted, lead, peakLift := false, min(max(in.LeadSteps, 1), len(raised.Mean)), 0.0
	for i := range raised.Mean {
		line := last + slope*float64(i+1)
		if d := line - raised.Mean[i]; d > 0 {
			raised.Mean[i] = line
			if i < lead {
				peakLift = max(peakLift, d)
			}
			if i < len(raised.Upper) {
				raised.Upper[i] += d
			}
			if i < len(raised.Lower) {
				raised.Lower[i] += d
			}
			lifted = true
		}
	}
	if !lifted {
		return decideInner(r.p, in)
	}
	in.Forecast = raised
	if in.PeakUpper > 0 {
		in.PeakUpper += peakLift
	}
	d, err := decideInner(r.p, in)
	if err != nil {
		return decided{}, err
	}
	inner, n := d.r, len(r.loads)
	d.r = lazy(func(b []byte) []byte {
		if jump > 0 {
			b = fmt.Appendf(b, "ramp %s/step over %d passes (a step of %s taken out) lifts the forecast: ", num(slope), n, num(jump))
		} else {
			b = fmt.Appendf(b, "ramp %s/step over %d passes lifts the forecast: ", num(slope), n)
		}
		return inner.appendTo(b)
	})
	return d, nil
}

// maxRampWindow bounds the passes the slope is fitted on, whatever the
// lead time (an hour of one-second passes).
const maxRampWindow = 3600

// window is the number of passes the slope is fitted on for in: Window,
// or the lead time in passes when that is longer.
func (r *ramp) window(in Input) int {
	return max(r.cfg.Window, min(in.LeadSteps-1, maxRampWindow))
}

// slope reports whether the window of the last n passes is full and its
// least-squares slope rises by more than MinRise of its mean over it
// (ok). The slope it returns is the one to carry ahead: the same fit with the
// window's largest one-pass rise, in so far as it exceeds the median
// one-pass change, taken out as a step (a level shift of every later
// pass), and never below 0. A load that jumped once and stayed, or a
// glitch a copy of it confirmed, has risen but is no climb: the forecast
// is lifted to the level it reached, not along a line through the jump
// (fitted on nine passes at 100 and one at 500 that line rose 22 a pass
// and asked for capacity for 740 over a 10-minute lead time). A steady
// ramp, whose one-pass rises are all about the median, keeps its slope.
func (r *ramp) slope(window int) (slope, jump float64, ok bool) {
	n := len(r.loads)
	if n < window {
		return 0, 0, false
	}
	b, mean, ok := fitLine(r.loads, 0, n)
	if !ok || !(b > 0) || b*float64(n-1) < r.cfg.MinRise*mean {
		return 0, 0, false
	}
	jump, at := r.excessJump()
	if jump == 0 {
		if b < rampT*slopeError(r.loads, b, mean) {
			return 0, 0, false // no climb: the load swings about its mean
		}
		return b, 0, true
	}
	robust, _, _ := fitLine(r.loads, jump, at)
	return max(robust, 0), jump, true
}

// fitLine returns the least-squares slope and the mean of y, with shift
// taken off every value from index from on.
func fitLine(y []float64, shift float64, from int) (b, mean float64, ok bool) {
	var sx, sy, sxx, sxy float64
	for i, v := range y {
		if i >= from {
			v -= shift
		}
		x := float64(i)
		sx, sy, sxx, sxy = sx+x, sy+v, sxx+x*x, sxy+x*v
	}
	fn := float64(len(y))
	den := fn*sxx - sx*sx
	if den == 0 {
		return 0, 0, false
	}
	b = (fn*sxy - sx*sy) / den
	return b, sy / fn, mathx.Finite(b)
}

// excessJump returns the window's largest one-pass rise in so far as it
// exceeds the median one-pass change (a rise of 0 when that median is
// negative), when that excess is more than six robust deviations of the
// one-pass changes (their median absolute deviation, scaled to a normal
// standard deviation): a jump noise does not make. It returns the index
// of the pass the load rose to, and 0 and len(loads) when there is no such
// jump.
func (r *ramp) excessJump() (float64, int) {
	n := len(r.loads)
	if n < 3 {
		return 0, n
	}
	if cap(r.diffs) < n-1 {
		r.diffs = make([]float64, n-1)
	}
	d := r.diffs[:n-1]
	at := 0
	for i := 1; i < n; i++ {
		d[i-1] = r.loads[i] - r.loads[i-1]
		if d[i-1] > d[at] {
			at = i - 1
		}
	}
	top := d[at]
	med := mathx.Median(d)
	for i, v := range d {
		d[i] = math.Abs(v - med)
	}
	spread := mathx.MADScale * mathx.Median(d)
	if ex := top - max(med, 0); ex > jumpDeviations*spread && ex > 0 && mathx.Finite(ex) {
		return ex, at + 1
	}
	return 0, n
}

// jumpDeviations is how many robust deviations of the one-pass changes a
// jump must exceed their median by to be taken for a step.
const jumpDeviations = 6

// rampT is how many standard errors the fitted slope must lie above zero
// to count as a climb: a load that alternates between two levels (or is
// as noisy) fits a slope of a few percent of its swing over a window that
// ends high, which is no climb.
const rampT = 2

// slopeError returns the standard error of the least-squares slope b of y
// (mean its mean): the residuals' standard deviation over the spread of
// the pass indices.
func slopeError(y []float64, b, mean float64) float64 {
	n := float64(len(y))
	if n < 3 {
		return 0
	}
	xm := (n - 1) / 2
	var rss, sxx float64
	for i, v := range y {
		x := float64(i) - xm
		e := v - mean - b*x
		rss, sxx = rss+e*e, sxx+x*x
	}
	return math.Sqrt(rss/(n-2)) / math.Sqrt(sxx)
}
