// Package transition moves user traffic between old and new serving
// capacity: onto new replicas gradually once they are ready, and off
// replicas gracefully before they are removed.
//
// The roles are two small interfaces. A [Transitioner] is advanced by the
// Controller once per pass, with the pass's time, while new replicas take
// on their share; a [Drainer] is called before replicas are removed.
//
// The reference implementations:
//
//   - [Steps] raises the new replicas' weight through a list of steps
//     (10%, 25%, 50%, 100% by default), holds each for a minimum dwell,
//     gates every step on a health-check hook and rolls back to weight 0
//     after consecutive failures. It is a pure function of the now it is
//     given and applies weights through a hook.
//   - [Router] is a weighted HTTP router (an http.Handler) over backends
//     that are handlers or URLs, with smooth weighted round-robin or
//     weighted random balancing, weights changeable at run time, draining
//     marks and in-flight counts. (*Router).ApplyWeight is the hook that
//     lets Steps drive it.
//   - [InFlightDrainer] marks backends of a Router draining and returns
//     when their in-flight requests have completed.
//   - [HealthDrainer] stops traffic through a hook and polls a health
//     check until it reports the replicas drained, on the clock of
//     [WithClock] (the real clock by default, which testing/synctest
//     fakes).
//
// Package transitiontest has fakes of both interfaces for tests.
//
// # Metrics
//
// The constructors create these OpenTelemetry instruments from the
// MeterProvider given with [WithMeterProvider] (otel.GetMeterProvider() by
// default), on a Meter named after this package's import path:
//
//	shadowscale.transition.weight            Float64Gauge,   unit 1          Steps: weight last applied to the new replicas, in [0, 1]
//	shadowscale.transition.steps             Int64Counter,   unit {step}     Steps: weights applied (rollbacks excluded)
//	shadowscale.transition.health_failures   Int64Counter,   unit {check}    Steps: failed health checks
//	shadowscale.transition.rollbacks         Int64Counter,   unit {rollback} Steps: transitions rolled back to weight 0
//	shadowscale.transition.drains            Int64Counter,   unit {drain}    drainers: drains finished; attributes drainer (inflight, health), outcome (drained, canceled, error)
//	shadowscale.transition.drained_replicas  Int64Counter,   unit {replica}  drainers: replicas drained; attribute drainer
//	shadowscale.transition.drain.duration    Float64Histogram, unit s        drainers: time from start to end of a drain; attributes drainer, outcome
package transition
