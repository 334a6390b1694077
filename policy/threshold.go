package policy

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/shadowscale/shadowscale/internal/defaults"
	"github.com/shadowscale/shadowscale/internal/mathx"
)

// ThresholdConfig configures the Threshold policy. The zero value of each
// field selects the default documented on it (DefaultThresholdConfig spells
// them out); where zero itself is a useful setting, a negative value
// selects it.
type ThresholdConfig struct {
	// LatencyThreshold is the shadow p95 latency above which production
	// is scaled up by ScaleFactor. Default 500 ms: set it to the service's
	// latency objective. Negative disables the latency test.
	LatencyThreshold time.Duration
	// ErrorRateThreshold is the shadow error rate above which production
	// is scaled up by ScaleFactor, at most 1. Default 0.01. Negative
	// disables the error test.
	ErrorRateThreshold float64
	// ScaleFactor multiplies the predicted load when the shadows show
	// distress, at least 1. Default 1.5.
	ScaleFactor float64
	// CapacityThreshold: production scales up to the predicted load when
	// the predicted load exceeds CapacityThreshold × capacity. Default 0.8.
	CapacityThreshold float64
	// DownscaleThreshold: production scales down to the predicted load
	// when the predicted load is below DownscaleThreshold × capacity; it
	// must be below CapacityThreshold. Default 0.5. Negative means 0:
	// this rule never scales down.
	DownscaleThreshold float64
	// RelativeToTarget makes both thresholds multiples of
	// Input.TargetUtilization instead of fractions of capacity: with
	// CapacityThreshold 1 the policy scales up as soon as the predicted
	// utilization passes the target. Default false.
	RelativeToTarget bool
	// MinShadowLoadRatio and MaxShadowLoadRatio bound the Shadow.LoadRatio
	// for which the shadow signal is trusted; outside the band the shadow
	// rule is skipped. Defaults 0.5 and 1.25.
	MinShadowLoadRatio, MaxShadowLoadRatio float64
	// ShadowHold keeps rule 1 in force for this long after the shadow
	// signal last breached a threshold. Default 0: no hold.
	ShadowHold time.Duration
	// Unit names the load unit in reasons. Default "req/s".
	Unit string
}

// DefaultThresholdConfig returns the defaults documented on each field.
func DefaultThresholdConfig() ThresholdConfig {
	return ThresholdConfig{
		LatencyThreshold:   500 * time.Millisecond,
		ErrorRateThreshold: 0.01,
		ScaleFactor:        1.5,
		CapacityThreshold:  0.8,
		DownscaleThreshold: 0.5,
		MinShadowLoadRatio: 0.5,
		MaxShadowLoadRatio: 1.25,
		Unit:               "req/s",
	}
}

// withDefaults fills in the zero fields and reads negative values as the
// zero they stand for.
func (c ThresholdConfig) withDefaults() ThresholdConfig {
	d := DefaultThresholdConfig()
	c.LatencyThreshold = defaults.Or(c.LatencyThreshold, d.LatencyThreshold)
	c.ErrorRateThreshold = defaults.Or(c.ErrorRateThreshold, d.ErrorRateThreshold)
	c.ScaleFactor = defaults.IfZero(c.ScaleFactor, d.ScaleFactor)
	c.CapacityThreshold = defaults.IfZero(c.CapacityThreshold, d.CapacityThreshold)
	c.DownscaleThreshold = defaults.Or(c.DownscaleThreshold, d.DownscaleThreshold)
	c.MinShadowLoadRatio = defaults.IfZero(c.MinShadowLoadRatio, d.MinShadowLoadRatio)
	c.MaxShadowLoadRatio = defaults.IfZero(c.MaxShadowLoadRatio, d.MaxShadowLoadRatio)
	if c.Unit == "" {
		c.Unit = d.Unit
	}
	return c
}

