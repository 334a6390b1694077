package forecast

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/shadowscale/shadowscale/internal/mathx"
	"github.com/shadowscale/shadowscale/internal/ring"
)

// model is the numerical part of a forecaster: parameters and state on a
// regular grid, without time, validation or intervals.
type model interface {
	// name describes the model and its fitted parameters.
	name() string
	// minHistory is the number of observations estimate needs.
	minHistory() int
	// estimate fits the parameters on y (len(y) ≥ minHistory).
	estimate(y []float64) error
	// reset sets the initial state from the start of y, before the first
	// observation of y.
	reset(y []float64)
	// next is the one-step-ahead forecast from the current state.
	next() float64
	// update folds the observation y into the state. O(1), no allocation.
	update(y float64)
	// predict writes the point forecasts of steps skip+1..skip+len(mean)
	// (skip ≥ 0), in O(len(mean)) whatever skip.
	predict(skip int, mean []float64)
	// psi is the coefficient c_j of the error made j steps ago in the
	// forecast error; the h-step variance is σ²(1 + Σ_{j<h} c_j²).
	psi(j int) float64
	// multiplicative reports whether errors are relative to the forecast.
	multiplicative() bool
}

// Model is a single forecasting model (Holt-Winters, double-seasonal
// Holt-Winters or a baseline) fed online. It implements [Forecaster],
// [Refitter] and [Namer]. Create one with [NewHoltWinters],
// [NewDoubleSeasonal], [NewHolt], [NewNaive], [NewSeasonalNaive],
// [NewDrift] or [NewEWMA].
//
// # Grid, gaps and history
//
// The first observation anchors the grid; each later time is snapped to the
// nearest grid point (t0 + k×Step). An observation on a grid point at or
// before the last one is rejected with an error wrapping
// [ErrInvalidArgument]. Missing grid points (gaps up to Config.MaxGap steps)
// are filled before the new observation: with the model's own one-step
// forecast once the model is fitted (the state then advances with zero
// error, as ETS treats missing values), by linear interpolation before. A
// longer gap, or one longer than the history before it (whose fills would
// outnumber what was observed), discards the history: the model starts
// afresh. [Auto] also fills as a gap a run of zeros its models find
// implausible, once load returns (see "Zero runs" in Auto).
//
// The last Config.Window observations are kept in a ring buffer; fits use
// only them, which bounds the cost of Refit. The model is fitted as soon as
// the history reaches its minimum length, and again each time the history
// has doubled while it is shorter than 1,000 values (and the window): nine
// fits at most before the Config.RefitEvery schedule; until the first fit
// Forecast returns an error wrapping [ErrInsufficientHistory].
//
// A Model is not safe for concurrent use.
type Model struct {
	m    model
	cfg  Config
	kind kind

	started bool
	t0      time.Time
	slot    int64 // grid index of the last observation

	hist    ring.Ring[float64]
	scratch []float64

	fitted   bool
	failed   bool  // the last automatic fit failed
	total    int64 // observations (and filled gaps) since the start
	sinceFit int
	lastV    float64
	// Tracking signal of the one-step errors (Config.BiasWindow): their
	// exponentially weighted mean and mean absolute value since the last
	// fit, the observations the next early refit waits for after a fit
	// (0: BiasWindow), doubled by each early refit, and the observations
	// since the last fit of either kind (sinceFit counts from the last
	// scheduled one: an early refit leaves the schedule as it was).
	biasMean, biasAbs float64
	earlyGap          int
	sinceAnyFit       int
	// shiftRun counts the latest one-step errors in a row below
	// −shiftSigmas error scales (Config.BiasWindow): a level shift down.
	shiftRun int

	// One-step error scale: exponentially weighted mean of squared
	// (relative, for multiplicative models) errors.
	lambda float64
	s2     float64
	// Sorted standardized one-step errors of the last fit.
	zs []float64
	// Cumulative variance factors: kh[h-1] = 1 + Σ_{j<h} c_j².
	kh []float64

	// rs, after UnmarshalState, tracks the refill of the window.
	rs *restored
	// tail, after UnmarshalState of an Auto, holds the latest values of
	// the window the state was saved with, oldest first: they stand
	// behind the window for Auto's zero judge (recentAt) until the window
	// is observed again or the history starts over.
	tail []float64

	// fill, if set, is told each value a gap was filled with and its
	// grid slot (Auto's long season learns them).
	fill func(slot int64, v float64)
	// fills are the runs of grid slots still in the window that gaps
	// were filled at with the model's forecasts (the latest maxFillRuns
	// runs). Their values are the window's own, saved with the state so
	// that a restored Model puts them back into its window where the
	// history read back has a gap or a run of zeros Auto held back.
	fills []fillRun
}

