package forecast

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// zeroLevel is the level of the central interval whose lower bound decides
// whether a zero is implausible: a zero below it, under 0.5% likely by
// the models' errors, is taken for a possible outage. zeroZ is its normal
// quantile.
const (
	zeroLevel = 0.99
	zeroZ     = 2.5758293035489004
)

// zeroRun is a run of zeros Auto holds back from its models: the grid
// slots, on the models' grid, of its first and last zeros.
type zeroRun struct {
	pending     bool
	first, last int64
	// zerosLoad is set once a run outgrew AutoConfig.ZeroRun and was fed: the
	// zeros that follow are load too, until the next positive value.
	zerosLoad bool
	// restored is set by UnmarshalState with a run pending: values up to
	// its last zero are history observed again, and are left out.
	restored bool
	// now and before mark, for each phase of the first seasonal period
	// (grid slots from the Unix epoch, modulo period), whether the last
	// value taken at that phase (fed, or held back) was a zero, and the
	// one before it there; nil without a period. A zero whose phase had
	// zeros in the last two periods, before its run began, is the idle
	// phase of a seasonal load, not an outage.
	now, before []uint64
	period      int64
}

// newZeroPhases sizes z's phase marks for period (none when 0).
func (z *zeroRun) newZeroPhases(period int) {
	z.period = int64(period)
	z.now, z.before = nil, nil
	if period > 0 {
		z.now, z.before = make([]uint64, (period+63)/64), make([]uint64, (period+63)/64)
	}
}

// phase is t's phase in the first seasonal period, on the grid of step.
func (z *zeroRun) phase(t time.Time, step time.Duration) int64 {
	k := int64(t.Sub(time.Unix(0, 0)) / step)
	return ((k % z.period) + z.period) % z.period
}

func bit(b []uint64, i int64) bool { return b[i/64]&(1<<(i%64)) != 0 }

func setBit(b []uint64, i int64, on bool) {
	if on {
		b[i/64] |= 1 << (i % 64)
	} else {
		b[i/64] &^= 1 << (i % 64)
	}
}

// wasZero reports whether the last two values taken at t's phase were
// zeros.
func (z *zeroRun) wasZero(t time.Time, step time.Duration) bool {
	if z.period == 0 {
		return false
	}
	i := z.phase(t, step)
	return bit(z.now, i) && bit(z.before, i)
}

// clearPhases forgets every zero phase.
func (z *zeroRun) clearPhases() {
	clear(z.now)
	clear(z.before)
}

// mark records that a value, zero or not, was taken at t's phase.
func (z *zeroRun) mark(t time.Time, step time.Duration, zero bool) {
	if z.period == 0 {
		return
	}
	i := z.phase(t, step)
	setBit(z.before, i, bit(z.now, i))
	setBit(z.now, i, zero)
}

// recurs reports whether a zero at t, k slots on the models' grid,
// continues a zero phase: the last two values taken at its phase, in the
// periods before, were zeros too, and the run held back (if any) began
// less than a quarter of a period before it. An idle phase recurs from
// its start (or within the few steps its start moves by from one period
// to the next), every period; outages at the same hours two periods
// running are rare. A run held back longer is judged an outage, whatever
// zeros the periods before had at the phase it reaches (an outage begun
// just after a few zeros reaches their phase a period later).
func (z *zeroRun) recurs(t time.Time, k int64, step time.Duration) bool {
	if z.pending && 4*(k-z.first) >= z.period {
		return false
	}
	return z.wasZero(t, step)
}

// skip is the number of steps a forecast skips after the models' last
// slot: those of the run held back.
func (z *zeroRun) skip(slot int64) int {
	if !z.pending {
		return 0
	}
	return int(z.last - slot)
}

// Observe adds the observation v at time t. With a long season modeled
// outside the window (see [AutoConfig.Periods]) the models see v divided
// by the long season's profile at t, and the profile learns from v. Zeros
// the models find implausible are held back as a possible outage (see
// "Zero runs" in [Auto]). The bounds [Auto.PeakUpper] returned are checked
// against the values fed to the models. See [Model] for the grid and gap
// handling.
func (a *Auto) Observe(t time.Time, v float64) error {
	z := &a.a.zr
	total, pending, last := a.total, z.pending, z.last
	err := a.observe(t, v)
	if a.total != total || z.pending && (!pending || z.last != last) {
		z.mark(t, a.cfg.Step, v == 0)
	}
	return err
}

