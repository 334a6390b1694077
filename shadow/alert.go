package shadow

import (
	"time"

	"github.com/shadowscale/shadowscale/internal/enum"
)

// AlertKind classifies alerts.
type AlertKind int

// Alert kinds.
const (
	// AlertAnomaly: the observed load fell outside the 99% band of the
	// previous pass's one-step forecast (or the configured detector said
	// so).
	AlertAnomaly AlertKind = iota + 1
	// AlertShadowDivergence: the shadows' p95 latency exceeded
	// PoolConfig.DivergenceFactor × its baseline (error rates are not
	// compared).
	AlertShadowDivergence
	// AlertActuationFailures: Config.ActuationFailureAlert actuations in a
	// row failed.
	AlertActuationFailures
	// AlertSuspectSample: a metric sample lay far outside its recent
	// distribution; it is not acted on until confirmed. Also raised once
	// when such samples recur at one level (a load that comes and goes
	// between passes) and are taken as load from then on.
	AlertSuspectSample
	// AlertZeroRun: the forecaster of a metric began to hold back a run of
	// zeros as a possible monitoring outage (forecast.ZeroHolder), or such
	// a run ended: load returned, or the zeros outlasted the forecaster's
	// patience and are fed as load.
	AlertZeroRun
)

// String returns the kind's name.
func (k AlertKind) String() string {
	return enum.Name(k, "alert", alertKindNames)
}

var alertKindNames = []string{AlertAnomaly: "anomaly", AlertShadowDivergence: "shadow_divergence", AlertActuationFailures: "actuation_failures", AlertSuspectSample: "suspect_sample", AlertZeroRun: "zero_run"}

// Alert is raised by a pass that saw something an operator should know.
type Alert struct {
	// Kind classifies the alert.
	Kind AlertKind
	// Time is the pass time.
	Time time.Time
	// Message says what was seen, with the numbers.
	Message string
}