// fillRun is a run of n consecutive grid slots from start that a gap was
// filled at.
type fillRun struct{ start, n int64 }

func newModel(k kind, cfg Config, m model) *Model {
	return &Model{
		m:      m,
		cfg:    cfg,
		kind:   k,
		hist:   ring.New[float64](cfg.Window),
		lambda: 2 / (float64(cfg.ResidualWindow) + 1),
	}
}

// Name describes the model and, once fitted, its parameters.
func (f *Model) Name() string { return f.m.name() }

// Fitted reports whether the model has been fitted and can forecast.
func (f *Model) Fitted() bool { return f.fitted }

// Len is the number of observations in the history window.
func (f *Model) Len() int { return f.hist.Len() }

// checkValue rejects NaN, Inf and negative observations.
func checkValue(v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return fmt.Errorf("%w: %v (want a finite value ≥ 0)", ErrInvalidValue, v)
	}
	return nil
}

// Observe adds the observation v at time t; see the type documentation for
// the grid and gap handling. It runs in O(1) and does not allocate, except
// when it triggers a fit (first fit, Config.RefitEvery, a young history
// doubled since the last fit).
func (f *Model) Observe(t time.Time, v float64) error {
	if err := checkValue(v); err != nil {
		return err
	}
	if took, err := f.refillObserve(t, v); took {
		return err
	}
	if !f.started {
		f.started, f.t0, f.slot = true, t, 0
		f.add(v)
		return f.maybeFit()
	}
	k := gridSlot(f.t0, t, f.cfg.Step)
	gap := k - f.slot
	if gap <= 0 {
		return fmt.Errorf("%w: time %s is not after the last observation %s on the %s grid",
			ErrInvalidArgument, t.Format(time.RFC3339Nano),
			f.t0.Add(time.Duration(f.slot)*f.cfg.Step).Format(time.RFC3339Nano), f.cfg.Step)
	}
	if !f.fillable(gap) {
		f.restart(t)
		f.add(v)
		return f.maybeFit()
	}
	prev := f.lastV
	for i := int64(1); i < gap; i++ {
		x := interpolate(prev, v, float64(i)/float64(gap))
		if f.fitted {
			x = f.meanOf(f.m.next())
		}
		f.addFilled(f.slot+i, x)
	}
	f.slot = k
	f.observe(v)
	return f.maybeFit()
}

// fillGap fills the steps between the last observation and t with the
// model's forecasts, as Observe does before it adds a value at t, when the
// model is fitted and the gap is one Observe would fill (not one that
// starts the history over). A value at t is then the next step. Auto's
// long season reads its factor for that value after the fills.
func (f *Model) fillGap(t time.Time) {
	if !f.fitted || !f.started {
		return
	}
	k := gridSlot(f.t0, t, f.cfg.Step)
	if r := f.rs; r != nil && r.refilling {
		if k <= f.slot {
			return
		}
		f.endRefill()
	}
	gap := k - f.slot
	if gap <= 1 || !f.fillable(gap) {
		return
	}
	for i := int64(1); i < gap; i++ {
		f.addFilled(f.slot+i, f.meanOf(f.m.next()))
	}
	f.slot = k - 1
}

