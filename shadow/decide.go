package shadow

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/shadowscale/shadowscale/forecast"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/internal/mathx"
	"github.com/shadowscale/shadowscale/transition"
)

// decide is the decision phase: a function of the pass time, the gathered
// observations and the Controller's state, with no I/O, no clock and no
// logger. It updates the state (history, robust statistics, forecasters,
// policy, lead time, pool) and returns the Report with its Plan and what
// must be logged and counted. Plug-ins that panic are recovered here.
func (s *state) decide(now time.Time, o observations) (Report, verdict) {
	s.passes++
	rep := Report{Time: now, Metric: s.cfg.Metric, Load: s.lastLoad}
	var v verdict

	t, ok := s.gridTime(now, &v)
	s.prevT, s.passT = s.passT, t
	switch {
	case o.sampleErr != nil:
		v.fail("metrics", o.sampleErr)
		v.hold(ReasonMetricsUnavailable, "metrics source failed: "+o.sampleErr.Error())
	case ok:
		rep.Sample = o.sample
		for _, m := range s.metrics {
			m.readBack = false
		}
		s.backfill(t, o, &rep, &v)
		s.observe(t, o.sample, &rep, &v)
	default:
		rep.Sample = o.sample
	}
	if zh, ok := s.metrics[0].fc.(forecast.ZeroHolder); ok {
		_, rep.HeldZeros = s.heldZeros(zh, &v)
	}

	steps := leadSteps(s.leadTime, s.cfg.Interval)
	rep.LeadSteps = steps
	fc, fcCond := s.forecastAll(t, steps, &rep, &v)

	st := o.state
	if o.stateErr != nil {
		v.fail("actuator", fmt.Errorf("current: %w", o.stateErr))
		v.hold(ReasonProductionUnknown, "production capacity unknown: "+o.stateErr.Error())
		st = actuator.State{Desired: s.lastDes, Ready: s.lastReady}
	} else {
		s.trackReady(t, st)
	}
	rep.State = st

	var shCond Condition
	rep.Shadow, shCond = s.shadowSignal(now, o, &rep, &v)
	dec := s.decidePolicy(t, st, &rep, fc, steps, &v)
	dec, limCond := s.bound(st, dec, &v)
	rep.Decision = dec
	rep.Held = v.holdReason != ""

	p := Plan{Target: dec.Target, ForecastOnly: s.cfg.ForecastOnly}
	if !rep.Held && dec.Target != st.Desired {
		p.Scale = true
		if s.drain && dec.Target < st.Desired {
			p.Drain = max(0, (st.Desired-dec.Target)-(st.Desired-st.Ready))
		}
	}
	s.planPool(o, fc, steps, &rep, &p, &v)
	if o.stateErr == nil {
		p.Transition = s.planTransition(t, st)
	}
	if p.ForecastOnly {
		p.Scale, p.Drain, p.ScalePool, p.SetFraction, p.Transition = false, 0, false, false, nil
	}
	rep.Plan = p
	rep.Conditions = s.conditions(&rep, &v, o, fcCond, shCond, limCond)
	rep.Alerts = append(rep.Alerts, v.alerts...)
	return rep, v
}

// maxPassGap is how far apart two passes may be before the second counts
// as a clock jump that must be confirmed by a third.
func (s *state) maxPassGap() time.Duration { return 10 * s.cfg.Interval }

// steady reports whether a pass at now follows one at from as passes
// normally do: later, by at most maxPassGap.
func (s *state) steady(from, now time.Time) bool {
	d := now.Sub(from)
	return d > 0 && d <= s.maxPassGap()
}

// gridTime maps the pass time onto the observation grid, which only moves
// forward. A pass that jumps backwards, or forwards by more than
// maxPassGap, is not observed: the next pass either returns to the old
// timeline (the jump was a glitch) or continues the new one, which then
// re-anchors the grid (a backward jump) or leaves a gap (a forward one). It
// reports whether the pass may be observed.
func (s *state) gridTime(now time.Time, v *verdict) (time.Time, bool) {
	if !s.started {
		// The first pass, or the first after a restore: the restored grid
		// offset holds, and a pass too close to the last observation
		// saved is not observed.
		s.started, s.lastPass = true, now
		return s.onGrid(now.Add(s.offset), v)
	}
	prev := s.lastPass
	s.lastPass = now
	switch {
	case s.jumpActive && s.steady(s.jumpFrom, now):
		s.jumpActive = false // the jump was a glitch: back on the old timeline
	case s.jumpActive && s.steady(prev, now):
		s.jumpActive = false // the new timeline holds: re-anchor
		if !s.lastGrid.IsZero() && !now.Add(s.offset).After(s.lastGrid) {
			s.offset = s.lastGrid.Add(s.cfg.Interval).Sub(now)
		}
	case s.jumpActive || !s.steady(prev, now):
		if !s.jumpActive {
			s.jumpFrom = prev
		}
		s.jumpActive = true
		what := fmt.Sprintf("jumped forward by %s (more than %s)", now.Sub(prev), s.maxPassGap())
		if !now.After(prev) {
			what = fmt.Sprintf("went back by %s", prev.Sub(now))
		}
		err := fmt.Errorf("pass time %s, from %s to %s: not observed until the next pass confirms the new time", what, prev.Format(time.RFC3339), now.Format(time.RFC3339))
		v.fail("clock", err)
		v.hold(ReasonClockJump, err.Error())
		return now.Add(s.offset), false
	}
	return s.onGrid(now.Add(s.offset), v)
}

