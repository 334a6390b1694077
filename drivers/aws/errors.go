package aws

import (
	"context"
	"errors"
	"net/http"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/shadowscale/shadowscale/actuator"
)

// Errors callers branch on. All are returned wrapped in an
// [actuator.PermanentError].
var (
	// ErrGroupNotFound reports that DescribeAutoScalingGroups does not
	// know the group.
	ErrGroupNotFound = errors.New("aws: auto scaling group not found")
	// ErrOutsideLimits reports a target below the group's MinSize or above
	// its MaxSize. The group was scaled to the nearest limit; the error is
	// a [*LimitedError] carrying the numbers.
	ErrOutsideLimits = errors.New("aws: target outside the group's limits")
	// ErrSuspended reports that an operator suspended the process the
	// change needs (Launch to scale out, Terminate to scale in). The
	// group was left alone.
	ErrSuspended = errors.New("aws: scaling process suspended on the group")
)

// LimitedError reports that Scale set the group to the nearest of its
// limits instead of the target asked for. It is the core's
// [actuator.LimitedError]: Driver "aws", Group the Auto Scaling group's
// name, Min and Max its MinSize and MaxSize, Err ErrOutsideLimits (so
// errors.Is(err, ErrOutsideLimits) holds). Scale returns it wrapped in an
// [actuator.PermanentError], since asking again gives the same answer.
type LimitedError = actuator.LimitedError

func limitedError(group string, requested, applied, lo, hi int) error {
	return actuator.Permanent(&LimitedError{Driver: "aws", Group: group, Requested: requested, Applied: applied, Min: lo, Max: hi, Err: ErrOutsideLimits})
}

// permanentCodes are API error codes that retrying cannot fix: bad input,
// an unknown group (the service reports it as ValidationError) and missing
// or refused credentials.
var permanentCodes = map[string]struct{}{
	"ValidationError":             {},
	"InvalidParameterValue":       {},
	"InvalidParameterCombination": {},
	"MissingParameter":            {},
	"InvalidAction":               {},
	"AccessDenied":                {},
	"AccessDeniedException":       {},
	"UnauthorizedOperation":       {},
	"AuthFailure":                 {},
	"InvalidClientTokenId":        {},
	"UnrecognizedClientException": {},
	"SignatureDoesNotMatch":       {},
	"MissingAuthenticationToken":  {},
	"OptInRequired":               {},
	"ServiceLinkedRoleFailure":    {},
}

// transientCodes are client-fault codes that clear up by themselves.
var transientCodes = map[string]struct{}{
	"ScalingActivityInProgress": {},
	"ResourceContention":        {},
	"ExpiredToken":              {}, // credentials providers refresh it
	"RequestExpired":            {},
}

// classify wraps err with actuator.Permanent when retrying cannot fix it.
// Throttling, retryable codes, server faults (5xx), HTTP 429, connection
// errors and context errors stay transient.
func classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		if _, ok := permanentCodes[code]; ok {
			return actuator.Permanent(err)
		}
		if _, ok := transientCodes[code]; ok {
			return err
		}
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == awssdk.TrueTernary ||
		retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == awssdk.TrueTernary {
		return err
	}
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) {
		switch code := resp.HTTPStatusCode(); {
		case code == http.StatusTooManyRequests || code >= 500:
			return err
		case code == http.StatusBadRequest || code == http.StatusUnauthorized ||
			code == http.StatusForbidden || code == http.StatusNotFound:
			return actuator.Permanent(err)
		}
	}
	if api != nil && api.ErrorFault() == smithy.FaultClient {
		return actuator.Permanent(err)
	}
	return err
}
