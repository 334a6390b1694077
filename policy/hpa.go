package policy

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/shadowscale/shadowscale/internal/defaults"
	"github.com/shadowscale/shadowscale/internal/mathx"
)

// HPARules are one direction of HPA's behavior field
// (autoscaling/v2 HPAScalingRules). As in Kubernetes, what is left unset
// takes the direction's default (see HPAConfig).
type HPARules struct {
	// StabilizationWindow is how far back recommendations are considered:
	// a scale-down goes no lower than the highest recommendation within the
	// window, a scale-up no higher than the lowest. Zero selects the
	// direction's default (300 s down, none up); negative disables it.
	StabilizationWindow time.Duration
	// RateRules limit how fast replicas change. No Policies selects the
	// direction's default policies. To leave a direction unlimited, give
	// one policy no sync can reach, such as {Kind: Percent, Value:
	// math.MaxInt32, Period: time.Second}.
	RateRules
}

// HPAConfig configures the HPA policy. The zero value of each field
// selects the Kubernetes default documented on it, so HPAConfig{} behaves
// as DefaultHPAConfig(); where zero itself is a useful setting (no
// tolerance, no stabilization), a negative value selects it.
type HPAConfig struct {
	// Tolerance is the band around a usage ratio of 1 within which HPA
	// does not scale (inclusive), below 1. Default 0.1, as Kubernetes'
	// --horizontal-pod-autoscaler-tolerance. Negative means 0: no band.
	Tolerance float64
	// ScaleUp are the scale-up rules. Default, as Kubernetes: no
	// stabilization, policies {4 pods, 100%} per 15 s, SelectMax.
	ScaleUp HPARules
	// ScaleDown are the scale-down rules. Default, as Kubernetes: 300 s
	// stabilization, policy {100%} per 15 s, SelectMax.
	ScaleDown HPARules
}

// withDefaults fills in the zero fields and reads negative values as the
// zero they stand for.
func (c HPAConfig) withDefaults() HPAConfig {
	d := DefaultHPAConfig()
	c.Tolerance = defaults.Or(c.Tolerance, d.Tolerance)
	c.ScaleUp = c.ScaleUp.withDefaults(d.ScaleUp)
	c.ScaleDown = c.ScaleDown.withDefaults(d.ScaleDown)
	return c
}

func (r HPARules) withDefaults(d HPARules) HPARules {
	r.StabilizationWindow = defaults.Or(r.StabilizationWindow, d.StabilizationWindow)
	if len(r.Policies) == 0 {
		r.Policies = d.Policies
	}
	return r
}

// DefaultHPAConfig returns the autoscaling/v2 defaults (the behavior
// defaults documented in "Horizontal Pod Autoscaling", section "Default
// Behavior", and the controller's default tolerance): the values
// HPAConfig's zero fields select.
func DefaultHPAConfig() HPAConfig {
	return HPAConfig{
		Tolerance: 0.1,
		ScaleUp: HPARules{RateRules: RateRules{Select: SelectMax, Policies: []ScalingPolicy{
			{Kind: Pods, Value: 4, Period: 15 * time.Second},
			{Kind: Percent, Value: 100, Period: 15 * time.Second},
		}}},
		ScaleDown: HPARules{StabilizationWindow: 300 * time.Second, RateRules: RateRules{Select: SelectMax, Policies: []ScalingPolicy{
			{Kind: Percent, Value: 100, Period: 15 * time.Second},
		}}},
	}
}

// Validate reports every invalid field, naming it and its value, after
// the defaults are filled in.
func (c HPAConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if !(c.Tolerance < 1) {
		errs = append(errs, fmt.Errorf("Tolerance (%v) must be a number below 1", c.Tolerance))
	}
	if err := c.ScaleUp.validate("ScaleUp"); err != nil {
		errs = append(errs, err)
	}
	if err := c.ScaleDown.validate("ScaleDown"); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("policy: HPA config: %w", err)
	}
	return nil
}