// onGrid reports whether grid time t may be observed: not within half an
// interval of the last observation (nor before it).
func (s *state) onGrid(t time.Time, v *verdict) (time.Time, bool) {
	if !s.lastGrid.IsZero() && t.Sub(s.lastGrid) < s.cfg.Interval/2 {
		v.hold(ReasonDuplicatePass, fmt.Sprintf("pass at %s is within half an interval of the last observation at %s: not observed", t.Format(time.RFC3339), s.lastGrid.Format(time.RFC3339)))
		return t, false
	}
	return t, true
}

// observe validates each metric's sample, holds back suspect ones until a
// second pass or a second metric confirms them, and feeds accepted values
// to the history and the forecasters.
func (s *state) observe(t time.Time, sample Sample, rep *Report, v *verdict) {
	dirs := make([]int, len(s.metrics))
	// news: dirs, but 0 for a sample that only repeats the one held (the
	// same scrape, or a copy of one implausibly high) or continues a step
	// its metric confirmed before (far only because the window has not
	// caught up): neither is news that confirms another metric's sample;
	// nor is a sample implausibly far above (a glitch's size), which needs
	// its own metric's next reading and confirms no other.
	news := make([]int, len(s.metrics))
	valid := make([]bool, len(s.metrics))
	for i, m := range s.metrics {
		m.ok, m.suspectUp, m.blind = false, false, m.rob.n < robustMin
		m.repeat, m.onStep, m.huge, m.recur = false, false, false, false
		m.scraped = sample.Scraped[m.Metric]
		x, present := sample.Values[m.Metric]
		switch {
		case !present:
			v.fail("metrics", fmt.Errorf("%w: %q", ErrMetricMissing, m.Metric))
		case math.IsNaN(x) || math.IsInf(x, 0) || x < 0:
			v.fail("metrics", fmt.Errorf("%w: %s = %v", ErrInvalidSample, m.Metric, x))
		default:
			valid[i], dirs[i], m.value = true, m.rob.judge(x, m.PerReplica), x
			d := dirs[i]
			m.repeat = d > 0 && m.copyOfPending(Observation{Time: t, Value: x, Scraped: m.scraped}, s.cfg.SourceLookback)
			m.onStep = d != 0 && m.continues(d, x)
			m.huge = d > 0 && m.rob.implausiblyHigh(x, m.PerReplica)
			m.recur = d > 0 && !m.repeat && !m.huge && m.recurs(Observation{Time: t, Value: x, Scraped: m.scraped}, s.recurWindow())
			news[i] = d
			if m.onStep || m.repeat || m.huge {
				news[i] = 0
			}
		}
	}
	for i, m := range s.metrics {
		if !valid[i] {
			if i == 0 {
				v.hold(ReasonMetricsUnavailable, fmt.Sprintf("metric %q missing or invalid", m.Metric))
			} else if v.noScaleIn == "" {
				v.noScaleIn = fmt.Sprintf("metric %q missing or invalid", m.Metric)
			}
			continue
		}
		dir := dirs[i]
		// A sample of the same scrape as the one held far above, or,
		// when the source gives no scrape times, equal bit for bit to one
		// held implausibly far above, is the source serving its last
		// reading again (a gauge whose next scrape is missing, within
		// Prometheus's lookback, or a source polled faster than it is
		// scraped): it confirms nothing until a new reading does (or,
		// without scrape times, until the value has lasted
		// Config.SourceLookback).
		repeat := m.repeat
		// A sample far on the side of a step change the metric's last
		// accepted sample confirmed continues it: the recent window judges
		// the new level far from the old one until it has caught up, and a
		// step is suspect (and alerted on, and held on when down) once.
		// (Not a copy of an implausibly high last value, which confirms
		// nothing, as a copy of a held one does not.)
		cont := !m.pending && !m.readBack && m.onStep &&
			!(dir > 0 && m.copyOfLast(Observation{Time: t, Value: m.value}, s.cfg.SourceLookback))
		// A sample far above, more than ten times apart from the one held
		// far above, the larger beyond ten times any load seen (a glitch
		// after a glitch: 5×, then 1e6×, or 1e6× then 40×), confirms
		// neither; the first is let go and this one is held in its
		// place.
		beyond := dir > 0 && m.pending && m.pendingDir > 0 && apart(m.value, m.pendingV, m.rob.peak(), m.PerReplica)
		// A sample that continues the metric's confirmed step, after one
		// held more than three times above the step (a glitch on it):
		// the step goes on, the held sample is let go.
		overStep := dir > 0 && m.pending && m.pendingDir > 0 && !repeat && !m.readBack && m.onStep &&
			beyondLast(&m.rob, m.pendingV, m.PerReplica)
		confirmed := dir == 0 || (m.pending && m.pendingDir == dir && !repeat && !beyond) || !repeat && !m.huge && crossConfirmed(news, i, dir) || cont || overStep
		if dir > 0 && !repeat && !m.huge && !confirmed {
			// A new reading far above that nothing else confirms: held,
			// unless the metric's recent readings far above, left out or
			// taken so, show the level recurring (a load that comes and
			// goes between passes, not a glitch).
			ob := Observation{Time: t, Value: m.value, Scraped: m.scraped}
			m.addSpike(ob, m.recur, s.recurWindow())
			if m.recur {
				confirmed = true
				if !m.recurredBefore(t) {
					v.alerts = append(v.alerts, Alert{Kind: AlertSuspectSample, Time: t, Message: fmt.Sprintf(
						"%s = %.4g lies far above its recent median %.4g, as %d readings within the last %s did at levels within a factor of %d of it: a load that comes and goes, taken as load",
						m.Metric, m.value, m.rob.center(), m.recurrences(ob, s.recurWindow()), s.recurWindow(), recurRatio)})
				}
			}
		}
		if !confirmed && repeat {
			// The held sample stays held (from its own time); this copy of
			// it is left out, and the pass adds no capacity.
			m.drop(t, s.window())
			rep.Suspect = append(rep.Suspect, m.Metric)
			msg := fmt.Sprintf("%s = %.4g repeats bit for bit the unconfirmed sample of %s (the source serving its last reading again?): no scale-up until it lasts %s or a new reading confirms it",
				m.Metric, m.value, m.pendingT.UTC().Format(time.RFC3339), s.cfg.SourceLookback)
			if sameScrape(Observation{Value: m.value, Scraped: m.scraped}, Observation{Value: m.pendingV, Scraped: m.pendingS}) {
				msg = fmt.Sprintf("%s = %.4g is the unconfirmed sample of %s served again (scraped at %s): no scale-up until a new reading confirms it",
					m.Metric, m.value, m.pendingT.UTC().Format(time.RFC3339), m.scraped.UTC().Format(time.RFC3339))
			}
			v.alerts = append(v.alerts, Alert{Kind: AlertSuspectSample, Time: t, Message: msg})
			m.suspectUp = true
			if v.suspectUp == "" {
				v.suspectUp = msg
			}
			continue
		}
		if !confirmed {
			heldAt := m.pendingT
			if m.pending {
				m.drop(m.pendingT, s.window()) // never confirmed, now replaced
			}
			m.pending, m.pendingV, m.pendingT, m.pendingDir, m.pendingS = true, m.value, t, dir, m.scraped
			rep.Suspect = append(rep.Suspect, m.Metric)
			med := m.rob.center()
			if dir < 0 {
				msg := fmt.Sprintf("%s = %.4g lies far below its recent median %.4g: not acted on until the next pass or another metric confirms it", m.Metric, m.value, med)
				v.alerts = append(v.alerts, Alert{Kind: AlertSuspectSample, Time: t, Message: msg})
				v.hold(ReasonSuspectSample, msg)
				continue
			}
			// Far above: the pass may add at most half the capacity, or one
			// replica where half is none (a real surge gets a head start, a
			// glitch costs little), and may not remove any; the sample
			// reaches the history and the forecaster only once confirmed.
			msg := fmt.Sprintf("%s = %.4g lies far above its recent median %.4g: unconfirmed, so at most ×1.5 (or one replica more) this pass", m.Metric, m.value, med)
			if beyond {
				// In place of the one held, whose pass had the head start.
				msg = fmt.Sprintf("%s = %.4g lies far above its recent median %.4g and more than ten times apart from the unconfirmed sample of %s: neither is confirmed, and this pass adds no capacity",
					m.Metric, m.value, med, heldAt.UTC().Format(time.RFC3339))
			}
			v.alerts = append(v.alerts, Alert{Kind: AlertSuspectSample, Time: t, Message: msg})
			m.suspectUp, v.suspectNew = true, v.suspectNew || !beyond
			if v.suspectUp == "" {
				v.suspectUp = msg
			}
			continue
		}
		if m.pending && dir != 0 && dir == m.pendingDir && !beyond && !overStep {
			s.accept(i, m.pendingT, m.pendingV, rep, v) // the confirmed first sample of a step change
			v.confirmed = true
		} else if m.pending {
			// Not confirmed: a sample on the other side (a glitch above,
			// then a fall another metric confirms) or too far from it
			// confirms a step of its own, not the held sample.
			m.drop(m.pendingT, s.window())
		}
		m.pending = false
		m.ok = s.accept(i, t, m.value, rep, v)
		if !m.ok && i == 0 {
			v.hold(ReasonForecastFailed, "forecaster rejected the observation")
		}
	}
	// Every metric far below its recent load, accepted (a step down,
	// confirmed or continued): the load fell, and a scale-up could only
	// come from the forecasters' intervals, which their own misses on the
	// fall widen until they refit.
	for i, m := range s.metrics {
		if !m.ok || dirs[i] >= 0 {
			return
		}
	}
	m := s.metrics[0]
	v.fell = fmt.Sprintf("%s = %.4g lies far below its recent median %.4g (every metric does)", m.Metric, m.value, m.rob.center())
}

