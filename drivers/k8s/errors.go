package k8s

import (
	"errors"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/shadowscale/shadowscale/actuator"
)

// Errors callers branch on.
var (
	// ErrHPAConflict reports a HorizontalPodAutoscaler targeting the
	// workload; Scale refuses, wrapped in an [actuator.PermanentError].
	ErrHPAConflict = errors.New("k8s: a HorizontalPodAutoscaler scales this workload")
	// ErrStatusStale reports a status the workload's controller has not
	// yet updated for the current spec (transient).
	ErrStatusStale = errors.New("k8s: status not yet observed for the current spec")
	// ErrReplicasChanged reports that another writer changed
	// spec.replicas between Scale's read and its update (transient: the
	// next pass reads the new value).
	ErrReplicasChanged = errors.New("k8s: replicas changed by another writer")
)

// classify wraps err with actuator.Permanent when retrying cannot fix it:
// NotFound, Forbidden, Unauthorized, Invalid, BadRequest, MethodNotSupported
// and NotAcceptable/UnsupportedMediaType. Conflict, TooManyRequests, timeouts,
// internal errors, unavailability and non-API errors stay transient.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case apierrors.IsNotFound(err), apierrors.IsForbidden(err), apierrors.IsUnauthorized(err),
		apierrors.IsInvalid(err), apierrors.IsBadRequest(err), apierrors.IsMethodNotSupported(err),
		apierrors.IsNotAcceptable(err), apierrors.IsUnsupportedMediaType(err):
		return actuator.Permanent(err)
	}
	return err
}
