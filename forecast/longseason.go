package forecast

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// longHarmonics is the number of harmonics of a long season [Auto] models
// outside its window. Three is what can be told apart from the short
// season in load that is the product of both: with the short period a
// seventh of the long one (a day in a week), the product's harmonics 1–3
// of the long period are the long season's alone, while its harmonics
// 4–6 also carry the short cycle's mixing with the long one. Three
// harmonics and the mean are seven values: a day-of-week profile, smooth.
const longHarmonics = 3

// longHalfLife is the half-life, in long periods, of the weights of the
// long season's estimate: a weekly profile follows a change over about
// three weeks.
const longHalfLife = 2

// longEpoch anchors the phase of a long season to the calendar, Monday
// 5 January 1970 00:00 UTC, so that a restored state and a restarted
// grid agree on it.
var longEpoch = time.Date(1970, 1, 5, 0, 0, 0, 0, time.UTC)

// longSeason is a long seasonal cycle (a week of one-minute steps) held as
// Fourier sums of the observations rather than as one term per step. The
// sums of each period, counted from the first observation, are added at
// its end to the weighted sums of the periods before, whose weights halve
// every longHalfLife periods (weights that are constant within a period
// keep the harmonics apart: weights that decay within it would leak the
// mean into them), and the result is frozen into a multiplicative profile
//
//	W(t) = 1 + Σ_{k=1..3} (a_k cos kθ_t + b_k sin kθ_t),  θ_t = 2π·phase(t)/period,
//
// with a_k, b_k twice the weighted sums of y·cos kθ and y·sin kθ over the
// weighted sum of y. The profile frozen at the end of period e is used for
// the steps of period e+1 (and, for the first, of periods 0 and 1), so
// that the value a model saw at any step of the window is known again
// after a restore from the two last profiles. Its state is a few dozen
// numbers however long the period.
type longSeason struct {
	period int64
	step   time.Duration
	decay  float64 // weight kept per period

	stepCos, stepSin float64 // of one step's angle, 2π/period

	base, named string // the models' name and Auto's, cached

	re, im   [longHarmonics + 1]float64 // weighted Σ y·cos kθ, Σ y·sin kθ of the periods ended
	pre, pim [longHarmonics + 1]float64 // the same of the period under way
	start    int64                      // calendar slot of the first observation
	slot     int64                      // calendar slot of the last one
	started  bool

	epoch     int64       // period (since start) the current profile was frozen at; 0: none
	cur, prev longProfile // profiles frozen at epoch and epoch−1 (prev zero when epoch is 1)
}

// longProfile is a frozen W: cosine and sine coefficients of harmonics
// 1..longHarmonics.
type longProfile struct{ c, s [longHarmonics]float64 }

func newLongSeason(period int, step time.Duration) *longSeason {
	sn, cs := math.Sincos(2 * math.Pi / float64(period))
	return &longSeason{period: int64(period), step: step, decay: math.Pow(0.5, 1.0/longHalfLife), stepCos: cs, stepSin: sn}
}

// calendarSlot is the index of t's step since longEpoch.
func (s *longSeason) calendarSlot(t time.Time) int64 { return gridSlot(longEpoch, t, s.step) }

// harmonics returns cos kθ and sin kθ of a calendar slot for k = 1, 2, 3.
func (s *longSeason) harmonics(slot int64) (cs, sn [longHarmonics]float64) {
	p := slot % s.period
	if p < 0 {
		p += s.period
	}
	sn[0], cs[0] = math.Sincos(2 * math.Pi * float64(p) / float64(s.period))
	for k := 1; k < longHarmonics; k++ {
		cs[k] = cs[k-1]*cs[0] - sn[k-1]*sn[0]
		sn[k] = sn[k-1]*cs[0] + cs[k-1]*sn[0]
	}
	return cs, sn
}

// restart forgets every observation: the sums, the first and last slots
// and the profiles.
func (s *longSeason) restart() {
	s.re, s.im, s.pre, s.pim = [longHarmonics + 1]float64{}, [longHarmonics + 1]float64{}, [longHarmonics + 1]float64{}, [longHarmonics + 1]float64{}
	s.start, s.slot, s.started = 0, 0, false
	s.epoch, s.cur, s.prev = 0, longProfile{}, longProfile{}
}