// continues reports whether the metric's last accepted value lies, as
// judged now, far from the recent distribution on side dir: a step change
// it confirmed, which a sample x far on the same side continues, unless x
// lies more than youngStep times above it (plus slack): a glitch on top
// of the step, judged as any sample far above. (Judged from the window
// alone, as a restored Controller has it; not after values read back this
// pass, which the read-back judged as a run of its own, and a Controller
// whose read failed has not.)
func (m *metricState) continues(dir int, x float64) bool {
	last, ok := m.rob.latest()
	return ok && m.rob.judge(last, m.PerReplica) == dir && !(dir > 0 && beyondLast(&m.rob, x, m.PerReplica))
}

// heldZeros asks the forecaster for the zero run it holds back; a panic is
// a failure of the pass (counted once: the forecaster is not asked again
// in the pass) and counts as no run.
func (s *state) heldZeros(zh forecast.ZeroHolder, v *verdict) (since time.Time, steps int) {
	if v.zhPanicked {
		return time.Time{}, 0
	}
	var err error
	func() {
		defer recoverInto(&err, "forecaster HeldZeros")
		since, steps = zh.HeldZeros()
	}()
	if err != nil {
		v.fail("forecast", err)
		v.zhPanicked = true
		return time.Time{}, 0
	}
	return since, max(steps, 0)
}

