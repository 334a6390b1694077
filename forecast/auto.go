package forecast

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/shadowscale/shadowscale/internal/mathx"

	"github.com/shadowscale/shadowscale/internal/defaults"

	"github.com/shadowscale/shadowscale/internal/enum"
)

// AutoConfig configures [NewAuto]. The zero value of each field selects its
// documented default.
type AutoConfig struct {
	// Step is the grid interval. Default 1 minute.
	Step time.Duration
	// Periods lists zero, one or two seasonal periods in steps, shortest
	// first (for 1-minute data with daily and weekly cycles: 1440, 10080).
	// Each must be ≥ 2; a second period must exceed the first. A second
	// period of at most MaxOnlinePeriod steps is modeled by double-seasonal
	// Holt-Winters among the candidates. A longer one is modeled outside
	// the window, as a multiplicative profile of its first three harmonics
	// learned from every observation with weights that halve every two
	// periods: the candidates see the series divided by the profile, their
	// forecasts are multiplied by it, and the window is sized from the
	// first period alone. The profile is used once a whole period was
	// observed; the window is then divided by it and refitted.
	Periods []int
	// Horizon is the number of steps ahead the backtest scores, and so
	// the horizon the selection is for: with SelectDefault, a Horizon of
	// at least the first period selects SelectCombined.
	// Default 15, and at steps coarser than 5 minutes as many as 75
	// minutes hold (at least one): at 1-minute steps a 10-minute lead
	// window and a margin, at 5-minute steps 75 minutes. Choose it from the
	// horizon the forecasts are used for. On the first halves of the
	// simulator's 5-minute evaluation traces, a Horizon of their 3-step
	// lead window was not clearly better than 15 (better on one trace,
	// worse on another), so examples/simulate keeps the default. Fifteen
	// steps of 15 minutes or an hour would select for forecasts hours
	// ahead, where a seasonal naive replays yesterday's surge whatever
	// the load does now; the Controller uses the next minutes.
	Horizon int
	// MaxOrigins caps the number of backtest origins. Default 200.
	MaxOrigins int
	// Window is the number of recent observations kept and fitted on.
	// Default: 3×Periods[1] with two periods modeled in the window, else
	// max(4×Periods[0], 1000).
	Window int
	// RefitEvery refits after this many observations (0: only on Refit,
	// and whenever the history grows long enough for a candidate that was
	// not yet eligible).
	RefitEvery int
	// ReselectEvery is the number of observations after which a refit runs
	// the whole selection again; a refit sooner only re-estimates the
	// chosen model's parameters, which is much cheaper (frequent refits by
	// the Controller stay cheap). A selection that fell back on a short
	// history is always redone. Default Window: a selection per turnover of the window.
	ReselectEvery int
	// MaxGap is the longest gap, in steps, that is filled, as in
	// [Config.MaxGap].
	MaxGap int
	// StateWindow is the longest history window a saved state holds, as
	// in [Config.StateWindow].
	StateWindow int
	// Interval selects the interval method, as in [Config.Interval].
	Interval IntervalMethod
	// ResidualWindow is the time constant, in steps, of the one-step
	// error variance that scales the intervals, as in
	// [Config.ResidualWindow].
	ResidualWindow int
	// BiasWindow is the time constant, in steps, of the tracking signal
	// that refits early when the forecasts run high, as in
	// [Config.BiasWindow]; an early refit re-estimates the chosen model's
	// parameters and keeps the selection and its schedule. 0 selects
	// [DefaultBiasWindow] (an hour of steps, at least 12): without it a
	// load that drops to a level the fit has not seen is forecast at the
	// old level, with an error scale widened by its own misses, until the
	// next scheduled refit (a Controller holding a load that fell to a
	// tenth scaled production up from 16 replicas to 26, where 2 serve it,
	// for five hours). Negative: never.
	BiasWindow int
	// Select is the selection method. Default [SelectDefault].
	Select SelectMethod
	// PeakAdaptRate is the rate at which [Auto.PeakUpper] adapts the level
	// of its quantile to the share of peaks that went over the bounds it
	// returned (adaptive conformal inference); 0 selects
	// DefaultPeakAdaptRate, a negative rate turns the adaptation off. At
	// most 0.5.
	PeakAdaptRate float64
	// ZeroRun is the longest run of zeros the models find implausible,
	// in steps from the last value fed to them, that is taken for a
	// monitoring outage rather than for load (see "Zero runs" in [Auto]):
	// held back and, if a positive value follows, filled as a gap. At most
	// MaxGap: a longer outage could not be filled (the history would
	// restart). 0 selects the smaller of MaxGap and two first periods
	// (MaxGap without a period): two days with a daily period, long
	// enough to bridge an outage over a night and a day, short enough
	// that load that really stopped is seen to within two days. A
	// negative value feeds every zero as load, those before the first
	// positive value included.
	ZeroRun int
}

// SelectMethod is how [Auto] chooses among its candidates.
type SelectMethod int

const (
	// SelectDefault is SelectCombined when Horizon reaches the first
	// seasonal period, SelectBacktest otherwise. On the benchmark's 56
	// series (README.md), two seasons ahead, the geometric-mean MASE
	// ratio to R's references was 0.948 for the combination and 1.005
	// for the single best; on two sets chosen after the combination,
	// 0.953 and 1.066 (6 series), 1.332 and 1.376 (22 cities' home sales,
	// where ets did better than both). A quarter of a season ahead the
	// single best did better on three of the first four halves (0.988
	// against 0.985 on all 56); and at the Controller's lead times
	// (minutes, against a daily period) a combination gained nothing on
	// the traffic traces for the cost of several models.
	SelectDefault SelectMethod = iota
	// SelectBacktest picks the candidate with the lowest rolling-origin
	// backtest MASE.
	SelectBacktest
	// SelectAICc picks, as R's forecast::ets does, the exponential
	// smoothing model with the lowest corrected Akaike information
	// criterion among EWMA and Holt-Winters with none, additive or damped
	// trend, additive or multiplicative season and additive or
	// multiplicative (relative) errors, each fitted by maximum likelihood on
	// the whole window (double-seasonal Holt-Winters too with two periods).
	SelectAICc
	// SelectCombined forecasts, step by step, the median of three
	// selections' forecasts: the median of the three candidates with the
	// lowest backtest MASE, the lowest alone, and the model SelectAICc
	// picks on the whole window (which may be one of the three). A median
	// of three models damps a trend two of them do not have; the other
	// two selections keep a trend they agree on. It fits every candidate
	// twice per selection (backtest and likelihood).
	SelectCombined
)

