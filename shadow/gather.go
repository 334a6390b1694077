package shadow

import (
	"context"
	"errors"
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
	pool     actuator.State
	poolErr  error
	stats    mirror.Stats
	statsErr error
	// History read from a HistorySource before the pass, one slice per
	// scaled metric (Config.Metric first), when the span asked for one.
	backfill    [][]Observation
	backfillErr error
	// backfillRetry: the span retries a start-up backfill that failed.
	backfillRetry bool
}

// span is a span of grid times to backfill.
type span struct {
	from, to time.Time
	ok       bool
	retry    bool // retries a start-up backfill that failed (see refillRetry)
}

// gather reads every dependency the decision needs, each under
// Config.CallTimeout and with panics turned into errors. The actuators'
// Current calls retry transient errors with the retry policy Scale uses,
// within that same deadline. It holds no lock: a slow dependency delays only
// its own pass.
//
// One deadline bounds all the reads, so that a dependency that hangs holds
// the pass up by CallTimeout at most; its timer starts only if a read waits
// on the context (lazyDeadline). The reads run concurrently when there are
// more than the two every pass makes (the metrics source and the production
// group): starting and waiting for a goroutine costs a thread wake-up, as
// much as the rest of the loop, and two reads that return promptly gain
// nothing from it. Those two run one after the other, within the same
// deadline.
func (c *Controller) gather(ctx context.Context, now time.Time, win span) observations {
	ctx, cancel := withLazyTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	hs, backfill := c.deps.Source.(HistorySource)
	if backfill && win.ok || c.poolCfg != nil {
		return c.gatherConcurrently(ctx, now, hs, win)
	}
	var o observations
	o.sample, o.sampleErr = c.readSample(ctx, now)
	o.state, o.stateErr = c.readProduction(ctx)
	return o
}

// gatherConcurrently is gather with a backfill or a shadow pool to read:
// every read but production's on its own goroutine.
func (c *Controller) gatherConcurrently(ctx context.Context, now time.Time, hs HistorySource, win span) observations {
	var o observations
	var g errgroup.Group
	if hs != nil && win.ok {
		o.backfillRetry = win.retry
		g.Go(func() error {
			o.backfill, o.backfillErr = c.readHistory(ctx, hs, win)
			return nil
		})
	}
	g.Go(func() error {
		o.sample, o.sampleErr = c.readSample(ctx, now)
		return nil
	})
	if c.poolCfg != nil {
		g.Go(func() error {
			o.pool, o.poolErr = c.readState(ctx, "shadow actuator Current", c.shadowAct)
			return nil
		})
		g.Go(func() error {
			o.stats, o.statsErr = call(ctx, 0, "mirror Stats", c.mirror.Stats)
			return nil
		})
	}
	o.state, o.stateErr = c.readProduction(ctx)
	_ = g.Wait()
	return o
}

// readState calls a.Current with the retry policy until it succeeds,
// returns a permanent error or panics, the policy's budget is spent, or ctx
// (the gather's deadline of CallTimeout) ends. A status the workload's
// controller has not observed yet (the k8s driver's ErrStatusStale) is
// transient and usually clears within a retry or two. It returns the last
// error Current returned, unchanged; when ctx ended during a wait, that
// error joined with ctx's, so the reason for the retries is not lost.
//
// The first call is made before the retry policy is set up: a read that
// succeeds, as nearly every one does, costs no backoff state (the policy's
// elapsed time then counts from the first failure).
func (c *Controller) readState(ctx context.Context, what string, a actuator.Actuator) (actuator.State, error) {
	st, last := call(ctx, 0, what, a.Current)
	if last == nil {
		return st, nil
	}
	first := true
	err := actuator.Do(ctx, c.retry, func(ctx context.Context) error {
		if !first {
			st, last = call(ctx, 0, what, a.Current)
		}
		first = false
		if _, panicked := last.(*PanicError); panicked {
			return actuator.Permanent(last)
		}
		return last
	})
	switch {
	case err == nil:
		return st, nil
	case last == nil:
		return actuator.State{}, err
	case ctx.Err() != nil && errors.Is(err, ctx.Err()) && !errors.Is(last, ctx.Err()):
		return actuator.State{}, fmt.Errorf("%w; retries stopped: %w", last, err)
	}
	return actuator.State{}, last
}

// readSample reads the metrics source.
func (c *Controller) readSample(ctx context.Context, now time.Time) (Sample, error) {
	return call(ctx, 0, "metrics source Sample", func(ctx context.Context) (Sample, error) {
		return c.deps.Source.Sample(ctx, now)
	})
}

// readProduction reads the production group, with readState's retries.
func (c *Controller) readProduction(ctx context.Context) (actuator.State, error) {
	return c.readState(ctx, "production actuator Current", c.deps.Production)
}

// readHistory reads the span of every scaled metric; on any error it
// returns none, so that no history is half filled.
func (c *Controller) readHistory(ctx context.Context, hs HistorySource, win span) ([][]Observation, error) {
	metrics := []Metric{c.cfg.Metric}
	for _, m := range c.extra {
		metrics = append(metrics, m.target.Metric)
	}
	out := make([][]Observation, len(metrics))
	for i, m := range metrics {
		obs, err := call(ctx, c.cfg.CallTimeout, "metrics source History", func(ctx context.Context) ([]Observation, error) {
			return hs.History(ctx, m, win.from, win.to, c.cfg.Interval)
		})
		if err != nil {
			return nil, fmt.Errorf("backfill %s from %s to %s: %w", m, win.from.Format(time.RFC3339), win.to.Format(time.RFC3339), err)
		}
		out[i] = obs
	}
	return out, nil
}

// call runs f under timeout (none when timeout ≤ 0) and turns a panic into
// an error naming what panicked.
func call[T any](ctx context.Context, timeout time.Duration, what string, f func(context.Context) (T, error)) (v T, err error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	defer recoverInto(&err, what)
	return f(ctx)
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

// Error implements error: "<What> panicked: <Value>".
func (e *PanicError) Error() string { return fmt.Sprintf("%s panicked: %v", e.What, e.Value) }