// zeroRunAlert raises AlertZeroRun when observing x at t started the
// forecaster's holding back of a zero run (before it held none), or ended
// the run of before steps from since it held.
func (s *state) zeroRunAlert(m *metricState, zh forecast.ZeroHolder, since time.Time, before int, t time.Time, x float64, v *verdict) {
	now, after := s.heldZeros(zh, v)
	var msg string
	switch {
	case before == 0 && after > 0:
		msg = fmt.Sprintf("%s = 0 at %s lies implausibly far below its recent load: forecaster %s holds the zeros back as a possible monitoring outage and forecasts from the last load it saw",
			m.Metric, now.Format(time.RFC3339), name(m.fc))
	case before > 0 && after == 0 && x > 0:
		msg = fmt.Sprintf("%s = %.4g at %s ends %d steps of zeros from %s: forecaster %s took them for a monitoring outage, not load",
			m.Metric, x, t.Format(time.RFC3339), before, since.Format(time.RFC3339), name(m.fc))
	case before > 0 && after == 0:
		msg = fmt.Sprintf("%s stayed 0 for more than %d steps from %s: forecaster %s now takes the zeros for load (longer than an outage it fills, or at the phase of the last two cycles' zeros)",
			m.Metric, before, since.Format(time.RFC3339), name(m.fc))
	default:
		return
	}
	v.alerts = append(v.alerts, Alert{Kind: AlertZeroRun, Time: t, Message: msg})
}

// copyOfPending reports whether ob is a copy of the sample held far
// above: of the same scrape (see sameScrape), when both scrape times are
// known (a new scrape of the same value is a new reading, whatever its
// size); else, when the held sample lies implausibly far (see
// implausiblyHigh), equal to it bit for bit less than lookback after it.
// (Without scrape times, a step of a plausible size served bit for bit, as
// synthetic loads are, is confirmed by its copy.)
func (m *metricState) copyOfPending(ob Observation, lookback time.Duration) bool {
	if !m.pending || m.pendingDir <= 0 {
		return false
	}
	held := Observation{Value: m.pendingV, Scraped: m.pendingS}
	if !ob.Scraped.IsZero() && !held.Scraped.IsZero() {
		return sameScrape(ob, held)
	}
	return copyOf(ob, m.pendingV, m.pendingT, lookback) && m.rob.implausiblyHigh(m.pendingV, m.PerReplica)
}

// copyOfLast reports whether ob is a copy of the last value accepted, when
// that lies implausibly far above (see implausiblyHigh): equal to it bit
// for bit, less than lookback after it.
func (m *metricState) copyOfLast(ob Observation, lookback time.Duration) bool {
	last, ok := m.rob.latest()
	return ok && copyOf(ob, last, m.last, lookback) && m.rob.implausiblyHigh(last, m.PerReplica)
}

// copyOf reports whether ob equals v, seen at, bit for bit less than
// lookback after it.
func copyOf(ob Observation, v float64, at time.Time, lookback time.Duration) bool {
	return ob.Value == v && ob.Time.Sub(at) < lookback
}

