package policy

import "errors"

// Errors callers branch on.
var (
	// ErrInvalidInput reports an Input a policy cannot decide on (a
	// non-positive PerReplica, a TargetUtilization outside (0, 1], Min > Max).
	ErrInvalidInput = errors.New("policy: invalid input")
)
