package actuator

import "errors"

// Limited is implemented by errors of actuators that carried out a scale
// but with another target than asked: the group's own bounds (an Auto
// Scaling group's MinSize and MaxSize, say) clamped it. Callers detect it
// with [AsLimited] without importing the driver.
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