// apart reports whether v and the sample held far above lie more than
// youngFactor times apart (plus slack), the larger of them beyond
// youngFactor times the highest load seen (robust.peak) plus slack: too
// far apart for either to confirm the other as one step, and beyond any
// load the metric has had. (A load that comes back after an outage may
// climb more than tenfold from one pass to the next, to levels it had
// before.)
func apart(v, held, peak, slack float64) bool {
	return (v > youngFactor*held+slack || held > youngFactor*v+slack) && max(v, held) > youngFactor*peak+slack
}

func crossConfirmed(dirs []int, i, dir int) bool {
	for j, d := range dirs {
		if j != i && d == dir {
			return true
		}
	}
	return false
}

// accept feeds an accepted value of metric i to its forecaster and robust
// statistics (and, for the primary metric, the history and anomaly check).
func (s *state) accept(i int, t time.Time, x float64, rep *Report, v *verdict) bool {
	m := s.metrics[i]
	zh, _ := m.fc.(forecast.ZeroHolder)
	var since time.Time
	var before int
	if zh != nil {
		since, before = s.heldZeros(zh, v)
	}
	if err := safeObserve(m.fc, t, x); err != nil {
		v.fail("forecast", fmt.Errorf("forecaster %s rejected %s = %v at %s: %w", name(m.fc), m.Metric, x, t.Format(time.RFC3339), err))
		return false
	}
	m.last = t
	if zh != nil {
		s.zeroRunAlert(m, zh, since, before, t, x, v)
	}
	m.rob.push(x)
	if i != 0 {
		return true
	}
	s.hist.add(Observation{Time: t, Value: x})
	s.lastGrid, s.lastLoad = t, x
	rep.Load, rep.LoadValid = x, true
	s.anomaly(t, x, rep, v)
	return true
}

// anomaly updates the rolling one-step forecast error and raises
// AlertAnomaly when x falls outside the previous pass's one-step interval
// (Brutlag's band), or when the configured detector says so.
func (s *state) anomaly(t time.Time, x float64, rep *Report, v *verdict) {
	if f := s.prevFc; f.Len() > 0 {
		m := f.Mean[0]
		ape := math.Abs(x-m) / math.Max(math.Max(x, m), 1e-9)
		if s.fcErrN == 0 || math.IsNaN(s.fcErr) {
			s.fcErr = ape
		} else {
			s.fcErr = 0.95*s.fcErr + 0.05*ape
		}
		s.fcErrN++
		if lo, hi := anomalyBand(f); s.detector == nil && (x < lo || x > hi) {
			v.alerts = append(v.alerts, Alert{Kind: AlertAnomaly, Time: t,
				Message: fmt.Sprintf("load %.4g outside the %.0f%% band [%.4g, %.4g] of the one-step forecast (%s)", x, 100*anomalyLevel, lo, hi, f.Model)})
		}
	}
	if s.detector == nil {
		return
	}
	var a forecast.Anomaly
	var err error
	if s.detectorIsForecaster {
		// The forecaster's Observe judged x: read its verdict.
		l, ok := s.detector.(interface{ Last() forecast.Anomaly })
		if !ok {
			return
		}
		if a = l.Last(); !a.Time.Equal(t) {
			return
		}
	} else {
		a, err = safeDetect(s.detector, t, x)
	}
	switch {
	case err != nil:
		v.fail("anomaly", err)
	case a.Alarm:
		v.alerts = append(v.alerts, Alert{Kind: AlertAnomaly, Time: t, Message: a.Reason})
	}
}

// trackReady learns the lead time from observed states: replicas whose
// request shows between two passes count as requested at the earlier pass
// (when this Controller scales, that is when it asked), and are matched
// with replicas that became ready.
func (s *state) trackReady(t time.Time, st actuator.State) {
	if s.haveState {
		switch {
		case st.Desired > s.lastDes:
			s.lead.requestedAt(s.prevT, st.Desired-s.lastDes)
		case st.Desired < s.lastDes:
			s.lead.cancel(min(s.lastDes-st.Desired, max(0, s.lastDes-s.lastReady)))
		}
		if st.Ready > s.lastReady {
			s.lead.readied(t, st.Ready-s.lastReady)
			if !s.cfg.DisableLeadTimeLearning {
				if p, ok := s.lead.p90(); ok {
					s.leadTime = p
				}
			}
		}
	}
	s.lastDes, s.lastReady, s.haveState = st.Desired, st.Ready, true
}

// planTransition moves traffic onto replicas that became ready.
func (s *state) planTransition(t time.Time, st actuator.State) *transition.Plan {
	if !s.trans || !s.servingKnown {
		// The replicas serving when the Controller starts already take
		// their share.
		s.serving, s.servingKnown = st.Ready, true
		return nil
	}
	if st.Ready < s.serving {
		s.serving = st.Ready
	}
	if s.move == nil && st.Ready > s.serving {
		s.move = &transition.Plan{From: s.serving, To: st.Ready, Started: t}
	}
	if s.move == nil {
		return nil
	}
	s.move.To = max(s.move.To, st.Ready)
	p := *s.move
	return &p
}

