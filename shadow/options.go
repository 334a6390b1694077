package shadow

import (
	"log/slog"

	"github.com/benbjohnson/clock"
	"go.opentelemetry.io/otel/metric"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/mirror"
	"github.com/shadowscale/shadowscale/transition"
)

// Option configures optional collaborators of a Controller.
type Option interface {
	apply(*Controller)
}

type optionFunc func(*Controller)

func (f optionFunc) apply(c *Controller) { f(c) }

// WithMeterProvider records metrics through mp. nil keeps the default, the
// global provider (otel.GetMeterProvider()).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *Controller) {
		if mp != nil {
			c.mp = mp
		}
	})
}

// WithLogger logs through l. nil keeps the default, slog.Default().
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *Controller) {
		if l != nil {
			c.log = l
		}
	})
}

// WithClock drives Run and retry waits with clk. nil keeps the default, the
// real clock. Tests pass clock.NewMock(); replays call Step directly
// instead. mirror.WithClock and transition.WithClock take the same clock,
// so one mock can drive a Controller, its Tee and its drainers.
func WithClock(clk clock.Clock) Option {
	return optionFunc(func(c *Controller) {
		if clk != nil {
			c.clock = clk
		}
	})
}

// WithRetry sets how transient actuation errors are retried: those of
// Scale, each attempt under Config.CallTimeout, and those of Current, all
// attempts within the gather phase's CallTimeout. The zero RetryConfig
// selects the defaults of actuator.RetryConfig.
func WithRetry(rc actuator.RetryConfig) Option {
	return optionFunc(func(c *Controller) { c.retry = rc })
}

// WithShadowPool enables the shadow pool: shadow replicas scaled through
// act and fed a mirrored sample of traffic through m. nil act or m leaves the
// pool disabled.
func WithShadowPool(m mirror.Mirror, act actuator.Actuator, cfg PoolConfig) Option {
	return optionFunc(func(c *Controller) {
		if m != nil && act != nil {
			c.poolCfg = &cfg
			c.mirror = m
			c.shadowAct = act
		}
	})
}

// WithTransitioner shifts traffic to new capacity through t. nil keeps the
// default: new replicas take their full share as soon as they are ready.
func WithTransitioner(t transition.Transitioner) Option {
	return optionFunc(func(c *Controller) { c.transitioner = t })
}

// WithDrainer drains replicas through d before a scale-down removes them.
// nil keeps the default: no draining.
func WithDrainer(d transition.Drainer) Option {
	return optionFunc(func(c *Controller) { c.drainer = d })
}

// WithAlertHandler calls h for every alert, synchronously, from the pass
// that raised it. h must not block. nil keeps the default: alerts are
// logged and counted only.
func WithAlertHandler(h func(Alert)) Option {
	return optionFunc(func(c *Controller) { c.onAlert = h })
}

// WithAnomalyDetector feeds every observation to d and raises AlertAnomaly
// when d reports an alarm (for example forecast.NewBrutlag over a
// forecaster of its own). nil keeps the default: an alert whenever an
// observation falls outside the 99% band of the previous pass's one-step
// forecast (its interval rescaled from Config.Level to 99%). d also learns
// the history read back from a HistorySource (no alert is raised for it),
// and a d that implements forecast.Stateful (forecast.Brutlag does) is
// saved and restored with a StateStore. d may also be Config.Metric's
// forecaster (a forecast.Brutlag given as both): it is then fed each
// observation once, by the forecaster's Observe, and its verdict is read
// with its Last method.
func WithAnomalyDetector(d forecast.AnomalyDetector) Option {
	return optionFunc(func(c *Controller) { c.detector = d })
}

// WithReportHandler calls h with the Report of every pass that Run makes,
// synchronously, after the pass. h must not block.
func WithReportHandler(h func(Report, error)) Option {
	return optionFunc(func(c *Controller) { c.onReport = h })
}

// WithMetric scales on one more metric besides Config.Metric (CPU, memory,
// network I/O, …), forecast by its own forecaster f, as the HPA scales on
// several: each metric needs Replicas(value, PerReplica, TargetUtilization)
// replicas and the Controller provisions for the largest need. The policy
// sees that metric's load and forecast converted into units of
// Config.Metric, and Report.Metric names the metric that drove the
// decision. A zero TargetUtilization selects Config.TargetUtilization. New
// rejects an invalid target, a nil forecaster or a metric given twice.
func WithMetric(target MetricTarget, f forecast.Forecaster) Option {
	return optionFunc(func(c *Controller) { c.extra = append(c.extra, metricOption{target, f}) })
}

// WithStateStore saves the Controller's state to store after every
// Config.SaveEvery passes (default: every pass) and restores it on the
// first pass, so that a restarted Controller keeps its learned lead time,
// robust statistics and shadow pool state. service names the workload: a
// snapshot saved under another name is refused. A corrupt, truncated,
// newer-version, foreign-service, future or stale snapshot (older than
// the history window) is reported as a "state" failure and ignored: the
// Controller starts clean; one of an older schema version is upgraded.
// Loading and saving run outside the decision, and a save never holds a
// pass longer than Config.CallTimeout. A forecaster that implements
// forecast.Stateful, a policy that implements policy.Stateful and an
// anomaly detector that implements forecast.Stateful are saved and
// restored with the rest (a state that does not fit them is reported and
// that plug-in starts clean); the history is read back from a
// HistorySource. With both, the restarted Controller decides as the one
// that saved would have.
func WithStateStore(store StateStore, service string) Option {
	return optionFunc(func(c *Controller) { c.store, c.service = store, service })
}