// String returns "default", "backtest", "aicc" or "combined".
func (m SelectMethod) String() string {
	return enum.Name(m, "selection method", selectMethodNames)
}

var selectMethodNames = []string{SelectDefault: "default", SelectBacktest: "backtest", SelectAICc: "aicc", SelectCombined: "combined"}

// Auto selects, at every fit, the model with the lowest rolling-origin
// backtest MASE on the history among the candidates, and forecasts with it;
// when Horizon reaches the first seasonal period it forecasts a median of
// three selections instead (SelectDefault, SelectCombined;
// AutoConfig.Select chooses the method: the best, the combination, or the
// lowest AICc).
// Candidates: naive, drift, EWMA and, per period, seasonal naive
// and Holt-Winters (additive, additive damped, additive without trend,
// multiplicative when the data are positive); with two periods also
// double-seasonal Holt-Winters (additive and multiplicative); the second
// period's seasonal naive and Holt-Winters candidates carry it in their
// names ("seasonal-naive[m=2016]"). Candidates
// whose minimum history exceeds the window are never eligible. SelectAICc
// and SelectCombined also fit Holt-Winters with relative errors and the
// multiplicative season with an additive trend, which only the likelihood
// scores (never the backtest).
//
// The backtest fits each candidate on the history before a split point,
// then rolls through the rest with online updates, forecasting Horizon
// steps at up to MaxOrigins evenly spaced origins; errors are scaled by the
// in-sample seasonal naive error. The split keeps at least Horizon held-out
// points and, when the history allows, two long seasons before it. The
// winner is refitted on the whole window.
//
// # Calibrated intervals
//
// The intervals are split-conformal: the chosen model, fitted on the first
// part of the window (the backtest's, or the first half when that leaves too
// few errors), rolls through the rest with online updates and forecasts
// Horizon steps ahead (fewer near the end) at up to MaxOrigins origins. Each
// error, divided by the one-step error scale at its origin and the growth
// √(1 + Σ_{j<h} c_j²) of its step, is a score; the scores are grouped into up
// to 8 groups of neighbouring steps of at least 200, and the interval of a
// step at level L is mean + [s_(k), s_(K)]·σ·√(1 + Σ c_j²) with s_(k) the k-th
// smallest score of its group, k = ⌊(n+1)(1−L)/2⌋ and K = ⌈(n+1)(1+L)/2⌉. The
// intervals widen monotonically with L. A group too small for the level
// falls back to the in-sample quantiles of [IntervalEmpirical].
//
// # Zero runs
//
// A monitoring outage often reaches a forecaster as a run of zeros rather
// than as missing points. Once the models are fitted, a zero below the
// lower bound of the central 99% normal interval of the forecast for its
// step (more than 2.58 error scales of the step below the mean: a zero the
// models give less than a 0.5% chance) starts a zero run: it and
// the zeros that follow are held back from the models, as the grid slots
// of the first and the last. A chosen model that forecasts a single past
// value (naive, drift, seasonal naive, as in the first days' fallback)
// does not judge: after an isolated burst it forecasts the burst, and a
// zero after it is no sign of an outage; nor does an EWMA, which forecasts
// the recent level with an error scale its bursts inflate (a first day's
// fallback, fitted on a few hundred values). The recent level judges instead:
// a zero more than 2.58 noise scales below the mean of the last 60 values
// fed (the scale from their successive differences; at least 30 values),
// after a positive value, starts a run, which a steady load's drop to zero
// does and a sparse series' zeros between bursts do not; zeros after zeros
// fed as load (too early to judge) are load. If a positive value follows, the
// run was an outage: the models see a gap and fill it with their own
// forecasts, as any gap up to MaxGap steps (a long season learns the
// fills, not the zeros). A run longer than the history before it (an
// outage in the first day) restarts the history instead, and the long
// season with it if it has no profile yet: fills would outnumber what was
// observed. If the run outgrows AutoConfig.ZeroRun steps from the last value
// fed to the models, its zeros were load: they are fed, one per step from
// the run's first zero to its last (grid points missing among them count
// as zeros), and so is every zero after them until the next positive
// value. Zeros the models find plausible (a quiet night of a small
// service), and every zero before the first fit, are load at once:
// holding them back would bias the forecasts upward, a bias the 0.5%
// threshold bounds to about half a percent of the mean. So is a zero at a
// phase of the first seasonal period whose last two values taken (fed,
// or held back), in the periods before, were zeros too, less than a
// quarter of a period into the run it would start or continue: a load
// idle at the same hours of every day (a batch, a cron-driven load) is
// learned from its third idle phase on, where an outage at that hour of
// one day, or of two days running, is not (a day's load there clears the
// mark), and a run longer than a period is not taken for its own
// recurrence. The marks are saved with the state.
//
// Zeros before the first positive value are not history at all: a load
// that has never been positive says nothing of its level or its cycle
// (a service whose metrics are exported before it takes traffic, a trace
// that starts in an outage), and models fitted on them forecast zero once
// the load begins (a seasonal naive forecast repeats the day of zeros for
// a whole day). They are dropped, and the history starts with the first
// positive value, as after an outage longer than the history before it.
// Until then Auto has no history (ErrInsufficientHistory). A negative
// ZeroRun feeds them as load.
//
// While a run is held back, Forecast and PeakUpper forecast the steps after
// its last zero as if the run were a gap: from the models' last state, with
// the means of the steps after the run and the intervals of a gap just
// filled. For a scaler this is the safe side: the capacity of the last
// load seen is kept through an outage rather than scaled to zero, at the
// cost of keeping it up to ZeroRun steps too long when the load really
// stopped. The run is saved with the state.
//
// With a short history Auto falls back to the candidates that fit it (naive,
// drift and EWMA first, seasonal naive after one season, Holt-Winters after
// two) and says so in Name and [Auto.Selection]; it reselects as soon as a
// longer-history candidate becomes eligible. Auto implements [Forecaster],
// [Refitter] and [Namer]; it is not safe for concurrent use.
type Auto struct {
	*Model
	a *autoModel
}

// DefaultBiasWindow is [AutoConfig.BiasWindow]'s default for step: an
// hour of steps, at least 12 (60 when step is unknown).
func DefaultBiasWindow(step time.Duration) int {
	if step <= 0 {
		return 60
	}
	return max(int((time.Hour+step-1)/step), 12)
}