// errForecastInvalid marks forecasts that fail validation.
var errForecastInvalid = errors.New("invalid forecast")

// backfillSpan is the span of grid times to read from a HistorySource
// before the pass at now: the whole history window on the first pass and
// on the first after a restore, the missed points after a gap of more
// than two intervals or a confirmed forward clock jump, and nothing
// otherwise, nor for a pass whose time jumped.
func (s *state) backfillSpan(now time.Time) span {
	iv := s.cfg.Interval
	t := now.Add(s.offset)
	from, to := t.Add(-time.Duration(s.cfg.HistorySize)*iv), t.Add(-iv)
	switch {
	case s.jumpActive && !s.steady(s.jumpFrom, now) && s.steady(s.lastPass, now) && now.After(s.jumpFrom):
		// This pass confirms a forward jump (see gridTime): the grid
		// keeps its offset and the points skipped are read back.
	case s.jumpActive && !s.steady(s.jumpFrom, now), !s.jumpActive && s.started && !s.steady(s.lastPass, now):
		// A jump, or a pass that confirms a backward one: nothing to read
		// back. A pass back on the old timeline after a glitch (see
		// gridTime) reads back what was missed since the last
		// observation, as any pass after a gap does.
		return span{}
	}
	if r := s.retry; r != nil && !s.refill && !now.Before(r.next) {
		// A start-up backfill that failed, due again: the whole window.
		return span{from: from, to: to, ok: true, retry: true}
	}
	switch {
	case s.refill:
		// After a restore: the whole window refills the history.
	case s.lastGrid.IsZero() && s.backfilled:
		return span{}
	case !s.lastGrid.IsZero():
		if !s.readsMissed(t) {
			return span{}
		}
		// The missed points in this pass's phase: a pass runs late by up
		// to half an interval, and a span from the last observation's
		// phase could end an interval short.
		missed := int64((t.Sub(s.lastGrid)+iv/2)/iv) - 1
		if first := t.Add(-time.Duration(missed) * iv); first.After(from) {
			from = first
		}
	}
	return span{from: from, to: to, ok: true}
}