// HPA is the reactive baseline: the Kubernetes horizontal pod autoscaler
// (autoscaling/v2) on one utilization metric, with time taken from
// Input.Now instead of the wall clock.
//
// Each Decide is one HPA sync (reconcileAutoscaler in
// pkg/controller/podautoscaler/horizontal.go):
//
//  1. The first call records Current as the initial recommendation
//     (recordInitialRecommendation), so no scale-down happens during the
//     first down window.
//  2. Current above Max goes to Max, below Min goes to Min, without
//     looking at the metric. Kubernetes treats Current == 0 as "scaling
//     disabled"; here the Controller owns the replica count and Min 0
//     scales to zero: a group at zero stays there while the Load is zero,
//     goes to ceil(Load / (PerReplica × TargetUtilization)) when there is
//     load (as Kubernetes sizes from an external metric's value, which a
//     group at zero still has; rate limited as in step 7), and to one
//     replica without a valid Load.
//  3. A missing metric (LoadValid false, or a Load that is NaN, infinite
//     or negative) holds the count: HPA returns an error from
//     computeReplicasForMetrics and does not scale, so in particular it
//     never scales down on a missing metric. With no ready replica (all
//     still starting) Kubernetes holds too, for a per-pod metric; the Load
//     here is the service's, which a group still starting has, and it
//     sizes the group up only, as from zero (a load the starting replicas
//     will carry holds).
//  4. usage ratio = utilization / target, utilization = Load / (Ready ×
//     PerReplica) (GetResourceReplicas in replica_calculator.go). With no
//     unready replicas, or a ratio ≤ 1: within the tolerance (|1 − ratio| ≤
//     Tolerance, inclusive, with 1e-9 slack for rounding) the proposal is
//     Current, else ceil(ratio × Ready). Unready replicas are ignored on
//     scale-down.
//  5. With unready replicas (Current > Ready) and ratio > 1, they count as
//     using 0: the ratio is recomputed over Current replicas; if it is
//     within tolerance or drops below 1 the proposal is Current, else
//     ceil(newRatio × Current), never below Current.
//  6. The proposal is stabilized (stabilizeRecommendationWithBehaviors):
//     no higher than the lowest recommendation within the up window, no
//     lower than the highest within the down window (300 s by default).
//  7. The result is rate limited and bounded
//     (convertDesiredReplicasWithBehaviorRate): a scale-up reaches at most
//     the limit of the selected policy measured from the replicas at the
//     start of each policy's period (default max(+4 pods, +100%) per 15 s)
//     and at most Max; a scale-down at least its limit and Min.
//  8. A change is recorded as a scale event for later rate limits
//     (storeScaleEvent), and kept only if the next Input.Current shows it
//     carried out: a dry run or a failed actuation is not a scale event.
//
// HPA keeps state between calls (recommendations and scale events, keyed on
// Input.Now) and forgets it when Now goes backwards. It is not safe for
// concurrent use; call it once per pass.
type HPA struct {
	cfg   HPAConfig
	clock clock
	stab  stabilizer
	rate  rateLimiter
}

var _ Policy = (*HPA)(nil)

// NewHPA returns the HPA policy; it fills in the defaults and validates
// cfg.
func NewHPA(cfg HPAConfig) (*HPA, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &HPA{
		cfg:  cfg,
		stab: stabilizer{up: cfg.ScaleUp.StabilizationWindow, down: cfg.ScaleDown.StabilizationWindow},
		rate: rateLimiter{up: cfg.ScaleUp.RateRules, down: cfg.ScaleDown.RateRules},
	}, nil
}

// Decide runs one HPA sync.
func (h *HPA) Decide(in Input) (Decision, error) { return finalize(h.decide(in)) }