// NewAuto returns an Auto forecaster.
func NewAuto(cfg AutoConfig) (*Auto, error) {
	if len(cfg.Periods) > 2 {
		return nil, fmt.Errorf("%w: Periods %v: at most two periods", ErrInvalidArgument, cfg.Periods)
	}
	for i, p := range cfg.Periods {
		if p < 2 {
			return nil, fmt.Errorf("%w: Periods[%d] %d must be ≥ 2", ErrInvalidArgument, i, p)
		}
	}
	if len(cfg.Periods) == 2 && cfg.Periods[1] <= cfg.Periods[0] {
		return nil, fmt.Errorf("%w: Periods %v: the second period must exceed the first", ErrInvalidArgument, cfg.Periods)
	}
	if cfg.Horizon < 0 || cfg.MaxOrigins < 0 || cfg.ReselectEvery < 0 {
		return nil, fmt.Errorf("%w: Horizon %d, MaxOrigins %d and ReselectEvery %d must not be negative",
			ErrInvalidArgument, cfg.Horizon, cfg.MaxOrigins, cfg.ReselectEvery)
	}
	if !(cfg.PeakAdaptRate <= 0.5) {
		return nil, fmt.Errorf("%w: PeakAdaptRate %v must be at most 0.5", ErrInvalidArgument, cfg.PeakAdaptRate)
	}
	if cfg.Select < SelectDefault || cfg.Select > SelectCombined {
		return nil, fmt.Errorf("%w: Select %d", ErrInvalidArgument, int(cfg.Select))
	}
	cfg.Horizon = defaults.IfZero(cfg.Horizon, defaultHorizon(cfg.Step))
	if cfg.Select == SelectDefault {
		cfg.Select = defaultSelect(cfg.Horizon, cfg.Periods)
	}
	cfg.MaxOrigins = defaults.IfZero(cfg.MaxOrigins, 200)
	switch {
	case cfg.BiasWindow == 0:
		cfg.BiasWindow = DefaultBiasWindow(cfg.Step)
	case cfg.BiasWindow < 0:
		cfg.BiasWindow = 0
	}
	base := Config{
		Step: cfg.Step, Window: cfg.Window, RefitEvery: cfg.RefitEvery, MaxGap: cfg.MaxGap, StateWindow: cfg.StateWindow,
		Interval: cfg.Interval, ResidualWindow: cfg.ResidualWindow, BiasWindow: cfg.BiasWindow,
	}
	var long *longSeason
	if len(cfg.Periods) == 2 && cfg.Periods[1] > MaxOnlinePeriod {
		long = newLongSeason(cfg.Periods[1], defaults.IfZero(cfg.Step, time.Minute))
		cfg.Periods = cfg.Periods[:1]
	}
	k := kindNaive
	switch len(cfg.Periods) {
	case 1:
		base.Period, k = cfg.Periods[0], kindHoltWinters
	case 2:
		base.Period, base.Period2, k = cfg.Periods[0], cfg.Periods[1], kindDoubleSeasonal
	}
	valid, err := base.validate(k)
	if err != nil {
		return nil, err
	}
	cfg.ReselectEvery = defaults.IfZero(cfg.ReselectEvery, valid.Window)
	if cfg.ZeroRun > valid.MaxGap {
		return nil, fmt.Errorf("%w: ZeroRun %d exceeds MaxGap %d: a longer outage cannot be filled as a gap", ErrInvalidArgument, cfg.ZeroRun, valid.MaxGap)
	}
	if cfg.ZeroRun == 0 {
		cfg.ZeroRun = valid.MaxGap
		if len(cfg.Periods) > 0 {
			cfg.ZeroRun = min(cfg.ZeroRun, 2*cfg.Periods[0])
		}
	}
	a := &autoModel{horizon: cfg.Horizon, window: valid.Window, maxOrigins: cfg.MaxOrigins, periods: cfg.Periods,
		lambda: 2 / (float64(valid.ResidualWindow) + 1), reselect: int64(cfg.ReselectEvery), method: cfg.Select,
		zeroRun: int64(cfg.ZeroRun)}
	if len(cfg.Periods) > 0 {
		a.zr.newZeroPhases(cfg.Periods[0])
	}
	add := func(m *Model, err error) error {
		if err != nil {
			return err
		}
		a.cands = append(a.cands, m.m)
		return nil
	}
	// The candidates only a likelihood scores (relative errors,
	// multiplicative season with an additive trend) exist where AICc
	// selects: alone, or as one of the combination's three picks.
	withLik := cfg.Select == SelectAICc || cfg.Select == SelectCombined
	one := valid
	one.Period2 = 0
	if err := add(NewNaive(one)); err != nil {
		return nil, err
	}
	if err := add(NewDrift(one)); err != nil {
		return nil, err
	}
	if err := add(NewEWMA(one)); err != nil {
		return nil, err
	}
	for i, p := range cfg.Periods {
		c := one
		c.Period = p
		// The second period's candidates carry it in their names, so
		// that a selection's reason tells them from the first's.
		tag := ""
		if i == 1 {
			tag = fmt.Sprintf("[m=%d]", p)
		}
		if err := add(NewSeasonalNaive(c)); err != nil {
			return nil, err
		}
		a.cands[len(a.cands)-1].(*seasonalNaive).tag = tag
		for _, v := range []struct {
			s Seasonality
			t Trend
		}{{Additive, TrendNone}, {Additive, TrendAdditive}, {Additive, TrendDamped}, {Multiplicative, TrendNone}, {Multiplicative, TrendDamped}, {Multiplicative, TrendAdditive}} {
			c.Seasonality, c.Trend = v.s, v.t
			likOnly := v.s == Multiplicative && v.t == TrendAdditive
			if likOnly && !withLik {
				continue
			}
			for _, rel := range []bool{false, true} {
				if rel && !withLik {
					continue
				}
				m, err := NewHoltWinters(c)
				if err != nil {
					return nil, err
				}
				m.m.(*hw).errMult = rel
				m.m.(*hw).likOnly = likOnly || rel
				m.m.(*hw).tag = tag
				a.cands = append(a.cands, m.m)
			}
		}
	}
	if len(cfg.Periods) == 2 {
		for _, s := range []Seasonality{Additive, Multiplicative} {
			c := valid
			c.Seasonality, c.Trend = s, TrendNone
			if err := add(NewDoubleSeasonal(c)); err != nil {
				return nil, err
			}
		}
	}
	a.chosen = a.cands[0]
	a.long = long
	if r := defaults.IfZero(cfg.PeakAdaptRate, DefaultPeakAdaptRate); r > 0 {
		a.aci = &peakACI{rate: r, gain: peakExtendGain}
	}
	au := &Auto{Model: newModel(k, valid, a), a: a}
	if long != nil {
		au.fill = au.fillLong
	}
	return au, nil
}