// active reports whether a profile is in use.
func (s *longSeason) active() bool { return s.epoch > 0 }

// periodOf is the index of the period, since the first observation, a
// calendar slot falls in.
func (s *longSeason) periodOf(slot int64) int64 {
	d := slot - s.start
	if d < 0 {
		return -1
	}
	return d / s.period
}

// ends reports whether an observation at calendar slot k ends the period
// under way.
func (s *longSeason) ends(k int64) bool {
	return s.started && k > s.slot && s.periodOf(k) > s.periodOf(s.slot)
}

// ended returns the sums of the periods ended when an observation at k
// ends the period under way.
func (s *longSeason) ended(k int64) (re, im [longHarmonics + 1]float64) {
	d := math.Pow(s.decay, float64(s.periodOf(k)-s.periodOf(s.slot)))
	for j := range re {
		re[j] = (s.re[j] + s.pre[j]) * d
		im[j] = (s.im[j] + s.pim[j]) * d
	}
	return re, im
}

// profileOf is the profile of sums; ok is false when their mean is not
// positive.
func profileOf(re, im *[longHarmonics + 1]float64) (p longProfile, ok bool) {
	if !(re[0] > 0) {
		return p, false
	}
	for j := range longHarmonics {
		p.c[j] = 2 * re[j+1] / re[0]
		p.s[j] = 2 * im[j+1] / re[0]
	}
	return p, true
}

// observe folds v at t into the sums, first freezing a profile when t
// starts a new period; values at or before the last slot (a history
// observed again after a restore) are left out.
func (s *longSeason) observe(t time.Time, v float64) {
	k := s.calendarSlot(t)
	if s.started && k <= s.slot {
		return
	}
	if s.ends(k) {
		s.re, s.im = s.ended(k)
		s.pre, s.pim = [longHarmonics + 1]float64{}, [longHarmonics + 1]float64{}
		if p, ok := profileOf(&s.re, &s.im); ok {
			if s.epoch > 0 {
				s.prev = s.cur
			}
			s.cur, s.epoch = p, s.periodOf(k)
		}
	}
	if !s.started {
		s.start, s.started = k, true
	}
	s.slot = k
	// A value so large that the sums would overflow is left out of the
	// profile: the sums, and the state saved from them, stay finite.
	if math.IsInf(s.re[0]+s.pre[0]+v, 0) {
		return
	}
	s.pre[0] += v
	cs, sn := s.harmonics(k)
	for j := range longHarmonics {
		s.pre[j+1] += v * cs[j]
		s.pim[j+1] += v * sn[j]
	}
}

// Bounds of the profile: a weekly profile outside them is not a profile
// but a fault of the estimate (a load that was zero for most of it).
const (
	minLongFactor = 0.125
	maxLongFactor = 8
)

// at is the profile's value at calendar slot k.
func (p *longProfile) at(s *longSeason, k int64) float64 {
	cs, sn := s.harmonics(k)
	return p.value(cs, sn)
}

// value is the profile's value where its harmonics are cs and sn.
func (p *longProfile) value(cs, sn [longHarmonics]float64) float64 {
	f := 1.0
	for j := range longHarmonics {
		f += p.c[j]*cs[j] + p.s[j]*sn[j]
	}
	if math.IsNaN(f) {
		return 1
	}
	return math.Min(math.Max(f, minLongFactor), maxLongFactor)
}

// factor is W(t) for the profile in use at t: the current one from its
// period on, the one before for the period before it and earlier; 1
// without a profile.
func (s *longSeason) factor(t time.Time) float64 {
	if !s.active() {
		return 1
	}
	k := s.calendarSlot(t)
	return s.profileAt(k).at(s, k)
}

// profileAt is the profile in use at calendar slot k: the current one from
// its period on, the one before for the periods before.
func (s *longSeason) profileAt(k int64) *longProfile {
	if s.epoch > 1 && s.periodOf(k) < s.epoch {
		return &s.prev
	}
	return &s.cur
}

