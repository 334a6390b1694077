package shadow

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/mirror"
)

// observations is what the gather phase read: plain values and the error
// of each read.
type observations struct {
	sample    Sample
	sampleErr error
	state     actuator.State
	stateErr  error
	// The shadow pool's group and the mirror's stats, read only when the
	// Controller has a pool.
	poolRead bool
	pool     actuator.State
	poolErr  error
	stats    mirror.Stats
	statsErr error
}

// gather reads every dependency the decision needs, concurrently, each
// under Config.CallTimeout and with panics turned into errors. It holds no
// lock: a slow dependency delays only its own pass.
func (c *Controller) gather(ctx context.Context, now time.Time) observations {
	var o observations
	var g errgroup.Group
	g.Go(func() error {
		o.sample, o.sampleErr = call(ctx, c.cfg.CallTimeout, "metrics source Sample", func(ctx context.Context) (Sample, error) {
			return c.deps.Source.Sample(ctx, now)
		})
		return nil
	})
	g.Go(func() error {
		o.state, o.stateErr = call(ctx, c.cfg.CallTimeout, "production actuator Current", c.deps.Production.Current)
		return nil
	})
	if c.poolCfg != nil {
		o.poolRead = true
		g.Go(func() error {
			o.pool, o.poolErr = call(ctx, c.cfg.CallTimeout, "shadow actuator Current", c.shadowAct.Current)
			return nil
		})
		g.Go(func() error {
			o.stats, o.statsErr = call(ctx, c.cfg.CallTimeout, "mirror Stats", c.mirror.Stats)
			return nil
		})
	}
	_ = g.Wait()
	return o
}

// withTimeout is context.WithTimeout, or WithCancel when d ≤ 0.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// call runs f under timeout (none when timeout ≤ 0) and turns a panic into
// an error naming what panicked.
func call[T any](ctx context.Context, timeout time.Duration, what string, f func(context.Context) (T, error)) (v T, err error) {
	cctx, cancel := withTimeout(ctx, timeout)
	defer cancel()
	defer recoverInto(&err, what)
	return f(cctx)
}

// recoverInto turns a panic into *err. Use as: defer recoverInto(&err, "x").
func recoverInto(err *error, what string) {
	if r := recover(); r != nil {
		*err = &PanicError{What: what, Value: r, Stack: string(debug.Stack())}
	}
}

// PanicError reports a dependency or plug-in that panicked; the Controller
// recovered and treats it as a failure of that dependency.
type PanicError struct {
	// What names the dependency and the method.
	What string
	// Value is what it panicked with.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack string
}

func (e *PanicError) Error() string { return fmt.Sprintf("%s panicked: %v", e.What, e.Value) }