// fillable reports whether a value gap steps after the last observation
// follows a gap Observe fills: at most MaxGap steps, and no longer than
// the history (a longer one starts the history over; see histLen).
func (f *Model) fillable(gap int64) bool {
	return gap-1 <= int64(f.cfg.MaxGap) && gap-1 <= int64(f.histLen())
}

// histLen is the length of the history: the window's, or, after a restore
// whose window has not been observed again, the saved window's (the state
// stands for it).
func (f *Model) histLen() int {
	if r := f.rs; r != nil && !r.have {
		return min(f.cfg.Window, r.n+f.hist.Len())
	}
	return f.hist.Len()
}

// addFilled adds x, the fill of the empty slot k: the model keeps it for
// its state (a fill made before the first fit too: the window a restore
// takes back holds the fill, not the value a history source may know for
// that slot), and the fill hook sees it.
func (f *Model) addFilled(k int64, x float64) {
	f.keepFill(k)
	f.add(x)
	if f.fill != nil {
		f.fill(k, x)
	}
}

// interpolate returns the value a fraction f of the way from a to b,
// finite whenever a and b are (a + (b−a)·f overflows near MaxFloat64).
func interpolate(a, b, f float64) float64 { return a*(1-f) + b*f }

// gridSlot is the index of the grid point nearest to t.
func gridSlot(t0, t time.Time, step time.Duration) int64 {
	d := t.Sub(t0)
	k := int64(d / step)
	if r := d % step; r >= step/2 {
		k++
	} else if r <= -step/2 {
		k--
	}
	return k
}

// maxFillRuns bounds the runs of gap fills a Model keeps for its state:
// the fills of older gaps in the window are interpolated on restore.
const maxFillRuns = 256

// keepFill records that slot k was filled, and forgets the runs that left
// the window or exceed maxFillRuns.
func (f *Model) keepFill(k int64) {
	out := k - int64(f.cfg.Window) // slots up to out have left the window
	drop := 0
	for drop < len(f.fills) && f.fills[drop].start+f.fills[drop].n-1 <= out {
		drop++
	}
	if drop > 0 {
		f.fills = append(f.fills[:0], f.fills[drop:]...)
	}
	f.addFill(k)
}

// addFill adds slot k, after every slot kept, to the runs of filled slots:
// it extends the last run or starts one, forgetting the oldest beyond
// maxFillRuns.
func (f *Model) addFill(k int64) {
	if n := len(f.fills); n > 0 && f.fills[n-1].start+f.fills[n-1].n == k {
		f.fills[n-1].n++
		return
	}
	if len(f.fills) == maxFillRuns {
		f.fills = append(f.fills[:0], f.fills[1:]...)
	}
	f.fills = append(f.fills, fillRun{start: k, n: 1})
}

// fillCount is the number of filled slots kept.
func (f *Model) fillCount() int64 {
	var n int64
	for _, r := range f.fills {
		n += r.n
	}
	return n
}

// windowValue returns the window's value at grid slot k, if the window
// holds it.
func (f *Model) windowValue(k int64) (float64, bool) {
	n := int64(f.hist.Len())
	back := f.slot - k
	if back < 0 || back >= n {
		return 0, false
	}
	return f.hist.At(int(n - 1 - back)), true
}

// restart discards the history after a long gap.
func (f *Model) restart(t time.Time) {
	f.t0, f.slot = t, 0
	f.fills = f.fills[:0]
	f.hist.Clear()
	f.fitted, f.failed = false, false
	f.sinceFit, f.sinceAnyFit = 0, 0
	f.biasMean, f.biasAbs, f.earlyGap, f.shiftRun = 0, 0, 0, 0
	f.rs = nil
	f.tail = nil
}

// recentLen is how many of the latest values fed recentAt reads: the
// window's, then, after a restore, those of the window saved before them.
func (f *Model) recentLen() int { return f.hist.Len() + len(f.tail) }

