package shadow

import (
	"fmt"
	"math"
	"time"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/transition"
)

// MetricTarget is one metric the Controller scales on, with the load one
// replica serves at 100% utilization and the utilization to aim for.
type MetricTarget struct {
	// Metric names the metric in the source's Samples.
	Metric Metric
	// PerReplica is the metric's value one replica carries at 100%
	// utilization, in the metric's unit. Required.
	PerReplica float64
	// TargetUtilization is the utilization to aim for on this metric, in
	// (0, 1]. 0 selects Config.TargetUtilization.
	TargetUtilization float64
}

func (m MetricTarget) validate() error {
	switch {
	case m.Metric == "":
		return fmt.Errorf("shadow: MetricTarget.Metric is empty")
	case !(m.PerReplica > 0) || math.IsInf(m.PerReplica, 0):
		return fmt.Errorf("shadow: MetricTarget %q: PerReplica (%v) must be a positive number", m.Metric, m.PerReplica)
	case !(m.TargetUtilization > 0 && m.TargetUtilization <= 1):
		return fmt.Errorf("shadow: MetricTarget %q: TargetUtilization (%v) must be in (0, 1]", m.Metric, m.TargetUtilization)
	}
	return nil
}

// metricState is one scaled metric: its target, its forecaster, its robust
// statistics and a sample waiting for confirmation.
type metricState struct {
	MetricTarget
	fc  forecast.Forecaster
	rob robust
	// restored: the forecaster's state came from a snapshot; the
	// backfill that follows refills its window and does not refit it.
	restored bool
	// weight converts the metric into replicas' worth of the primary
	// metric: value × weight needs as many replicas as the same value of
	// Config.Metric.
	weight float64
	// dropped holds, oldest first, the times of the samples within the
	// history window that the Controller left out: suspects no pass
	// confirmed and values a backfill judged isolated. A restore reads
	// the values the saved Controller had judged back without exactly
	// these, as it had them, instead of judging them again. Times before
	// dropFrom were evicted (more than maxDropped); dropsUnknown: restored
	// from a snapshot that kept no list, so the refill judges them again.
	dropped      []time.Time
	dropFrom     time.Time
	dropsUnknown bool
	// last is the grid time of the last value the metric's forecaster
	// was fed: after a restore, the values up to it are those the saved
	// Controller had judged.
	last time.Time
	// A suspect sample waiting for a second pass to confirm it.
	pending    bool
	pendingV   float64
	pendingT   time.Time
	pendingDir int
	pendingS   time.Time // its scrape time (Sample.Scraped), zero when unknown
	// spikes holds, oldest first, the metric's recent new readings far
	// above that nothing but their recurrence confirmed (held, or taken
	// as recurring): see recurs.
	spikes []spike
	// This pass.
	readBack  bool // a backfill after missed passes pushed values into the robust window (a restart's replay does not set it)
	value     float64
	scraped   time.Time // value's scrape time (Sample.Scraped), zero when unknown
	repeat    bool      // value is a copy of the held sample (copyOfPending)
	onStep    bool      // value continues a step the metric confirmed (continues)
	huge      bool      // value lies implausibly far above (implausiblyHigh)
	ok        bool      // value accepted this pass
	blind     bool      // value judged with fewer than robustMin values (by its size alone)
	suspectUp bool      // value far above the recent distribution, unconfirmed
	recur     bool      // value recurs (recurs): a load that comes and goes, taken
	fcst      forecast.Forecast
	peak      float64 // the forecaster's bound on the lead window's peak; 0 when none
}

// state is everything the decide phase reads and updates. It is owned by
// the Controller and touched only under its mutex.
type state struct {
	cfg      Config
	metrics  []*metricState // metrics[0] is Config.Metric
	hist     *history
	policy   policy.Policy
	detector forecast.AnomalyDetector
	// detectorIsForecaster: the detector is also Config.Metric's
	// forecaster (a forecast.Brutlag given as both), which its Observe
	// already runs: it is not fed a second time.
	detectorIsForecaster bool
	drain                bool // a Drainer is configured
	trans                bool // a Transitioner is configured
	passes               int

	// Pass times and the observation grid.
	started    bool
	lastPass   time.Time     // raw time of the previous pass
	offset     time.Duration // grid time = pass time + offset
	lastGrid   time.Time     // grid time of the last observation
	jumpFrom   time.Time     // last pass before an unconfirmed jump
	jumpActive bool
	backfilled bool // the start-up backfill was done
	// After a restore: the next backfill takes the whole window, and
	// values at or before restoredAt (the saving pass) were seen already.
	refill     bool
	restoredAt time.Time
	savedTotal int64 // values the saved history had ever held
	// retry: the start-up backfill failed and is retried on later passes.
	retry *refillRetry
	passT time.Time // grid time of the current pass
	prevT time.Time // grid time of the previous pass

	// Production.
	lastLoad     float64
	lead         *leadTimer
	leadTime     time.Duration
	lastDes      int
	lastReady    int
	haveState    bool
	serving      int
	servingKnown bool
	move         *transition.Plan
	actFails     int
	// headFrom, headTo: the last pass's head start on an unconfirmed
	// sample far above raised production from headFrom to headTo (0, 0
	// when none stands): a next head start while production still stands
	// at headTo is measured from headFrom, not stacked on the first.
	headFrom, headTo int

	// Forecast quality of the primary metric.
	prevFc forecast.Forecast
	fcErr  float64 // EWMA of one-step absolute percentage error
	fcErrN int

	pool     *pool
	mirrored window // mirrored load (fraction in force × load) of recent passes
	// resendFraction: the fraction was restored from a snapshot and is
	// sent to the mirror again.
	resendFraction bool
}

