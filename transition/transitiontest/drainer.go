package transitiontest

import (
	"context"
	"sync"

	"github.com/shadowscale/shadowscale/transition"
)

var _ transition.Drainer = (*Drainer)(nil)

// Drainer is a recording transition.Drainer. Each Drain records n, then,
// if the Drainer is blocked, waits until Release or until ctx ends (then it
// returns ctx's error), and returns the next error queued with FailNext, or
// else the error set with SetErr (nil by default).
type Drainer struct {
	mu      sync.Mutex
	calls   []int
	errs    []error
	err     error
	gate    chan struct{} // non-nil while blocked
	waiting int
}

// NewDrainer returns a Drainer that succeeds at once.
func NewDrainer() *Drainer { return &Drainer{} }

// Drain implements transition.Drainer.
func (d *Drainer) Drain(ctx context.Context, n int) error {
	d.mu.Lock()
	d.calls = append(d.calls, n)
	gate := d.gate
	d.mu.Unlock()

	if gate != nil {
		d.setWaiting(+1)
		defer d.setWaiting(-1)
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.errs) > 0 {
		err := d.errs[0]
		d.errs = d.errs[1:]
		return err
	}
	return d.err
}

func (d *Drainer) setWaiting(delta int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.waiting += delta
}

// FailNext queues errs: the next Drain calls that finish return them, one
// each, in order.
func (d *Drainer) FailNext(errs ...error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.errs = append(d.errs, errs...)
}

// SetErr sets the error Drain returns when no queued error is left; nil
// makes it succeed.
func (d *Drainer) SetErr(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.err = err
}

// Block makes Drain calls, from now on, wait until Release.
func (d *Drainer) Block() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.gate == nil {
		d.gate = make(chan struct{})
	}
}

// Release lets every waiting Drain call go on and stops blocking new ones.
func (d *Drainer) Release() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.gate != nil {
		close(d.gate)
		d.gate = nil
	}
}

// Waiting returns how many Drain calls are blocked now.
func (d *Drainer) Waiting() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.waiting
}

// Calls returns the n of every Drain call so far, in order.
func (d *Drainer) Calls() []int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]int(nil), d.calls...)
}

// Total returns the sum of n over every Drain call so far.
func (d *Drainer) Total() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	total := 0
	for _, n := range d.calls {
		total += n
	}
	return total
}
