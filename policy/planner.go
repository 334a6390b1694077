package policy

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/shadowscale/shadowscale/internal/defaults"
	"github.com/shadowscale/shadowscale/internal/mathx"
)

// PlannerConfig configures the Planner. The zero value of each field
// selects the default documented on it; where zero itself is a useful
// setting, a negative value selects it.
type PlannerConfig struct {
	// Quantile is the quantile of each step's predictive distribution
	// that capacity must carry at MaxUtilization, in (0, 1). Default
	// DefaultQuantile (P90).
	Quantile float64
	// MaxUtilization is the utilization the Quantile may drive capacity
	// to, in (0, 1]. Default 1: the upper quantile may use every replica
	// fully, the mean runs at the target utilization.
	MaxUtilization float64
	// Boot is how long a requested replica is paid before it serves. A
	// replica is kept when the plan needs it again within the lead time
	// plus Boot (as far as the forecast reaches). Default: the lead time,
	// (Input.LeadSteps − 1) forecast steps.
	Boot time.Duration
	// Settle is how long the plan must not have needed a replica before it
	// is released. A release pays only if it lasts longer than the boot
	// it costs to come back, and the forecast beyond the lead window is
	// not known: a need that has stayed away for a while is taken to stay
	// away for a while. Default 6 × Boot (one hour at a 10-minute boot),
	// chosen on the first half of each trace of the simulator's
	// evaluation; shorter settles follow the load down sooner and start
	// more replicas.
	Settle time.Duration
	// SettleRatio caps what Settle holds: once a past need is Boot old,
	// Settle holds it only up to SettleRatio times the replicas the plan
	// needs now, so a surge that has clearly ended (at 1.5: the need fell
	// by more than a third) is released a boot after it, not a Settle
	// after, while a dip of the size noise makes is still held for the
	// whole Settle. It is at least 1. Default 1.5, chosen on the first
	// half of each trace of the simulator's evaluation (1.1, 1.25, 1.5,
	// 2): at 1.25 the 1-minute World Cup trace starts 1.22 times the
	// HPA's replicas, at 1.5 at most 1.20, and 2 releases a quarter less
	// of the NASA traces' surplus. Negative means no cap: every need is
	// held for the whole Settle.
	SettleRatio float64
	// Tolerance is the fraction of Current the plan must be able to
	// release before it scales down, in [0, 1): noise in the forecast
	// moves the need by a replica or two from pass to pass, and releasing
	// them only to start them again pays boots for nothing. Default 0.1,
	// the Kubernetes HPA's tolerance. Negative means 0: release every
	// replica the plan does not need.
	Tolerance float64
	// MinLifetime is the shortest time a replica is billed for (AWS and
	// GCP bill at least 60 s; some providers an hour). The planner never
	// asks for fewer replicas than it saw requested within MinLifetime:
	// releasing them early saves nothing. Default 0.
	MinLifetime time.Duration
	// MinScaleDownInterval is the shortest time between two scale-downs.
	// Default 0.
	MinScaleDownInterval time.Duration
	// Shadow configures the shadow rule, as Threshold's rule 1
	// (LatencyThreshold, ErrorRateThreshold, ScaleFactor, the
	// shadow-load-ratio band, ShadowHold) and the load unit in reasons;
	// its capacity thresholds are not used. Its zero fields select
	// ThresholdConfig's defaults.
	Shadow ThresholdConfig
}

// DefaultPlannerConfig returns the defaults documented on each field.
func DefaultPlannerConfig() PlannerConfig {
	return PlannerConfig{Tolerance: 0.1, SettleRatio: 1.5}
}

// settleBoots is the default Settle in boots.
const settleBoots = 6

// maxPlannerMemory bounds the planner's time-stamped state (passes within
// Boot, starts within MinLifetime), whatever the pass rate.
const maxPlannerMemory = 4096

// Validate reports every invalid field, naming it and its value.
func (c PlannerConfig) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Quantile != 0 && !(c.Quantile > 0 && c.Quantile < 1) {
		add("Quantile (%v) must be in (0, 1)", c.Quantile)
	}
	if c.MaxUtilization != 0 && !(c.MaxUtilization > 0 && c.MaxUtilization <= 1) {
		add("MaxUtilization (%v) must be in (0, 1]", c.MaxUtilization)
	}
	if c.Boot < 0 {
		add("Boot (%s) must not be negative", c.Boot)
	}
	if !(c.Tolerance < 1) {
		add("Tolerance (%v) must be a number below 1", c.Tolerance)
	}
	if c.Settle < 0 {
		add("Settle (%s) must not be negative", c.Settle)
	}
	if !(c.SettleRatio <= 0 || c.SettleRatio >= 1) {
		add("SettleRatio (%v) must be at least 1, or negative", c.SettleRatio)
	}
	if c.MinLifetime < 0 {
		add("MinLifetime (%s) must not be negative", c.MinLifetime)
	}
	if c.MinScaleDownInterval < 0 {
		add("MinScaleDownInterval (%s) must not be negative", c.MinScaleDownInterval)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("policy: Planner config: %w", err)
	}
	return nil
}

