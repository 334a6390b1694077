package policy

import (
	"errors"
	"fmt"
	"strconv"
)

// Max returns a policy asking for the largest target any of policies asks
// for: predictive and reactive combined so that a forecast never takes
// capacity below what the reactive rule wants, as AWS predictive scaling,
// GCP predictive autoscaling and Predictive HPA combine them. Every policy
// is called on every pass, in order, so stateful ones keep their history;
// the first error is returned. The reason is the winner's, with all targets.
func Max(policies ...Policy) (Policy, error) {
	if len(policies) == 0 {
		return nil, errors.New("policy: Max: no policies")
	}
	for i, p := range policies {
		if err := needPolicy("Max", fmt.Sprintf("policies[%d]", i), p); err != nil {
			return nil, err
		}
	}
	return wrap("max", func(in Input) (decided, error) {
		if err := in.Validate(); err != nil {
			return decided{}, err
		}
		var (
			best decided
			errs []error
			why  = &maxWhy{}
		)
		why.targets = why.inline[:0]
		for i, p := range policies {
			d, err := decideInner(p, in)
			if err != nil {
				errs = append(errs, fmt.Errorf("policies[%d]: %w", i, err))
				continue
			}
			why.targets = append(why.targets, d.Target)
			if i == 0 || d.Target > best.Target {
				best = d
			}
		}
		if len(errs) > 0 {
			return decided{}, fmt.Errorf("policy: Max: %w", errors.Join(errs...))
		}
		if len(policies) == 1 {
			return best, nil
		}
		why.winner = best.r
		best.r = deferred(why)
		return best, nil
	}, policies...), nil
}

// maxWhy is Max's reason: "max of [<targets>]: <the winner's reason>".
type maxWhy struct {
	targets []int
	inline  [4]int // targets' storage for up to four policies
	winner  reason
}

func (w *maxWhy) appendTo(b []byte) []byte {
	b = append(b, "max of ["...)
	for i, t := range w.targets {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(t), 10)
	}
	return w.winner.appendTo(append(b, "]: "...))
}
