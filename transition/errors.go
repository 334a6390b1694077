package transition

import "errors"

// Errors callers branch on. Errors returned by this package wrap one of
// these with the offending values, so test them with errors.Is.
var (
	// ErrInvalidConfig reports a Config field out of range.
	ErrInvalidConfig = errors.New("transition: invalid config")
	// ErrInvalidPlan reports a Plan with a negative replica count.
	ErrInvalidPlan = errors.New("transition: invalid plan")
	// ErrInvalidCount reports a negative number of replicas to drain.
	ErrInvalidCount = errors.New("transition: invalid count")
	// ErrUnknownBackend reports a backend name the Router does not hold.
	ErrUnknownBackend = errors.New("transition: unknown backend")
	// ErrDuplicateBackend reports a backend name the Router already holds.
	ErrDuplicateBackend = errors.New("transition: duplicate backend")
	// ErrInvalidBackend reports a Backend with no name, no target or a
	// weight that is negative, NaN or infinite.
	ErrInvalidBackend = errors.New("transition: invalid backend")
	// ErrNotEnoughBackends reports a drain or weight shift that needs more
	// serving backends than the Router holds.
	ErrNotEnoughBackends = errors.New("transition: not enough backends")
	// ErrAlreadyDraining reports a backend chosen for a drain that another
	// drain already holds.
	ErrAlreadyDraining = errors.New("transition: backend already draining")
)