// Selection returns the outcome of the last model selection.
func (a *Auto) Selection() Selection { return a.a.sel }

// PeakUpper returns an upper bound, at the given level, for the largest
// value of the next lead steps: what a scaler provisions for when capacity
// takes lead steps to arrive. It is the largest forecast mean of the lead
// window plus the split-conformal level-quantile of the peak errors of the
// chosen model's rolling-origin forecasts (the realized maximum over the
// window minus the forecast maximum, standardized by the one-step error
// scale at the origin), drawn in the current error scale. A one-sided bound
// on the peak is much tighter than the largest per-step upper bound of a
// central interval, which [Forecast.Peak] returns. As the intervals'
// quantiles are, the quantile is kept within three times the normal
// quantile of its level (above one half), drawn at the lead's variance
// growth: a calibration of few origins in one stretch (a seasonal model's
// first fit) can hold errors the model fitted on the whole window never
// makes.
//
// The level of the quantile adapts (adaptive conformal inference, Gibbs
// and Candès 2021, at AutoConfig.PeakAdaptRate): each bound PeakUpper
// returned is checked, lead steps later, against the largest value
// observed in its window, and the level moves up by rate × level after a
// peak over the bound and down by rate × (1 − level) after one under it
// (bounded to [(level+0.5)/2, 0.999]), so that the share of peaks over the
// bounds tends to 1 − level even when the errors grow beyond those the
// scores were calibrated on. At 0.999 the quantile is the largest score:
// should peaks keep going over it (a load that outgrows every error of its
// window), the adaptation goes on below that floor, and the bound reaches
// past the largest score by 50 × the miscoverage's deficit under the
// floor (at most 0.2) times that score (at least one error scale), until
// the share of misses is 1 − level again; covered peaks unwind it before
// the level falls. It follows the last level asked for, which asking
// another starts over; another lead (a lead time learned anew, one step
// longer or shorter) keeps the adaptation and drops the bounds not yet
// checked. One bound per forecast origin is checked (the last asked); the
// adapted level is saved with the state, the bounds not yet checked are
// not.
//
// When the calibration has too few errors for the level (a short history),
// it falls back to the largest upper bound of the central interval at the
// same level over the window. It returns an error wrapping
// [ErrInvalidArgument] for lead < 1 or a level outside (0, 1), and
// [ErrInsufficientHistory] before the first fit.
func (a *Auto) PeakUpper(lead int, level float64) (float64, error) {
	if err := checkForecastArgs(lead, level); err != nil {
		return 0, err
	}
	q, ok := a.a.peakQuantile(lead, level)
	if !a.fitted || !ok {
		return a.centralPeak(lead, level)
	}
	if c := a.a.aci; c != nil {
		l := c.levelFor(lead, level)
		q = a.capPeak(a.a.peakQuantileUpTo(lead, l), lead, l)
		if e := c.extension(); e > 0 {
			q += e * math.Max(q, 1)
		}
	} else {
		q = a.capPeak(q, lead, level)
	}
	peak, fmax := a.peakMean(lead)
	sigma := math.Sqrt(a.s2)
	// An additive error scale is the models', on the series divided by a
	// long season's profile: drawn at the profile's largest value over the
	// lead window.
	v := math.Max(peak+q*sigma*fmax, 0)
	if a.a.multiplicative() {
		v = math.Max(peak*(1+q*sigma), 0)
	}
	if !mathx.Finite(v) {
		return a.centralPeak(lead, level)
	}
	if c := a.a.aci; c != nil {
		c.record(a.slot+1+int64(a.a.zr.skip(a.slot)), v)
	}
	return v, nil
}

// capPeak keeps a calibrated peak quantile q, in one-step error scales,
// within maxZFactor times the normal quantile of level drawn at the lead's
// variance growth: the bound the intervals' quantiles keep (clampZ). A
// calibration of few origins in one stretch (the first fit of a seasonal
// model, whose rolling-origin errors come from a model fitted on the
// first two seasons, often one regime such as a weekend) can put the
// quantile at 14 error scales, errors the model fitted on the whole window
// never makes again.
func (a *Auto) capPeak(q float64, lead int, level float64) float64 {
	z := mathx.NormalQuantile(level) * math.Sqrt(a.varFactor(lead))
	if !(z > 0) {
		// A level of one half or less: no upper side to keep it within.
		return q
	}
	return math.Min(q, maxZFactor*z)
}

// centralPeak is the largest upper bound of the central interval at level
// over the first lead steps: PeakUpper's fallback.
func (a *Auto) centralPeak(lead int, level float64) (float64, error) {
	fc, err := a.Forecast(lead, level)
	if err != nil {
		return 0, err
	}
	_, upper := fc.Peak(lead)
	return upper, nil
}

// peakMean returns the largest forecast mean of the next lead steps, as
// Forecast gives it, and the long season's largest factor over them (1
// without one), without building the intervals.
func (a *Auto) peakMean(lead int) (peak, fmax float64) {
	buf := slices.Grow(a.a.meanBuf[:0], lead)[:lead]
	a.a.meanBuf = buf
	skip := a.a.zr.skip(a.slot)
	a.m.predict(skip, buf)
	s := a.a.long
	long := s != nil && s.active()
	fmax = 1
	if long {
		fs := slices.Grow(a.a.factorBuf[:0], lead)[:lead]
		a.a.factorBuf = fs
		s.factors(a.t0.Add(time.Duration(a.slot+1+int64(skip))*a.cfg.Step), fs)
		fmax = slices.Max(fs)
	}
	for i, m := range buf {
		m = a.meanOf(m)
		if long {
			m = math.Min(m*a.a.factorBuf[i], math.MaxFloat64)
		}
		peak = math.Max(peak, m)
	}
	return peak, fmax
}

// Selection reports which model Auto chose and why.
type Selection struct {
	// Model names the chosen model with its fitted parameters.
	Model string
	// Reason explains the choice in one sentence with the numbers.
	Reason string
	// Fallback is true when some candidates were not eligible because the
	// history was too short.
	Fallback bool
	// Horizon and Origins describe the backtest.
	Horizon, Origins int
	// Scores holds every candidate's backtest result, best first. With
	// SelectAICc the models with a likelihood are scored by AICc instead
	// and listed in Reason, not here.
	Scores []CandidateScore
}

// CandidateScore is one candidate's backtest result.
type CandidateScore struct {
	// Model names the candidate.
	Model string
	// MASE is its backtest mean absolute scaled error (+Inf if skipped).
	MASE float64
	// Skipped says why the candidate was not scored, or is empty.
	Skipped string
}

