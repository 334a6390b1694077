package actuator

import (
	"context"
)

// Actuator changes and reports the capacity of one scalable group (a
// Kubernetes Deployment, an AWS Auto Scaling group, a GCP managed instance
// group, or a pool of shadow replicas).
//
// Scale is idempotent: asking twice for the same target is the same as asking
// once. Implementations must be safe for concurrent use. Errors that retrying
// cannot fix (bad credentials, an unknown group, a target outside the group's
// limits) should be wrapped with [Permanent] so callers stop retrying.
type Actuator interface {
	// Scale requests target replicas. It returns once the request is
	// accepted, not when the replicas are ready.
	Scale(ctx context.Context, target int) error
	// Current reports the requested and ready replicas.
	Current(ctx context.Context) (State, error)
}

// State is the capacity of a group.
type State struct {
	// Desired is the number of replicas requested: serving plus starting.
	Desired int
	// Ready is the number of replicas serving.
	Ready int
}
