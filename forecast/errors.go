package forecast

import "errors"

// Errors callers branch on. Returned errors wrap them with context.
var (
	// ErrInvalidValue reports a NaN, infinite or negative observation.
	ErrInvalidValue = errors.New("forecast: invalid value")
	// ErrInsufficientHistory reports a history too short for the model.
	ErrInsufficientHistory = errors.New("forecast: insufficient history")
	// ErrInvalidArgument reports a bad horizon, level, period or parameter.
	ErrInvalidArgument = errors.New("forecast: invalid argument")
)
