package gcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	"github.com/shadowscale/shadowscale/actuator"
)

// Errors callers branch on.
var (
	// ErrAutoscalerAttached reports a group an autoscaler manages: Scale
	// refuses it, wrapped in an [actuator.PermanentError]. Detach the
	// autoscaler (or set its mode to OFF and delete it) to let the
	// Controller size the group.
	ErrAutoscalerAttached = errors.New("gcp: an autoscaler is attached to the group")
	// ErrOutsideLimits reports a target below Config.MinSize or above the
	// maximum size; see [LimitedError].
	ErrOutsideLimits = errors.New("gcp: target outside the group's limits")
)

// LimitedError reports that Scale resized the group to the nearest of its
// limits instead of the target asked for. It is the core's
// [actuator.LimitedError]: Driver "gcp", Group the group's resource path,
// Min and Max the limits in force, Err ErrOutsideLimits (so errors.Is(err,
// ErrOutsideLimits) holds). Scale returns it wrapped in an
// [actuator.PermanentError], since asking again gives the same answer.
type LimitedError = actuator.LimitedError

func limitedError(group string, requested, applied, lo, hi int) error {
	return actuator.Permanent(&LimitedError{Driver: "gcp", Group: group, Requested: requested, Applied: applied, Min: lo, Max: hi, Err: ErrOutsideLimits})
}

// OperationError is a resize operation that came back with errors.
type OperationError struct {
	// Operation is the operation's name.
	Operation string
	// Codes and Messages are the operation's errors, in order.
	Codes, Messages []string
}

// Error implements error.
func (e *OperationError) Error() string {
	parts := make([]string, len(e.Codes))
	for i := range e.Codes {
		parts[i] = e.Codes[i] + ": " + e.Messages[i]
	}
	return fmt.Sprintf("operation %s failed: %s", e.Operation, strings.Join(parts, "; "))
}

func operationError(op *compute.Operation) *OperationError {
	e := &OperationError{Operation: op.Name}
	for _, it := range op.Error.Errors {
		if it != nil {
			e.Codes = append(e.Codes, it.Code)
			e.Messages = append(e.Messages, it.Message)
		}
	}
	return e
}

// Reasons (in googleapi errors) and codes (in operation errors) that clear
// by themselves: another operation still changing the group, rate limits,
// a zone out of the machine type for now, backend trouble.
var transientReasons = map[string]struct{}{
	"resourceNotReady":                          {},
	"RESOURCE_NOT_READY":                        {},
	"rateLimitExceeded":                         {},
	"userRateLimitExceeded":                     {},
	"RATE_LIMIT_EXCEEDED":                       {},
	"backendError":                              {},
	"internalError":                             {},
	"INTERNAL_ERROR":                            {},
	"ZONE_RESOURCE_POOL_EXHAUSTED":              {},
	"ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS": {},
	"RESOURCE_OPERATION_RATE_EXCEEDED":          {},
}

// Reasons and codes that retrying cannot fix: a quota (raising it is an
// operator's decision), a missing resource, a refused permission, bad input.
var permanentReasons = map[string]struct{}{
	"quotaExceeded":           {},
	"QUOTA_EXCEEDED":          {},
	"notFound":                {},
	"RESOURCE_NOT_FOUND":      {},
	"forbidden":               {},
	"PERMISSION_DENIED":       {},
	"invalid":                 {},
	"INVALID_FIELD_VALUE":     {},
	"INVALID_USAGE":           {},
	"CONDITION_NOT_MET":       {},
	"accessNotConfigured":     {},
	"required":                {},
	"badRequest":              {},
	"insufficientPermissions": {},
}

// classify wraps err with actuator.Permanent when retrying cannot fix it.
// A reason in the error's details decides first (a 403 rateLimitExceeded is
// transient, a 403 quotaExceeded permanent); then the status: 400, 401, 403
// and 404 are permanent, 409, 412, 429 and 5xx transient. Network and
// context errors stay transient.
func classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		return err
	}
	for _, it := range gerr.Errors {
		if _, ok := transientReasons[it.Reason]; ok {
			return err
		}
	}
	for _, it := range gerr.Errors {
		if _, ok := permanentReasons[it.Reason]; ok {
			return actuator.Permanent(err)
		}
	}
	switch gerr.Code {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		return actuator.Permanent(err)
	}
	return err
}

// classifyOperation wraps an operation's error with actuator.Permanent when
// any of its codes is permanent and none transient; unknown codes stay
// transient.
func classifyOperation(e *OperationError) error {
	for _, c := range e.Codes {
		if _, ok := transientReasons[c]; ok {
			return e
		}
	}
	for _, c := range e.Codes {
		if _, ok := permanentReasons[c]; ok {
			return actuator.Permanent(e)
		}
	}
	return e
}
