package shadow

import (
	"time"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/transition"
)

// Report describes one pass: what was observed, the Plan decided from it
// and what applying the Plan achieved.
type Report struct {
	// Time is the pass time.
	Time time.Time
	// Load is the observed scaling metric (the last accepted value when
	// LoadValid is false).
	Load float64
	// LoadValid is false when the scaling metric was missing, invalid or
	// suspect this pass.
	LoadValid bool
	// Sample holds every metric the source reported.
	Sample Sample
	// Metric is the metric that drove the decision: the one whose
	// predicted need for replicas was largest (Config.Metric with a single
	// metric).
	Metric Metric
	// Restored is true on the first pass when the Controller's state was
	// restored from its StateStore.
	Restored bool
	// Backfilled is how many past observations of Config.Metric the pass
	// read from a HistorySource (on the first pass, or after a gap).
	Backfilled int
	// HeldZeros is how many steps of zeros of Config.Metric its forecaster
	// holds back as a possible monitoring outage (forecast.ZeroHolder), 0
	// when none: its forecasts continue from the last load it saw.
	HeldZeros int
	// Suspect lists the metrics whose sample this pass lay far outside
	// their recent distribution and waits for confirmation.
	Suspect []Metric
	// Forecast is the forecast over the lead horizon in units of
	// Config.Metric (with several metrics, the step-wise maximum of each
	// metric's forecast converted to replicas' worth of Config.Metric);
	// empty when there was none.
	Forecast forecast.Forecast
	// PeakUpper is the bound on the peak load over the lead horizon that
	// the policy was given (policy.Input.PeakUpper), in units of
	// Config.Metric: the forecaster's bound at the one-sided level
	// (1 + Config.Level) / 2 when it implements forecast.PeakBounder, 0
	// when it does not or has too little history. Forecast.Upper stays the
	// per-step bound.
	PeakUpper float64
	// LeadSteps is the forecast horizon in steps.
	LeadSteps int
	// State is the production group as read this pass.
	State actuator.State
	// Decision is the decision after the final bounds. When the pass held,
	// Decision is NoChange with the reason.
	Decision policy.Decision
	// Held is true when the pass held capacity; the Held condition gives
	// the cause.
	Held bool
	// Actuated is true when a production Scale request was accepted this
	// pass.
	Actuated bool
	// Shadow is the shadow signal the policy saw.
	Shadow policy.Shadow
	// Pool is the shadow pool after the pass.
	Pool PoolStatus
	// Transition is the traffic transition status, when one is under way.
	Transition transition.Status
	// Plan is what the pass decided to do.
	Plan Plan
	// Applied is what carrying out the Plan achieved.
	Applied Applied
	// Conditions are the machine-readable status of the pass, one per
	// ConditionType.
	Conditions []Condition
	// Alerts raised by the pass.
	Alerts []Alert
}

// Condition returns the condition of type t and whether the Report has it.
func (r Report) Condition(t ConditionType) (Condition, bool) {
	for _, c := range r.Conditions {
		if c.Type == t {
			return c, true
		}
	}
	return Condition{}, false
}

// Plan is the outcome of a pass's decision: every side effect the pass
// asks for, computed from observed values only.
type Plan struct {
	// Target is the production replica count decided (State.Desired when
	// nothing changes).
	Target int
	// Scale is true when production is to be scaled to Target.
	Scale bool
	// Drain is how many serving replicas to drain before a scale-down.
	Drain int
	// PoolTarget is the shadow replica count decided.
	PoolTarget int
	// ScalePool is true when the pool is to be scaled to PoolTarget.
	ScalePool bool
	// Fraction is the mirrored fraction decided.
	Fraction float64
	// SetFraction is true when Fraction is to be set on the mirror.
	SetFraction bool
	// Transition, when not nil, is the traffic move to advance.
	Transition *transition.Plan
	// ForecastOnly is true when the Controller runs in forecast-only mode:
	// the Plan is computed and reported, nothing is applied.
	ForecastOnly bool
}