func (h *HPA) decide(in Input) (decided, error) {
	if err := in.Validate(); err != nil {
		return decided{}, err
	}
	if h.clock.advance(in.Now) {
		h.stab.reset()
		h.rate.reset()
	}
	h.rate.confirm(in.Current)
	if len(h.stab.recs) == 0 {
		h.stab.recs = append(h.stab.recs, recommendation{in.Now, in.Current})
	}
	switch {
	case in.Current > in.Max:
		return h.commit(in, in.Max, text(fmt.Sprintf("HPA: current %d above max %d", in.Current, in.Max))), nil
	case in.Current < in.Min:
		return h.commit(in, max(in.Min, 1), text(fmt.Sprintf("HPA: current %d below min %d", in.Current, in.Min))), nil
	case in.Current == 0:
		return h.fromZero(in), nil
	case !in.loadOK():
		return hold(in, text(fmt.Sprintf("HPA: metric missing (load %s, valid %t): holding %d", num(in.Load), in.LoadValid, in.Current))), nil
	case in.Ready == 0:
		return h.noneReady(in), nil
	}
	proposal, why := h.proposal(in)
	target, stabWhy := h.stab.apply(in.Now, in.Current, proposal)
	why.stab = stabWhy
	target, limitWhy := h.rate.limit(in.Now, in.Current, target, in.Min, in.Max)
	why.limit, why.limitTo = limitWhy, target
	return h.commit(in, target, deferred(why)), nil
}

// fromZero is the sync of a group scaled to zero (Min 0, step 2): it
// stays there while the load is zero; a load sizes it as the Kubernetes
// HPA sizes from an external metric's value (see upFromLoad); without a
// load, one replica.
func (h *HPA) fromZero(in Input) decided {
	if !in.loadOK() {
		return h.commit(in, 1, text(fmt.Sprintf("HPA: current 0, metric missing (load %s, valid %t): scale to 1", num(in.Load), in.LoadValid)))
	}
	n, target, limited := h.upFromLoad(in)
	if n == 0 {
		return hold(in, text("HPA: current 0 and no load: holding 0"))
	}
	return h.commit(in, target, text(fmt.Sprintf("HPA: current 0: load %s needs %d at target %s%s", num(in.Load), n, num(in.TargetUtilization), limited)))
}

// noneReady is the sync of a group whose replicas are all still starting
// (step 3): no utilization to measure, so the load sizes the group as from
// zero, up only; a load the starting replicas will carry holds.
func (h *HPA) noneReady(in Input) decided {
	n, target, limited := h.upFromLoad(in)
	if target == in.Current {
		return hold(in, text(fmt.Sprintf("HPA: no ready replica reports the metric, and load %s needs %d at target %s: holding %d",
			num(in.Load), n, num(in.TargetUtilization), in.Current)))
	}
	return h.commit(in, target, text(fmt.Sprintf("HPA: no ready replica reports the metric, but load %s needs %d at target %s%s",
		num(in.Load), n, num(in.TargetUtilization), limited)))
}

// upFromLoad returns the replicas the load needs at the target,
// ceil(Load / (PerReplica × TargetUtilization)), as Kubernetes sizes from
// an external metric's value, and the count to ask for: Current when that
// is no more, else the need rate limited as any scale-up, with the limit's
// note in limited ("" when not limited).
func (h *HPA) upFromLoad(in Input) (n, target int, limited string) {
	n = Replicas(in.Load, in.PerReplica, in.TargetUtilization)
	if n <= in.Current {
		return n, in.Current, ""
	}
	target, why := h.rate.limit(in.Now, in.Current, n, in.Min, in.Max)
	if target != n {
		limited = fmt.Sprintf("; %s: %d", why, target)
	}
	return n, target, limited
}

