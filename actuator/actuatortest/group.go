package actuatortest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/shadowscale/shadowscale/actuator"
)

var _ actuator.Actuator = (*Group)(nil)

// Call records one Scale request.
type Call struct {
	// At is the group's time when Scale was called.
	At time.Time
	// Target is the requested replica count.
	Target int
}

// Group is an in-memory scalable group. A replica requested at t becomes
// ready at the first Current call at or after t + ReadyDelay; removal is
// immediate and takes starting replicas first, newest first.
//
// Errors and latency can be injected. Group is safe for concurrent use.
type Group struct {
	// ReadyDelay is how long a requested replica takes to serve.
	ReadyDelay time.Duration
	// Now tells the group's time; nil uses time.Now. Simulations set it to
	// the replay's current time.
	Now func() time.Time
	// Latency, if positive, delays each call by that long (or until ctx
	// ends), waiting on After.
	Latency time.Duration
	// After waits for Latency; nil uses time.After.
	After func(d time.Duration) <-chan time.Time

	mu         sync.Mutex
	ready      int
	pending    []time.Time // ready-at times, in request order
	calls      []Call
	scaleErrs  []error
	curErrs    []error
	scaleErr   error
	currentErr error
}

// NewGroup returns a Group with ready replicas already serving.
func NewGroup(ready int, delay time.Duration, now func() time.Time) *Group {
	return &Group{ready: ready, ReadyDelay: delay, Now: now}
}

func (g *Group) now() time.Time {
	if g.Now == nil {
		return time.Now()
	}
	return g.Now()
}

func (g *Group) wait(ctx context.Context) error {
	if g.Latency <= 0 {
		return nil
	}
	after := g.After
	if after == nil {
		after = time.After
	}
	select {
	case <-after(g.Latency):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Scale implements actuator.Actuator.
func (g *Group) Scale(ctx context.Context, target int) error {
	if err := g.wait(ctx); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	g.calls = append(g.calls, Call{At: now, Target: target})
	if err := pop(&g.scaleErrs, g.scaleErr); err != nil {
		return err
	}
	if target < 0 {
		return actuator.Permanent(fmt.Errorf("%w: %d", actuator.ErrInvalidTarget, target))
	}
	g.promote(now)
	cur := g.ready + len(g.pending)
	switch {
	case target > cur:
		for i := cur; i < target; i++ {
			g.pending = append(g.pending, now.Add(g.ReadyDelay))
		}
	case target < cur:
		drop := cur - target
		k := min(drop, len(g.pending))
		g.pending = g.pending[:len(g.pending)-k]
		g.ready -= drop - k
	}
	return nil
}

// Current implements actuator.Actuator.
func (g *Group) Current(ctx context.Context) (actuator.State, error) {
	if err := g.wait(ctx); err != nil {
		return actuator.State{}, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := pop(&g.curErrs, g.currentErr); err != nil {
		return actuator.State{}, err
	}
	g.promote(g.now())
	return actuator.State{Desired: g.ready + len(g.pending), Ready: g.ready}, nil
}

// promote moves pending replicas whose time has come to ready.
func (g *Group) promote(now time.Time) {
	n := 0
	for n < len(g.pending) && !g.pending[n].After(now) {
		n++
	}
	g.ready += n
	g.pending = g.pending[n:]
}

// Calls returns the Scale calls so far.
func (g *Group) Calls() []Call {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Call(nil), g.calls...)
}

// FailScale makes the next len(errs) Scale calls return errs in order.
func (g *Group) FailScale(errs ...error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.scaleErrs = append(g.scaleErrs, errs...)
}

// FailCurrent makes the next len(errs) Current calls return errs in order.
func (g *Group) FailCurrent(errs ...error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.curErrs = append(g.curErrs, errs...)
}

// SetScaleError makes every Scale call fail with err until it is set to nil.
func (g *Group) SetScaleError(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.scaleErr = err
}

// SetCurrentError makes every Current call fail with err until it is set to
// nil.
func (g *Group) SetCurrentError(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.currentErr = err
}

func pop(q *[]error, sticky error) error {
	if len(*q) > 0 {
		err := (*q)[0]
		*q = (*q)[1:]
		return err
	}
	return sticky
}