// Applied is what applying a Plan achieved.
type Applied struct {
	// Drained is how many replicas were drained; Undrained how many of
	// them were returned to service because the scale-down failed.
	Drained, Undrained int
	// Scaled is true when production accepted Plan.Target, or scaled to
	// LimitedTo instead.
	Scaled bool
	// LimitedTo, when Limit is not empty, is the target production applied
	// instead of Plan.Target (an actuator.Limited error: the group's own
	// bounds clamped it).
	LimitedTo int
	// Limit says why the target was limited; empty when it was not.
	Limit string
	// PoolScaled is true when the shadow pool accepted Plan.PoolTarget.
	PoolScaled bool
	// FractionSet is true when the mirror accepted Plan.Fraction.
	FractionSet bool
	// Transition is the status Advance returned.
	Transition transition.Status
	// Errors are the failures of the apply phase, in order.
	Errors []error
}

// ConditionType names one aspect of a pass's status, in the spirit of the
// Kubernetes HPA's conditions.
type ConditionType string

// Condition types.
const (
	// AbleToScale: production could be read and, when asked, scaled.
	AbleToScale ConditionType = "AbleToScale"
	// ScalingActive: the metrics were read and a decision computed from
	// them.
	ScalingActive ConditionType = "ScalingActive"
	// ScalingLimited: the decision was bounded by MinReplicas, MaxReplicas
	// (or a raised ceiling), or a scale-down was refused while a metric
	// was missing.
	ScalingLimited ConditionType = "ScalingLimited"
	// ForecastTrusted: the forecast passed validation and was used.
	ForecastTrusted ConditionType = "ForecastTrusted"
	// ShadowSignal: the shadow pool gave a valid signal.
	ShadowSignal ConditionType = "ShadowSignal"
	// Held: the pass held capacity; the reason names the cause.
	Held ConditionType = "Held"
)

// Condition is one typed status of a pass.
type Condition struct {
	// Type says which aspect this is.
	Type ConditionType
	// Status is true when the condition holds.
	Status bool
	// Reason is a CamelCase code a program can branch on (see the
	// Reason* constants).
	Reason string
	// Message says the same for a person, with the numbers.
	Message string
}

// Reason codes of Conditions.
const (
	ReasonSucceededRescale   = "SucceededRescale"
	ReasonReadyForNewScale   = "ReadyForNewScale"
	ReasonFailedGetState     = "FailedGetState"
	ReasonFailedScale        = "FailedScale"
	ReasonForecastOnly       = "ForecastOnly"
	ReasonValidMetric        = "ValidMetricFound"
	ReasonMetricsUnavailable = "MetricsUnavailable"
	ReasonSuspectSample      = "SuspectSample"
	ReasonClockJump          = "ClockJump"
	ReasonDuplicatePass      = "DuplicatePass"
	ReasonDesiredWithinRange = "DesiredWithinRange"
	ReasonTooManyReplicas    = "TooManyReplicas"
	ReasonTooFewReplicas     = "TooFewReplicas"
	ReasonNoScaleDown        = "ScaleDownWhileMetricMissing"
	ReasonLoadFell           = "ScaleUpWhileLoadFell"
	ReasonLimitedByActuator  = "LimitedByActuator"
	ReasonForecastValid      = "ForecastValid"
	ReasonWarmingUp          = "WarmingUp"
	ReasonForecastInvalid    = "ForecastInvalid"
	ReasonForecastFailed     = "ForecasterFailed"
	ReasonImplausible        = "ForecastImplausible"
	ReasonNoPool             = "NoShadowPool"
	ReasonPoolInactive       = "PoolInactive"
	ReasonSignalValid        = "SignalValid"
	ReasonStatsUnavailable   = "StatsUnavailable"
	ReasonNoMirrored         = "NoMirroredRequests"
	ReasonNotHeld            = "NotHeld"
	ReasonProductionUnknown  = "ProductionUnknown"
	ReasonPolicyFailed       = "PolicyFailed"
)
