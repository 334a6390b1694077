package shadow

import (
	"fmt"
	"time"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
)

// decidePolicy asks the policy, unless the pass holds. The policy sees the
// grid time, the observed production state and, with several metrics, the
// load and forecast of the metric that needs the most replicas, in units
// of Config.Metric.
func (s *state) decidePolicy(t time.Time, st actuator.State, rep *Report, fc forecast.Forecast, steps int, v *verdict) policy.Decision {
	if v.holdReason != "" {
		return policy.NewDecision(st.Desired, st.Desired, "holding: "+v.holdMsg)
	}
	load, best, valid, unconfirmed := rep.Load, -1.0, rep.LoadValid, false
	if s.metrics[0].suspectUp {
		// Bounded by the final bound to ×1.5 this pass.
		load, valid, unconfirmed = s.metrics[0].value, true, true
	}
	for _, m := range s.metrics {
		if m.ok || m.suspectUp {
			if x := m.weight * m.value; x > load {
				load, unconfirmed = x, m.suspectUp
			}
			if rep.Forecast.Len() == 0 && m.weight*m.value > best {
				best, rep.Metric = m.weight*m.value, m.Metric
			}
		}
	}
	in := policy.Input{
		Now: t, Current: st.Desired, Ready: st.Ready,
		Load: load, LoadValid: valid, LoadUnconfirmed: unconfirmed,
		Forecast: fc, LeadSteps: steps, PeakUpper: rep.PeakUpper, Shadow: rep.Shadow,
		PerReplica: s.cfg.PerReplica, TargetUtilization: s.cfg.TargetUtilization,
		Min: s.cfg.MinReplicas, Max: s.cfg.MaxReplicas,
	}
	dec, err := safeDecide(s.policy, in)
	if err != nil {
		err = fmt.Errorf("policy %T: %w", s.policy, err)
		v.fail("policy", err)
		v.hold(ReasonPolicyFailed, err.Error())
		return policy.NewDecision(st.Desired, st.Desired, "holding: "+err.Error())
	}
	return dec
}

// bound is the one final bound on a decision: [MinReplicas, MaxReplicas],
// the upper bound raised to the decision's Ceiling (MaxCapacity's
// IncreaseMax), no scale-down while a metric is missing, and nothing at all
// in a held pass. It derives the action and returns the ScalingLimited
// condition.
func (s *state) bound(st actuator.State, dec policy.Decision, v *verdict) (policy.Decision, Condition) {
	cond := Condition{Type: ScalingLimited, Reason: ReasonDesiredWithinRange}
	if v.holdReason != "" {
		return policy.NewDecision(st.Desired, st.Desired, dec.Reason), cond
	}
	lo, hi := s.cfg.MinReplicas, max(s.cfg.MaxReplicas, dec.Ceiling)
	t, reason := policy.Clamp(dec.Target, lo, hi), dec.Reason
	if reason == "" {
		reason = "no reason given"
	}
	if t != dec.Target {
		reason = fmt.Sprintf("%s; clamped %d to [%d, %d]", reason, dec.Target, lo, hi)
		cond = Condition{Type: ScalingLimited, Status: true, Reason: ReasonTooManyReplicas, Message: fmt.Sprintf("desired %d above the maximum %d", dec.Target, hi)}
		if t == lo {
			cond.Reason, cond.Message = ReasonTooFewReplicas, fmt.Sprintf("desired %d below the minimum %d", dec.Target, lo)
		}
	}
	if s.headTo != st.Desired || v.confirmed {
		// Production moved since the head start, or a step was confirmed:
		// none stands.
		s.headFrom, s.headTo = 0, 0
	}
	if v.suspectUp != "" {
		limit := st.Desired // a repeat of a held sample adds nothing
		if v.suspectNew {
			// ×1.5 of what production stood at before the head start
			// that still stands, if one does: unconfirmed samples one
			// after the other (held by a scale-down stabilization) do not
			// stack their head starts. At least one replica more: at one
			// replica (or none, scaled to zero) half is none.
			base := st.Desired
			if s.headTo != 0 {
				base = s.headFrom
			}
			limit = max(st.Desired, int(1.5*float64(base)), base+1)
		}
		if t > limit {
			reason = fmt.Sprintf("%s; limited to %d: %s", reason, limit, v.suspectUp)
			t = limit
			cond = Condition{Type: ScalingLimited, Status: true, Reason: ReasonSuspectSample, Message: v.suspectUp}
		}
		if v.suspectNew && t > st.Desired {
			if s.headTo == 0 {
				s.headFrom = st.Desired
			}
			s.headTo = t
		}
		if v.noScaleIn == "" {
			v.noScaleIn = "an unconfirmed sample lies far above the recent load"
		}
	}
	if v.fell != "" && t > st.Desired && !dec.ShadowTriggered {
		reason = fmt.Sprintf("%s; holding %d instead of %d: no scale-up while %s", reason, st.Desired, t, v.fell)
		t = st.Desired
		cond = Condition{Type: ScalingLimited, Status: true, Reason: ReasonLoadFell, Message: v.fell}
	}
	if v.noScaleIn != "" && t < st.Desired {
		reason = fmt.Sprintf("%s; holding %d instead of %d: no scale-down while %s", reason, st.Desired, t, v.noScaleIn)
		t = st.Desired
		cond = Condition{Type: ScalingLimited, Status: true, Reason: ReasonNoScaleDown, Message: v.noScaleIn}
	}
	out := policy.NewDecision(st.Desired, t, reason)
	out.ShadowTriggered = dec.ShadowTriggered && t == dec.Target && out.Action == policy.ScaleUp
	out.Ceiling = dec.Ceiling
	return out, cond
}