type autoModel struct {
	horizon, maxOrigins int
	window              int // capacity of the history
	hb                  int // horizon of the last backtest
	reselect            int64
	total, selTotal     int64 // observations seen, at the last selection
	selected            bool
	periods             []int
	cands               []model
	chosen              model
	sel                 Selection
	n                   int // history length at the last selection
	buf                 []float64
	lambda              float64   // weight of the error-scale EWMA, as in Model
	zsBest              []float64 // standardized rolling-origin errors of the chosen model
	zsStepBest          []int     // horizon step (0-based) of each error
	// pkBest[k] is the standardized error of the forecast peak over steps
	// 0..zsStepBest[k] of the same origin.
	pkBest []float64
	// Sorted scores per group of steps, in single precision: ample for
	// quantiles, and half the memory.
	peakBuckets [][]float32
	buckets     [][]float32
	// groupsText is the saved state's encoding of buckets and
	// peakBuckets (autoSt.appendGroups), nil until a save needs it after
	// they were last built.
	groupsText []byte
	kv         []float64
	label      string
	method     SelectMethod
	// long is the second period when it is modeled outside the window
	// (see AutoConfig.Periods); nil otherwise.
	long *longSeason
	// aci adapts PeakUpper's level; nil when AutoConfig.PeakAdaptRate is
	// negative.
	aci *peakACI
	// meanBuf and factorBuf hold PeakUpper's forecast means and the long
	// season's factors between calls.
	meanBuf, factorBuf []float64
	// scaleRatio is √(s2Cal/s2In): the one-step error scale at the end
	// of the calibration run over the in-sample scale of the final fit.
	// The conformal scores are in units of the former, the intervals
	// are drawn in units of the latter.
	scaleRatio float64
	s2Cal      float64
	// zLevel and zNorm cache the normal quantile of the last level
	// asked, so that a forecast computes it once, not once per step.
	zLevel, zNorm float64
	// zeroRun is AutoConfig.ZeroRun (negative: zeros are always load)
	// and zr the run of zeros held back.
	zeroRun int64
	zr      zeroRun
}

// defaultSelect is the selection method of SelectDefault for a horizon
// of h steps and the seasonal periods: SelectCombined when h reaches the
// first period, SelectBacktest otherwise (see SelectDefault).
func defaultSelect(h int, periods []int) SelectMethod {
	if len(periods) > 0 && h >= periods[0] {
		return SelectCombined
	}
	return SelectBacktest
}

// minBucket is the least number of standardized errors per group of
// horizon steps in the conformal calibration.
const minBucket = 200

// zQuantiles returns split-conformal quantiles of the chosen model's
// standardized rolling-origin errors at horizon step (0-based): with n
// errors in the step's group, the ⌊(n+1)(1−level)/2⌋-th smallest and the
// ⌈(n+1)(1+level)/2⌉-th smallest, which cover a new error with probability
// at least level when errors are exchangeable. Steps are grouped into up to
// 8 buckets of at least minBucket errors; ok is false when the group has too
// few errors for the level.
func (a *autoModel) zQuantiles(level float64, step int) (lo, hi float64, ok bool) {
	if len(a.buckets) == 0 || a.hb < 1 {
		return 0, 0, false
	}
	b := a.buckets[min(step*len(a.buckets)/a.hb, len(a.buckets)-1)]
	lo, hi, ok = conformalQuantiles(b, level)
	if !ok {
		return 0, 0, false
	}
	if a.zLevel != level || a.zNorm == 0 {
		a.zLevel, a.zNorm = level, mathx.NormalQuantile((1+level)/2)
	}
	z := a.zNorm
	r := a.scaleRatio
	if !(r > 0) || math.IsInf(r, 0) {
		r = 1
	}
	return r * clampZ(lo, -z), r * clampZ(hi, z), true
}

// conformalQuantiles returns the split-conformal lower and upper quantiles
// of the sorted scores at level; ok is false when there are too few scores
// for the ranks. Both are monotone in level: a higher level never gives a
// narrower interval.
func conformalQuantiles[T float32 | float64](sorted []T, level float64) (lo, hi float64, ok bool) {
	n := len(sorted)
	a := (1 - level) / 2
	kl := int(math.Floor(float64(n+1) * a))
	kh := int(math.Ceil(float64(n+1) * (1 - a)))
	if n == 0 || kl < 1 || kh > n {
		return 0, 0, false
	}
	return float64(sorted[kl-1]), float64(sorted[kh-1]), true
}

// releaser is a model that can free its state arrays until its next
// reset or estimate.
type releaser interface {
	release()
}

// releaseOthers frees the state of the candidates not in use, so that only
// the chosen model's state stays on the heap between selections.
func (a *autoModel) releaseOthers() {
	inUse := map[model]bool{a.chosen: true}
	if c, ok := a.chosen.(*combination); ok {
		for _, p := range c.parts {
			inUse[p] = true
		}
	}
	for _, c := range a.cands {
		if r, ok := c.(releaser); ok && !inUse[c] {
			r.release()
		}
	}
}

// buildBuckets groups the chosen candidate's errors, and its peak errors,
// by horizon step.
func (a *autoModel) buildBuckets() {
	nb := max(1, min(a.hb, 8, len(a.zsBest)/minBucket))
	a.buckets = groupByStep(a.buckets, nb, a.zsBest, a.zsStepBest, a.hb)
	a.peakBuckets = groupByStep(a.peakBuckets, nb, a.pkBest, a.zsStepBest, a.hb)
	a.groupsText = nil
	// The errors live on in the buckets only.
	a.zsBest, a.zsStepBest, a.pkBest = nil, nil, nil
}

// groupByStep sorts the scores zs into nb groups of neighbouring steps of a
// horizon of h steps. The groups live until the next selection, so each is
// sized exactly (a slice of the right size is reused).
func groupByStep(buckets [][]float32, nb int, zs []float64, steps []int, h int) [][]float32 {
	if len(buckets) != nb {
		buckets = make([][]float32, nb)
	}
	group := func(k int) int { return min(steps[k]*nb/max(h, 1), nb-1) }
	counts := make([]int, nb)
	for k := range zs {
		counts[group(k)]++
	}
	for i, n := range counts {
		if cap(buckets[i]) != n {
			buckets[i] = make([]float32, 0, n)
		}
		buckets[i] = buckets[i][:0]
	}
	for k, z := range zs {
		b := group(k)
		// A score beyond float32's range (values near MaxFloat64) is kept
		// at its largest finite value: a group holds finite scores only.
		buckets[b] = append(buckets[b], float32(max(-math.MaxFloat32, min(z, math.MaxFloat32))))
	}
	for _, b := range buckets {
		slices.Sort(b)
	}
	return buckets
}