// recentAt returns the i-th latest value fed (0: the last), i < recentLen.
func (f *Model) recentAt(i int) float64 {
	n := f.hist.Len()
	if i < n {
		return f.hist.Last(i)
	}
	return f.tail[len(f.tail)-1-(i-n)]
}

// appendRecent appends the latest n values fed (at most recentLen), oldest
// first.
func (f *Model) appendRecent(v floats, n int) floats {
	for i := min(n, f.recentLen()) - 1; i >= 0; i-- {
		v = append(v, f.recentAt(i))
	}
	return v
}

// observe folds a real observation into the state and the error scale.
func (f *Model) observe(v float64) {
	if f.fitted {
		p := f.m.next()
		f.trackError(v, p, nil)
	}
	f.add(v)
}

// add folds v into the state (when fitted) and the history.
func (f *Model) add(v float64) {
	if f.fitted {
		f.m.update(v)
	}
	f.hist.Push(v)
	f.lastV = v
	f.sinceFit++
	f.sinceAnyFit++
	f.total++
}

// maxRelError winsorizes relative one-step errors of multiplicative
// models: a forecast near zero makes (v−p)/p explode, and one such error
// would otherwise blow the error scale, and every interval after it, up by
// many orders of magnitude.
const maxRelError = 4

// oneStepError is the one-step error of forecast p for the observation v
// on m's scale: v − p, relative to p for multiplicative models and then
// bounded to [−1, maxRelError]. The online error scale and Auto's
// calibration both read it.
func oneStepError(m model, v, p float64) float64 {
	if !m.multiplicative() {
		return v - p
	}
	return math.Max(-1, math.Min((v-p)/math.Max(p, 1e-9), maxRelError))
}

// trackError updates the error scale with the one-step error of forecast p
// for the observation v; it appends the standardized error to zs if not nil.
func (f *Model) trackError(v, p float64, zs *[]float64) {
	e := oneStepError(f.m, v, p)
	if math.IsNaN(e) || math.IsInf(e, 0) {
		return
	}
	if zs != nil && f.s2 > 0 {
		*zs = append(*zs, e/math.Sqrt(f.s2))
	}
	if w := f.cfg.BiasWindow; w > 0 && f.s2 > 0 {
		// Each error counts at most trackingClip error scales, so that
		// one stray value far below its forecast is not taken for a run
		// of them.
		c := trackingClip * math.Sqrt(f.s2)
		ec := min(max(e, -c), c)
		l := 2 / (float64(w) + 1)
		f.biasMean += l * (ec - f.biasMean)
		f.biasAbs += l * (math.Abs(ec) - f.biasAbs)
		if e < -shiftSigmas*math.Sqrt(f.s2) {
			f.shiftRun++
		} else {
			f.shiftRun = 0
		}
	}
	f.s2 += f.lambda * (sq(e) - f.s2)
}

// overForecast reports that the forecasts have run above the observations
// since the last fit: the tracking signal (the weighted mean of the
// one-step errors, each clipped at trackingClip error scales, over their
// weighted mean absolute value) below −trackingLimit, at least a
// Config.BiasWindow after the fit, or the last shiftRunLen one-step errors
// each below −shiftSigmas error scales (a load that has fallen far below
// every forecast, at once: the tracking signal's wait would hold the old
// level, and an error scale its misses widen, for a BiasWindow); and twice
// as long after each early refit since the last scheduled one (a model
// that cannot follow the load refits early a few times a day at most).
func (f *Model) overForecast() bool {
	w := f.cfg.BiasWindow
	if w <= 0 {
		return false
	}
	if f.shiftRun >= shiftRunLen && f.sinceAnyFit >= max(shiftRunLen, f.earlyGap) {
		return true
	}
	return f.sinceAnyFit >= max(w, f.earlyGap) && f.biasAbs > 0 && f.biasMean < -trackingLimit*f.biasAbs
}

