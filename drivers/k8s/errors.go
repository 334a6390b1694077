package k8s

import (
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/shadowscale/shadowscale/actuator"
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
