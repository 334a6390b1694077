package transition

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/shadowscale/shadowscale/internal/defaults"
)

// InFlightDrainer is a Drainer over a Router: Drain marks n backends
// draining, so that they get no new requests, and returns as soon as their
// in-flight requests have all completed. It is safe for concurrent use;
// concurrent drains choose disjoint backends.
type InFlightDrainer struct {
	router *Router
	cfg    InFlightDrainerConfig
	clock  clock.Clock
	ins    drainInstruments

	mu      sync.Mutex
	drained []*backend // completed drains, oldest first, for Undrain
}

var _ Drainer = (*InFlightDrainer)(nil)

// NewInFlightDrainer returns an InFlightDrainer over r configured by cfg,
// which it validates.
func NewInFlightDrainer(r *Router, cfg InFlightDrainerConfig, opts ...Option) (*InFlightDrainer, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: Router is nil", ErrInvalidConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	ins, err := newDrainInstruments(o.meterProvider, "inflight")
	if err != nil {
		return nil, err
	}
	return &InFlightDrainer{router: r, cfg: cfg, clock: o.clock, ins: ins}, nil
}

// Drain implements Drainer. It chooses n backends (InFlightDrainerConfig.Choose),
// marks them draining and waits until none has a request in flight. If ctx
// ends first it marks them serving again, since they were not removed, and
// returns ctx's error. With InFlightDrainerConfig.Remove the drained backends
// are then removed from the Router. n = 0 returns nil at once.
func (d *InFlightDrainer) Drain(ctx context.Context, n int) error {
	return instrumentedDrain(ctx, n, d.clock, d.ins, func(time.Time) error { return d.drain(ctx, n) })
}

func (d *InFlightDrainer) drain(ctx context.Context, n int) (err error) {
	var bs []*backend
	if d.cfg.Choose == nil {
		bs, err = d.router.markNewest(n)
	} else {
		bs, err = d.choose(n)
	}
	if err != nil {
		return err
	}
	if err := d.router.waitIdle(ctx, bs); err != nil {
		d.router.unmark(bs)
		return err
	}
	if d.cfg.Remove {
		d.router.removeAll(bs)
	}
	d.remember(bs)
	return nil
}

func (d *InFlightDrainer) choose(n int) ([]*backend, error) {
	names, err := d.cfg.Choose(Choice{N: n, Backends: d.router.Backends()})
	if err != nil {
		return nil, fmt.Errorf("transition: choose %d backends to drain: %w", n, err)
	}
	if len(names) != n {
		return nil, fmt.Errorf("%w: Choose returned %d names %q for n = %d", ErrInvalidConfig, len(names), names, n)
	}
	for i, name := range names {
		if slices.Contains(names[:i], name) {
			return nil, fmt.Errorf("%w: Choose returned %q twice", ErrInvalidConfig, name)
		}
	}
	return d.router.mark(names)
}

// markNewest marks the n most recently added serving backends draining.
func (r *Router) markNewest(n int) ([]*backend, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	bs := make([]*backend, 0, n)
	for i := len(r.backends) - 1; i >= 0 && len(bs) < n; i-- {
		if b := r.backends[i]; !b.draining.Load() {
			bs = append(bs, b)
		}
	}
	if len(bs) < n {
		return nil, fmt.Errorf("%w: drain n = %d, %d backends serving", ErrNotEnoughBackends, n, len(bs))
	}
	for _, b := range bs {
		b.draining.Store(true)
	}
	r.resetRound()
	return bs, nil
}

// mark marks the named backends draining, all or none.
func (r *Router) mark(names []string) ([]*backend, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	bs := make([]*backend, 0, len(names))
	for _, name := range names {
		b := r.find(name)
		switch {
		case b == nil:
			return nil, fmt.Errorf("%w: %q", ErrUnknownBackend, name)
		case b.draining.Load():
			return nil, fmt.Errorf("%w: %q", ErrAlreadyDraining, name)
		}
		bs = append(bs, b)
	}
	for _, b := range bs {
		b.draining.Store(true)
	}
	r.resetRound()
	return bs, nil
}

// unmark marks bs serving again.
func (r *Router) unmark(bs []*backend) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range bs {
		b.draining.Store(false)
	}
	r.resetRound()
}

// removeAll removes bs from the Router if it still holds them.
func (r *Router) removeAll(bs []*backend) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.backends = slices.DeleteFunc(r.backends, func(b *backend) bool { return slices.Contains(bs, b) })
	r.resetRound()
}

// HealthDrainer is a Drainer for replicas whose traffic is steered outside
// this process: Drain calls HealthDrainerConfig.Begin to stop new requests,
// then polls HealthDrainerConfig.Check every Interval until it reports the
// replicas drained. It is safe for concurrent use if its hooks are.
type HealthDrainer struct {
	cfg   HealthDrainerConfig
	clock clock.Clock
	ins   drainInstruments
}

var _ Drainer = (*HealthDrainer)(nil)

// NewHealthDrainer returns a HealthDrainer configured by cfg, which it
// validates.
func NewHealthDrainer(cfg HealthDrainerConfig, opts ...Option) (*HealthDrainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Interval = defaults.IfZero(cfg.Interval, DefaultPollInterval)
	o := newOptions(opts)
	ins, err := newDrainInstruments(o.meterProvider, "health")
	if err != nil {
		return nil, err
	}
	return &HealthDrainer{cfg: cfg, clock: o.clock, ins: ins}, nil
}

// Drain implements Drainer. It returns nil when Check reports the n
// replicas drained, Begin's or Check's error, or ctx's error when ctx ends
// first. n = 0 returns nil at once.
func (d *HealthDrainer) Drain(ctx context.Context, n int) error {
	return instrumentedDrain(ctx, n, d.clock, d.ins, func(start time.Time) error { return d.drain(ctx, n, start) })
}

func (d *HealthDrainer) drain(ctx context.Context, n int, start time.Time) error {
	if d.cfg.Begin != nil {
		if err := d.cfg.Begin(ctx, DrainStart{N: n, Now: start}); err != nil {
			return fmt.Errorf("transition: begin drain of %d replicas: %w", n, err)
		}
	}

	var ticker *clock.Ticker
	for attempt := 1; ; attempt++ {
		drained, err := d.cfg.Check(ctx, DrainCheck{N: n, Started: start, Now: d.clock.Now(), Attempt: attempt})
		if err != nil {
			return fmt.Errorf("transition: drain check %d of %d replicas: %w", attempt, n, err)
		}
		if drained {
			return nil
		}
		if ticker == nil {
			ticker = d.clock.Ticker(d.cfg.Interval)
			defer ticker.Stop()
		}
		select {
		case <-ticker.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// instrumentedDrain runs drain with what both drainers share: a negative n
// is an error, n = 0 returns nil at once, an ended ctx returns its error
// before drain starts, and the outcome and duration of every drain of at
// least one replica are recorded.
func instrumentedDrain(ctx context.Context, n int, clk clock.Clock, ins drainInstruments, drain func(start time.Time) error) (err error) {
	if n < 0 {
		return fmt.Errorf("%w: drain n = %d, want >= 0", ErrInvalidCount, n)
	}
	if n == 0 {
		return nil
	}
	start := clk.Now()
	defer func() { ins.record(n, clk.Now().Sub(start).Seconds(), err) }()
	if err := ctx.Err(); err != nil {
		return err
	}
	return drain(start)
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