// factors writes W at the len(dst) consecutive steps from start into
// dst: one sine and cosine for the first step, then a rotation by one
// step's angle for each next one.
func (s *longSeason) factors(start time.Time, dst []float64) {
	if !s.active() {
		for i := range dst {
			dst[i] = 1
		}
		return
	}
	k := s.calendarSlot(start)
	cs, sn := s.harmonics(k)
	c1, s1 := cs[0], sn[0]
	dc, ds := s.stepCos, s.stepSin
	for i := range dst {
		if i > 0 {
			c1, s1 = c1*dc-s1*ds, s1*dc+c1*ds
			cs[0], sn[0] = c1, s1
			for j := 1; j < longHarmonics; j++ {
				cs[j] = cs[j-1]*c1 - sn[j-1]*s1
				sn[j] = sn[j-1]*c1 + cs[j-1]*s1
			}
		}
		dst[i] = s.profileAt(k+int64(i)).value(cs, sn)
	}
}

// inputFactor is the factor an observation at t is divided by: that of
// the profile it freezes, when it starts a period, else factor(t).
func (s *longSeason) inputFactor(t time.Time) float64 {
	if k := s.calendarSlot(t); s.ends(k) {
		re, im := s.ended(k)
		if p, ok := profileOf(&re, &im); ok {
			return p.at(s, k)
		}
	}
	return s.factor(t)
}

// save returns the state as numbers: the period, the sums, the first and
// last slots (NaN before the first observation), the epoch and the two
// profiles.
func (s *longSeason) save() floats {
	v := make(floats, 0, longStateLen)
	v = append(v, float64(s.period))
	for _, x := range []*[longHarmonics + 1]float64{&s.re, &s.im, &s.pre, &s.pim} {
		v = append(v, x[:]...)
	}
	first, last := float64(s.start), float64(s.slot)
	if !s.started {
		first, last = math.NaN(), math.NaN()
	}
	v = append(v, first, last, float64(s.epoch))
	for _, p := range []*longProfile{&s.cur, &s.prev} {
		v = append(v, p.c[:]...)
		v = append(v, p.s[:]...)
	}
	return v
}

// longStateLen is the length of a saved long season.
const longStateLen = 1 + 4*(longHarmonics+1) + 3 + 4*longHarmonics

// load checks a saved state and returns the function that applies it.
func (s *longSeason) load(v floats) (func(), error) {
	if len(v) != longStateLen {
		return nil, fmt.Errorf("long season: %d values, want %d", len(v), longStateLen)
	}
	if v[0] != float64(s.period) {
		return nil, fmt.Errorf("long season of %v steps saved, %d configured", v[0], s.period)
	}
	const sums = 1 + 4*(longHarmonics+1)
	first, last, epoch := v[sums], v[sums+1], v[sums+2]
	if err := checkFinite("long season", slices.Concat(v[1:sums], v[sums+2:])); err != nil {
		return nil, err
	}
	started := !math.IsNaN(first)
	switch {
	case started != !math.IsNaN(last):
		return nil, fmt.Errorf("long season: first slot %v, last %v", first, last)
	case started && (!whole(first) || !whole(last) || last < first):
		return nil, fmt.Errorf("long season: first slot %v, last %v", first, last)
	case !whole(epoch) || epoch < 0 || started && epoch > (last-first)/v[0] || !started && epoch != 0:
		return nil, fmt.Errorf("long season: profile of period %v, slots %v to %v", epoch, first, last)
	}
	return func() {
		i := 1
		for _, x := range []*[longHarmonics + 1]float64{&s.re, &s.im, &s.pre, &s.pim} {
			i += copy(x[:], v[i:])
		}
		s.started, s.start, s.slot = started, 0, 0
		if started {
			s.start, s.slot = int64(first), int64(last)
		}
		s.epoch = int64(epoch)
		i = sums + 3
		for _, p := range []*longProfile{&s.cur, &s.prev} {
			i += copy(p.c[:], v[i:])
			i += copy(p.s[:], v[i:])
		}
	}, nil
}

