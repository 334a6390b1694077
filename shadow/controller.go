package shadow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/benbjohnson/clock"
	"go.opentelemetry.io/otel"
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
// Each pass (Step), in order:
//  1. observe production through the MetricsSource and append the scaling
//     metric to the bounded history and the forecaster;
//  2. forecast the load over the horizon (lead time plus one interval) with a
//     prediction interval;
//  3. read the production group's capacity and learn the lead time from
//     replicas that became ready;
//  4. read the shadows' performance from the mirror;
//  5. decide with the Policy;
//  6. drain and actuate production, retrying transient errors;
//  7. advance the traffic transition onto newly ready capacity;
//  8. size the shadow pool and the mirrored fraction;
//  9. record metrics, logs and alerts.
//
// When the metrics source, the forecaster (past warm-up) or the production
// group cannot be read, or the forecast is not finite or is implausible
// (an upper bound above 10 × the largest load seen), the pass holds
// capacity rather than guess, reports
// the error (metric shadowscale.errors and a log line) and the next pass
// tries again.
//
// Step is safe for concurrent use (passes are serialized); Run calls it on
// each tick of the clock.
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

	inst *instruments

	mu           sync.Mutex
	hist         *ring
	lastLoad     float64
	observed     int     // valid observations so far
	mirrored     window  // mirrored load (fraction in force × load) of recent passes
	maxLoad      float64 // largest load observed
	passes       int
	lead         *leadTimer
	leadTime     time.Duration
	lastDes      int
	lastReady    int
	haveState    bool
	serving      int
	servingKnown bool
	plan         *transition.Plan
	pool         *pool
	prevFc       forecast.Forecast // previous pass's forecast, for anomaly and error tracking
	fcErr        float64           // EWMA of one-step absolute percentage error
	fcErrN       int
	actFails     int
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
		cfg:      cfg,
		deps:     deps,
		mp:       otel.GetMeterProvider(),
		log:      slog.Default(),
		clock:    clock.New(),
		hist:     newRing(cfg.HistorySize),
		lead:     newLeadTimer(20),
		leadTime: cfg.LeadTime,
		fcErr:    math.NaN(),
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
	if c.poolCfg != nil {
		pc := c.poolCfg.withDefaults(cfg.PerReplica, cfg.TargetUtilization)
		if err := pc.Validate(); err != nil {
			return nil, err
		}
		c.pool = newPool(pc, c.shadowAct, c.mirror)
	}
	inst, err := newInstruments(c.mp)
	if err != nil {
		return nil, fmt.Errorf("shadow: create instruments: %w", err)
	}
	c.inst = inst
	return c, nil
}

// Config returns the configuration in force, defaults applied.
func (c *Controller) Config() Config { return c.cfg }

// History returns a copy of the load history, oldest first.
func (c *Controller) History() []Observation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hist.snapshot()
}

// LeadTime returns the provisioning lead time in use: the learned P90 once
// enough replicas have become ready, Config.LeadTime before.
func (c *Controller) LeadTime() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leadTime
}

// Report describes one pass.
type Report struct {
	// Time is the pass time.
	Time time.Time
	// Load is the observed scaling metric (the last good value when
	// LoadValid is false).
	Load float64
	// LoadValid is false when the metrics source failed this pass.
	LoadValid bool
	// Sample holds every metric the source reported.
	Sample Sample
	// Forecast is the forecast over the lead horizon; empty when the
	// forecaster had none.
	Forecast forecast.Forecast
	// LeadSteps is the forecast horizon in steps.
	LeadSteps int
	// State is the production group before actuation.
	State actuator.State
	// Decision is the policy's decision, clamped to the bounds. When the
	// pass held, Decision is NoChange with the reason.
	Decision policy.Decision
	// Held is true when the pass held capacity because a dependency
	// failed.
	Held bool
	// Actuated is true when a Scale request was accepted this pass.
	Actuated bool
	// Shadow is the shadow signal the policy saw.
	Shadow policy.Shadow
	// Pool is the shadow pool after the pass.
	Pool PoolStatus
	// Transition is the traffic transition status, when one is under way.
	Transition transition.Status
	// Alerts raised by the pass.
	Alerts []Alert
}