// backfill feeds history read from the source, strictly between the last
// observation and the pass, to each metric's forecaster, robust statistics
// and (for Config.Metric) the history, then refits the forecasters so that
// the first pass after a start or a gap forecasts with a fitted model.
//
// After a restore it takes the whole window: values up to the saving pass
// refill the history and go to the forecasters (a restored one puts them
// into its window only, see forecast.Stateful), not to the restored
// robust statistics; a restored forecaster is not refitted. The anomaly
// detector is fed Config.Metric's values as its forecaster is (a restored
// forecast.Brutlag puts the values it had seen into its forecaster's
// window only), and raises no alert for them. A restored sample that was
// waiting for confirmation is left out of the refill and confirmed (or
// not) by the next pass, unless values after it are read back (points
// missed while the process was down): then, as at the pass after the gap
// of a Controller that ran on, it is judged with them when it came after
// the saved last observation, and forgotten otherwise. Values up to the
// saving pass are not judged again (see
// isolated) when the snapshot kept the record of those the saved
// Controller left out (metricState.dropped): exactly those are left out.
// A value a pass left out (a suspect never confirmed, a copy of one) is
// not judged again when a later pass reads it back: it stays out.
// A start-up backfill (the
// first pass's, or the refill after a restore) that fails is retried on
// later passes (see refillRetry); meanwhile a restored forecaster keeps
// its fit.
func (s *state) backfill(t time.Time, o observations, rep *Report, v *verdict) {
	if s.retry != nil && s.hist.len() >= s.cfg.HistorySize {
		s.retry = nil // the passes since the start fill the window
	}
	if o.backfillRetry && s.retry != nil {
		s.retryBackfill(t, o, rep, v)
		return
	}
	refill := s.refill
	if o.backfillErr != nil && (refill || s.lastGrid.IsZero() && !s.backfilled) {
		s.retry = s.newRetry(refill, t)
	}
	s.refill = false
	seenAdded := int64(0) // values read back into the history that the saved Controller had seen
	if refill {
		// The history counts what the saved Controller had seen, and
		// what is read back after it.
		defer func(before int64) {
			s.hist.rebase(s.savedTotal + s.hist.total - before - seenAdded)
		}(s.hist.total)
	}
	if o.backfillErr != nil {
		v.fail("metrics", o.backfillErr)
	}
	if o.backfill == nil {
		return
	}
	s.backfilled = true
	var detErr error
	defer func() {
		if detErr != nil {
			v.fail("anomaly", fmt.Errorf("backfill: %w", detErr))
		}
	}()
	last := s.lastGrid
	// After a restore, the values after the saving pass are those a
	// Controller that ran on would have read back at this pass: none
	// after a gap of at most two intervals (its forecasters fill it), as
	// backfillSpan decides.
	readNew := true
	if refill {
		readNew = s.readsMissed(t)
	}
	for i, m := range s.metrics {
		if i >= len(o.backfill) {
			break
		}
		// After a restore, the values up to the last one the metric's
		// forecaster was fed are those the saved Controller had judged;
		// those after it (passes that failed, were skipped or await
		// confirmation) it had not, and are read back as a Controller that
		// ran on would read them at this pass: those after its last
		// observation (one whose metric was missing or held there is not
		// read again).
		seen := m.last
		keep := refill && m.restored
		m.restored = false
		fed, fedNew := 0, 0
		use := func(ob Observation) bool {
			if !ob.Time.Before(t) || !mathx.Finite(ob.Value) || ob.Value < 0 {
				return false
			}
			if refill && !s.later(ob.Time, seen) {
				return true
			}
			if !(last.IsZero() || s.later(ob.Time, last)) {
				return false
			}
			if refill {
				return readNew
			}
			// A value this metric's forecaster has taken (a pass that
			// failed on another metric observed it) is not read again.
			return seen.IsZero() || s.later(ob.Time, seen)
		}
		// Values the saved Controller had seen are read back as it had
		// them when its record of what it left out settles them; the
		// others are judged (see isolated), and those left out recorded.
		settled := func(ob Observation) (known, left bool) {
			if !refill || s.later(ob.Time, seen) {
				// A value a pass left out (held and never confirmed, or
				// a copy of one) stays out: read back, it is not judged
				// again among the values around it (several copies of
				// one glitch among a young history's first values are
				// not a step change).
				if _, left := m.judged(ob.Time, s.cfg.Interval/2); left {
					return true, true
				}
				return false, false
			}
			return m.judged(ob.Time, s.cfg.Interval/2)
		}
		// A sample waiting for confirmation is the passes' to confirm,
		// unless values after it are read back (points missed while the
		// process was down or the passes were skipped): then it is no
		// longer awaited, as at the pass after the gap of a Controller
		// that ran on: judged with them when it is read back too (it came
		// after the last observation), forgotten otherwise (a second
		// metric's sample held at a pass the first metric observed).
		// Copies of a sample held far above (see Config.SourceLookback),
		// and values the passes since left out (copies they told by
		// their scrape times), leave it awaited: the pass judges its own
		// sample against it.
		later := m.pending && slices.ContainsFunc(o.backfill[i], func(ob Observation) bool {
			if _, left := m.judged(ob.Time, s.cfg.Interval/2); left {
				return false
			}
			return use(ob) && s.later(ob.Time, m.pendingT) && !m.copyOfPending(ob, s.cfg.SourceLookback)
		})
		pending := m.pending && !later
		// Its copies are left out, as the passes leave them out; so are
		// the source's copies of the metric's last value (see
		// lookbackCopies).
		known := func(ob Observation) bool { k, _ := settled(ob); return k }
		lastObs := m.last // the loop below moves m.last on
		first, until, n := s.lookbackCopies(m, o.backfill[i], use, known)
		if n > 0 {
			v.alerts = append(v.alerts, s.copiesAlert(t, m.Metric, first, n))
		}
		copied := func(ob Observation) bool {
			return pending && s.later(ob.Time, m.pendingT) ||
				!until.IsZero() && s.later(ob.Time, lastObs) && !s.later(ob.Time, until)
		}
		judge := func(ob Observation) bool {
			return use(ob) && !known(ob) && !(pending && s.same(ob.Time, m.pendingT)) && !copied(ob)
		}
		skip := s.leaveOutIsolated(t, m, o.backfill[i], judge, nil, v)
		for k, ob := range o.backfill[i] {
			x := ob.Value
			if !use(ob) || pending && s.same(ob.Time, m.pendingT) {
				continue
			}
			if copied(ob) {
				if known, _ := settled(ob); !known {
					m.drop(ob.Time, s.window())
				}
				continue
			}
			if known, left := settled(ob); known {
				if left {
					continue
				}
			} else if skip != nil && skip[k] {
				m.drop(ob.Time, s.window())
				continue
			}
			if safeObserve(m.fc, ob.Time, x) != nil {
				continue
			}
			old := refill && !s.later(ob.Time, seen)
			if !old {
				m.rob.push(x)
				m.readBack = true
				fedNew++
			}
			fed++
			if ob.Time.After(m.last) {
				m.last = ob.Time
			}
			if i == 0 {
				if s.detector != nil && !s.detectorIsForecaster {
					// The detector learns the history too; what it
					// finds in the past raises no alert.
					if _, err := safeDetect(s.detector, ob.Time, x); err != nil && detErr == nil {
						detErr = err
					}
				}
				if s.hist.len() == 0 || ob.Time.After(s.hist.lastTime()) {
					s.hist.add(Observation{Time: ob.Time, Value: x})
					if old {
						seenAdded++
					}
				}
				if ob.Time.After(s.lastGrid) {
					s.lastGrid, s.lastLoad = ob.Time, x
				}
				rep.Backfilled++
			}
		}
		if m.pending && !pending {
			m.pending = false // judged with the values after it
		}
		m.dropsUnknown = false // what this backfill left out is recorded
		// A restored forecaster keeps its fit over the values it had seen;
		// values read back after them (passes missed while the process was
		// down) refit it, as a pass after missed passes refits the
		// forecaster of a Controller that ran on.
		if fed > 0 && (!keep || fedNew > 0) {
			s.refitAfterBackfill(m, v)
		}
	}
}