// shadowSignal turns the pool's observed state and the mirror's stats into
// the policy's shadow input; missing or stale stats make it invalid.
func (s *state) shadowSignal(now time.Time, o observations, rep *Report, v *verdict) (policy.Shadow, Condition) {
	cond := func(ok bool, reason, msg string) Condition {
		return Condition{Type: ShadowSignal, Status: ok, Reason: reason, Message: msg}
	}
	if s.pool == nil {
		return policy.Shadow{}, cond(false, ReasonNoPool, "no shadow pool configured")
	}
	p := s.pool
	if rep.LoadValid {
		s.mirrored.push(p.fraction * rep.Load)
	}
	if o.poolErr != nil {
		v.fail("shadow", fmt.Errorf("shadow pool current: %w", o.poolErr))
	} else {
		p.desired, p.ready = o.pool.Desired, min(o.pool.Ready, o.pool.Desired)
	}
	if !p.active || p.ready == 0 || p.fraction == 0 {
		return policy.Shadow{}, cond(false, ReasonPoolInactive, fmt.Sprintf("pool active %t, %d ready, fraction %.3g", p.active, p.ready, p.fraction))
	}
	stats := o.stats
	switch {
	case o.statsErr != nil:
		err := fmt.Errorf("stats: %w", o.statsErr)
		v.fail("shadow", err)
		return policy.Shadow{}, cond(false, ReasonStatsUnavailable, err.Error())
	case now.Sub(stats.At) > s.cfg.ShadowStaleAfter:
		err := fmt.Errorf("stats are stale: taken at %s, %s before the pass (limit %s)", stats.At.Format(time.RFC3339), now.Sub(stats.At), s.cfg.ShadowStaleAfter)
		v.fail("shadow", err)
		return policy.Shadow{}, cond(false, ReasonStatsUnavailable, err.Error())
	case stats.Requests == 0:
		return policy.Shadow{}, cond(false, ReasonNoMirrored, "no mirrored request in the stats window")
	}
	// The mirrored load over the stats window, from the fraction in force
	// and the load of each pass in it.
	k := max(1, int((stats.Window+s.cfg.Interval/2)/s.cfg.Interval))
	sh := policy.Shadow{Valid: true, Latency: stats.P95, ErrorRate: stats.ErrorRate(),
		LoadRatio: p.loadRatio(s.mirrored.mean(k), s.cfg.PerReplica)}
	if div, base := p.divergence(stats.P95); div {
		v.alerts = append(v.alerts, Alert{Kind: AlertShadowDivergence, Time: now,
			Message: fmt.Sprintf("shadow p95 %s > %.1f × baseline %s", stats.P95, p.cfg.DivergenceFactor, time.Duration(base*float64(time.Second)))})
	}
	return sh, cond(true, ReasonSignalValid, fmt.Sprintf("p95 %s, error rate %.3g over %d requests", stats.P95, sh.ErrorRate, stats.Requests))
}

// planPool sizes the shadow pool and the mirrored fraction.
func (s *state) planPool(o observations, fc forecast.Forecast, steps int, rep *Report, p *Plan, v *verdict) {
	if s.pool == nil {
		return
	}
	mean, _ := fc.Peak(steps)
	next := rep.Load
	if fc.Len() > 0 {
		next = fc.Mean[0]
	}
	in := poolInput{
		history: int(s.hist.total), fcErr: s.fcErr, predicted: mean, predictedOK: fc.Len() > 0, next: next,
		perReplica: s.cfg.PerReplica, target: s.cfg.TargetUtilization,
	}
	target, frac, status := s.pool.plan(in)
	p.PoolTarget, p.Fraction = target, frac
	p.ScalePool = o.poolErr == nil && target != s.pool.desired
	p.SetFraction = frac != s.pool.fraction || s.resendFraction
	rep.Pool = status
}

// conditions builds the pass's typed status.
func (s *state) conditions(rep *Report, v *verdict, o observations, fc, sh, lim Condition) []Condition {
	able := Condition{Type: AbleToScale, Status: true, Reason: ReasonReadyForNewScale, Message: "production can be read and scaled"}
	switch {
	case o.stateErr != nil:
		able = Condition{Type: AbleToScale, Reason: ReasonFailedGetState, Message: o.stateErr.Error()}
	case s.cfg.ForecastOnly:
		able = Condition{Type: AbleToScale, Status: true, Reason: ReasonForecastOnly, Message: "forecast-only mode: decisions are reported, not applied"}
	}
	active := Condition{Type: ScalingActive, Status: true, Reason: ReasonValidMetric, Message: "every scaled metric was read"}
	switch v.holdReason {
	case ReasonMetricsUnavailable, ReasonSuspectSample, ReasonClockJump, ReasonDuplicatePass:
		active = Condition{Type: ScalingActive, Reason: v.holdReason, Message: v.holdMsg}
	}
	held := Condition{Type: Held, Reason: ReasonNotHeld}
	if v.holdReason != "" {
		held = Condition{Type: Held, Status: true, Reason: v.holdReason, Message: v.holdMsg}
	}
	return []Condition{able, active, lim, fc, sh, held}
}