// Step runs one reconcile pass at now and returns what it did. The error
// joins the dependency failures of the pass; the Controller stays usable
// and the next pass retries. A nil error means every dependency answered.
func (c *Controller) Step(ctx context.Context, now time.Time) (Report, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.passes++
	rep := Report{Time: now}
	var errs []error
	fail := func(dep string, err error) {
		errs = append(errs, fmt.Errorf("%s: %w", dep, err))
		c.inst.count(ctx, c.inst.errors, "dependency", dep)
		c.log.LogAttrs(ctx, slog.LevelWarn, "dependency failed", slog.String("dependency", dep), slog.Time("now", now), slog.String("error", err.Error()))
	}
	hold := ""

	// 1. Observe.
	if err := c.observe(ctx, now, &rep); err != nil {
		fail("metrics", err)
		hold = "metrics source failed"
	}

	// 2. Forecast.
	steps := leadSteps(c.leadTime, c.cfg.Interval)
	rep.LeadSteps = steps
	if c.passes%max(1, c.cfg.RefitEvery) == 0 && c.cfg.RefitEvery > 0 {
		if r, ok := c.deps.Forecaster.(forecast.Refitter); ok {
			if err := r.Refit(); err != nil && !errors.Is(err, forecast.ErrInsufficientHistory) {
				fail("forecast", fmt.Errorf("refit: %w", err))
			}
		}
	}
	fc, err := c.deps.Forecaster.Forecast(steps, c.cfg.Level)
	switch {
	case err == nil:
		if why, cerr := c.checkForecast(fc, steps); cerr != nil {
			fail("forecast", cerr)
			hold = why
			fc = forecast.Forecast{}
		} else {
			rep.Forecast = fc
		}
	case errors.Is(err, forecast.ErrInsufficientHistory):
		// Warm-up: the policy decides without a forecast.
		fc = forecast.Forecast{}
	default:
		fail("forecast", err)
		if hold == "" {
			hold = "forecaster failed"
		}
		fc = forecast.Forecast{}
	}

	// 3. Production capacity.
	cctx, cancel := c.callCtx(ctx)
	st, err := c.deps.Production.Current(cctx)
	cancel()
	if err != nil {
		fail("actuator", fmt.Errorf("current: %w", err))
		hold = "production capacity unknown"
		st = actuator.State{Desired: c.lastDes, Ready: c.lastReady}
	} else {
		c.trackReady(now, st)
	}
	rep.State = st

	// 4. Shadow signal.
	rep.Shadow = c.shadowSignal(ctx, now, st, fail, &rep)

	// 5. Decide.
	var dec policy.Decision
	if hold != "" {
		dec = policy.NewDecision(st.Desired, st.Desired, "holding: "+hold)
		rep.Held = true
	} else {
		in := policy.Input{
			Now: now, Current: st.Desired, Ready: st.Ready,
			Load: rep.Load, LoadValid: rep.LoadValid,
			Forecast: fc, LeadSteps: steps, Shadow: rep.Shadow,
			PerReplica: c.cfg.PerReplica, TargetUtilization: c.cfg.TargetUtilization,
			Min: c.cfg.MinReplicas, Max: c.cfg.MaxReplicas,
		}
		dec, err = c.deps.Policy.Decide(in)
		if err != nil {
			fail("policy", err)
			dec = policy.NewDecision(st.Desired, st.Desired, "holding: policy failed")
			rep.Held = true
		}
	}
	// Bound the target and derive the action from it, whatever the policy
	// returned.
	t, reason := policy.Clamp(dec.Target, c.cfg.MinReplicas, c.cfg.MaxReplicas), dec.Reason
	if t != dec.Target {
		reason = fmt.Sprintf("%s; clamped %d to [%d, %d]", reason, dec.Target, c.cfg.MinReplicas, c.cfg.MaxReplicas)
	}
	shadowUp := dec.ShadowTriggered && t == dec.Target
	dec = policy.NewDecision(st.Desired, t, reason)
	dec.ShadowTriggered = shadowUp
	rep.Decision = dec
	c.inst.count(ctx, c.inst.decisions, "action", dec.Action.String())

	// 6. Actuate.
	if !rep.Held && dec.Target != st.Desired {
		if err := c.actuate(ctx, now, st, dec); err != nil {
			fail("actuator", err)
			c.actFails++
			if c.cfg.ActuationFailureAlert > 0 && c.actFails == c.cfg.ActuationFailureAlert {
				c.alert(ctx, &rep, Alert{Kind: AlertActuationFailures, Time: now,
					Message: fmt.Sprintf("%d actuations in a row failed; last: %v", c.actFails, err)})
			}
		} else {
			c.actFails = 0
			rep.Actuated = true
			if dec.ShadowTriggered && dec.Action == policy.ScaleUp && c.pool != nil {
				c.pool.trig++
				c.inst.shadowTriggered.Add(ctx, 1)
			}
		}
	}

	// 7. Transition traffic onto newly ready capacity.
	c.advanceTransition(ctx, now, st, fail, &rep)

	// 8. Shadow pool.
	if c.pool != nil {
		mean, _ := fc.Peak(steps)
		next := rep.Load
		if fc.Len() > 0 {
			next = fc.Mean[0]
		}
		in := poolInput{
			history: c.observed, fcErr: c.fcErr, predicted: mean, predictedOK: fc.Len() > 0, next: next,
			perReplica: c.cfg.PerReplica, target: c.cfg.TargetUtilization,
		}
		ps, err := c.pool.step(ctx, in)
		if err != nil {
			fail("shadow", err)
		}
		rep.Pool = ps
	}

	c.prevFc = fc
	c.record(ctx, &rep)
	if len(errs) == 0 {
		c.log.LogAttrs(ctx, slog.LevelDebug, "pass", slog.Time("now", now), slog.Float64("load", rep.Load),
			slog.String("decision", dec.String()))
	}
	if dec.Action != policy.NoChange {
		c.log.LogAttrs(ctx, slog.LevelInfo, "decision", slog.Time("now", now), slog.String("action", dec.Action.String()),
			slog.Int("from", st.Desired), slog.Int("to", dec.Target), slog.String("reason", dec.Reason), slog.Bool("actuated", rep.Actuated))
	}
	return rep, errors.Join(errs...)
}

