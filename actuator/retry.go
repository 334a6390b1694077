package actuator

import (
	"context"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/shadowscale/shadowscale/internal/defaults"
)

// RetryConfig tunes how transient actuation errors are retried with
// exponential backoff and jitter. The zero value of each field selects the
// default documented on it; where zero itself is a useful setting (no
// retry), a negative value selects it.
type RetryConfig struct {
	// InitialInterval is the first wait. Default 200ms.
	InitialInterval time.Duration
	// MaxInterval caps each wait. Default 5s.
	MaxInterval time.Duration
	// MaxElapsedTime bounds the whole retry loop, waits included, as
	// measured by Now. Default 30s.
	MaxElapsedTime time.Duration
	// MaxRetries bounds the number of retries after the first attempt.
	// Default 4; negative: no retry, op runs once.
	MaxRetries int
	// After returns a channel that fires after d; nil uses time.After.
	// Tests and simulations supply a mock clock's After, and that clock's
	// Now as Now.
	After func(d time.Duration) <-chan time.Time
	// Now reads the clock MaxElapsedTime is measured on; nil uses
	// time.Now. Take it from the clock After comes from: a mock After with
	// the real Now would spend the budget in real time only.
	Now func() time.Time
	// OnRetry, if not nil, is called before each wait with the error and
	// the wait.
	OnRetry func(err error, wait time.Duration)
}

// Validate reports a negative duration.
func (c RetryConfig) Validate() error {
	switch {
	case c.InitialInterval < 0:
		return fmt.Errorf("actuator: RetryConfig.InitialInterval (%s) must not be negative", c.InitialInterval)
	case c.MaxInterval < 0:
		return fmt.Errorf("actuator: RetryConfig.MaxInterval (%s) must not be negative", c.MaxInterval)
	case c.MaxElapsedTime < 0:
		return fmt.Errorf("actuator: RetryConfig.MaxElapsedTime (%s) must not be negative", c.MaxElapsedTime)
	}
	return nil
}

func (c RetryConfig) withDefaults() RetryConfig {
	c.InitialInterval = defaults.IfZero(c.InitialInterval, 200*time.Millisecond)
	c.MaxInterval = defaults.IfZero(c.MaxInterval, 5*time.Second)
	c.MaxElapsedTime = defaults.IfZero(c.MaxElapsedTime, 30*time.Second)
	c.MaxRetries = defaults.Or(c.MaxRetries, 4)
	if c.After == nil {
		c.After = time.After
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// nowFunc adapts a Now function to backoff.Clock.
type nowFunc func() time.Time

func (f nowFunc) Now() time.Time { return f() }

// Do calls op until it succeeds, returns a permanent error (see Permanent),
// ctx ends, or the retry budget is spent. It returns the last error as op
// returned it: a permanent error keeps its PermanentError, so IsPermanent
// still reports it. When ctx ends first, Do returns ctx.Err().
func Do(ctx context.Context, cfg RetryConfig, op func(ctx context.Context) error) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg = cfg.withDefaults()
	eb := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(cfg.InitialInterval),
		backoff.WithMaxInterval(cfg.MaxInterval),
		backoff.WithMaxElapsedTime(cfg.MaxElapsedTime),
		backoff.WithClockProvider(nowFunc(cfg.Now)),
	)
	b := backoff.WithContext(backoff.WithMaxRetries(eb, uint64(cfg.MaxRetries)), ctx)
	wrapped := func() error {
		err := op(ctx)
		if err != nil && IsPermanent(err) {
			// backoff stops on its own permanent type and returns
			// what it wraps: err, still marked with ours.
			return backoff.Permanent(err)
		}
		return err
	}
	var notify backoff.Notify
	if cfg.OnRetry != nil {
		notify = cfg.OnRetry
	}
	return backoff.RetryNotifyWithTimer(wrapped, b, notify, &afterTimer{after: cfg.After})
}

// afterTimer adapts an After function to backoff.Timer.
type afterTimer struct {
	after func(time.Duration) <-chan time.Time
	c     <-chan time.Time
}

func (t *afterTimer) Start(d time.Duration) { t.c = t.after(d) }
func (t *afterTimer) Stop()                 {}
func (t *afterTimer) C() <-chan time.Time   { return t.c }

// Retrying wraps an Actuator so that Scale and Current retry transient
// errors with cfg. It is safe for concurrent use when a is.
func Retrying(a Actuator, cfg RetryConfig) Actuator {
	return &retrying{a: a, cfg: cfg}
}

type retrying struct {
	a   Actuator
	cfg RetryConfig
}

func (r *retrying) Scale(ctx context.Context, target int) error {
	if target < 0 {
		return Permanent(fmt.Errorf("%w: %d", ErrInvalidTarget, target))
	}
	return Do(ctx, r.cfg, func(ctx context.Context) error { return r.a.Scale(ctx, target) })
}

func (r *retrying) Current(ctx context.Context) (State, error) {
	var s State
	err := Do(ctx, r.cfg, func(ctx context.Context) error {
		var err error
		s, err = r.a.Current(ctx)
		return err
	})
	return s, err
}