// feed gives the models the observation v at time t. With a long season
// modeled outside the window (see [AutoConfig.Periods]) the models see v
// divided by the long season's profile at t, and the profile learns from
// v and from the values a gap before it was filled with (multiplied back
// by the profile), so that a gap leaves the profile as its own forecast
// would, not as zeros would. The bounds [Auto.PeakUpper] returned are
// checked against v.
func (a *Auto) feed(t time.Time, v float64) error {
	s := a.a.long
	total, slot := a.total, a.slot
	var err error
	var was bool
	if s == nil {
		err = a.Model.Observe(t, v)
	} else {
		was = s.active()
		if checkValue(v) == nil {
			// A gap before v is filled first: its fills may end the
			// week under way, and v is divided by the profile they
			// freeze, not by one computed without them.
			a.fillGap(t)
		}
		err = a.Model.Observe(t, deseason(v, s.inputFactor(t)))
	}
	if a.total == total {
		return err // refused, or a history value observed again
	}
	if c := a.a.aci; c != nil {
		if a.slot <= slot {
			c.restart()
		}
		c.observe(a.slot, v)
	}
	if s == nil {
		return err
	}
	if a.slot <= slot && !s.active() {
		// The history restarted after a long gap before the first
		// profile: the long season starts afresh with it, rather than
		// take the gap for a stretch of zeros.
		s.restart()
	}
	s.observe(t, v)
	if !was && s.active() {
		// The first profile: the models saw the window before this
		// value undivided; they are refitted on what they would have
		// seen.
		a.rescaleWindow(s.factor)
		if a.fitted {
			if rerr := a.Refit(); rerr != nil && err == nil {
				err = rerr
			}
		}
	}
	return err
}

// fillLong gives the long season the value x a gap was filled with at
// the models' grid slot k, multiplied back by the profile at its time.
func (a *Auto) fillLong(k int64, x float64) {
	s := a.a.long
	t := a.t0.Add(time.Duration(k) * a.cfg.Step)
	s.observe(t, math.Min(x*s.factor(t), math.MaxFloat64))
}

// deseason is v divided by the long season's factor f, or v itself when
// the quotient would come near the largest float64 (a value there is a
// fault, and a model fed quotients beyond it would overflow).
func deseason(v, f float64) float64 {
	if q := v / f; q <= math.MaxFloat64/16 {
		return q
	}
	return v
}

// rescaleWindow divides each value of the window but the newest by the
// factor at its time.
func (f *Model) rescaleWindow(factor func(time.Time) float64) {
	n := f.hist.Len()
	for i := range n - 1 {
		t := f.t0.Add(time.Duration(f.slot-int64(n-1-i)) * f.cfg.Step)
		f.hist.Set(i, deseason(f.hist.At(i), factor(t)))
	}
}

// Forecast predicts the next h steps with a central interval at level;
// with a long season modeled outside the window, the models' forecast and
// interval multiplied by the long season's profile at each step.
func (a *Auto) Forecast(h int, level float64) (Forecast, error) {
	fc, err := a.Model.forecast(h, level, a.a.zr.skip(a.slot))
	s := a.a.long
	if err != nil || s == nil || !s.active() {
		return fc, err
	}
	fs := slices.Grow(a.a.factorBuf[:0], len(fc.Mean))[:len(fc.Mean)]
	a.a.factorBuf = fs
	s.factors(fc.Start, fs)
	for i, f := range fs {
		fc.Mean[i] = math.Min(fc.Mean[i]*f, math.MaxFloat64)
		fc.Lower[i] = math.Min(fc.Lower[i]*f, fc.Mean[i])
		fc.Upper[i] = math.Max(math.Min(fc.Upper[i]*f, math.MaxFloat64), fc.Mean[i])
	}
	fc.Model = a.Name()
	return fc, nil
}

// Name describes the selected model and, with a long season modeled
// outside the window, its period once it is used.
func (a *Auto) Name() string {
	name := a.Model.Name()
	s := a.a.long
	if s == nil || !s.active() {
		return name
	}
	if name != s.base {
		// Once per selection or refit, not once per forecast.
		s.base, s.named = name, name+fmt.Sprintf("×season(%d)", s.period)
	}
	return s.named
}