// proposal is the replica count the metric asks for (step 4 and 5).
func (h *HPA) proposal(in Input) (int, *hpaWhy) {
	ratio := in.Load / (float64(in.Ready) * in.PerReplica) / in.TargetUtilization
	w := &hpaWhy{util: in.Load / (float64(in.Ready) * in.PerReplica), target: in.TargetUtilization, ratio: ratio,
		tol: h.cfg.Tolerance, ready: in.Ready, current: in.Current, unready: in.Current - in.Ready}
	if w.unready <= 0 || ratio <= 1 {
		if withinTolerance(ratio, h.cfg.Tolerance) {
			w.rule, w.n = hpaWithin, in.Current
			return w.n, w
		}
		w.rule, w.n = hpaCeil, mathx.CeilInt(ratio*float64(in.Ready))
		return w.n, w
	}
	// Unready replicas count as using nothing on a scale-up.
	w.newRatio = in.Load / (float64(in.Current) * in.PerReplica) / in.TargetUtilization
	if withinTolerance(w.newRatio, h.cfg.Tolerance) || w.newRatio < 1 {
		w.rule, w.n = hpaUnreadyWithin, in.Current
		return w.n, w
	}
	w.rule, w.n = hpaUnreadyCeil, max(mathx.CeilInt(w.newRatio*float64(in.Current)), in.Current)
	return w.n, w
}

// hpaRule is the step of the HPA's algorithm that proposed the count.
type hpaRule int

const (
	hpaWithin        hpaRule = iota // the ratio is within the tolerance
	hpaCeil                         // ceil(ratio × ready)
	hpaUnreadyWithin                // with unready replicas at 0, within the tolerance
	hpaUnreadyCeil                  // with unready replicas at 0, ceil(ratio × current)
)

// hpaWhy is the HPA's reason, formatted when it is read.
type hpaWhy struct {
	util, target, ratio, tol, newRatio float64
	ready, current, unready, n         int
	rule                               hpaRule
	stab                               reason // the stabilization window's note
	limit                              string // the rate rule that limited the count, to limitTo
	limitTo                            int
}

func (w *hpaWhy) appendTo(b []byte) []byte {
	b = appendNum(append(b, "HPA: utilization "...), w.util*100)
	b = strconv.AppendInt(append(b, "% of "...), int64(w.ready), 10)
	b = appendNum(append(b, " ready vs target "...), w.target*100)
	b = append(appendNum(append(b, "% (ratio "...), w.ratio), ')')
	switch w.rule {
	case hpaWithin:
		b = appendNum(append(b, " within tolerance "...), w.tol)
		b = strconv.AppendInt(append(b, ": "...), int64(w.n), 10)
	case hpaCeil:
		b = appendNum(append(b, ": ceil("...), w.ratio)
		b = strconv.AppendInt(append(b, " × "...), int64(w.ready), 10)
		b = strconv.AppendInt(append(b, ") = "...), int64(w.n), 10)
	case hpaUnreadyWithin:
		b = fmt.Appendf(b, "; with %d unready at 0 the ratio is %s: %d", w.unready, num(w.newRatio), w.n)
	case hpaUnreadyCeil:
		b = fmt.Appendf(b, "; with %d unready at 0: ceil(%s × %d) = %d", w.unready, num(w.newRatio), w.current, w.n)
	}
	if !w.stab.empty() {
		b = w.stab.appendTo(append(b, "; "...))
	}
	if w.limit != "" {
		b = append(append(append(b, "; "...), w.limit...), ": "...)
		b = strconv.AppendInt(b, int64(w.limitTo), 10)
	}
	return b
}

// withinTolerance is |1 − ratio| ≤ tol, with a 1e-9 slack so that a ratio
// of exactly 1 + tol in decimal (1.1) counts as inside despite binary
// rounding.
func withinTolerance(ratio, tol float64) bool { return math.Abs(1-ratio) <= tol+1e-9 }

// commit bounds the target, records the change as a scale event and
// returns the decision.
func (h *HPA) commit(in Input, target int, r reason) decided {
	d := finish(in, target, r)
	h.rate.record(in.Now, in.Current, d.Target)
	return d
}
