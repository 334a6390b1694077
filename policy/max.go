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
			best    decided
			targets = make([]int, len(policies))
			errs    []error
		)
		for i, p := range policies {
			d, err := decideInner(p, in)
			if err != nil {
				errs = append(errs, fmt.Errorf("policies[%d]: %w", i, err))
				continue
			}
			targets[i] = d.Target
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
		winner := best.r
		best.r = lazy(func(b []byte) []byte {
			b = append(b, "max of ["...)
			for i, t := range targets {
				if i > 0 {
					b = append(b, ' ')
				}
				b = strconv.AppendInt(b, int64(t), 10)
			}
			return winner.appendTo(append(b, "]: "...))
		})
		return best, nil
	}, policies...), nil
}
