package policy

import "fmt"

// decideInner calls p and repairs its decision: the wrappers never trust an
// inner policy to honour the bounds or fill in the reason.
func decideInner(p Policy, in Input) (Decision, error) {
	d, err := p.Decide(in)
	if err != nil {
		return Decision{}, err
	}
	return sanitize(in, d), nil
}

func needPolicy(wrapper, field string, p Policy) error {
	if p == nil {
		return fmt.Errorf("policy: %s: %s is nil", wrapper, field)
	}
	return nil
}
