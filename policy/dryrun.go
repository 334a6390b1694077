package policy

import (
	"fmt"
	"sync"
)

// DryRunPolicy decides with its inner policy but never asks for a change:
// forecast-only mode, to watch what a policy would do before trusting it.
type DryRunPolicy struct {
	p    Policy
	mu   sync.Mutex
	last Decision
	has  bool
}

var _ Policy = (*DryRunPolicy)(nil)

// DryRun wraps p in a DryRunPolicy.
func DryRun(p Policy) (*DryRunPolicy, error) {
	if err := needPolicy("DryRun", "policy", p); err != nil {
		return nil, err
	}
	return &DryRunPolicy{p: p}, nil
}

// Decide asks the inner policy and returns NoChange with Target =
// Input.Current — even when Current lies outside [Min, Max], since nothing
// is actuated — and the would-be decision in the reason: "dry run, would
// scale_up to 12: …". The would-be decision is also available from Last.
func (d *DryRunPolicy) Decide(in Input) (Decision, error) {
	if err := in.Validate(); err != nil {
		return Decision{}, err
	}
	dw, err := decideInner(d.p, in)
	if err != nil {
		return Decision{}, err
	}
	would := dw.final()
	d.mu.Lock()
	d.last, d.has = would, true
	d.mu.Unlock()
	return Decision{Action: NoChange, Target: in.Current, Reason: fmt.Sprintf("dry run, would %s", would)}, nil
}

// Last returns the decision the inner policy made on the latest pass, and
// false before the first. Safe to call from any goroutine.
func (d *DryRunPolicy) Last() (Decision, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.last, d.has
}