func (c *Controller) callCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.cfg.CallTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.cfg.CallTimeout)
}

// observe reads the metrics source and feeds the history and forecaster.
func (c *Controller) observe(ctx context.Context, now time.Time, rep *Report) error {
	rep.Load, rep.LoadValid = c.lastLoad, false
	cctx, cancel := c.callCtx(ctx)
	s, err := c.deps.Source.Sample(cctx, now)
	cancel()
	if err != nil {
		return err
	}
	rep.Sample = s
	v, ok := s.Values[c.cfg.Metric]
	if !ok {
		return fmt.Errorf("%w: %q", ErrMetricMissing, c.cfg.Metric)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return fmt.Errorf("%w: %s = %v", ErrInvalidSample, c.cfg.Metric, v)
	}
	if err := c.deps.Forecaster.Observe(now, v); err != nil {
		return fmt.Errorf("forecaster rejected %s = %v: %w", c.cfg.Metric, v, err)
	}
	c.hist.add(Observation{Time: now, Value: v})
	c.lastLoad = v
	c.observed++
	c.maxLoad = math.Max(c.maxLoad, v)
	rep.Load, rep.LoadValid = v, true
	c.checkAnomaly(ctx, now, v, rep)
	if c.detector != nil {
		a, err := c.detector.Detect(now, v)
		switch {
		case err != nil:
			c.inst.count(ctx, c.inst.errors, "dependency", "anomaly")
			c.log.LogAttrs(ctx, slog.LevelWarn, "anomaly detector failed", slog.String("error", err.Error()))
		case a.Alarm:
			c.alert(ctx, rep, Alert{Kind: AlertAnomaly, Time: now, Message: a.Reason})
		}
	}
	return nil
}

// checkAnomaly compares v with the previous pass's one-step forecast: it
// updates the rolling forecast error and raises AlertAnomaly when v is
// outside the interval (Brutlag's confidence-band test).
func (c *Controller) checkAnomaly(ctx context.Context, now time.Time, v float64, rep *Report) {
	f := c.prevFc
	if f.Len() == 0 {
		return
	}
	m := f.Mean[0]
	ape := math.Abs(v-m) / math.Max(math.Max(v, m), 1e-9)
	if c.fcErrN == 0 || math.IsNaN(c.fcErr) {
		c.fcErr = ape
	} else {
		c.fcErr = 0.95*c.fcErr + 0.05*ape
	}
	c.fcErrN++
	if c.detector != nil {
		return
	}
	if len(f.Lower) > 0 && len(f.Upper) > 0 && (v < f.Lower[0] || v > f.Upper[0]) {
		c.alert(ctx, rep, Alert{Kind: AlertAnomaly, Time: now,
			Message: fmt.Sprintf("load %.4g outside the %.0f%% forecast interval [%.4g, %.4g] (%s)", v, 100*f.Level, f.Lower[0], f.Upper[0], f.Model)})
	}
}

