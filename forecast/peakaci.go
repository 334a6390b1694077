package forecast

import (
	"fmt"
	"math"

	"github.com/shadowscale/shadowscale/internal/mathx"
)

// DefaultPeakAdaptRate is the default of AutoConfig.PeakAdaptRate.
const DefaultPeakAdaptRate = 0.001

// peakACI adapts the level PeakUpper draws its quantile at, by adaptive
// conformal inference (Gibbs and Candès, 2021): after each bound it
// returned is checked against the peak of the steps it bounded,
//
//	α ← α + rate·(α* − miss),
//
// with α* = 1 − level and miss 1 when the peak went over the bound. The
// long-run share of peaks over the bounds then tends to α* even when the
// errors drift away from those the quantile was calibrated on (a load that
// grows burstier than its window). It follows the last level PeakUpper was
// asked for, and the last lead: a lead one step longer or shorter (a lead
// time learned anew) needs about the same correction, and starting over
// at the nominal level would undo it.
type peakACI struct {
	rate float64
	gain float64 // peakExtendGain

	lead  int
	level float64
	alpha float64
	pend  []pendingPeak // bounds not yet checked, oldest first
}

// pendingPeak is a bound PeakUpper returned for the lead steps from
// origin (a grid slot of the models), and the largest value observed in
// them so far.
type pendingPeak struct {
	origin int64
	bound  float64
	max    float64
}

// maxPeakLevel bounds the adapted level from above; from below it is
// bounded half-way between the nominal level and 0.5.
const maxPeakLevel = 0.999

// Past the largest score. Once the adapted level reaches maxPeakLevel the
// quantile is the largest score the calibration holds, and a load that
// outgrows every error of its window (a site's traffic growing by half
// every week ahead of an event) would be missed half the time however the
// level moved. The miscoverage then keeps adapting below its floor, down to
// peakMaxDeficit under it, and the bound reaches past the largest score by
// peakExtendGain × that deficit times the score (at least one error
// scale): missed peaks raise it, covered ones lower it, until the share of
// misses is 1 − level again. It acts only while the level is saturated,
// and unwinds once the misses stop (at rate × (1 − level) a step).
const (
	peakMaxDeficit = 0.2
	peakExtendGain = 50
)

// levelFor returns the level to draw the quantile at for a PeakUpper of
// lead and level: starting over when the level changed, keeping the
// adaptation but not the bounds not yet checked when only the lead did.
func (c *peakACI) levelFor(lead int, level float64) float64 {
	switch {
	case c.level != level:
		c.lead, c.level, c.alpha, c.pend = lead, level, 1-level, c.pend[:0]
	case c.lead != lead:
		c.lead, c.pend = lead, c.pend[:0]
	}
	return math.Min(math.Max(1-c.alpha, c.minLevel()), maxPeakLevel)
}

// record keeps the bound returned for the steps from origin; a second
// bound for the same origin replaces the first.
func (c *peakACI) record(origin int64, bound float64) {
	if n := len(c.pend); n > 0 && c.pend[n-1].origin == origin {
		c.pend[n-1].bound = bound
		return
	}
	if len(c.pend) > c.lead {
		c.pend = c.pend[1:] // not checked: the observations skipped them
	}
	c.pend = append(c.pend, pendingPeak{origin: origin, bound: bound})
}

// observe checks the bounds against v observed at slot k and adapts the
// level with each bound whose steps are over.
func (c *peakACI) observe(k int64, v float64) {
	i := 0
	for _, p := range c.pend {
		switch {
		case k < p.origin:
		case k >= p.origin+int64(c.lead):
			c.check(p) // its last steps fell in a gap
			continue
		default:
			p.max = math.Max(p.max, v)
			if k == p.origin+int64(c.lead)-1 {
				c.check(p)
				continue
			}
		}
		c.pend[i] = p
		i++
	}
	c.pend = c.pend[:i]
}

func (c *peakACI) check(p pendingPeak) {
	miss := 0.0
	if p.max > p.bound {
		miss = 1
	}
	c.alpha += c.rate * (1 - c.level - miss)
	// Kept within the range the bounded level and the extension past the
	// largest score use: beyond it α would only store up corrections
	// neither can make, and take as long to unwind once the misses stop
	// (windup).
	c.alpha = math.Min(math.Max(c.alpha, c.minAlpha()), 1-c.minLevel())
}

// minAlpha is the lowest adapted miscoverage: peakMaxDeficit under the
// floor of the bounded level.
func (c *peakACI) minAlpha() float64 { return 1 - maxPeakLevel - peakMaxDeficit }

// extension is how far past the quantile of the bounded level the bound
// reaches, in units of that quantile (at least one error scale): the
// miscoverage's deficit under the bounded level's floor times
// peakExtendGain; 0 while the level is not saturated.
func (c *peakACI) extension() float64 {
	return math.Max(0, 1-maxPeakLevel-c.alpha) * c.gain
}

// minLevel is the lowest level the adaptation draws at.
func (c *peakACI) minLevel() float64 { return (c.level + 0.5) / 2 }

// restart forgets the bounds not yet checked (the models' grid started
// over).
func (c *peakACI) restart() { c.pend = c.pend[:0] }

// save returns the adaptation as numbers: the lead, the level, α, then
// the origin, bound and largest value so far of each bound not checked.
func (c *peakACI) save() floats {
	v := make(floats, 0, 3+3*len(c.pend))
	v = append(v, float64(c.lead), c.level, c.alpha)
	for _, p := range c.pend {
		v = append(v, float64(p.origin), p.bound, p.max)
	}
	return v
}

// load checks a saved adaptation (nil: none yet) and returns the function
// that applies it.
func (c *peakACI) load(v floats) (func(), error) {
	if v == nil {
		return func() { c.lead, c.level, c.alpha, c.pend = 0, 0, 0, c.pend[:0] }, nil
	}
	bad := func() (func(), error) {
		return nil, fmt.Errorf("peak adaptation %v: want a lead ≥ 1, a level in (0, 1), a miscoverage in [%g, 1] and at most lead + 1 bounds of a whole origin, a finite bound and a finite largest value ≥ 0", []float64(v), c.minAlpha())
	}
	if len(v) < 3 || (len(v)-3)%3 != 0 {
		return bad()
	}
	lead, level, alpha := v[0], v[1], v[2]
	if !(lead >= 1 && lead <= 1<<30 && whole(lead)) || !(level > 0 && level < 1) || !(alpha >= c.minAlpha() && alpha <= 1) || (len(v)-3)/3 > int(lead)+1 {
		return bad()
	}
	pend := make([]pendingPeak, 0, (len(v)-3)/3)
	for i := 3; i < len(v); i += 3 {
		p := pendingPeak{origin: int64(v[i]), bound: v[i+1], max: v[i+2]}
		if !whole(v[i]) || !mathx.Finite(p.bound) || !mathx.Finite(p.max) || p.max < 0 {
			return bad()
		}
		pend = append(pend, p)
	}
	return func() {
		c.lead, c.level, c.alpha = int(lead), level, alpha
		c.pend = append(c.pend[:0], pend...)
	}, nil
}

// whole reports whether x is an integer a float64 holds exactly.
func whole(x float64) bool { return x == math.Trunc(x) && math.Abs(x) <= 1<<53 }
