package policy

import (
	"fmt"
	"time"

	"github.com/shadowscale/shadowscale/internal/mathx"

	"github.com/shadowscale/shadowscale/internal/enum"
)

// PolicyKind is the unit of a ScalingPolicy's Value.
type PolicyKind int

// Kinds of scaling policies, as in the HPA behavior field
// (autoscaling/v2 HPAScalingPolicyType).
const (
	// Pods limits the change to Value replicas per Period.
	Pods PolicyKind = iota
	// Percent limits the change to Value percent of the replicas at the
	// start of the Period.
	Percent
)

// String returns the kind's name.
func (k PolicyKind) String() string {
	return enum.Name(k, "policy kind", policyKindNames)
}

var policyKindNames = []string{Pods: "pods", Percent: "percent"}

// ScalingPolicy limits how much the replica count may change within a
// sliding Period, like one entry of HPA's behavior.scaleUp.policies.
type ScalingPolicy struct {
	// Kind says whether Value counts pods or percent.
	Kind PolicyKind
	// Value is the number of pods or the percentage; it must be positive.
	Value int
	// Period is the length of the sliding window; it must be positive.
	Period time.Duration
}

// Select chooses among several ScalingPolicies (HPA's selectPolicy).
type Select int

// Selections.
const (
	// SelectMax allows the largest change any policy allows (the default).
	SelectMax Select = iota
	// SelectMin allows the smallest change any policy allows.
	SelectMin
	// SelectDisabled forbids changes in this direction.
	SelectDisabled
)

// String returns the selection's name as HPA spells it.
func (s Select) String() string {
	return enum.Name(s, "select policy", selectNames)
}

var selectNames = []string{SelectMax: "Max", SelectMin: "Min", SelectDisabled: "Disabled"}

// RateRules limit the rate of change in one direction.
type RateRules struct {
	// Select picks among Policies; the zero value is SelectMax.
	Select Select
	// Policies are the limits; none means no limit (unless Select is
	// SelectDisabled). Kubernetes requires at least one.
	Policies []ScalingPolicy
}

func (r RateRules) validate(field string) error {
	if r.Select < SelectMax || r.Select > SelectDisabled {
		return fmt.Errorf("%s.Select (%d) is not a known selection", field, int(r.Select))
	}
	for i, p := range r.Policies {
		switch {
		case p.Kind != Pods && p.Kind != Percent:
			return fmt.Errorf("%s.Policies[%d].Kind (%d) is not pods or percent", field, i, int(p.Kind))
		case p.Value <= 0:
			return fmt.Errorf("%s.Policies[%d].Value (%d) must be positive", field, i, p.Value)
		case p.Period <= 0:
			return fmt.Errorf("%s.Policies[%d].Period (%s) must be positive", field, i, p.Period)
		}
	}
	return nil
}

func (r RateRules) longestPeriod() time.Duration {
	var d time.Duration
	for _, p := range r.Policies {
		d = max(d, p.Period)
	}
	return d
}

// scaleEvent is a change the limiter allowed, assumed carried out.
type scaleEvent struct {
	at     time.Time
	change int
}

// rateLimiter is HPA's convertDesiredReplicasWithBehaviorRate with its
// scale-event bookkeeping (storeScaleEvent, getReplicasChangePerPeriod,
// calculateScaleUpLimitWithScalingRules, calculateScaleDownLimitWithBehaviors
// in pkg/controller/podautoscaler/horizontal.go), with time passed in.
type rateLimiter struct {
	up, down  RateRules
	ups, dwns []scaleEvent
	// pending is the change recorded by the last call, to be confirmed by
	// the next Input.Current.
	pending       bool
	pendingTarget int
	pendingUp     bool
}

func (r *rateLimiter) reset() { r.ups, r.dwns, r.pending = nil, nil, false }

// confirm keeps the change recorded by the previous call if current shows
// it was carried out, and forgets it otherwise (a dry run, a refused or
// failed actuation): rate limits count only changes that happened.
func (r *rateLimiter) confirm(current int) {
	if !r.pending {
		return
	}
	r.pending = false
	if current == r.pendingTarget {
		return
	}
	if r.pendingUp && len(r.ups) > 0 {
		r.ups = r.ups[:len(r.ups)-1]
	} else if !r.pendingUp && len(r.dwns) > 0 {
		r.dwns = r.dwns[:len(r.dwns)-1]
	}
}

// changeInPeriod sums the changes recorded strictly after now − period.
func changeInPeriod(now time.Time, period time.Duration, events []scaleEvent) int {
	cutoff := now.Add(-period)
	n := 0
	for _, e := range events {
		if e.at.After(cutoff) {
			n += e.change
		}
	}
	return n
}

// periodStart is the replica count at the start of a policy's period: the
// current count without the changes made within it, from which the
// policy's allowance is measured.
func (r *rateLimiter) periodStart(now time.Time, current int, period time.Duration) int {
	return current - changeInPeriod(now, period, r.ups) + changeInPeriod(now, period, r.dwns)
}

