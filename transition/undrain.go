package transition

import (
	"context"
	"fmt"
	"slices"
)

// Undrainer is an optional capability of a Drainer: Undrain returns to
// service up to n replicas that earlier Drain calls took out of service,
// newest first. A caller uses it when the scale-down the drain prepared
// for did not happen (the actuator refused it), so that no serving
// capacity is lost. It returns how many replicas it restored.
type Undrainer interface {
	Undrain(ctx context.Context, n int) (int, error)
}

var _ Undrainer = (*InFlightDrainer)(nil)

// Undrain implements Undrainer: the newest backends drained (and, with
// InFlightDrainerConfig.Remove, removed) are marked serving again and
// re-added to the Router if they were removed. Backends removed from the
// Router by its owner since the drain are not brought back.
func (d *InFlightDrainer) Undrain(ctx context.Context, n int) (int, error) {
	if n < 0 {
		return 0, fmt.Errorf("%w: undrain n = %d, want >= 0", ErrInvalidCount, n)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	d.mu.Lock()
	k := min(n, len(d.drained))
	bs := slices.Clone(d.drained[len(d.drained)-k:])
	d.drained = d.drained[:len(d.drained)-k]
	d.mu.Unlock()
	return d.router.restore(bs), nil
}

// remember keeps the backends of a completed drain for Undrain, at most
// the last 1024.
func (d *InFlightDrainer) remember(bs []*backend) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.drained = append(d.drained, bs...)
	if over := len(d.drained) - 1024; over > 0 {
		d.drained = slices.Delete(d.drained, 0, over)
	}
}

// restore marks bs serving, re-adding those no longer in the Router, and
// returns how many it restored.
func (r *Router) restore(bs []*backend) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, b := range bs {
		if !slices.Contains(r.backends, b) {
			if slices.ContainsFunc(r.backends, func(o *backend) bool { return o.name == b.name }) {
				continue // replaced by its owner under the same name
			}
			r.backends = append(r.backends, b)
		}
		b.draining.Store(false)
		n++
	}
	r.resetRound()
	return n
}
