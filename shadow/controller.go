package shadow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/benbjohnson/clock"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"golang.org/x/sync/errgroup"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/mirror"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/transition"
)

// Errors callers branch on.
var (
	// ErrMissingDependency reports a nil required collaborator.
	ErrMissingDependency = errors.New("shadow: missing dependency")
	// ErrMetricMissing reports a sample without the scaling metric.
	ErrMetricMissing = errors.New("shadow: metric missing from sample")
	// ErrInvalidSample reports a NaN, infinite or negative metric value.
	ErrInvalidSample = errors.New("shadow: invalid sample value")
)

// Deps are the Controller's required collaborators.
type Deps struct {
	// Source reads production utilization.
	Source MetricsSource
	// Forecaster predicts the scaling metric.
	Forecaster forecast.Forecaster
	// Policy decides.
	Policy policy.Policy
	// Production scales production.
	Production actuator.Actuator
}

// Controller is the Shadow Manager: it owns the reconcile loop.
//
// Each pass (Step) has three phases:
//
//  1. gather: read the metrics, the production group, the shadow pool and
//     the mirror's stats, concurrently, each under Config.CallTimeout, with
//     no lock held; the groups' Current calls retry transient errors (a
//     status not yet observed) with the retry policy, within that timeout;
//  2. decide: a function of the pass time, those values and the
//     Controller's state, with no I/O: validate and robustly screen the
//     samples, update the history, forecast each metric over the lead time
//     and validate the forecasts, learn the lead time, ask the policy, bound
//     the decision once, size the shadow pool, plan the drain and the
//     traffic transition, and derive alerts and conditions — the Plan;
//  3. apply: carry out the Plan, every call under CallTimeout with the
//     retry policy, compensating a failed scale-down by returning drained
//     replicas to service.
//
// A pass holds capacity (Report.Held, the Held condition names the cause)
// when the scaling metric is missing, invalid or suspect, the pass time
// jumped, the forecast failed validation, production cannot be read or the
// policy failed. Panics in any dependency or plug-in are recovered into
// errors. The Report carries the Plan and what apply achieved.
//
// Step is safe for concurrent use (passes are serialized); History,
// LeadTime and Forecast never wait for a pass's network calls. Run calls
// Step on each tick of the clock.
type Controller struct {
	cfg          Config
	deps         Deps
	mp           metric.MeterProvider
	log          *slog.Logger
	clock        clock.Clock
	retry        actuator.RetryConfig
	mirror       mirror.Mirror
	shadowAct    actuator.Actuator
	poolCfg      *PoolConfig
	transitioner transition.Transitioner
	drainer      transition.Drainer
	onAlert      func(Alert)
	detector     forecast.AnomalyDetector
	onReport     func(Report, error)
	extra        []metricOption
	store        StateStore
	service      string
	loaded       bool // the snapshot was looked for; guarded by pass
	// Saving, guarded by pass: passes since the last save, and the end of
	// a Save that outlived its pass's CallTimeout (nil when none runs).
	unsaved  int
	inflight chan struct{}
	saves    sync.WaitGroup // the goroutines that run Save

	inst *instruments

	pass      sync.Mutex // serializes passes
	condAttrs map[[2]string][]metric.RecordOption
	mu        sync.Mutex // guards st
	st        *state
}

type metricOption struct {
	target MetricTarget
	fc     forecast.Forecaster
}

// New builds a Controller. It applies Config defaults, validates the
// result and returns an error naming the first bad field or missing
// dependency.
func New(cfg Config, deps Deps, opts ...Option) (*Controller, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case deps.Source == nil:
		return nil, fmt.Errorf("%w: Deps.Source is nil", ErrMissingDependency)
	case deps.Forecaster == nil:
		return nil, fmt.Errorf("%w: Deps.Forecaster is nil", ErrMissingDependency)
	case deps.Policy == nil:
		return nil, fmt.Errorf("%w: Deps.Policy is nil", ErrMissingDependency)
	case deps.Production == nil:
		return nil, fmt.Errorf("%w: Deps.Production is nil", ErrMissingDependency)
	}
	c := &Controller{
		cfg:   cfg,
		deps:  deps,
		mp:    otel.GetMeterProvider(),
		log:   slog.Default(),
		clock: clock.New(),

		condAttrs: map[[2]string][]metric.RecordOption{},
	}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	if err := c.retry.Validate(); err != nil {
		return nil, err
	}
	if c.retry.After == nil {
		c.retry.After = c.clock.After
	}
	if c.retry.Now == nil {
		c.retry.Now = c.clock.Now
	}
	if err := c.checkMetrics(); err != nil {
		return nil, err
	}
	c.st = newState(cfg, deps, c.extra)
	c.st.detector, c.st.drain, c.st.trans = c.detector, c.drainer != nil, c.transitioner != nil
	c.st.detectorIsForecaster = c.detector != nil && sameObject(c.detector, c.st.metrics[0].fc)
	if c.poolCfg != nil {
		pc := c.poolCfg.withDefaults(cfg.PerReplica, cfg.TargetUtilization)
		if err := pc.Validate(); err != nil {
			return nil, err
		}
		c.st.pool = newPool(pc)
	}
	inst, err := newInstruments(c.mp)
	if err != nil {
		return nil, fmt.Errorf("shadow: create instruments: %w", err)
	}
	c.inst = inst
	return c, nil
}