// peakQuantile returns the split-conformal level-quantile of the
// standardized peak errors for a lead window of lead steps, in the units of
// the model's one-step error scale: the ⌈(n+1)·level⌉-th smallest of the n
// peak errors of the group of the lead's last step. ok is false when there
// are too few.
func (a *autoModel) peakQuantile(lead int, level float64) (q float64, ok bool) {
	b := a.peakScores(lead)
	k := int(math.Ceil(float64(len(b)+1) * level))
	if len(b) == 0 || k > len(b) || k < 1 {
		return 0, false
	}
	return a.peakScore(b, k), true
}

// peakQuantileUpTo is peakQuantile at a level that may need more scores
// than there are: the largest score then.
func (a *autoModel) peakQuantileUpTo(lead int, level float64) float64 {
	b := a.peakScores(lead)
	k := int(math.Ceil(float64(len(b)+1) * level))
	return a.peakScore(b, min(max(k, 1), len(b)))
}

// peakScores are the sorted peak scores of the group of lead.
func (a *autoModel) peakScores(lead int) []float32 {
	if len(a.peakBuckets) == 0 || a.hb < 1 {
		return nil
	}
	return a.peakBuckets[min((lead-1)*len(a.peakBuckets)/a.hb, len(a.peakBuckets)-1)]
}

// peakScore is the k-th smallest score of b in the current error scale's
// units.
func (a *autoModel) peakScore(b []float32, k int) float64 {
	r := a.scaleRatio
	if !(r > 0) || math.IsInf(r, 0) {
		r = 1
	}
	return r * float64(b[k-1])
}

func (a *autoModel) name() string {
	if a.label == "" {
		return "auto"
	}
	return a.label
}

func (a *autoModel) minHistory() int                  { return 2 }
func (a *autoModel) reset(y []float64)                { a.chosen.reset(y) }
func (a *autoModel) next() float64                    { return a.chosen.next() }
func (a *autoModel) update(y float64)                 { a.chosen.update(y) }
func (a *autoModel) predict(skip int, mean []float64) { a.chosen.predict(skip, mean) }
func (a *autoModel) psi(j int) float64                { return a.chosen.psi(j) }
func (a *autoModel) multiplicative() bool             { return a.chosen.multiplicative() }

// upgradeAt is the history length at which a candidate that is not yet
// eligible becomes eligible.
func (a *autoModel) upgradeAt() int {
	next := math.MaxInt
	for _, c := range a.cands {
		for _, need := range [2]int{c.minHistory() + 1, c.minHistory() + a.horizon} {
			if need > a.n && need < next {
				next = need
			}
		}
	}
	return next
}

func (a *autoModel) setTotal(n int64) { a.total = n }

// fitEarly re-estimates the chosen model's parameters on y and keeps the
// selection (a fallback on a short history included) and its schedule: the
// next selection comes when the window has grown by a quarter since the
// last scheduled fit, or ReselectEvery observations after the last
// selection, or when a candidate becomes eligible, as without it. An early
// refit follows a load the model has lost; it is not one of the fits that
// space out the selections.
func (a *autoModel) fitEarly(y []float64) error {
	if a.chosen == nil {
		return a.estimate(y)
	}
	// The load has left the fitted parameters behind (a level shift
	// down): search from the usual starts, not from them, or the search
	// stays at a level smoothing that cannot follow it.
	coldStart(a.chosen)
	if err := a.chosen.estimate(y); err != nil {
		// The chosen model cannot be fitted on this window (a
		// multiplicative one on a window holding a run of zeros fed as
		// load): select again, as a scheduled refit does.
		return a.estimate(y)
	}
	a.relabel()
	return nil
}

// relabel names the selection and the forecaster after the chosen model
// and its current parameters.
func (a *autoModel) relabel() {
	a.sel.Model = a.chosen.name()
	a.label = "auto:" + a.sel.Model
	if a.sel.Fallback {
		a.label += " (fallback: short history)"
	}
}