// upLimit is the most replicas a scale-up may reach now.
func (r *rateLimiter) upLimit(now time.Time, current int) int {
	switch {
	case r.up.Select == SelectDisabled:
		return current
	case len(r.up.Policies) == 0:
		return maxReplicas
	}
	return min(r.reach(now, current, r.up, true), maxReplicas)
}

// downLimit is the fewest replicas a scale-down may reach now.
func (r *rateLimiter) downLimit(now time.Time, current int) int {
	switch {
	case r.down.Select == SelectDisabled:
		return current
	case len(r.down.Policies) == 0:
		return 0
	}
	return r.reach(now, current, r.down, false)
}

// reach is how far rules, which have at least one policy, let the count go
// from current, up or down: each policy's allowance from the count at the
// start of its period, the widest of them (SelectMax) or the narrowest
// (SelectMin).
func (r *rateLimiter) reach(now time.Time, current int, rules RateRules, up bool) int {
	// Up, a wider change is a higher count; down, a lower one.
	widest := rules.Select != SelectMin
	var result int
	for i, p := range rules.Policies {
		proposed := r.periodStart(now, current, p.Period)
		switch {
		case p.Kind == Pods && up:
			proposed += p.Value
		case p.Kind == Pods:
			proposed -= p.Value
		case up:
			// Rounded up so a small group can always grow (HPA does the same).
			proposed = mathx.CeilInt(float64(proposed) * (1 + float64(p.Value)/100))
		default:
			// Truncated toward zero, as HPA's int32 conversion does.
			proposed = int(float64(proposed) * (1 - float64(p.Value)/100))
		}
		if i == 0 || (proposed > result) == (up == widest) {
			result = proposed
		}
	}
	return result
}

// limit bounds desired by the rate rules and by [lo, hi] in the direction
// of travel, and returns the HPA condition name that limited it ("" when
// the desired count was within range).
func (r *rateLimiter) limit(now time.Time, current, desired, lo, hi int) (int, string) {
	switch {
	case desired > current:
		limit := max(r.upLimit(now, current), current)
		allowed, why := hi, "TooManyReplicas"
		if allowed > limit {
			allowed, why = limit, "ScaleUpLimit"
		}
		if desired > allowed {
			return allowed, why
		}
	case desired < current:
		limit := min(r.downLimit(now, current), current)
		allowed, why := lo, "TooFewReplicas"
		if allowed < limit {
			allowed, why = limit, "ScaleDownLimit"
		}
		if desired < allowed {
			return allowed, why
		}
	}
	return desired, ""
}

// record stores the change from prev to next made at now and forgets
// events older than the longest period of either direction (both
// directions' limits count both kinds of event).
func (r *rateLimiter) record(now time.Time, prev, next int) {
	keep := max(r.up.longestPeriod(), r.down.longestPeriod())
	switch {
	case next > prev:
		r.ups = append(prune(r.ups, now, keep), scaleEvent{now, next - prev})
		r.pending, r.pendingTarget, r.pendingUp = true, next, true
	case next < prev:
		r.dwns = append(prune(r.dwns, now, keep), scaleEvent{now, prev - next})
		r.pending, r.pendingTarget, r.pendingUp = true, next, false
	}
}

func prune(events []scaleEvent, now time.Time, period time.Duration) []scaleEvent {
	cutoff := now.Add(-period)
	kept := events[:0]
	for _, e := range events {
		if e.at.After(cutoff) {
			kept = append(kept, e)
		}
	}
	return kept
}

// recommendation is an unstabilized target seen at a time.
type recommendation struct {
	at time.Time
	n  int
}

// stabilizer is HPA's stabilizeRecommendationWithBehaviors with time passed
// in: a scale-up goes no higher than the lowest recommendation within the
// up window, a scale-down no lower than the highest within the down window.
type stabilizer struct {
	up, down time.Duration
	recs     []recommendation
}

func (s *stabilizer) reset() { s.recs = nil }

// apply records desired at now and returns the stabilized target; it
// reports whether the up or down window changed the answer.
func (s *stabilizer) apply(now time.Time, current, desired int) (int, reason) {
	upRec, downRec := desired, desired
	upCut, downCut := now.Add(-s.up), now.Add(-s.down)
	kept := s.recs[:0]
	for _, r := range s.recs {
		inUp, inDown := r.at.After(upCut), r.at.After(downCut)
		if inUp {
			upRec = min(upRec, r.n)
		}
		if inDown {
			downRec = max(downRec, r.n)
		}
		// Cutoffs only move forward, so a record outside both windows is
		// never needed again (HPA reuses its slot instead).
		if inUp || inDown {
			kept = append(kept, r)
		}
	}
	s.recs = append(kept, recommendation{now, desired})
	out := current
	if out < upRec {
		out = upRec
	}
	if out > downRec {
		out = downRec
	}
	var why reason
	switch {
	case out == desired:
	case desired >= current:
		w := s.up
		why = lazy(func(b []byte) []byte {
			return fmt.Appendf(b, "ScaleUpStabilized: lowest recommendation in the last %s is %d", w, upRec)
		})
	default:
		w := s.down
		why = lazy(func(b []byte) []byte {
			return fmt.Appendf(b, "ScaleDownStabilized: highest recommendation in the last %s is %d", w, downRec)
		})
	}
	return out, why
}