// trackingLimit is the tracking signal beyond which the one-step errors
// are taken for a bias, and trackingClip the error scales an error counts
// for at most. The signal of errors without a bias has a standard
// deviation of about 0.16 at a window of 60 steps. A bias far beyond the
// noise crosses the limit within a few steps (the error scale, and the
// clip with it, grows with the misses); one stray value does not.
//
// shiftSigmas and shiftRunLen make a level shift down: that many one-step
// errors in a row, each below that many error scales (the scale before
// the error widens it). Under errors without a bias, one in 740 falls
// below −3 scales; five in a row, one in 10¹⁴.
const (
	trackingLimit = 0.8
	trackingClip  = 3
	shiftSigmas   = 3
	shiftRunLen   = 5
)

// maybeFit fits when the history first allows it, when an upgrader asks
// and every Config.RefitEvery observations. After a failed fit it waits
// max(RefitEvery, minHistory) observations before trying again, so that
// Observe stays O(1) amortized.
func (f *Model) maybeFit() error {
	n := f.hist.Len()
	var due, early bool
	switch {
	case f.failed:
		due = f.sinceFit >= max(f.cfg.RefitEvery, f.m.minHistory())
	case !f.fitted:
		due = n >= f.m.minHistory()
	default:
		// While the history is young, a fit is redone each time it has
		// doubled since: the first fit sees a handful of values, and a
		// caller refitting once a day (the Controller's default) would
		// otherwise forecast with it for a whole day (at 15-second passes,
		// an EWMA at its smallest smoothing, 1e-4, all of the first day).
		// An upgrader's length is reached, or passed over by a gap
		// filled in one Observe.
		u, ok := f.m.(upgrader)
		due = ok && u.upgradeAt() <= n || f.cfg.RefitEvery > 0 && f.sinceFit >= f.cfg.RefitEvery ||
			n < min(f.cfg.Window, youngHistory) && 2*f.sinceFit >= n
		early = !due && f.overForecast()
		due = due || early
	}
	if !due {
		return nil
	}
	gap, since := max(f.cfg.BiasWindow, f.earlyGap), f.sinceFit
	if err := f.refit(early); err != nil {
		f.failed, f.sinceFit, f.sinceAnyFit = true, 0, 0
		return err
	}
	if early {
		f.earlyGap, f.sinceFit = min(2*gap, math.MaxInt/2), since
	}
	return nil
}

// totalAware is a model that wants the number of observations seen before
// a fit (Auto, to space out its selections).
type totalAware interface {
	setTotal(n int64)
}

// upgrader is a model that wants a refit when the history reaches a length
// (Auto, to move from a fallback to the model it prefers).
type upgrader interface {
	upgradeAt() int
}

// Refit estimates the parameters on the history window and replays it to
// set the state and the error scale. It returns an error wrapping
// [ErrInsufficientHistory] when the history is too short. After
// UnmarshalState it keeps the restored fit, and returns nil, until the
// window is as long as when the state was saved (see [Stateful]).
func (f *Model) Refit() error { return f.refit(false) }

// earlyFitter is a model whose early refits (Config.BiasWindow) differ
// from its scheduled ones (Auto re-estimates the model it has chosen and
// leaves its schedule of selections as it was).
type earlyFitter interface {
	fitEarly(y []float64) error
}

// refit is Refit; early marks a refit the tracking signal started.
func (f *Model) refit(early bool) error {
	if f.keepRestored() {
		return nil
	}
	n := f.hist.Len()
	if need := f.m.minHistory(); n < need {
		return fmt.Errorf("%w: %s has %d observations, needs %d", ErrInsufficientHistory, f.m.name(), n, need)
	}
	if ta, ok := f.m.(totalAware); ok {
		ta.setTotal(f.total)
	}
	f.scratch = f.hist.AppendTo(f.scratch[:0])
	y := f.scratch
	estimate := f.m.estimate
	if e, ok := f.m.(earlyFitter); ok && early {
		estimate = e.fitEarly
	}
	if err := estimate(y); err != nil {
		return err
	}
	f.replay(y)
	f.scratch = nil // a copy of the history: freed between fits
	f.fitted, f.failed = true, false
	f.sinceFit, f.sinceAnyFit = 0, 0
	f.biasMean, f.biasAbs, f.earlyGap, f.shiftRun = 0, 0, 0, 0
	return nil
}