// Validate reports every invalid field, naming it and its value, after
// the defaults are filled in.
func (c ThresholdConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.ShadowHold < 0 {
		add("ShadowHold (%s) must not be negative", c.ShadowHold)
	}
	if !(c.ErrorRateThreshold <= 1) {
		add("ErrorRateThreshold (%v) must be a number ≤ 1", c.ErrorRateThreshold)
	}
	if !(c.ScaleFactor >= 1) || math.IsInf(c.ScaleFactor, 0) {
		add("ScaleFactor (%v) must be a number ≥ 1", c.ScaleFactor)
	}
	hi := 1.0
	if c.RelativeToTarget {
		hi = 10
	}
	if !(c.CapacityThreshold > 0 && c.CapacityThreshold <= hi) {
		add("CapacityThreshold (%v) must be in (0, %v]", c.CapacityThreshold, hi)
	}
	if !(c.DownscaleThreshold < c.CapacityThreshold) {
		add("DownscaleThreshold (%v) must be a number below CapacityThreshold (%v)", c.DownscaleThreshold, c.CapacityThreshold)
	}
	if !(c.MinShadowLoadRatio > 0) || !(c.MaxShadowLoadRatio >= c.MinShadowLoadRatio) || math.IsInf(c.MaxShadowLoadRatio, 0) {
		add("MinShadowLoadRatio (%v) and MaxShadowLoadRatio (%v) must satisfy 0 < min ≤ max < +Inf", c.MinShadowLoadRatio, c.MaxShadowLoadRatio)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("policy: Threshold config: %w", err)
	}
	return nil
}

// Threshold is the reference policy. With the predicted load P (see
// PredictedLoad) and the capacity C = Current × PerReplica:
//
//  1. shadow latency > LatencyThreshold or shadow error rate >
//     ErrorRateThreshold (when the shadow signal is trusted, below) →
//     scale up to Replicas(P × ScaleFactor); when Current already covers
//     that, rules 2–4 decide on P × ScaleFactor in place of P;
//  2. else P > CapacityThreshold × C → scale up to Replicas(P);
//  3. else P < DownscaleThreshold × C → scale down to Replicas(P);
//  4. else no change.
//
// Replicas converts load at Input.TargetUtilization. Rule 1 applies only
// when Shadow.Valid. The Controller mirrors traffic so that each shadow
// replica carries the load it was planned for (Shadow.LoadRatio near 1):
// its latency and error rate are then compared with the thresholds as they
// are. When LoadRatio lies outside [MinShadowLoadRatio, MaxShadowLoadRatio]
// the shadows ran far from their plan (typically because the load outran
// the forecast, which rule 2 handles) and rule 1 is skipped; LoadRatio 0
// reads as 1.
//
// Without a forecast the policy uses the observed Load and says so in the
// reason; a Load left over from a failed metrics pass (LoadValid false) may
// scale up but never down. With neither, it holds.
//
// With ShadowHold set, a shadow breach keeps rule 1 in force for that long
// after it was last seen (keyed on Input.Now), so that a noisy signal near
// its threshold does not scale production up and down on alternate passes.
//
// Threshold is safe for concurrent use.
type Threshold struct {
	cfg ThresholdConfig
	// The thresholds as reasons print them, formatted once.
	downNum, capNum string

	mu       sync.Mutex
	breachAt time.Time // last pass whose shadow signal breached a threshold
	breach   string    // what it saw
}

var _ Policy = (*Threshold)(nil)

// NewThreshold returns the Threshold policy; it fills in the defaults and
// validates cfg.
func NewThreshold(cfg ThresholdConfig) (*Threshold, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	return &Threshold{cfg: c, downNum: num(c.DownscaleThreshold), capNum: num(c.CapacityThreshold)}, nil
}

// Predicted is the load a policy provisions for and where it came from.
type Predicted struct {
	// Load is the predicted load; 0 when !OK.
	Load float64
	// Source says where Load came from, for reasons.
	Source string
	// OK is false when there is neither a usable forecast nor an observed
	// load.
	OK bool
	// Stale is true when Load is an observed load from a failed metrics
	// pass: safe to scale up on, not down.
	Stale bool
	// FromForecast is true when Load is a forecast peak.
	FromForecast bool
}

// PredictedLoad returns the peak of the forecast mean over the first
// LeadSteps steps (at least 1, at most the forecast's length), ignoring
// NaN and infinite entries and reading negative ones as 0. With no finite
// forecast entry it falls back to the observed Load (when finite and not
// negative).
func PredictedLoad(in Input) Predicted {
	p, lead := predictedLoad(in)
	if p.FromForecast {
		p.Source = string(appendSource(nil, p, lead))
	}
	return p
}

