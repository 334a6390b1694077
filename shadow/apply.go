package shadow

import (
	"context"
	"fmt"
	"time"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/transition"
)

// apply carries out a Plan: drain, scale production, scale the shadow pool,
// set the mirrored fraction, advance the transition. Every call runs under
// Config.CallTimeout (draining under DrainTimeout), scale calls with the
// retry policy, and panics become errors. When the scale-down a drain
// prepared for fails, the drained replicas are returned to service (with a
// Drainer that implements transition.Undrainer). apply holds no lock.
func (c *Controller) apply(ctx context.Context, now time.Time, from int, p Plan) Applied {
	var a Applied
	if p.ForecastOnly {
		return a
	}
	fail := func(err error) { a.Errors = append(a.Errors, err) }
	if p.Drain > 0 {
		if _, err := call(ctx, c.cfg.DrainTimeout, "drainer Drain", func(ctx context.Context) (struct{}, error) {
			return struct{}{}, c.drainer.Drain(ctx, p.Drain)
		}); err != nil {
			// Scale down anyway, like a termination grace period that
			// ran out.
			fail(fmt.Errorf("drain %d: %w", p.Drain, err))
		} else {
			a.Drained = p.Drain
		}
	}
	if p.Scale {
		if err := c.retryCall(ctx, "production actuator Scale", func(ctx context.Context) error {
			return c.deps.Production.Scale(ctx, p.Target)
		}); err != nil {
			if l, ok := actuator.AsLimited(err); ok {
				// Carried out, to the group's own bound.
				_, a.LimitedTo = l.ScalingLimited()
				a.Scaled, a.Limit = true, l.Error()
			} else {
				fail(fmt.Errorf("scale from %d to %d: %w", from, p.Target, err))
				a.Undrained = c.undrain(ctx, a.Drained, fail)
			}
		} else {
			a.Scaled = true
		}
	}
	if p.ScalePool {
		if err := c.retryCall(ctx, "shadow actuator Scale", func(ctx context.Context) error {
			return c.shadowAct.Scale(ctx, p.PoolTarget)
		}); err != nil {
			fail(fmt.Errorf("shadow pool: scale to %d: %w", p.PoolTarget, err))
		} else {
			a.PoolScaled = true
		}
	}
	if p.SetFraction {
		if _, err := call(ctx, c.cfg.CallTimeout, "mirror SetFraction", func(context.Context) (struct{}, error) {
			return struct{}{}, c.mirror.SetFraction(p.Fraction)
		}); err != nil {
			fail(fmt.Errorf("shadow pool: set fraction %.4f: %w", p.Fraction, err))
		} else {
			a.FractionSet = true
		}
	}
	if p.Transition != nil {
		st, err := call(ctx, c.cfg.CallTimeout, "transitioner Advance", func(ctx context.Context) (transition.Status, error) {
			return c.transitioner.Advance(ctx, now, *p.Transition)
		})
		a.Transition = st
		if err != nil {
			fail(fmt.Errorf("transition: %w", err))
		}
	}
	return a
}

// undrain returns n drained replicas to service after a failed scale-down.
func (c *Controller) undrain(ctx context.Context, n int, fail func(error)) int {
	u, ok := c.drainer.(transition.Undrainer)
	if n == 0 || !ok {
		return 0
	}
	got, err := call(ctx, c.cfg.CallTimeout, "drainer Undrain", func(ctx context.Context) (int, error) {
		return u.Undrain(ctx, n)
	})
	if err != nil {
		fail(fmt.Errorf("undrain %d after the failed scale-down: %w", n, err))
	}
	return got
}

// retryCall runs f with the retry policy, each attempt under CallTimeout
// and with panics turned into permanent errors.
func (c *Controller) retryCall(ctx context.Context, what string, f func(context.Context) error) error {
	return actuator.Do(ctx, c.retry, func(ctx context.Context) error {
		_, err := call(ctx, c.cfg.CallTimeout, what, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, f(ctx)
		})
		if _, panicked := err.(*PanicError); panicked {
			return actuator.Permanent(err)
		}
		return err
	})
}