// replay runs the state over y from its initial value, estimating the
// error scale and collecting the standardized errors after a burn-in.
func (f *Model) replay(y []float64) {
	f.m.reset(y)
	f.s2 = 0
	burn := min(len(y)/4, max(f.cfg.Period, 10))
	// Seed the scale with the mean squared error after the burn-in so that
	// the first standardized errors are meaningful.
	var sum float64
	var cnt int
	for i, v := range y {
		p := f.m.next()
		if i >= burn {
			e := oneStepError(f.m, v, p)
			if !math.IsNaN(e) && !math.IsInf(e, 0) {
				sum += sq(e) / float64(len(y))
				cnt++
			}
		}
		f.m.update(v)
	}
	if cnt > 0 {
		f.s2 = math.Min(sum*float64(len(y))/float64(cnt), math.MaxFloat64/4)
	}
	f.m.reset(y)
	f.zs = f.zs[:0]
	for i, v := range y {
		p := f.m.next()
		if i >= burn {
			f.trackError(v, p, &f.zs)
		}
		f.m.update(v)
	}
	slices.Sort(f.zs)
	f.zs = thinSorted(f.zs, maxQuantilePoints)
	f.kh = f.kh[:0]
}

// Forecast predicts the next h steps with a central interval at level.
// Its cost is O(h).
func (f *Model) Forecast(h int, level float64) (Forecast, error) {
	return f.forecast(h, level, 0)
}

// forecast is Forecast from skip steps after the last observation, as if
// those steps were a gap filled by the model's own forecasts: the means of
// steps skip+1..skip+h, with the intervals of steps 1..h (a fill advances
// the state with zero error).
func (f *Model) forecast(h int, level float64, skip int) (Forecast, error) {
	if err := checkForecastArgs(h, level); err != nil {
		return Forecast{}, err
	}
	if !f.fitted {
		return Forecast{}, fmt.Errorf("%w: %s has %d observations, needs %d",
			ErrInsufficientHistory, f.m.name(), f.hist.Len(), f.m.minHistory())
	}
	// One allocation for the three slices, each capped at its length.
	buf := make([]float64, 3*h)
	fc := Forecast{
		Start: f.t0.Add(time.Duration(f.slot+1+int64(skip)) * f.cfg.Step),
		Step:  f.cfg.Step,
		Mean:  buf[:h:h],
		Lower: buf[h : 2*h : 2*h],
		Upper: buf[2*h:],
		Level: level,
		Model: f.m.name(),
	}
	f.m.predict(skip, fc.Mean)
	zlo, zhi := f.quantiles(level)
	q, calibrated := f.m.(zQuantiler)
	sigma := math.Sqrt(f.s2)
	for i := range h {
		zlo, zhi := zlo, zhi
		if calibrated {
			if lo, hi, ok := q.zQuantiles(level, i); ok {
				zlo, zhi = lo, hi
			}
		}
		m := f.meanOf(fc.Mean[i])
		fc.Mean[i] = m
		w := sigma * math.Sqrt(f.varFactor(i+1))
		lo, hi := m+zlo*w, m+zhi*w
		if f.m.multiplicative() {
			lo, hi = m*(1+zlo*w), m*(1+zhi*w)
		}
		fc.Lower[i] = mathx.FiniteOr(math.Max(math.Min(lo, m), 0), 0)
		fc.Upper[i] = mathx.FiniteOr(math.Max(hi, m), math.MaxFloat64)
	}
	return fc, nil
}