// lookbackCopies returns the time of the last value read back that
// continues metric m's last observation bit for bit: from the first
// value after it, every value equal to it less than Config.SourceLookback
// after it, up to the first that differs. A source that serves its last
// sample again when newer ones are missing (Prometheus's lookback delta,
// for a gauge) returns such copies for the points it has no sample of
// (its own outage, or the target's scrapes failing): not readings. Read
// back as readings they would lay a flat line over whatever the load did
// meanwhile (a seasonal forecast a period later would miss a ramp the
// line covers); left out, they are gaps, which the forecaster fills with
// its forecasts as it fills the points the source returns nothing for. A
// load that truly stayed at that exact value loses nothing: its gap is
// filled with forecasts of it. Zeros are readings (see the zero runs of
// forecast.ZeroHolder), and values the saved Controller had judged (known)
// are settled by its record. The time after the last observation is
// counted in whole intervals (a pass runs late by up to half of one). It
// also returns the first copy and how many there are; until is the zero
// time when there is no copy, or no last value to continue.
func (s *state) lookbackCopies(m *metricState, obs []Observation, use, known func(Observation) bool) (first Observation, until time.Time, n int) {
	v, ok := m.rob.latest()
	if !ok || m.last.IsZero() {
		return first, until, 0
	}
	last := Observation{Time: m.last, Value: v}
	for _, ob := range obs {
		if !use(ob) || !s.later(ob.Time, m.last) || known(ob) {
			continue
		}
		if !s.lookbackCopy(last, ob) {
			break
		}
		if n == 0 {
			first = ob
		}
		until = ob.Time
		n++
	}
	return first, until, n
}

// lookbackCopy reports whether ob, read back after last (the metric's
// observation before it), is the source's copy of last: equal to it bit
// for bit, not zero, in a later interval and less than
// Config.SourceLookback after it, counted in whole intervals.
func (s *state) lookbackCopy(last, ob Observation) bool {
	iv := s.cfg.Interval
	return s.cfg.SourceLookback >= 0 && last.Value != 0 && ob.Value == last.Value &&
		s.later(ob.Time, last.Time) && (ob.Time.Sub(last.Time)+iv/2)/iv*iv < s.cfg.SourceLookback
}

// copiesAlert is the alert of a read-back that left out n of the source's
// copies of a metric's last observation, the first of them first.
func (s *state) copiesAlert(t time.Time, metric Metric, first Observation, n int) Alert {
	return Alert{Kind: AlertSuspectSample, Time: t, Message: fmt.Sprintf(
		"backfill: %d value(s) of %s read back from %s equal bit for bit to its last observation %.4g, less than SourceLookback %s after it, left out as gaps: the source's copies while it had no newer sample",
		n, metric, first.Time.UTC().Format(time.RFC3339), first.Value, s.cfg.SourceLookback)}
}

// leaveOutIsolated judges a metric's backfilled values (see isolated;
// settled may be nil) and raises one AlertSuspectSample for those it leaves out.
func (s *state) leaveOutIsolated(t time.Time, m *metricState, obs []Observation, use, settled func(Observation) bool, v *verdict) []bool {
	skip, n, first := isolated(m.rob, obs, use, settled, m.PerReplica, s.cfg.SourceLookback)
	if n > 0 {
		msg := fmt.Sprintf("backfill: %d value(s) of %s far from the values around them left out as gaps, the first %.4g at %s",
			n, m.Metric, first.Value, first.Time.UTC().Format(time.RFC3339))
		v.alerts = append(v.alerts, Alert{Kind: AlertSuspectSample, Time: t, Message: msg})
	}
	return skip
}

// anomalyLevel is the coverage of the band outside which an observation
// raises AlertAnomaly, whatever Config.Level the forecasts are read at (a
// Level set to the provisioned quantile, 0.8 say, would otherwise flag one
// observation in five).
const anomalyLevel = 0.99

// anomalyBand widens (or narrows) the first step of f from its Level to
// anomalyLevel, scaling each side by the ratio of the normal quantiles.
func anomalyBand(f forecast.Forecast) (lo, hi float64) {
	m, lo, hi := f.Mean[0], f.Lower[0], f.Upper[0]
	if !(f.Level > 0 && f.Level < 1) {
		return lo, hi
	}
	k := mathx.NormalQuantile((1+anomalyLevel)/2) / mathx.NormalQuantile((1+f.Level)/2)
	return m - k*(m-lo), m + k*(hi-m)
}
