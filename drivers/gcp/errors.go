package gcp

import (
	"context"
	"errors"
	"net/http"

	"google.golang.org/api/googleapi"

	"github.com/shadowscale/shadowscale/actuator"
)

// reasonNotReady is the 400 reason Compute Engine gives while another
// operation is still changing the resource; it clears by itself.
const reasonNotReady = "resourceNotReady"

// classify wraps err with actuator.Permanent when retrying cannot fix it:
// googleapi errors 400 (bad request), 401, 403 and 404. Everything else
// (409, 412, 429, 5xx, network and context errors) stays transient.
func classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		return err
	}
	for _, it := range gerr.Errors {
		if it.Reason == reasonNotReady {
			return err
		}
	}
	switch gerr.Code {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		return actuator.Permanent(err)
	}
	return err
}