// Planner decides the replica count over the forecast's horizon, the way
// a bill counts capacity: a replica is paid from its request, booting
// included, so releasing one that is needed again soon pays a boot for
// nothing. At every pass (receding horizon) it turns each forecast step
// into the replicas that step needs,
//
//	need = max(mean / TargetUtilization, quantile / MaxUtilization) / PerReplica
//
// so the forecast's interval adds headroom once: where the interval is
// narrow the mean at the target utilization decides, where it is wide the
// upper quantile at MaxUtilization does (never the target and the quantile
// stacked). The quantile comes from each step's own upper bound
// (Input.PeakUpper, the bound on the lead window's peak, is not used: with
// it the plan over the window is flat at the bound, and on the first
// halves of the simulator's evaluation traces the planner then closed less
// of the gap to perfect foresight and started more replicas). With
// Input.Min 0, a forecast that expects no load (see Headroom) needs
// nothing: the group goes to zero, as far as the reactive
// floor allows, and stays there until the forecast expects load.
// Then:
//
//   - scale up to the largest need within the lead window (Input.LeadSteps
//     steps), as soon as it exceeds Input.Current;
//   - keep every replica the plan needs again within the lead time plus
//     Boot (as far as the forecast reaches): releasing it now would cost
//     a boot to come back;
//   - keep every replica the plan needed within the last Settle: a
//     release pays only if it lasts longer than the boot it costs to come
//     back, the forecast does not reach that far, and a need that has not
//     stayed away for a while is not taken to stay away (forecasts move
//     from pass to pass); but past the first Boot, only up to SettleRatio
//     times the present need: a surge that has clearly ended goes a boot
//     after it;
//   - scale down only when that frees at least Tolerance of Current;
//   - keep the replicas requested within MinLifetime, and no scale-down
//     within MinScaleDownInterval of the previous one.
//
// Starts and scale-downs are read from Input.Current between passes, so
// they count whichever layer of a stack asked for them.
//
// The shadow rule is Threshold's rule 1: while the shadows breach their
// latency or error thresholds (and ShadowHold after), every step's load is
// multiplied by the ScaleFactor, and a scale-up it causes is marked
// ShadowTriggered.
//
// Without a finite forecast entry the planner uses the observed Load for
// every step of its horizon; a Load from a failed metrics pass (LoadValid
// false) may scale up but never down. With neither it holds.
//
// Every reason carries its numbers ("keep 14: mean 930 req/s in 7m0s needs
// 14, within lead 11m0s + boot 10m0s (forecast)"). Decide is a pure function of the
// Input and the planner's bounded, time-stamped state (keyed on Input.Now,
// forgotten when time goes backwards); it reads no clock. Not safe for
// concurrent use.
type Planner struct {
	cfg    PlannerConfig
	shadow *Threshold

	clk      clock
	prevNow  time.Time
	prevCur  int
	havePrev bool
	needs    []stamped // the lead-window need of recent passes
	starts   []stamped // replicas started, by pass
	lastDown time.Time // the last pass after which Current fell
}

// stamped is a count at a pass time.
type stamped struct {
	at time.Time
	n  int
}

var _ Policy = (*Planner)(nil)

// NewPlanner returns the Planner; it validates cfg.
func NewPlanner(cfg PlannerConfig) (*Planner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Quantile = defaults.IfZero(cfg.Quantile, DefaultQuantile)
	cfg.MaxUtilization = defaults.IfZero(cfg.MaxUtilization, 1)
	cfg.Tolerance = defaults.Or(cfg.Tolerance, DefaultPlannerConfig().Tolerance)
	cfg.SettleRatio = defaults.Or(cfg.SettleRatio, DefaultPlannerConfig().SettleRatio)
	sh, err := NewThreshold(cfg.Shadow)
	if err != nil {
		return nil, fmt.Errorf("policy: Planner: Shadow: %w", err)
	}
	cfg.Shadow = sh.cfg
	return &Planner{cfg: cfg, shadow: sh}, nil
}

// plan is one pass's view of the horizon.
type plan struct {
	want   []int     // replicas each step needs
	load   []float64 // the load that sets each step's need
	what   []string  // "mean" or the quantile's label, per step
	stepD  time.Duration
	lead   int // steps of the lead window within want
	horiz  int // steps of lead + boot within want
	source string
	stale  bool
}

// ahead formats the time to step i of the plan.
func (p plan) ahead(i int) string {
	if p.stepD > 0 {
		return (time.Duration(i+1) * p.stepD).String()
	}
	return fmt.Sprintf("%d steps", i+1)
}