// checkMetrics validates the metrics added with WithMetric.
func (c *Controller) checkMetrics() error {
	seen := map[Metric]bool{c.cfg.Metric: true}
	for i := range c.extra {
		m := &c.extra[i]
		if m.target.TargetUtilization == 0 {
			m.target.TargetUtilization = c.cfg.TargetUtilization
		}
		if err := m.target.validate(); err != nil {
			return err
		}
		if m.fc == nil {
			return fmt.Errorf("%w: WithMetric(%q): forecaster is nil", ErrMissingDependency, m.target.Metric)
		}
		if seen[m.target.Metric] {
			return fmt.Errorf("shadow: metric %q is configured twice", m.target.Metric)
		}
		seen[m.target.Metric] = true
	}
	return nil
}

// Config returns the configuration in force, defaults applied.
func (c *Controller) Config() Config { return c.cfg }

// History returns a copy of the load history of Config.Metric, oldest
// first, on the Controller's observation grid.
func (c *Controller) History() []Observation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.hist.snapshot()
}

// LeadTime returns the provisioning lead time in use: the learned P90 once
// enough replicas have become ready, Config.LeadTime before.
func (c *Controller) LeadTime() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.leadTime
}

// Forecast returns the forecast of Config.Metric over the next horizon
// (rounded up to whole intervals), at Config.Level, from the data observed
// so far — what the Controller expects, for operators and dashboards. It
// does not change the Controller's state beyond what the forecaster itself
// caches, and never waits for a pass's network calls.
func (c *Controller) Forecast(horizon time.Duration) (forecast.Forecast, error) {
	if horizon <= 0 {
		return forecast.Forecast{}, fmt.Errorf("shadow: Forecast: horizon (%s) must be positive", horizon)
	}
	steps := int((horizon + c.cfg.Interval - 1) / c.cfg.Interval)
	c.mu.Lock()
	defer c.mu.Unlock()
	return safeForecast(c.deps.Forecaster, steps, c.cfg.Level)
}

// Step runs one reconcile pass at now and returns what it did. The error
// joins the failures of the pass; the Controller stays usable and the next
// pass retries. A nil error means every dependency answered.
func (c *Controller) Step(ctx context.Context, now time.Time) (Report, error) {
	c.pass.Lock()
	defer c.pass.Unlock()

	var stateErrs []error
	restored := false
	if c.store != nil && !c.loaded {
		c.loaded = true
		var r Report
		stateErrs = append(stateErrs, c.loadState(ctx, now, &r)...)
		restored = r.Restored
	}

	c.mu.Lock()
	win := c.st.backfillSpan(now)
	c.mu.Unlock()

	obs := c.gather(ctx, now, win)

	c.mu.Lock()
	rep, v := c.st.decide(now, obs)
	c.mu.Unlock()

	rep.Applied = c.apply(ctx, now, rep.State.Desired, rep.Plan)

	c.mu.Lock()
	c.st.settle(rep.Plan, rep.Applied, &rep)
	c.mu.Unlock()

	rep.Restored = restored
	if c.store != nil {
		c.unsaved++
		if c.unsaved >= c.cfg.SaveEvery {
			if err := c.saveState(ctx, now); err != nil {
				stateErrs = append(stateErrs, err)
			}
		}
	}
	for _, err := range stateErrs {
		v.fail("state", err)
	}
	return rep, c.report(ctx, &rep, v)
}

