package transition

import (
	"context"
	"time"
)

// Transitioner shifts user traffic onto new capacity in steps once it is
// ready, so that cold replicas are not hit by a full share at once.
//
// The Controller calls Advance on each pass while a transition is under way
// (Status.Done is false), with the plan and the pass's time; Advance moves at
// most one step and must not block for long. It is called from one goroutine.
type Transitioner interface {
	Advance(ctx context.Context, now time.Time, p Plan) (Status, error)
}

// Drainer takes replicas out of service gracefully before they are removed:
// it stops sending them new requests and waits until their in-flight
// requests complete or their health checks say they may go. Drain returns
// when the n replicas are drained or ctx ends (then with ctx's error). It
// must be safe for concurrent use.
type Drainer interface {
	Drain(ctx context.Context, n int) error
}

// Plan describes one move of serving capacity.
type Plan struct {
	// From is the number of replicas that served before the move.
	From int
	// To is the number of replicas that serve after the move.
	To int
	// Started is when the move began.
	Started time.Time
}

// Status reports how far a transition has gone.
type Status struct {
	// Weight is the share of traffic, in [0, 1], sent to the new replicas
	// relative to their final share.
	Weight float64
	// Done is true when the new capacity takes its full share.
	Done bool
	// Reason explains a hold or a rollback (for example a failing health
	// check); empty otherwise.
	Reason string
}