// bootSteps returns the boot time in forecast steps and as a duration
// (0 when unknown).
func (pl *Planner) bootSteps(in Input) (int, time.Duration) {
	step := in.Forecast.Step
	if pl.cfg.Boot > 0 {
		if step > 0 {
			return int(min(math.Ceil(float64(pl.cfg.Boot)/float64(step)), maxReplicas)), pl.cfg.Boot
		}
		return max(in.LeadSteps-1, 1), pl.cfg.Boot
	}
	b := max(in.LeadSteps-1, 1)
	if step > 0 && step < time.Duration(math.MaxInt64)/time.Duration(b) {
		return b, time.Duration(b) * step
	}
	return b, 0
}

// makePlan turns the forecast (or the observed load) into needs per step.
func (pl *Planner) makePlan(in Input, factor float64, boot int) (plan, bool) {
	q := pl.cfg.Quantile
	qLabel := "P" + num(q*100)
	usable := in.Forecast.Level > 0 && in.Forecast.Level < 1 && len(in.Forecast.Upper) >= in.Forecast.Len()
	zl, zq := 0.0, mathx.NormalQuantile(q)
	if usable {
		zl = mathx.NormalQuantile((1 + in.Forecast.Level) / 2)
	}
	n := in.Forecast.Len()
	lead := min(max(in.LeadSteps, 1), n)
	horiz := min(n, lead+min(max(boot, 0), n))
	p := plan{stepD: in.Forecast.Step, lead: lead, horiz: horiz, source: "forecast"}
	idle := in.Min == 0 && noLoadExpected(in)
	if idle {
		// As Headroom: a forecast that expects no load asks for nothing
		// (see Headroom).
		p.source = "forecast, which expects no load (see Headroom), with min 0"
	}
	seen := false
	for i := 0; i < horiz; i++ {
		m := in.Forecast.Mean[i]
		if !mathx.Finite(m) {
			p.want, p.load, p.what = append(p.want, 0), append(p.load, 0), append(p.what, "no finite forecast")
			continue
		}
		seen = true
		if idle {
			p.want, p.load, p.what = append(p.want, 0), append(p.load, 0), append(p.what, "no load")
			continue
		}
		m = max(m, 0) * factor
		load, what, w := m, "mean", m/in.TargetUtilization
		if usable && mathx.Finite(in.Forecast.Upper[i]) && zl > 0 {
			sigma := max(0, in.Forecast.Upper[i]*factor-m) / zl
			if qv := max(0, m+zq*sigma); qv/pl.cfg.MaxUtilization > w {
				load, what, w = qv, qLabel, qv/pl.cfg.MaxUtilization
			}
		}
		p.want = append(p.want, mathx.CeilInt(w/in.PerReplica))
		p.load = append(p.load, load)
		p.what = append(p.what, what)
	}
	if seen {
		return p, true
	}
	if !in.observed() {
		return plan{}, false
	}
	l := in.Load * factor
	p = plan{want: []int{Replicas(l, in.PerReplica, in.TargetUtilization)}, load: []float64{l}, what: []string{"observed"},
		lead: 1, horiz: 1, source: "observed load, no forecast", stale: !in.LoadValid}
	if p.stale {
		p.source = "last observed load, no forecast, metric missing"
	}
	return p, true
}

// observe updates the time-stamped state from the Input and trims it.
func (pl *Planner) observe(in Input, settle time.Duration) {
	if pl.clk.advance(in.Now) {
		*pl = Planner{cfg: pl.cfg, shadow: pl.shadow, clk: pl.clk}
	}
	if pl.havePrev && in.Now.After(pl.prevNow) {
		switch {
		case in.Current > pl.prevCur:
			pl.starts = append(pl.starts, stamped{at: pl.prevNow, n: in.Current - pl.prevCur})
		case in.Current < pl.prevCur:
			pl.lastDown = pl.prevNow
		}
	}
	pl.prevNow, pl.prevCur, pl.havePrev = in.Now, in.Current, true
	pl.needs = trim(pl.needs, in.Now, settle)
	pl.starts = trim(pl.starts, in.Now, pl.cfg.MinLifetime)
}

// trim drops entries older than window before now (all when window is 0)
// and keeps at most maxPlannerMemory.
func trim(s []stamped, now time.Time, window time.Duration) []stamped {
	i := 0
	for i < len(s) && (window <= 0 || now.Sub(s[i].at) >= window) {
		i++
	}
	s = s[i:]
	if len(s) > maxPlannerMemory {
		s = s[len(s)-maxPlannerMemory:]
	}
	return s
}

// Decide plans the replica count for in.
func (pl *Planner) Decide(in Input) (Decision, error) { return finalize(pl.decide(in)) }

