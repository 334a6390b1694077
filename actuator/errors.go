package actuator

import (
	"errors"
	"fmt"
)

// Errors callers branch on.
var (
	// ErrInvalidTarget reports a negative target.
	ErrInvalidTarget = errors.New("actuator: invalid target")
)

// PermanentError marks an error that retrying cannot fix.
type PermanentError struct {
	// Err is the error retrying cannot fix.
	Err error
}

// Error implements error.
func (e *PermanentError) Error() string { return fmt.Sprintf("permanent: %v", e.Err) }

// Unwrap returns the wrapped error.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a PermanentError. It returns nil for nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err or any error it wraps is a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
