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
// call; Run(ctx) calls Step on each tick of the clock until ctx ends. A pass
// has three phases: gather (every read, concurrently, each under
// Config.CallTimeout, no lock held; the actuators' Current retried on
// transient errors within it), decide (no I/O: the Plan, from the
// observed values and the Controller's state) and apply (the Plan's calls,
// with retries, compensating a failed scale-down). The Report carries the
// Plan, what apply achieved and typed Conditions (AbleToScale,
// ScalingActive, ScalingLimited, ForecastTrusted, ShadowSignal, Held) with
// reason codes.
//
// # Faults
//
// One bad sample, a clock jump or a plug-in bug never turns against
// production:
//
//   - a sample far outside its metric's recent distribution (beyond doubling
//     or halving plus six robust deviations of the last 32 values, the
//     deviation the smaller of their spread and of the noise from one
//     value to the next, which a ramp across them does not widen; in a
//     young history of fewer than ten values, above ten times their
//     median or three times their largest, or below a tenth of the median
//     and below one replica's capacity) is
//     suspect: alerted (AlertSuspectSample) and kept out of the
//     history and the forecaster until the next pass or another metric
//     with a new reading far on the same side confirms it; once a step is
//     confirmed, the samples after it that lie as far on the same side of
//     the window (which has not caught up with the new level yet) continue
//     it and are not suspect again, unless more than three times above
//     its last value; a sample more than ten times the recent median is
//     confirmed only by its own metric's next reading; a pass on
//     which every metric lies that far below adds no capacity but what the
//     shadows ask for (the load fell: a forecaster's interval its misses on
//     the fall widen is no reason to scale up; ReasonLoadFell);
//     meanwhile a sample far above lets the pass add at most half the
//     capacity, or one replica where half is none (at one replica, or
//     scaled to zero), and remove none (a real surge gets a head start, a
//     glitch costs little; while an earlier head start still stands, half of
//     what production stood at before it, so that head starts do not
//     stack), a sample far below holds the pass; a next sample
//     equal bit for bit to a held one more than ten times the recent
//     median (the source serving its last reading again: a gauge whose
//     scrapes went missing, within Prometheus's lookback) confirms nothing
//     and adds no capacity until the value has lasted
//     Config.SourceLookback (5m); with scrape times (Sample.Scraped), a
//     sample of the same scrape as the held one, whatever its size,
//     confirms nothing until a new reading (a new scrape, of the same
//     value too) does; nor does a next sample more than ten
//     times apart from the held one, the larger beyond ten times any load
//     seen (a glitch after a glitch), nor a fall another metric confirms
//     (which confirms a step of its own);
//   - a run of zeros the forecaster takes for a monitoring outage
//     (forecast.ZeroHolder, as Auto does) is reported (Report.HeldZeros)
//     and alerted (AlertZeroRun) when it starts and when it ends;
//   - a pass time that goes backwards or jumps forward by more than ten
//     intervals is held; the next pass either returns to the old timeline
//     (reading back what was missed since the last observation, as after
//     any gap) or confirms the new one, which re-anchors the observation
//     grid (a backward step) or leaves a gap (a forward one, read back
//     from a HistorySource);
//   - forecasts are validated (horizon length, finite values, Lower ≤ Mean
//     ≤ Upper, Start on the grid, upper bound within 10 × a robust high
//     load) and an invalid one holds the pass with a reason naming the
//     forecaster;
//   - a panic in any dependency or plug-in is recovered into an error
//     (*PanicError) and holds the pass;
//   - a scale-down is never made while a metric is missing, and replicas
//     drained for a scale-down that then fails are returned to service
//     (with a transition.Undrainer).
//
// # The bound the policies provision for
//
// The largest per-step upper bound of a central interval covers the peak of
// a window less often than its level says. When the forecaster implements
// forecast.PeakBounder (forecast.Auto does), the Controller asks it for a
// bound on the peak of the lead window at the one-sided level of the
// interval's upper end, (1 + Config.Level) / 2, and hands it to the policy
// as policy.Input.PeakUpper (and to Report.PeakUpper); the forecast keeps
// its per-step bounds. Threshold, through Headroom, provisions for the
// bound; the Planner plans with the per-step bounds.
//
// # Forecast-only mode and several metrics
//
// With Config.ForecastOnly the Controller observes, forecasts and decides
// as a live one would from the same observed state, and applies nothing.
// WithMetric adds metrics (CPU, memory, network I/O) with their own
// per-replica capacity and forecaster; the Controller provisions for the
// metric that needs the most replicas and Report.Metric names it.
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
//	shadowscale.forecast.held_zeros  gauge    steps of zeros the forecaster holds back as a possible outage
//	shadowscale.replicas.current     gauge    production replicas requested before the pass
//	shadowscale.replicas.ready       gauge    production replicas serving
//	shadowscale.replicas.desired     gauge    production replicas the decision asked for
//	shadowscale.replicas.serving     gauge    replicas with their full traffic share
//	shadowscale.decisions            counter  decisions, attribute action
//	shadowscale.errors               counter  dependency failures, attribute dependency
//	                                          (metrics, clock, forecast, actuator, policy, shadow, transition, drain, anomaly, panic)
//	shadowscale.alerts               counter  alerts, attribute kind
//	shadowscale.shadow.latency       gauge    shadow p95 latency, seconds
//	shadowscale.shadow.error_rate    gauge    shadow error rate
//	shadowscale.shadow.replicas      gauge    shadow replicas requested
//	shadowscale.shadow.fraction      gauge    fraction of production traffic mirrored
//	shadowscale.shadow.cost          gauge    shadow pool cost per hour
//	shadowscale.shadow.triggered     counter  scale-ups the shadow signal caused
//	shadowscale.lead_time            gauge    provisioning lead time in use, seconds
//	shadowscale.condition            gauge    1 when a condition holds, attributes type and reason
//
// # Logs
//
// Dependency failures and alerts are logged at Warn, decisions that change
// capacity at Info and every pass at Debug, through the *slog.Logger given
// with WithLogger (slog.Default() otherwise).
package shadow