// sq is x² capped so that sums and averages stay finite.
// meanOf is a model's predicted mean m as Forecast gives it, and as gaps
// are filled: the last value in place of a non-finite one (a state that
// overflowed), and not negative.
func (f *Model) meanOf(m float64) float64 {
	if math.IsNaN(m) || math.IsInf(m, 0) {
		m = f.lastV
	}
	return math.Max(m, 0)
}

func sq(x float64) float64 { return math.Min(x*x, math.MaxFloat64/4) }

func checkForecastArgs(h int, level float64) error {
	if h < 1 {
		return fmt.Errorf("%w: horizon %d must be ≥ 1", ErrInvalidArgument, h)
	}
	if !(level > 0 && level < 1) {
		return fmt.Errorf("%w: level %v must lie in (0, 1)", ErrInvalidArgument, level)
	}
	return nil
}

// varFactor is 1 + Σ_{j<h} c_j², cached.
func (f *Model) varFactor(h int) float64 {
	for len(f.kh) < h {
		j := len(f.kh)
		if j == 0 {
			f.kh = append(f.kh, 1)
			continue
		}
		c := f.m.psi(j)
		f.kh = append(f.kh, f.kh[j-1]+c*c)
	}
	return f.kh[h-1]
}

// quantiles returns the lower and upper standardized quantiles for level.
func (f *Model) quantiles(level float64) (lo, hi float64) {
	pl, ph := (1-level)/2, (1+level)/2
	if f.cfg.Interval == IntervalEmpirical && len(f.zs) >= 50 {
		lo, hi = quantileSorted(f.zs, pl), quantileSorted(f.zs, ph)
		z := mathx.NormalQuantile(ph)
		return clampZ(lo, -z), clampZ(hi, z)
	}
	z := mathx.NormalQuantile(ph)
	return -z, z
}

// clampZ keeps an empirical standardized quantile q within [½, 3] times the
// normal quantile z of the same side: never narrower than half the normal
// interval, and never so wide that a few wild standardized errors (a scale
// estimated on too few points) make the interval meaningless.
func clampZ(q, z float64) float64 {
	if z < 0 {
		return math.Max(math.Min(q, z/2), maxZFactor*z)
	}
	return math.Min(math.Max(q, z/2), maxZFactor*z)
}

// maxZFactor is how many times the normal quantile a calibrated quantile
// may reach: clampZ's bound on the intervals' and capPeak's on the peak's.
const maxZFactor = 3

// zQuantiler is a model that calibrates its own standardized quantiles
// (Auto, from its backtest errors).
type zQuantiler interface {
	zQuantiles(level float64, step int) (lo, hi float64, ok bool)
}

// maxQuantilePoints bounds the sorted standardized errors a Model keeps.
const maxQuantilePoints = 512

// thinSorted reduces sorted to k evenly spaced order statistics (type-7
// quantiles at i/(k−1)), in place, when it holds more than k values: the
// quantiles of the result differ from those of sorted by at most one
// spacing, and the memory stays bounded whatever the window.
func thinSorted(sorted []float64, k int) []float64 {
	if len(sorted) <= k || k < 2 {
		return sorted
	}
	out := make([]float64, k)
	for i := range out {
		out[i] = quantileSorted(sorted, float64(i)/float64(k-1))
	}
	return out
}

// quantileSorted interpolates the p-quantile of sorted (type 7).
func quantileSorted(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	pos := p * float64(n-1)
	i := int(pos)
	if i >= n-1 {
		return sorted[n-1]
	}
	fr := pos - float64(i)
	return sorted[i] + fr*(sorted[i+1]-sorted[i])
}

// youngHistory is the history length below which a fit is redone each time
// the history doubles: the baselines' default window. Beyond it the fits
// follow Config.RefitEvery, Refit and Auto's selections.
const youngHistory = 1000