// report finishes the Report with what apply achieved, then logs, counts
// and records the pass and returns its joined errors.
func (c *Controller) report(ctx context.Context, rep *Report, v verdict) error {
	a := rep.Applied
	rep.Actuated = a.Scaled
	rep.Transition = a.Transition
	for i, cd := range rep.Conditions {
		if cd.Type == ScalingLimited && a.Limit != "" {
			rep.Conditions[i] = Condition{Type: ScalingLimited, Status: true, Reason: ReasonLimitedByActuator, Message: a.Limit}
		}
		if cd.Type != AbleToScale || !rep.Plan.Scale {
			continue
		}
		if a.Scaled {
			to := rep.Plan.Target
			if a.Limit != "" {
				to = a.LimitedTo
				c.log.LogAttrs(ctx, slog.LevelWarn, "scale limited by the group's bounds", slog.Int("asked", rep.Plan.Target), slog.Int("applied", to), slog.String("reason", a.Limit))
			}
			rep.Conditions[i] = Condition{Type: AbleToScale, Status: true, Reason: ReasonSucceededRescale,
				Message: fmt.Sprintf("scaled from %d to %d", rep.State.Desired, to)}
		} else {
			rep.Conditions[i] = Condition{Type: AbleToScale, Reason: ReasonFailedScale, Message: errors.Join(a.Errors...).Error()}
		}
	}
	var errs []error
	for _, f := range v.faults {
		errs = append(errs, c.fault(ctx, rep.Time, f.dep, f.err))
	}
	for _, err := range a.Errors {
		errs = append(errs, c.fault(ctx, rep.Time, applyDep(err, rep.Plan), err))
	}
	if a.Undrained > 0 {
		c.log.LogAttrs(ctx, slog.LevelWarn, "scale-down failed: drained replicas returned to service", slog.Int("replicas", a.Undrained))
	}
	for _, al := range rep.Alerts {
		c.inst.count(ctx, c.inst.alerts, "kind", al.Kind.String())
		c.log.LogAttrs(ctx, slog.LevelWarn, "alert", slog.String("kind", al.Kind.String()), slog.String("message", al.Message))
		if c.onAlert != nil {
			c.safeAlert(al)
		}
	}
	c.inst.count(ctx, c.inst.decisions, "action", rep.Decision.Action.String())
	if rep.Decision.ShadowTriggered && a.Scaled && rep.Decision.Action == policy.ScaleUp {
		c.inst.shadowTriggered.Add(ctx, 1)
	}
	c.record(ctx, rep)
	dec := rep.Decision
	if len(errs) == 0 && c.log.Enabled(ctx, slog.LevelDebug) {
		c.log.LogAttrs(ctx, slog.LevelDebug, "pass", slog.Time("now", rep.Time), slog.Float64("load", rep.Load),
			slog.String("decision", dec.String()))
	}
	if dec.Action != policy.NoChange {
		c.log.LogAttrs(ctx, slog.LevelInfo, "decision", slog.Time("now", rep.Time), slog.String("action", dec.Action.String()),
			slog.Int("from", rep.State.Desired), slog.Int("to", dec.Target), slog.String("reason", dec.Reason),
			slog.String("metric", string(rep.Metric)), slog.Bool("actuated", rep.Actuated), slog.Bool("forecast_only", rep.Plan.ForecastOnly))
	}
	return errors.Join(errs...)
}

// applyDep names the dependency an apply error came from, for the errors
// counter.
func applyDep(err error, p Plan) string {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "drain") || strings.HasPrefix(msg, "undrain"):
		return "drain"
	case strings.HasPrefix(msg, "scale from"):
		return "actuator"
	case strings.HasPrefix(msg, "transition"):
		return "transition"
	}
	return "shadow"
}

// fault counts and logs one failure and returns it labelled.
func (c *Controller) fault(ctx context.Context, now time.Time, dep string, err error) error {
	c.inst.count(ctx, c.inst.errors, "dependency", dep)
	c.log.LogAttrs(ctx, slog.LevelWarn, "dependency failed", slog.String("dependency", dep), slog.Time("now", now), slog.String("error", err.Error()))
	return fmt.Errorf("%s: %w", dep, err)
}

// safeAlert calls the alert handler; a panic in it is logged, not raised.
func (c *Controller) safeAlert(a Alert) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Warn("alert handler panicked", slog.Any("panic", r))
		}
	}()
	c.onAlert(a)
}