// predictedLoad is PredictedLoad without a forecast's Source, which
// appendSource formats from the length of the lead window returned.
func predictedLoad(in Input) (Predicted, int) {
	if n := in.Forecast.Len(); n > 0 {
		lead := min(max(in.LeadSteps, 1), n)
		peak, seen := 0.0, false
		for _, v := range in.Forecast.Mean[:lead] {
			if mathx.Finite(v) {
				peak, seen = max(peak, v), true
			}
		}
		if seen {
			return Predicted{Load: peak, OK: true, FromForecast: true}, lead
		}
	}
	if !in.observed() {
		return Predicted{Source: "no load and no forecast"}, 0
	}
	if !in.LoadValid {
		return Predicted{Load: in.Load, Source: "last observed load, no forecast, metric missing", OK: true, Stale: true}, 0
	}
	return Predicted{Load: in.Load, Source: "observed load, no forecast", OK: true}, 0
}

// appendSource appends PredictedLoad's Source of p.
func appendSource(b []byte, p Predicted, lead int) []byte {
	if !p.FromForecast {
		return append(b, p.Source...)
	}
	b = strconv.AppendInt(append(b, "forecast peak over "...), int64(lead), 10)
	return append(b, " steps"...)
}

// Decide applies the four rules.
func (t *Threshold) Decide(in Input) (Decision, error) { return finalize(t.decide(in)) }

func (t *Threshold) decide(in Input) (decided, error) {
	if err := in.Validate(); err != nil {
		return decided{}, err
	}
	p, lead := predictedLoad(in)
	if !p.OK {
		return hold(in, text("holding: no load and no forecast")), nil
	}
	w := &thresholdWhy{t: t, p: p, lead: lead, predicted: p.Load, target: in.TargetUtilization, current: in.Current}
	if fired, why := t.shadowHeld(in); fired {
		n := Replicas(p.Load*t.cfg.ScaleFactor, in.PerReplica, in.TargetUtilization)
		plain := string(w.pred(nil))
		if n > in.Current {
			d := finish(in, n, textf("shadow %s: scale up to %s × %s: %d replicas", why, plain, num(t.cfg.ScaleFactor), n))
			d.ShadowTriggered = d.Action == ScaleUp
			return d, nil
		}
		p.Load *= t.cfg.ScaleFactor
		w.shadowed = fmt.Sprintf("shadow %s: %s × %s = %s %s", why, plain, num(t.cfg.ScaleFactor), num(p.Load), t.cfg.Unit)
	}
	w.capacity = float64(in.Current) * in.PerReplica
	up, down := t.cfg.CapacityThreshold, t.cfg.DownscaleThreshold
	if t.cfg.RelativeToTarget {
		up *= in.TargetUtilization
		down *= in.TargetUtilization
	}
	w.want = Replicas(p.Load, in.PerReplica, in.TargetUtilization)
	switch {
	case p.Load > up*w.capacity:
		w.rule = ruleUpHeld
		if w.want > in.Current {
			w.rule = ruleUp
			return finish(in, w.want, deferred(w)), nil
		}
	case p.Load < down*w.capacity && p.Stale:
		w.rule = ruleDownStale
	case p.Load < down*w.capacity:
		w.rule = ruleDownHeld
		if w.want < in.Current {
			w.rule = ruleDown
			return finish(in, w.want, deferred(w)), nil
		}
	default:
		w.rule = ruleWithin
	}
	return hold(in, deferred(w)), nil
}

// thresholdRule is the rule of Threshold that decided.
type thresholdRule int

const (
	ruleWithin thresholdRule = iota
	ruleUp
	ruleUpHeld
	ruleDown
	ruleDownHeld
	ruleDownStale
)

// thresholdWhy is Threshold's reason, formatted when it is read.
type thresholdWhy struct {
	t                           *Threshold
	p                           Predicted
	lead                        int
	predicted, target, capacity float64
	current, want               int
	shadowed                    string // the predicted load as the shadow rule scaled it
	rule                        thresholdRule
}

