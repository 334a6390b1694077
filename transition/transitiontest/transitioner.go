package transitiontest

import (
	"context"
	"sync"
	"time"

	"github.com/shadowscale/shadowscale/transition"
)

var _ transition.Transitioner = (*Transitioner)(nil)

// Result is one scripted answer of a Transitioner.
type Result struct {
	// Status is what Advance returns.
	Status transition.Status
	// Err is the error Advance returns with it.
	Err error
}

// Call records one Advance.
type Call struct {
	// Now is the time Advance was given.
	Now time.Time
	// Plan is the plan Advance was given.
	Plan transition.Plan
}

// Transitioner is a scripted transition.Transitioner: each Advance records
// its arguments and returns the next scripted Result; once the script is
// used up it returns Status{Weight: 1, Done: true}.
type Transitioner struct {
	mu     sync.Mutex
	script []Result
	calls  []Call
}

// NewTransitioner returns a Transitioner that answers with results, in
// order.
func NewTransitioner(results ...Result) *Transitioner {
	return &Transitioner{script: append([]Result(nil), results...)}
}

// Script appends results to the answers still to come.
func (t *Transitioner) Script(results ...Result) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.script = append(t.script, results...)
}

// Advance implements transition.Transitioner. It does not look at ctx.
func (t *Transitioner) Advance(_ context.Context, now time.Time, p transition.Plan) (transition.Status, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = append(t.calls, Call{Now: now, Plan: p})
	if len(t.script) == 0 {
		return transition.Status{Weight: 1, Done: true}, nil
	}
	r := t.script[0]
	t.script = t.script[1:]
	return r.Status, r.Err
}

// Calls returns the Advance calls so far, in order.
func (t *Transitioner) Calls() []Call {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Call(nil), t.calls...)
}

// Plans returns the plans of the Advance calls so far, in order.
func (t *Transitioner) Plans() []transition.Plan {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]transition.Plan, len(t.calls))
	for i, c := range t.calls {
		out[i] = c.Plan
	}
	return out
}

// Remaining returns how many scripted results are still to come.
func (t *Transitioner) Remaining() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.script)
}
