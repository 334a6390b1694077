package actuator

import (
	"errors"
	"fmt"
)

// Limited is implemented by errors of actuators that carried out a scale
// but with another target than asked: the group's own bounds (an Auto
// Scaling group's MinSize and MaxSize, say) clamped it. Callers detect it
// with [AsLimited] without importing the driver. [*LimitedError] is the
// implementation the drivers of this module return.
type Limited interface {
	error
	// ScalingLimited returns the target asked for and the one applied.
	ScalingLimited() (requested, applied int)
}

// AsLimited reports whether err is (or wraps) a Limited error, and returns
// it.
func AsLimited(err error) (Limited, bool) {
	var l Limited
	if errors.As(err, &l) {
		return l, true
	}
	return nil, false
}

// LimitedError reports that an actuator set its group to the nearest of
// the group's own limits instead of the target asked for: the scaling was
// limited, as the Kubernetes HPA's ScalingLimited condition says. It
// implements [Limited]. Actuators return it wrapped in a [PermanentError],
// since asking again gives the same answer.
type LimitedError struct {
	// Driver names the actuator in the message ("aws", "gcp"); empty
	// leaves the message without a prefix.
	Driver string
	// Group names the group that was scaled, as the driver knows it.
	Group string
	// Requested is the target asked for.
	Requested int
	// Applied is the size the group was set to (or already had): Min or
	// Max.
	Applied int
	// Min and Max are the group's limits in force.
	Min, Max int
	// Err is the error Unwrap returns, typically the driver's own
	// sentinel so that errors.Is(err, aws.ErrOutsideLimits) holds; nil
	// for none.
	Err error
}

// Error implements error: `aws: group "web": target 50 limited to 20
// [min 2, max 20]`.
func (e *LimitedError) Error() string {
	msg := fmt.Sprintf("group %q: target %d limited to %d [min %d, max %d]", e.Group, e.Requested, e.Applied, e.Min, e.Max)
	if e.Driver != "" {
		msg = e.Driver + ": " + msg
	}
	return msg
}

// Unwrap returns Err.
func (e *LimitedError) Unwrap() error { return e.Err }

// ScalingLimited returns the target asked for and the one applied.
func (e *LimitedError) ScalingLimited() (requested, applied int) { return e.Requested, e.Applied }
