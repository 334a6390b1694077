// Package shadow holds the Shadow Manager: the Controller that owns the
// predictive autoscaling loop, the shadow pool it sizes, and the alerts it
// raises.
//
// A Controller is built from four required roles (a MetricsSource, a
// forecast.Forecaster, a policy.Policy and an actuator.Actuator for
// production) and optional ones given as options: a shadow pool
// (WithShadowPool: a mirror.Mirror and a second Actuator for the shadow
// replicas), a transition.Transitioner and a transition.Drainer, a clock, a
// logger, a MeterProvider and an alert handler.
//
// Step(ctx, now) runs one reconcile pass and is what trace replays and tests
// call; Run(ctx) calls Step on each tick of the clock until ctx ends. Every
// decision inside a pass is pure and takes now explicitly.
//
// # Shadow pool
//
// The pool provisions shadow replicas only when there is signal to learn
// from: enough history, a rolling one-step forecast error under
// PoolConfig.MaxForecastError and a predicted load above PoolConfig.MinLoad,
// each held for ProvisionAfter passes (DeprovisionAfter to remove them). It
// sizes the pool as PoolConfig.Scale of the replicas the predicted peak
// needs, growing by at most MaxStepUp a pass, on the cheapest catalog
// instance type that fits, and sets the mirrored fraction so that each ready
// shadow receives PoolConfig.ProbeUtilization × PerReplica of the predicted
// load. The shadows' latency is then a replica's latency at that
// utilization, whatever the forecast error: a rise means each replica now serves
// less than Config.PerReplica (for example a slower release), which request
// rates alone cannot show.
//
// # Metrics
//
// The Controller records through the MeterProvider given with
// WithMeterProvider (the global one by default), meter
// "github.com/shadowscale/shadowscale/shadow":
//
//	shadowscale.load                 gauge    observed load on the scaling metric
//	shadowscale.forecast.mean        gauge    peak forecast mean over the lead time
//	shadowscale.forecast.lower       gauge    peak forecast lower bound over the lead time
//	shadowscale.forecast.upper       gauge    peak forecast upper bound over the lead time
//	shadowscale.replicas.current     gauge    production replicas requested before the pass
//	shadowscale.replicas.ready       gauge    production replicas serving
//	shadowscale.replicas.desired     gauge    production replicas the decision asked for
//	shadowscale.replicas.serving     gauge    replicas with their full traffic share
//	shadowscale.decisions            counter  decisions, attribute action
//	shadowscale.errors               counter  dependency failures, attribute dependency
//	                                          (metrics, forecast, actuator, policy, shadow, transition, drain, anomaly)
//	shadowscale.alerts               counter  alerts, attribute kind
//	shadowscale.shadow.latency       gauge    shadow p95 latency, seconds
//	shadowscale.shadow.error_rate    gauge    shadow error rate
//	shadowscale.shadow.replicas      gauge    shadow replicas requested
//	shadowscale.shadow.fraction      gauge    fraction of production traffic mirrored
//	shadowscale.shadow.cost          gauge    shadow pool cost per hour
//	shadowscale.shadow.triggered     counter  scale-ups the shadow signal caused
//	shadowscale.lead_time            gauge    provisioning lead time in use, seconds
//
// # Logs
//
// Dependency failures and alerts are logged at Warn, decisions that change
// capacity at Info and every pass at Debug, through the *slog.Logger given
// with WithLogger (slog.Default() otherwise).
package shadow