// pred appends "predicted <load> <unit> (<source>)", or its shadow form.
func (w *thresholdWhy) pred(b []byte) []byte {
	if w.shadowed != "" {
		return append(b, w.shadowed...)
	}
	b = appendNum(append(b, "predicted "...), w.predicted)
	b = append(append(append(b, ' '), w.t.cfg.Unit...), " ("...)
	return append(appendSource(b, w.p, w.lead), ')')
}

// bound appends "[ × target <u>] × capacity <c> <unit>".
func (w *thresholdWhy) bound(b []byte) []byte {
	if w.t.cfg.RelativeToTarget {
		b = appendNum(append(b, " × target "...), w.target)
	}
	b = appendNum(append(b, " × capacity "...), w.capacity)
	return append(append(b, ' '), w.t.cfg.Unit...)
}

func (w *thresholdWhy) appendTo(b []byte) []byte {
	b = w.pred(b)
	switch w.rule {
	case ruleUp, ruleUpHeld:
		b = w.bound(append(append(b, " > "...), w.t.capNum...))
	case ruleDown, ruleDownHeld, ruleDownStale:
		b = w.bound(append(append(b, " < "...), w.t.downNum...))
	}
	switch w.rule {
	case ruleUp, ruleDown:
		dir := ": scale up to "
		if w.rule == ruleDown {
			dir = ": scale down to "
		}
		return append(strconv.AppendInt(append(b, dir...), int64(w.want), 10), " replicas"...)
	case ruleUpHeld:
		b = strconv.AppendInt(append(b, ", but "...), int64(w.current), 10)
		b = appendNum(append(b, " replicas serve it at target "...), w.target)
		return append(b, ": holding"...)
	case ruleDownHeld:
		b = strconv.AppendInt(append(b, ", but it needs "...), int64(w.want), 10)
		b = appendNum(append(b, " replicas at target "...), w.target)
		return strconv.AppendInt(append(b, ": holding "...), int64(w.current), 10)
	case ruleDownStale:
		return strconv.AppendInt(append(b, ", but no scale-down on a stale metric: holding "...), int64(w.current), 10)
	}
	b = append(append(append(append(b, " within ["...), w.t.downNum...), ", "...), w.t.capNum...)
	b = w.bound(append(b, ']'))
	return strconv.AppendInt(append(b, ": holding "...), int64(w.current), 10)
}

// shadowHeld applies shadowRule and the ShadowHold latch.
func (t *Threshold) shadowHeld(in Input) (bool, string) {
	fired, why := t.shadowRule(in.Shadow)
	if t.cfg.ShadowHold <= 0 {
		return fired, why
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if fired {
		t.breachAt, t.breach = in.Now, why
		return true, why
	}
	if !t.breachAt.IsZero() && !in.Now.Before(t.breachAt) && in.Now.Sub(t.breachAt) < t.cfg.ShadowHold {
		return true, fmt.Sprintf("%s (held since %s, hold %s)", t.breach, t.breachAt.Format("15:04:05"), t.cfg.ShadowHold)
	}
	return false, ""
}

// shadowRule reports whether the shadow signal, taken as it is when the
// shadows ran near their planned load, breaches a threshold, and the
// numbers.
func (t *Threshold) shadowRule(s Shadow) (bool, string) {
	if !s.Valid {
		return false, ""
	}
	ratio := defaults.IfZero(s.LoadRatio, 1)
	if !(ratio >= t.cfg.MinShadowLoadRatio && ratio <= t.cfg.MaxShadowLoadRatio) {
		return false, ""
	}
	if t.cfg.LatencyThreshold > 0 && s.Latency > t.cfg.LatencyThreshold {
		return true, fmt.Sprintf("latency %sms > %s at load ratio %s", num(float64(s.Latency)/1e6), t.cfg.LatencyThreshold, num(ratio))
	}
	if t.cfg.ErrorRateThreshold > 0 && s.ErrorRate > t.cfg.ErrorRateThreshold {
		return true, fmt.Sprintf("error rate %s > %s at load ratio %s", num(s.ErrorRate), num(t.cfg.ErrorRateThreshold), num(ratio))
	}
	return false, ""
}