func (a *autoModel) estimate(y []float64) error {
	n := len(y)
	if a.selected && !a.sel.Fallback && a.hb == a.horizon && n >= a.n && 4*n < 5*a.n && a.total-a.selTotal < a.reselect {
		if err := a.chosen.estimate(y); err == nil {
			a.n = n
			a.relabel()
			return nil
		}
	}
	a.selected, a.selTotal = true, a.total
	a.n = n
	h := a.horizon
	if len(a.periods) > 0 {
		// Too short for a full-horizon backtest of Holt-Winters: score a
		// shorter horizon rather than none.
		if need := 2 * a.periods[0]; n-h < need && n-need >= 1 {
			h = n - need
		}
	}
	a.hb = h
	n0 := n - max(h, n/5)
	needs := []int{}
	for i := len(a.periods) - 1; i >= 0; i-- {
		needs = append(needs, 2*a.periods[i])
	}
	for _, need := range needs {
		if n0 < need && n-h >= need {
			n0 = need
			break
		}
	}
	scores := make([]CandidateScore, 0, len(a.cands))
	scored := make([]model, 0, len(a.cands))
	var best model
	bestScore := math.Inf(1)
	origins := 0
	fallback := false
	if n0 >= 2 {
		stride := max(1, (n-h-n0)/a.maxOrigins)
		m := 1
		if len(a.periods) > 0 && n0 > a.periods[0] {
			m = a.periods[0]
		}
		scale, err := naiveScale(y[:n0], m)
		if err != nil {
			scale = math.SmallestNonzeroFloat64
			if s, err := naiveScale(y[:n0], 1); err == nil {
				scale = s
			}
		}
		if cap(a.buf) < h {
			a.buf = make([]float64, h)
		}
		buf := a.buf[:h]
		for _, c := range a.cands {
			if hc, ok := c.(*hw); ok && hc.likOnly && a.method != SelectAICc {
				continue
			}
			if c.minHistory()+h > a.window {
				// Never eligible: not a fallback.
				scores = append(scores, CandidateScore{Model: c.name(), MASE: math.Inf(1),
					Skipped: fmt.Sprintf("needs %d observations, more than the window of %d leaves before a %d-step backtest", c.minHistory(), a.window, h)})
				scored = append(scored, c)
				continue
			}
			if c.minHistory() > n0 {
				fallback = true
				scores = append(scores, CandidateScore{Model: c.name(), MASE: math.Inf(1),
					Skipped: fmt.Sprintf("needs %d observations before the backtest, has %d", c.minHistory(), n0)})
				scored = append(scored, c)
				continue
			}
			if a.method == SelectAICc {
				if _, ok := c.(paramCounter); ok {
					// Scored by AICc below, on the whole window.
					continue
				}
			}
			if err := c.estimate(y[:n0]); err != nil {
				scores = append(scores, CandidateScore{Model: c.name(), MASE: math.Inf(1), Skipped: err.Error()})
				scored = append(scored, c)
				continue
			}
			c.reset(y[:n0])
			for _, v := range y[:n0] {
				c.update(v)
			}
			var sum float64
			cnt := 0
			for t := n0; t <= n-h; t++ {
				if (t-n0)%stride == 0 {
					c.predict(0, buf)
					for i, p := range buf {
						sum += math.Abs(y[t+i] - p)
					}
					cnt++
				}
				c.update(y[t])
			}
			origins = cnt
			score := sum / float64(cnt*h) / scale
			if math.IsNaN(score) {
				score = math.Inf(1)
			}
			scores = append(scores, CandidateScore{Model: c.name(), MASE: score})
			scored = append(scored, c)
			if score < bestScore {
				best, bestScore = c, score
			}
		}
	}
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(p, q int) int { return cmpScore(scores[p].MASE, scores[q].MASE) })
	sortedScores := make([]CandidateScore, len(scores))
	for i, k := range order {
		sortedScores[i] = scores[k]
	}
	var reason string
	calFitted := a.method != SelectAICc && n0 >= 2
	switch {
	case a.method == SelectAICc && n >= 2:
		if c, crit, others := a.selectAICc(y); c != nil {
			best, bestScore = c, crit
			reason = fmt.Sprintf("lowest AICc %.2f on %d observations", crit, n)
			if len(others) > 0 {
				reason += " (next: " + strings.Join(others, ", ") + ")"
			}
		}
	case a.method == SelectCombined && best != nil:
		var parts []model
		var names []string
		for _, k := range order {
			if len(parts) == 3 || math.IsInf(scores[k].MASE, 1) {
				break
			}
			parts = append(parts, scored[k])
			names = append(names, fmt.Sprintf("%s %.3f", scores[k].Model, scores[k].MASE))
		}
		if len(parts) > 1 {
			comb := newCombination(parts)
			reason = fmt.Sprintf("median of the %d candidates with the lowest %d-step backtest MASE over %d origins on %d held-out points: %s",
				len(parts), h, origins, n-n0, strings.Join(names, ", "))
			if len(parts) == 3 {
				// Three selections: the median of the median, the
				// backtest's pick and the likelihood's (AICc on the
				// whole window, as R's ets).
				if c, crit, _ := a.selectAICc(y); c != nil {
					i := slices.Index(parts, c)
					if i < 0 {
						parts = append(parts, c)
						i = 3
					}
					reason += fmt.Sprintf("; combined with the first and with %s, the lowest AICc %.2f on %d observations: the median of the three",
						c.name(), crit, n)
					// selectAICc fitted every candidate on the whole
					// window; the calibration below takes the parts
					// as fitted on the backtest's first part.
					for _, p := range parts {
						if err := p.estimate(y[:n0]); err != nil {
							// Not expected (each part was fitted on
							// data including y[:n0]); the calibration
							// then fits its own.
							calFitted = false
						}
					}
					comb = newCombination(parts)
					comb.inner, comb.pick = 3, i
				}
			}
			best = comb
		}
	}
	if best == nil {
		best = a.cands[0]
		fallback = true
		reason = fmt.Sprintf("%d observations are too few for a %d-step backtest: naive fallback", n, h)
		if len(a.periods) > 0 && n >= a.periods[0] {
			best = a.cands[3] // seasonal naive of the first period
			reason = fmt.Sprintf("%d observations are too few for a %d-step backtest: seasonal naive fallback", n, h)
		}
	} else if reason == "" {
		var others []string
		for _, s := range sortedScores[1:min(len(sortedScores), 4)] {
			if !math.IsInf(s.MASE, 1) {
				others = append(others, fmt.Sprintf("%s %.3f", s.Model, s.MASE))
			}
		}
		reason = fmt.Sprintf("lowest %d-step backtest MASE %.3f over %d origins on %d held-out points", h, bestScore, origins, n-n0)
		if len(others) > 0 {
			reason += " (next: " + strings.Join(others, ", ") + ")"
		}
	}
	if fallback && best != a.cands[0] && best != a.cands[3] {
		reason += fmt.Sprintf("; history of %d observations too short for some candidates", n)
	}
	// The backtest fitted the chosen candidates on y[:n0]; the calibration
	// reuses that fit when the held-out part gives enough errors.
	a.calibrate(best, y, h, n0, calFitted)
	if err := best.estimate(y); err != nil {
		// The winner was fitted on a prefix; on the whole window it can
		// fail (a zero that arrived later and a multiplicative model, or
		// part). The next candidate by backtest MASE that fits the whole
		// window takes its place, calibrated afresh; naive if none does.
		reason += "; refit failed (" + err.Error() + ")"
		best = nil
		for _, k := range order {
			c := scored[k]
			if math.IsInf(scores[k].MASE, 1) || c.estimate(y) != nil {
				continue
			}
			// The calibration fits its own on the prefix; the whole
			// window's fit follows it.
			a.calibrate(c, y, h, n0, false)
			if c.estimate(y) == nil {
				best = c
				reason += fmt.Sprintf(": %s, the next by backtest MASE", c.name())
				break
			}
		}
		if best == nil {
			best = a.cands[0]
			reason += ": naive fallback"
			a.zsBest, a.zsStepBest, a.pkBest = a.zsBest[:0], a.zsStepBest[:0], a.pkBest[:0]
			fallback = true
		}
	}
	a.buildBuckets()
	a.chosen = best
	a.scaleRatio = math.Sqrt(a.s2Cal / a.ewmaScale(best, y))
	a.releaseOthers()
	a.sel = Selection{Model: best.name(), Reason: reason, Fallback: fallback, Horizon: h, Origins: origins, Scores: sortedScores}
	a.relabel()
	return nil
}

// defaultHorizon is AutoConfig.Horizon's default for the step: 15 steps,
// or as many as 75 minutes hold when that is fewer (at least one).
func defaultHorizon(step time.Duration) int {
	if step <= 0 {
		return 15
	}
	return int(max(1, min(15, 75*time.Minute/step)))
}

func cmpScore(p, q float64) int {
	switch {
	case p < q:
		return -1
	case p > q:
		return 1
	}
	return 0
}