func (pl *Planner) decide(in Input) (decided, error) {
	if err := in.Validate(); err != nil {
		return decided{}, err
	}
	boot, bootD := pl.bootSteps(in)
	settle := pl.cfg.Settle
	if settle == 0 && bootD < math.MaxInt64/settleBoots {
		settle = settleBoots * bootD
	}
	pl.observe(in, settle)
	factor, prefix := 1.0, ""
	fired, why := pl.shadow.shadowHeld(in)
	if fired {
		factor = pl.cfg.Shadow.ScaleFactor
		prefix = fmt.Sprintf("shadow %s: load × %s: ", why, num(factor))
	}
	p, ok := pl.makePlan(in, factor, boot)
	if !ok {
		return hold(in, text("holding: no load and no forecast")), nil
	}
	u := pl.cfg.Shadow.Unit
	upAt := argmax(p.want[:p.lead])
	up := p.want[upAt]
	pl.needs = append(pl.needs, stamped{at: in.Now, n: up})
	if up > in.Current {
		d := finish(in, up, textf("%sscale up to %d: %s %s %s in %s needs %d at target %s (%s)",
			prefix, up, p.what[upAt], num(p.load[upAt]), u, p.ahead(upAt), up, num(in.TargetUtilization), p.source))
		d.ShadowTriggered = fired && d.Action == ScaleUp
		return d, nil
	}
	// The replicas to keep, and the rule that keeps the most.
	keepAt := argmax(p.want[:p.horiz])
	keep := p.want[keepAt]
	horizon := fmt.Sprintf("lead %s", p.ahead(p.lead-1))
	if bootD > 0 {
		horizon += " + boot " + bootD.String()
	}
	rule := fmt.Sprintf("%s %s %s in %s needs %d, within %s (%s)", p.what[keepAt], num(p.load[keepAt]), u, p.ahead(keepAt), keep, horizon, p.source)
	for _, s := range pl.needs[:len(pl.needs)-1] {
		n, capped := pl.held(s, in.Now, bootD, p.want[keepAt])
		if n > keep {
			keep = n
			rule = fmt.Sprintf("needed %d %s ago, less than %s: a release would not outlast the boot it costs", s.n, in.Now.Sub(s.at), settle)
			if capped {
				rule = fmt.Sprintf("needed %d %s ago, less than %s, more than %s × the %d needed now and older than the boot %s: hold %d",
					s.n, in.Now.Sub(s.at), settle, num(pl.cfg.SettleRatio), p.want[keepAt], bootD, n)
			}
		}
	}
	young := 0
	for _, s := range pl.starts {
		young += s.n
	}
	if young = min(young, in.Current); young > keep {
		keep = young
		rule = fmt.Sprintf("%d started within the minimum lifetime %s are billed anyway", young, pl.cfg.MinLifetime)
	}
	switch {
	case keep >= in.Current:
		return hold(in, textf("%skeep %d: %s", prefix, in.Current, rule)), nil
	case float64(keep) > (1-pl.cfg.Tolerance)*float64(in.Current):
		return hold(in, textf("%skeep %d: %s would release %d, within the tolerance %s of %d", prefix, in.Current, rule, in.Current-keep, num(pl.cfg.Tolerance), in.Current)), nil
	case p.stale:
		return hold(in, textf("%skeep %d: %s would allow %d, but no scale-down on a stale metric", prefix, in.Current, rule, keep)), nil
	case pl.cfg.MinScaleDownInterval > 0 && !pl.lastDown.IsZero() && in.Now.Sub(pl.lastDown) < pl.cfg.MinScaleDownInterval:
		return hold(in, textf("%skeep %d: last scale-down %s ago, less than the minimum interval %s (would keep %d: %s)",
			prefix, in.Current, in.Now.Sub(pl.lastDown), pl.cfg.MinScaleDownInterval, keep, rule)), nil
	}
	return finish(in, keep, textf("%sscale down to %d: %s; %d not needed within %s nor for the last boot",
		prefix, keep, rule, in.Current-keep, horizon)), nil
}

// held returns how many of a past need s Settle holds at now, given the
// present need: all of it while it is younger than boot, then at most
// SettleRatio × present (capped reports the cap applied).
func (pl *Planner) held(s stamped, now time.Time, boot time.Duration, present int) (n int, capped bool) {
	if pl.cfg.SettleRatio <= 0 || now.Sub(s.at) < boot {
		return s.n, false
	}
	limit := pl.cfg.SettleRatio * float64(present)
	if float64(s.n) <= limit {
		return s.n, false
	}
	return mathx.CeilInt(limit), true
}

// argmax returns the index of the first largest element (0 when empty).
func argmax(s []int) int {
	best := 0
	for i, v := range s {
		if v > s[best] {
			best = i
		}
	}
	return best
}