// maxPlausible bounds a forecast: an upper bound above this multiple of the
// largest load ever observed says the model broke, not that the load will
// come, and scaling to it would buy a fleet for nothing.
const maxPlausible = 10

// checkForecast rejects a forecast with NaN or infinite values, and one
// whose upper bound over the lead steps exceeds maxPlausible × the largest
// observed load (or one replica's capacity, if larger). It returns the
// hold reason and the error.
func (c *Controller) checkForecast(f forecast.Forecast, steps int) (string, error) {
	for _, xs := range [][]float64{f.Mean, f.Lower, f.Upper} {
		for _, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return "forecast invalid", fmt.Errorf("forecast has NaN or infinite values (model %q)", f.Model)
			}
		}
	}
	if c.maxLoad <= 0 {
		return "", nil
	}
	// A load below one replica's capacity may well grow tenfold.
	ref := math.Max(c.maxLoad, c.cfg.PerReplica)
	if _, upper := f.Peak(steps); upper > maxPlausible*ref {
		return "forecast implausible", fmt.Errorf("forecast upper bound %.4g exceeds %d × the largest load seen (%.4g) (model %q)", upper, maxPlausible, ref, f.Model)
	}
	return "", nil
}

// trackReady learns the lead time from replicas that became ready.
func (c *Controller) trackReady(now time.Time, st actuator.State) {
	if c.haveState && st.Ready > c.lastReady {
		c.lead.readied(now, st.Ready-c.lastReady)
		if !c.cfg.DisableLeadTimeLearning {
			if p, ok := c.lead.p90(); ok {
				c.leadTime = p
			}
		}
	}
	c.lastDes, c.lastReady, c.haveState = st.Desired, st.Ready, true
}

// shadowSignal reads the mirror and turns its stats into the policy's
// shadow input; stale or missing stats make it invalid.
func (c *Controller) shadowSignal(ctx context.Context, now time.Time, st actuator.State, fail func(string, error), rep *Report) policy.Shadow {
	if c.pool == nil {
		return policy.Shadow{}
	}
	if rep.LoadValid {
		c.mirrored.push(c.pool.fraction * rep.Load)
	}
	if c.pool.ready == 0 || c.pool.fraction == 0 {
		return policy.Shadow{}
	}
	cctx, cancel := c.callCtx(ctx)
	s, err := c.mirror.Stats(cctx)
	cancel()
	switch {
	case err != nil:
		fail("shadow", fmt.Errorf("stats: %w", err))
		return policy.Shadow{}
	case now.Sub(s.At) > c.cfg.ShadowStaleAfter:
		fail("shadow", fmt.Errorf("stats are stale: taken at %s, %s before the pass (limit %s)", s.At.Format(time.RFC3339), now.Sub(s.At), c.cfg.ShadowStaleAfter))
		return policy.Shadow{}
	case s.Requests == 0:
		return policy.Shadow{}
	}
	// The mirrored load over the stats window, from the fraction in force
	// and the load of each pass in it.
	k := max(1, int((s.Window+c.cfg.Interval/2)/c.cfg.Interval))
	sh := policy.Shadow{Valid: true, Latency: s.P95, ErrorRate: s.ErrorRate(),
		LoadRatio: c.pool.loadRatio(c.mirrored.mean(k), c.cfg.PerReplica)}
	c.inst.shadowLatency.Record(ctx, s.P95.Seconds())
	c.inst.shadowErrRate.Record(ctx, sh.ErrorRate)
	if div, base := c.pool.divergence(s.P95); div {
		c.alert(ctx, rep, Alert{Kind: AlertShadowDivergence, Time: now,
			Message: fmt.Sprintf("shadow p95 %s > %.1f × baseline %s", s.P95, c.pool.cfg.DivergenceFactor, time.Duration(base*float64(time.Second)))})
	}
	return sh
}

