package policytest

import (
	"fmt"
	"sync"

	"github.com/shadowscale/shadowscale/policy"
)

var _ policy.Policy = (*Fake)(nil)

// Step is one scripted answer: Err if not nil, else Decision.
type Step struct {
	// Decision is returned as is when Err is nil.
	Decision policy.Decision
	// Err, if not nil, is returned with a zero Decision.
	Err error
}

// Fake is a policy.Policy that records every Input it sees and answers from
// a script, one Step per call. Once the script is exhausted it holds:
// NoChange at Input.Current with the reason "policytest: script exhausted".
// Fake returns scripted decisions exactly as given, unchecked, so tests can
// feed wrappers bad decisions. It is safe for concurrent use.
type Fake struct {
	mu     sync.Mutex
	script []Step
	inputs []policy.Input
}

// NewFake returns a Fake answering steps in order.
func NewFake(steps ...Step) *Fake {
	return &Fake{script: steps}
}

// Decisions returns a Fake answering the decisions in order, with no errors.
func Decisions(ds ...policy.Decision) *Fake {
	f := &Fake{}
	for _, d := range ds {
		f.script = append(f.script, Step{Decision: d})
	}
	return f
}

// Target returns a Decision asking for n replicas from current, with a
// reason naming it.
func Target(current, n int) policy.Decision {
	return policy.NewDecision(current, n, fmt.Sprintf("policytest: target %d", n))
}

// Push appends steps to the script.
func (f *Fake) Push(steps ...Step) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, steps...)
}

// Decide records in and returns the next scripted step.
func (f *Fake) Decide(in policy.Input) (policy.Decision, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inputs = append(f.inputs, in)
	if len(f.script) == 0 {
		return policy.Decision{Action: policy.NoChange, Target: in.Current, Reason: "policytest: script exhausted"}, nil
	}
	s := f.script[0]
	f.script = f.script[1:]
	if s.Err != nil {
		return policy.Decision{}, s.Err
	}
	return s.Decision, nil
}

// Inputs returns a copy of the Inputs seen so far, in call order.
func (f *Fake) Inputs() []policy.Input {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]policy.Input(nil), f.inputs...)
}

// Calls returns how many times Decide was called.
func (f *Fake) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.inputs)
}

// Remaining returns how many scripted steps are left.
func (f *Fake) Remaining() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.script)
}