// paramCounter is a model with a likelihood: it reports its number of
// estimated parameters and initial states for the AICc.
type paramCounter interface {
	nParams() int
}

// relErrorModel is a model whose likelihood is of relative errors.
type relErrorModel interface {
	relErrors() bool
}

// selectAICc fits every candidate with a likelihood on y and returns the
// one with the lowest AICc, its AICc and the next three.
func (a *autoModel) selectAICc(y []float64) (model, float64, []string) {
	type scoredModel struct {
		m    model
		name string
		crit float64
	}
	var all []scoredModel
	for _, c := range a.cands {
		pc, ok := c.(paramCounter)
		if !ok || c.minHistory() > len(y) {
			continue
		}
		if err := c.estimate(y); err != nil {
			continue
		}
		crit := aicc(c, y, pc.nParams())
		if !math.IsNaN(crit) && !math.IsInf(crit, 0) {
			all = append(all, scoredModel{c, c.name(), crit})
		}
	}
	if len(all) == 0 {
		return nil, 0, nil
	}
	slices.SortStableFunc(all, func(p, q scoredModel) int { return cmpScore(p.crit, q.crit) })
	var others []string
	for _, s := range all[1:min(len(all), 4)] {
		others = append(others, fmt.Sprintf("%s %.2f", s.name, s.crit))
	}
	return all[0].m, all[0].crit, others
}

// aicc is the corrected Akaike information criterion of the fitted model
// m on y with k parameters: −2 log L + 2k + 2k(k+1)/(n−k−1), with the
// Gaussian likelihood of the one-step errors (of the relative errors for a
// relative-error model, as in R's forecast::ets), σ² concentrated out. It
// is +Inf when n ≤ k+1.
func aicc(m model, y []float64, k int) float64 {
	n := len(y)
	if n <= k+1 {
		return math.Inf(1)
	}
	rel := false
	if r, ok := m.(relErrorModel); ok {
		rel = r.relErrors()
	}
	m.reset(y)
	var sum, lsum float64
	for _, v := range y {
		f := m.next()
		e := v - f
		if rel {
			f = math.Max(f, 1e-9)
			e /= f
			lsum += math.Log(f)
		}
		sum += e * e
		m.update(v)
	}
	nf, kf := float64(n), float64(k)
	lik := nf*math.Log(sum/nf) + 2*lsum
	return lik + 2*kf + 2*kf*(kf+1)/(nf-kf-1)
}

// calibrate collects the standardized rolling-origin errors of c for the
// conformal intervals: c is fitted on the first half of y (at least its
// minimum history), or taken as fitted on y[:split] by the backtest when
// fitted is set and the rest of y gives enough errors, then run through the rest with online updates,
// forecasting h steps (fewer near the end) at up to maxOrigins evenly
// spaced origins. Each error is divided by σ_t·√(1 + Σ_{j<k} c_j²), with
// σ_t the exponentially weighted one-step error scale at the origin, so
// that errors of neighbouring steps can be pooled and the intervals follow
// the current volatility.
// ewmaScale is the bias-corrected exponentially weighted mean of the
// squared one-step errors of the fitted model c over y, from its initial
// state, as calibrate tracks it.
func (a *autoModel) ewmaScale(c model, y []float64) float64 {
	c.reset(y)
	var num, den float64
	for _, v := range y {
		e := oneStepError(c, v, c.next())
		if !math.IsNaN(e) && !math.IsInf(e, 0) {
			num = (1-a.lambda)*num + a.lambda*sq(e)
			den = (1-a.lambda)*den + a.lambda
		}
		c.update(v)
	}
	if den == 0 {
		return math.NaN()
	}
	return num / den
}

func (a *autoModel) calibrate(c model, y []float64, h, split int, fitted bool) {
	a.zsBest, a.zsStepBest, a.pkBest = a.zsBest[:0], a.zsStepBest[:0], a.pkBest[:0]
	a.s2Cal = math.NaN()
	n := len(y)
	n0 := max(c.minHistory(), n/2)
	if fitted && min(n-split, a.maxOrigins)*h >= 8*minBucket {
		n0 = split
	} else {
		fitted = false
	}
	if n0 >= n-1 || n0 < 2 || h < 1 {
		return
	}
	if !fitted {
		if err := c.estimate(y[:n0]); err != nil {
			return
		}
	}
	c.reset(y[:n0])
	var num, den float64 // bias-corrected EWMA of squared one-step errors
	track := func(v float64) {
		e := oneStepError(c, v, c.next())
		if !math.IsNaN(e) && !math.IsInf(e, 0) {
			num = (1-a.lambda)*num + a.lambda*sq(e)
			den = (1-a.lambda)*den + a.lambda
		}
		c.update(v)
	}
	for _, v := range y[:n0] {
		track(v)
	}
	a.kv = a.kv[:0]
	for i := range h {
		if i == 0 {
			a.kv = append(a.kv, 1)
			continue
		}
		ps := c.psi(i)
		a.kv = append(a.kv, a.kv[i-1]+ps*ps)
	}
	if cap(a.buf) < h {
		a.buf = make([]float64, h)
	}
	buf := a.buf[:h]
	stride := max(1, (n-n0)/a.maxOrigins)
	defer func() {
		if den > 0 {
			a.s2Cal = num / den
		}
	}()
	for t := n0; t < n; t++ {
		if (t-n0)%stride == 0 && den > 0 && num > 0 {
			c.predict(0, buf)
			s2 := num / den
			maxY, maxP := math.Inf(-1), math.Inf(-1)
			for i, p := range buf[:min(h, n-t)] {
				p = max(p, 0)
				maxY, maxP = max(maxY, y[t+i]), max(maxP, p)
				z := oneStepError(c, y[t+i], p) / math.Sqrt(s2*a.kv[i])
				zp := min(oneStepError(c, maxY, maxP)/math.Sqrt(s2), maxPeakScore)
				if !math.IsNaN(z) && !math.IsInf(z, 0) && !math.IsNaN(zp) && !math.IsInf(zp, 0) {
					a.zsBest = append(a.zsBest, z)
					a.pkBest = append(a.pkBest, zp)
					a.zsStepBest = append(a.zsStepBest, i)
				}
			}
		}
		track(y[t])
	}
}

// maxPeakScore caps a standardized peak error: an origin whose error scale
// is near zero (the end of an outage the models took for load, a flat
// stretch) would otherwise score a jump back to load at 70 error scales,
// and a bound drawn at that score in a normal scale buys a fleet.
const maxPeakScore = 20