// actuate drains replicas a scale-down removes, then scales production.
func (c *Controller) actuate(ctx context.Context, now time.Time, st actuator.State, dec policy.Decision) error {
	if dec.Target < st.Desired && c.drainer != nil {
		starting := st.Desired - st.Ready
		if n := (st.Desired - dec.Target) - starting; n > 0 {
			dctx := ctx
			cancel := context.CancelFunc(func() {})
			if c.cfg.DrainTimeout > 0 {
				dctx, cancel = context.WithTimeout(ctx, c.cfg.DrainTimeout)
			}
			err := c.drainer.Drain(dctx, n)
			cancel()
			if err != nil {
				// Scale down anyway, like a termination grace period that
				// ran out; the error is reported.
				c.log.LogAttrs(ctx, slog.LevelWarn, "drain incomplete", slog.Int("replicas", n), slog.String("error", err.Error()))
				c.inst.count(ctx, c.inst.errors, "dependency", "drain")
			}
		}
	}
	err := actuator.Do(ctx, c.retry, func(ctx context.Context) error {
		cctx, cancel := c.callCtx(ctx)
		defer cancel()
		return c.deps.Production.Scale(cctx, dec.Target)
	})
	if err != nil {
		return fmt.Errorf("scale from %d to %d: %w", st.Desired, dec.Target, err)
	}
	if d := dec.Target - st.Desired; d > 0 {
		c.lead.requestedAt(now, d)
	} else {
		c.lead.cancel(min(-d, st.Desired-st.Ready))
	}
	c.lastDes = dec.Target
	return nil
}

// advanceTransition moves traffic onto replicas that became ready.
func (c *Controller) advanceTransition(ctx context.Context, now time.Time, st actuator.State, fail func(string, error), rep *Report) {
	if c.transitioner == nil || !c.servingKnown {
		// The replicas serving when the Controller starts already take
		// their share.
		c.serving, c.servingKnown = st.Ready, true
		return
	}
	if st.Ready < c.serving {
		c.serving = st.Ready
	}
	if c.plan == nil && st.Ready > c.serving {
		c.plan = &transition.Plan{From: c.serving, To: st.Ready, Started: now}
	}
	if c.plan == nil {
		return
	}
	c.plan.To = max(c.plan.To, st.Ready)
	status, err := c.transitioner.Advance(ctx, now, *c.plan)
	rep.Transition = status
	if err != nil {
		fail("transition", err)
		return
	}
	if status.Done {
		c.serving = c.plan.To
		c.plan = nil
	}
}

func (c *Controller) alert(ctx context.Context, rep *Report, a Alert) {
	rep.Alerts = append(rep.Alerts, a)
	c.inst.count(ctx, c.inst.alerts, "kind", a.Kind.String())
	c.log.LogAttrs(ctx, slog.LevelWarn, "alert", slog.String("kind", a.Kind.String()), slog.String("message", a.Message))
	if c.onAlert != nil {
		c.onAlert(a)
	}
}

func (c *Controller) record(ctx context.Context, rep *Report) {
	in := c.inst
	if rep.LoadValid {
		in.load.Record(ctx, rep.Load)
	}
	if rep.Forecast.Len() > 0 {
		mean, upper := rep.Forecast.Peak(rep.LeadSteps)
		lower := 0.0
		for i := 0; i < min(rep.LeadSteps, len(rep.Forecast.Lower)); i++ {
			lower = math.Max(lower, rep.Forecast.Lower[i])
		}
		in.fcMean.Record(ctx, mean)
		in.fcUpper.Record(ctx, upper)
		in.fcLower.Record(ctx, lower)
	}
	in.current.Record(ctx, int64(rep.State.Desired))
	in.ready.Record(ctx, int64(rep.State.Ready))
	in.desired.Record(ctx, int64(rep.Decision.Target))
	in.serving.Record(ctx, int64(c.serving))
	in.leadSec.Record(ctx, c.leadTime.Seconds())
	if rep.Pool.Enabled {
		in.shadowReplicas.Record(ctx, int64(rep.Pool.Desired))
		in.shadowFraction.Record(ctx, rep.Pool.Fraction)
		in.shadowCost.Record(ctx, rep.Pool.CostPerHour)
	}
}

// Run calls Step on each tick of the clock, the first at once, until ctx
// ends; then it returns nil after every goroutine it started has finished.
// Pass errors are logged and counted, never fatal.
func (c *Controller) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		t := c.clock.Ticker(c.cfg.Interval)
		defer t.Stop()
		c.runOnce(ctx, c.clock.Now())
		for {
			select {
			case <-ctx.Done():
				return nil
			case now := <-t.C:
				c.runOnce(ctx, now)
			}
		}
	})
	return g.Wait()
}

func (c *Controller) runOnce(ctx context.Context, now time.Time) {
	if ctx.Err() != nil {
		return
	}
	rep, err := c.Step(ctx, now)
	if c.onReport != nil {
		c.onReport(rep, err)
	}
}