func (a *Auto) observe(t time.Time, v float64) error {
	z := &a.a.zr
	if v == 0 && a.total == 0 && a.a.zeroRun >= 0 {
		// Leading zeros are not history (see "Zero runs" in Auto).
		return nil
	}
	if !z.pending && (v != 0 || z.zerosLoad || a.a.zeroRun < 0 || !a.fitted) {
		if !z.zerosLoad || v == 0 {
			return a.feed(t, v)
		}
		total := a.total
		err := a.feed(t, v)
		if a.total != total {
			z.zerosLoad = false
		}
		return err
	}
	if err := checkValue(v); err != nil {
		return err
	}
	k := gridSlot(a.t0, t, a.cfg.Step)
	if k <= a.slot {
		return a.feed(t, v) // history observed again, or refused
	}
	if z.pending {
		if k <= z.last {
			if z.restored {
				return nil
			}
			return fmt.Errorf("%w: time %s is not after the last observation %s on the %s grid",
				ErrInvalidArgument, t.Format(time.RFC3339Nano),
				a.t0.Add(time.Duration(z.last)*a.cfg.Step).Format(time.RFC3339Nano), a.cfg.Step)
		}
		z.restored = false
		if v != 0 {
			z.pending = false
			if z.last-z.first >= z.period {
				// An outage a period long or longer: its zeros at every
				// phase mark no idle phase.
				z.clearPhases()
			}
			return a.feed(t, v)
		}
		if k-a.slot <= a.a.zeroRun && !z.recurs(t, k, a.cfg.Step) {
			z.last = k
			return nil
		}
		// Longer than an outage is filled, or at a phase that was zero
		// a period before: the zeros are load.
		err := a.feedRun()
		z.zerosLoad = true
		return errors.Join(err, a.feed(t, 0))
	}
	if k-a.slot > a.a.zeroRun || !a.zeroImplausible(int(k-a.slot)) {
		return a.feed(t, 0)
	}
	if z.recurs(t, k, a.cfg.Step) {
		// The idle phase of a seasonal load: it and the zeros after it
		// are load.
		z.zerosLoad = true
		return a.feed(t, 0)
	}
	z.pending, z.first, z.last = true, k, k
	return nil
}

// HeldZeros returns the time of the first zero of the run Auto holds back
// as a possible outage and the number of grid steps from it to the last
// zero; 0 steps when it holds none. It implements [ZeroHolder].
func (a *Auto) HeldZeros() (since time.Time, steps int) {
	z := &a.a.zr
	if !z.pending {
		return time.Time{}, 0
	}
	return a.t0.Add(time.Duration(z.first) * a.cfg.Step), int(z.last - z.first + 1)
}

