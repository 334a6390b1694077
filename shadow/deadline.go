package shadow

import (
	"context"
	"sync"
	"time"
)

// lazyDeadline is context.WithDeadline whose timer starts only when a
// callee asks for Done. Most reads of a pass return without waiting, and a
// timer per pass, created and stopped, cost as much as the rest of the
// gather phase; a callee that waits selects on Done, which arms the timer
// (or finds the deadline passed). Err reports the deadline from the clock
// even when Done was never asked for, and the parent's cancellation
// carries through. Cancel releases the timer.
type lazyDeadline struct {
	parent   context.Context
	deadline time.Time

	mu         sync.Mutex
	done       chan struct{} // made by the first Done
	err        error
	timer      *time.Timer
	stopParent func() bool
}

var _ context.Context = (*lazyDeadline)(nil)

// withLazyTimeout returns a context that ends timeout from now (or when
// parent ends) and its cancel function; with timeout ≤ 0, no deadline.
func withLazyTimeout(parent context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if timeout <= 0 {
		return context.WithCancel(parent)
	}
	c := &lazyDeadline{parent: parent, deadline: time.Now().Add(timeout)}
	if d, ok := parent.Deadline(); ok && d.Before(c.deadline) {
		c.deadline = d
	}
	return c, func() { c.cancel(context.Canceled) }
}

// Deadline implements context.Context.
func (c *lazyDeadline) Deadline() (time.Time, bool) { return c.deadline, true }

// Value implements context.Context.
func (c *lazyDeadline) Value(key any) any { return c.parent.Value(key) }

// Done implements context.Context; the first call arms the timer.
func (c *lazyDeadline) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		return c.done
	}
	c.done = make(chan struct{})
	if c.err != nil {
		close(c.done)
		return c.done
	}
	if c.checkLocked(); c.err != nil {
		return c.done // closed by endLocked
	}
	c.timer = time.AfterFunc(time.Until(c.deadline), func() { c.cancel(context.DeadlineExceeded) })
	if c.parent.Done() != nil {
		c.stopParent = context.AfterFunc(c.parent, func() { c.cancel(c.parent.Err()) })
	}
	return c.done
}

// Err implements context.Context.
func (c *lazyDeadline) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checkLocked()
	return c.err
}

// checkLocked ends the context when its parent has ended or the deadline
// has passed.
func (c *lazyDeadline) checkLocked() {
	if c.err != nil {
		return
	}
	if err := c.parent.Err(); err != nil {
		c.endLocked(err)
	} else if !time.Now().Before(c.deadline) {
		c.endLocked(context.DeadlineExceeded)
	}
}

func (c *lazyDeadline) cancel(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endLocked(err)
}

// endLocked ends the context with err, once, and releases the timer.
func (c *lazyDeadline) endLocked(err error) {
	if c.err != nil {
		return
	}
	c.err = err
	if c.done != nil {
		close(c.done)
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.stopParent != nil {
		c.stopParent()
	}
}

// withTimeout is context.WithTimeout, or WithCancel when d ≤ 0.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}
