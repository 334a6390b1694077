package mirror

import "errors"

// Sentinel errors callers can branch on with errors.Is.
var (
	// ErrInvalidConfig wraps every configuration error returned by
	// Config.Validate, New and NewVerifier.
	ErrInvalidConfig = errors.New("mirror: invalid config")
	// ErrFraction is returned by SetFraction for a value outside [0, 1] or NaN.
	ErrFraction = errors.New("mirror: fraction must be in [0, 1]")
	// ErrClosed is returned by Close when the Tee was already closed.
	ErrClosed = errors.New("mirror: tee closed")
	// ErrBadSignature is returned by Verify for a marked request whose
	// signature is missing, malformed, stale or wrong.
	ErrBadSignature = errors.New("mirror: bad shadow signature")
)