func (c *Controller) record(ctx context.Context, rep *Report) {
	in := c.inst
	if rep.LoadValid {
		in.load.Record(ctx, rep.Load)
	}
	if rep.Forecast.Len() > 0 {
		mean, upper := rep.Forecast.Peak(rep.LeadSteps)
		upper = math.Max(upper, rep.PeakUpper)
		lower := 0.0
		for i := 0; i < min(rep.LeadSteps, len(rep.Forecast.Lower)); i++ {
			lower = math.Max(lower, rep.Forecast.Lower[i])
		}
		in.fcMean.Record(ctx, mean)
		in.fcUpper.Record(ctx, upper)
		in.fcLower.Record(ctx, lower)
	}
	in.heldZeros.Record(ctx, int64(rep.HeldZeros))
	in.current.Record(ctx, int64(rep.State.Desired))
	in.ready.Record(ctx, int64(rep.State.Ready))
	in.desired.Record(ctx, int64(rep.Decision.Target))
	c.mu.Lock()
	serving, lead := c.st.serving, c.st.leadTime
	c.mu.Unlock()
	in.serving.Record(ctx, int64(serving))
	in.leadSec.Record(ctx, lead.Seconds())
	if rep.Shadow.Valid {
		in.shadowLatency.Record(ctx, rep.Shadow.Latency.Seconds())
		in.shadowErrRate.Record(ctx, rep.Shadow.ErrorRate)
	}
	if rep.Pool.Enabled {
		in.shadowReplicas.Record(ctx, int64(rep.Pool.Desired))
		in.shadowFraction.Record(ctx, rep.Pool.Fraction)
		in.shadowCost.Record(ctx, rep.Pool.CostPerHour)
	}
	for _, cd := range rep.Conditions {
		v := int64(0)
		if cd.Status {
			v = 1
		}
		in.condition.Record(ctx, v, c.conditionAttrs(cd)...)
	}
}

// conditionAttrs returns the cached attribute options of a condition's type
// and reason; cached as a slice, so that recording allocates no variadic
// argument. Called with c.pass held.
func (c *Controller) conditionAttrs(cd Condition) []metric.RecordOption {
	k := [2]string{string(cd.Type), cd.Reason}
	o, ok := c.condAttrs[k]
	if !ok {
		o = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("type", string(cd.Type)), attribute.String("reason", cd.Reason)))}
		c.condAttrs[k] = o
	}
	return o
}

// Run calls Step on each tick of the clock, the first at once, until ctx
// ends; then, with a StateStore and passes not yet saved (Config.SaveEvery
// > 1), it saves once more, under CallTimeout, and it returns nil after
// every goroutine it started has finished (a Save that outlived its pass
// included). A Save that ignores its context is waited for at most
// CallTimeout more: Run then returns an error saying so, and the Save's
// goroutine ends when the store returns. Pass errors are logged and
// counted, never fatal, and a panic that escapes a pass (in the report
// handler, say) is recovered and logged.
func (c *Controller) Run(ctx context.Context) (err error) {
	defer func() {
		if c.store != nil && !waitGroupFor(&c.saves, c.cfg.CallTimeout) {
			err = errors.Join(err, fmt.Errorf("shadow: a state store Save has not returned %s after Run stopped; Run returns without it", c.cfg.CallTimeout))
		}
	}()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		t := c.clock.Ticker(c.cfg.Interval)
		defer t.Stop()
		c.runOnce(gctx, c.clock.Now())
		for {
			select {
			case <-gctx.Done():
				return nil
			case now := <-t.C:
				c.runOnce(gctx, now)
			}
		}
	})
	err = g.Wait()
	if c.store != nil {
		c.pass.Lock()
		unsaved := c.unsaved > 0 && c.loaded
		c.pass.Unlock()
		if unsaved {
			sctx, cancel := withTimeout(context.WithoutCancel(ctx), c.cfg.CallTimeout)
			defer cancel()
			if err := c.Save(sctx); err != nil {
				c.log.LogAttrs(ctx, slog.LevelWarn, "final save failed", slog.String("error", err.Error()))
			}
		}
	}
	return err
}

func (c *Controller) runOnce(ctx context.Context, now time.Time) {
	if ctx.Err() != nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			c.inst.count(ctx, c.inst.errors, "dependency", "panic")
			c.log.LogAttrs(ctx, slog.LevelError, "pass panicked", slog.Any("panic", r))
		}
	}()
	rep, err := c.Step(ctx, now)
	if c.onReport != nil {
		c.onReport(rep, err)
	}
}

// waitGroupFor waits for wg at most d (d ≤ 0: without a bound) and reports
// whether it finished.
func waitGroupFor(wg *sync.WaitGroup, d time.Duration) bool {
	if d <= 0 {
		wg.Wait()
		return true
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// sameObject reports whether a and b are the same value (for pointers:
// the same object), without the panic == gives on two values of one
// uncomparable type.
func sameObject(a, b any) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta != nil && ta == tb && ta.Comparable() && a == b
}
