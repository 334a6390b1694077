package policy

import (
	"fmt"
	"time"

	"github.com/shadowscale/shadowscale/forecast"

	"github.com/shadowscale/shadowscale/internal/enum"
)

// Policy turns the Controller's view of production into a scaling Decision.
//
// Decide is a pure decision: it reads only its Input (time comes in as
// Input.Now) and must not perform I/O. Policies may keep state between calls
// (a stabilization window, a cooldown); the Controller calls Decide from one
// goroutine at a time, in time order. Decide never panics: invalid input is
// an error wrapping ErrInvalidInput, and a returned Decision always has a
// non-empty Reason.
type Policy interface {
	Decide(in Input) (Decision, error)
}

// Func adapts a plain function to the Policy interface.
type Func func(in Input) (Decision, error)

// Decide calls f(in).
func (f Func) Decide(in Input) (Decision, error) { return f(in) }

// Input is everything a Policy may look at for one decision.
type Input struct {
	// Now is the time of the decision.
	Now time.Time
	// Current is the number of replicas requested (serving plus starting).
	Current int
	// Ready is the number of replicas serving.
	Ready int
	// Load is the latest observed load, in load units per second.
	Load float64
	// LoadValid is false when the metrics source failed this pass; Load
	// then holds the last good value, if any.
	LoadValid bool
	// LoadUnconfirmed is true when Load is a sample far above the recent
	// load that neither the next pass nor another metric has confirmed
	// yet: a surge's first sample or a glitch. The Controller lets such a
	// pass add at most half the capacity and remove none; a stateful
	// policy should not learn from it (Ramp leaves it out of its window).
	LoadUnconfirmed bool
	// Forecast predicts the load from the next step on; it is empty
	// (Len() == 0) when the forecaster has nothing to say yet.
	Forecast forecast.Forecast
	// LeadSteps is how many forecast steps the decision must cover: the
	// provisioning lead time plus one interval, in steps.
	LeadSteps int
	// PeakUpper, when positive, is the forecaster's upper bound on the
	// peak load over the first LeadSteps steps, at the one-sided level of
	// the interval's upper end ((1 + Forecast.Level) / 2; see
	// forecast.PeakBounder). The largest per-step upper bound of a central
	// interval covers the peak of a window less often than its level
	// says; this bound is calibrated on the peak itself. Zero when the
	// forecaster gives none; Forecast.Upper stays per step either way.
	// Threshold (through Headroom) provisions for it; see
	// Input.PeakForecast.
	PeakUpper float64
	// Shadow is the shadow pool's signal.
	Shadow Shadow
	// PerReplica is the load one replica serves at 100% utilization.
	PerReplica float64
	// TargetUtilization is the utilization the policy aims for, in (0, 1].
	TargetUtilization float64
	// Min and Max bound the number of replicas.
	Min, Max int
}

// Shadow is the signal from shadow replicas that receive a mirrored sample
// of production traffic.
type Shadow struct {
	// Valid is false when there are no shadows or their stats are missing
	// or stale; the other fields are then meaningless.
	Valid bool
	// Latency is the shadows' p95 latency.
	Latency time.Duration
	// ErrorRate is the fraction of mirrored requests that failed, in [0, 1].
	ErrorRate float64
	// LoadRatio is the shadows' per-replica load relative to the load the
	// Controller planned for them (mirrored load / (ready shadows ×
	// PerReplica × the pool's probe utilization)). The Controller mirrors
	// so that it stays near 1; far from 1 the shadows' latency says more
	// about a forecast miss than about a replica's capacity.
	LoadRatio float64
}

// Action is what a Decision asks for.
type Action int

// Actions.
const (
	NoChange Action = iota
	ScaleUp
	ScaleDown
)

// String returns the action's name.
func (a Action) String() string {
	return enum.Name(a, "action", actionNames)
}

var actionNames = []string{NoChange: "no_change", ScaleUp: "scale_up", ScaleDown: "scale_down"}

// Decision is a policy's answer: the action, the target replicas and why.
type Decision struct {
	// Action is ScaleUp, ScaleDown or NoChange, as Target compares with
	// Input.Current.
	Action Action
	// Target is the number of replicas to request. For NoChange it equals
	// Input.Current.
	Target int
	// Reason names the rule that fired and its numbers.
	Reason string
	// ShadowTriggered is true when the shadow signal (latency or error
	// rate) caused the decision; the Controller counts these to report the
	// value the shadows deliver.
	ShadowTriggered bool
	// Ceiling, when above Input.Max, is the highest target the decision
	// may reach: MaxCapacity with IncreaseMax sets it to the forecast's
	// capacity plus its buffer. The wrappers around it and the Controller
	// bound the target by max(Input.Max, Ceiling) instead of Input.Max.
	// 0 means Input.Max holds.
	Ceiling int
}

// String formats the decision for logs.
func (d Decision) String() string {
	return fmt.Sprintf("%s to %d: %s", d.Action, d.Target, d.Reason)
}