// fault is a dependency failure found by a phase, logged and counted by
// the Controller.
type fault struct {
	dep string
	err error
}

// verdict collects what decide concludes besides the Plan.
type verdict struct {
	faults     []fault
	alerts     []Alert
	holdReason string // first hold cause (a Reason* code); "" when not held
	holdMsg    string
	noScaleIn  string // why a scale-down is refused this pass; "" when allowed
	suspectUp  string // an unconfirmed sample far above: at most ×1.5 (one replica at least), no scale-down
	suspectNew bool   // one of them is new, not a repeat of the one held: ×1.5, else ×1
	fell       string // every metric lies far below its recent load: no scale-up but the shadows'
	confirmed  bool   // a held sample was confirmed as a step's first this pass
	zhPanicked bool   // the forecaster's HeldZeros panicked: not asked again this pass
}

func (v *verdict) fail(dep string, err error) { v.faults = append(v.faults, fault{dep, err}) }

func (v *verdict) hold(reason, msg string) {
	if v.holdReason == "" {
		v.holdReason, v.holdMsg = reason, msg
	}
}

func newState(cfg Config, deps Deps, extra []metricOption) *state {
	primary := MetricTarget{Metric: cfg.Metric, PerReplica: cfg.PerReplica, TargetUtilization: cfg.TargetUtilization}
	s := &state{
		cfg:      cfg,
		hist:     newHistory(cfg.HistorySize, cfg.Interval),
		policy:   deps.Policy,
		lead:     newLeadTimer(20),
		leadTime: cfg.LeadTime,
		fcErr:    math.NaN(),
	}
	s.metrics = append(s.metrics, &metricState{MetricTarget: primary, fc: deps.Forecaster, weight: 1})
	for _, m := range extra {
		w := (primary.PerReplica * primary.TargetUtilization) / (m.target.PerReplica * m.target.TargetUtilization)
		s.metrics = append(s.metrics, &metricState{MetricTarget: m.target, fc: m.fc, weight: w})
	}
	return s
}

// settle records what apply achieved: the fraction in force, the
// transition's progress and repeated actuation failures. The lead time is
// learned from observed states only (trackReady), so that a forecast-only
// Controller learns exactly what a live one would.
func (s *state) settle(p Plan, a Applied, rep *Report) {
	if p.Scale {
		if a.Scaled {
			s.actFails = 0
			if rep.Decision.ShadowTriggered && rep.Decision.Action == policy.ScaleUp && s.pool != nil {
				s.pool.trig++
			}
		} else {
			s.actFails++
			if s.cfg.ActuationFailureAlert > 0 && s.actFails == s.cfg.ActuationFailureAlert {
				rep.Alerts = append(rep.Alerts, Alert{Kind: AlertActuationFailures, Time: rep.Time,
					Message: fmt.Sprintf("%d actuations in a row failed; last: %v", s.actFails, lastErr(a.Errors))})
			}
		}
	}
	if s.pool != nil {
		if a.PoolScaled {
			s.pool.desired = p.PoolTarget
		}
		if a.FractionSet {
			s.pool.fraction = p.Fraction
			s.resendFraction = false
		}
		rep.Pool.Triggered = s.pool.trig
		rep.Pool.Desired, rep.Pool.Fraction = s.pool.desired, s.pool.fraction
		if s.pool.hasType {
			rep.Pool.CostPerHour = float64(s.pool.desired) * s.pool.itype.HourlyPrice
		}
	}
	if p.Transition != nil && a.Transition.Done {
		s.serving = p.Transition.To
		s.move = nil
	}
}

func lastErr(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return errs[len(errs)-1]
}

// window is how far back the history reaches.
func (s *state) window() time.Duration {
	return time.Duration(s.cfg.HistorySize) * s.cfg.Interval
}

// readsMissed reports whether a pass at grid time t reads back the points
// missed since the last observation: more than two intervals after it (a
// single missed point is left to the forecasters to fill), or always
// before any observation.
func (s *state) readsMissed(t time.Time) bool {
	return s.lastGrid.IsZero() || t.Sub(s.lastGrid) > 2*s.cfg.Interval
}

// later reports whether a falls in a later interval than b, and same
// whether both fall in one: pass times carry the phase of the process that
// ran the passes, a history read back that of the pass that asks for it.
func (s *state) later(a, b time.Time) bool { return a.Sub(b) >= s.cfg.Interval/2 }

func (s *state) same(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -s.cfg.Interval/2 && d < s.cfg.Interval/2
}