// feedRun feeds the zeros of the run held back to the models, one per
// grid slot from its first to its last.
func (a *Auto) feedRun() error {
	z := &a.a.zr
	z.pending = false
	t0, step := a.t0, a.cfg.Step
	var first error
	for k := z.first; k <= z.last; k++ {
		if err := a.feed(t0.Add(time.Duration(k)*step), 0); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// zeroImplausible reports whether a zero h steps after the models' last
// observation lies below the lower bound of the central zeroLevel
// interval of the forecast for that step, drawn with the normal quantile:
// more than 2.58 error scales of the step below the mean (for a
// multiplicative model, a relative error scale below 1/2.58). The
// calibrated quantiles would not do: the lower tail of a count series'
// errors ends at its zeros, and would make a zero of a quiet series an
// outage as often as not. The long season's factor, a positive multiplier
// of mean and bound, leaves the answer as it is.
func (a *Auto) zeroImplausible(h int) bool {
	switch a.a.chosen.(type) {
	case *naive, *drift, *seasonalNaive:
		// They forecast a single past value: after an isolated burst,
		// the burst itself, and a zero after it is no sign of an
		// outage. The recent level judges instead.
		return a.zeroBelowRecent()
	case *ewma:
		// It forecasts the recent level, with an error scale that bursts
		// inflate (a short history's fallback, fitted on a few hundred
		// values): the recent level judges too.
		return a.zeroBelowRecent()
	}
	var buf [1]float64
	a.m.predict(h-1, buf[:])
	m := a.meanOf(buf[0])
	w := zeroZ * math.Sqrt(a.s2*a.varFactor(h))
	if a.a.multiplicative() {
		return m > 0 && w < 1
	}
	return m > w
}

// zeroRecent is the number of the latest values zeroBelowRecent judges
// a zero by, and zeroRecentMin the fewest it judges with.
const (
	zeroRecent    = 60
	zeroRecentMin = 30
)

// zeroBelowRecent reports whether a zero lies more than 2.58 noise scales
// below the mean of the latest zeroRecent values the models saw (after a
// restore, before the window is observed again, those the state saved), the
// noise scale drawn from their successive differences (von Neumann's
// estimator, which a slow trend or a daily shape barely inflates). It
// judges zeros while the chosen model forecasts a single past value or the
// recent level (EWMA): a steady load that drops to zero is an outage
// from its first day, while a sparse series, whose bursts make the
// differences large against the mean, keeps its zeros as load. A run
// starts only after a positive value: once zeros were fed as load (before
// zeroRecentMin values, say), the zeros that follow them are load too.
func (a *Auto) zeroBelowRecent() bool {
	n := min(a.recentLen(), zeroRecent)
	if n < zeroRecentMin || !(a.recentAt(0) > 0) {
		return false
	}
	var sum, ss float64
	for i := range n {
		v := a.recentAt(i)
		sum += v
		if i > 0 {
			d := v - a.recentAt(i-1)
			ss += d * d
		}
	}
	m := sum / float64(n)
	sd := math.Sqrt(ss / float64(2*(n-1)))
	return m > zeroZ*sd
}

// save returns the run held back and whether zeros are load, as
// numbers: the first and last slots of the run (−1 without one) and 1 or
// 0; nil when there is neither.
func (z *zeroRun) save() floats {
	if !z.pending && !z.zerosLoad {
		return nil
	}
	v := floats{-1, -1, 0}
	if z.pending {
		v[0], v[1] = float64(z.first), float64(z.last)
	}
	if z.zerosLoad {
		v[2] = 1
	}
	return v
}

// load checks a saved run against the models' last slot and whether they
// are fitted, and returns the function that applies it. A state saved
// without one (nil) has none.
func (z *zeroRun) load(v floats, slot int64, fitted bool, maxGap int) (func(), error) {
	if v == nil {
		return func() { *z = zeroRun{now: z.now, before: z.before, period: z.period} }, nil
	}
	bad := func() (func(), error) {
		return nil, fmt.Errorf("zero run %v: want its first and last slots (−1 without one) after the last slot %d and within %d steps of it, and 0 or 1", []float64(v), slot, maxGap)
	}
	if len(v) != 3 || !(v[2] == 0 || v[2] == 1) {
		return bad()
	}
	first, last := v[0], v[1]
	pending := first != -1 || last != -1
	if pending && (!fitted || !whole(first) || !whole(last) || !(first > float64(slot)) || !(last >= first) || !(last-float64(slot) <= float64(maxGap))) {
		return bad()
	}
	return func() {
		*z = zeroRun{pending: pending, zerosLoad: v[2] == 1, restored: pending, now: z.now, before: z.before, period: z.period}
		if pending {
			z.first, z.last = int64(first), int64(last)
		}
	}, nil
}

// savePhases returns the zero phases as numbers: the period, then the
// first phase, the length and the code of each run of phases with one
// code, 1 for a zero last, 2 for a zero before it, 3 for both; nil when
// there is no period or no zero phase.
func (z *zeroRun) savePhases() floats {
	if z.period == 0 {
		return nil
	}
	code := func(i int64) int {
		return btoi(bit(z.now, i)) + 2*btoi(bit(z.before, i))
	}
	var v floats
	for i := int64(0); i < z.period; {
		c := code(i)
		if c == 0 {
			i++
			continue
		}
		j := i
		for j < z.period && code(j) == c {
			j++
		}
		v = append(v, float64(i), float64(j-i), float64(c))
		i = j
	}
	if v == nil {
		return nil
	}
	return append(floats{float64(z.period)}, v...)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// loadPhases checks saved zero phases against z's period and returns the
// function that applies them; a state saved without any (nil) has none.
func (z *zeroRun) loadPhases(v floats) (func(), error) {
	if v == nil {
		return func() {
			if z.period > 0 {
				z.newZeroPhases(int(z.period))
			}
		}, nil
	}
	bad := fmt.Errorf("zero phases %v: want the period %d, then the first phase, the length and the code (1, 2 or 3) of each run of marked phases, in order, within the period", []float64(v), z.period)
	if z.period == 0 || len(v)%3 != 1 || v[0] != float64(z.period) {
		return nil, bad
	}
	end := 0.0
	for i := 1; i < len(v); i += 3 {
		first, n, c := v[i], v[i+1], v[i+2]
		if !whole(first) || !whole(n) || first < end || n < 1 || first+n > float64(z.period) || !(c == 1 || c == 2 || c == 3) {
			return nil, bad
		}
		end = first + n
	}
	return func() {
		z.newZeroPhases(int(z.period))
		for i := 1; i < len(v); i += 3 {
			c := int(v[i+2])
			for k := int64(v[i]); k < int64(v[i]+v[i+1]); k++ {
				setBit(z.now, k, c&1 != 0)
				setBit(z.before, k, c&2 != 0)
			}
		}
	}, nil
}
