package policy

import "fmt"

// decideInner calls p and repairs its decision: the wrappers never trust an
// inner policy to honour the bounds or fill in the reason.
func decideInner(p Policy, in Input) (decided, error) {
	d, err := decideWith(p, in)
	if err != nil {
		return decided{}, err
	}
	return sanitize(in, d), nil
}

func needPolicy(wrapper, field string, p Policy) error {
	if p == nil {
		return fmt.Errorf("policy: %s: %s is nil", wrapper, field)
	}
	return nil
}
