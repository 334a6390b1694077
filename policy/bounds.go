package policy

import "fmt"

// BoundsConfig narrows the replica range below Input's Min and Max.
type BoundsConfig struct {
	// Min is the lowest target; 0 adds no lower bound.
	Min int
	// Max is the highest target; 0 adds no upper bound.
	Max int
}

// Validate checks that the bounds are not negative and Min ≤ Max.
func (c BoundsConfig) Validate() error {
	switch {
	case c.Min < 0 || c.Max < 0:
		return fmt.Errorf("policy: Bounds: Min (%d) and Max (%d) must not be negative", c.Min, c.Max)
	case c.Max > 0 && c.Min > c.Max:
		return fmt.Errorf("policy: Bounds: Min (%d) must not exceed Max (%d)", c.Min, c.Max)
	}
	return nil
}

// Bounds returns p with its targets kept within the intersection of
// [Input.Min, Input.Max] and [cfg.Min, cfg.Max]; p sees the narrowed range
// in its Input. When the ranges do not overlap, Input's range wins.
func Bounds(p Policy, cfg BoundsConfig) (Policy, error) {
	if err := needPolicy("Bounds", "policy", p); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return wrap("bounds", func(in Input) (decided, error) {
		if err := in.Validate(); err != nil {
			return decided{}, err
		}
		lo, hi := max(in.Min, cfg.Min), in.Max
		if cfg.Max > 0 {
			hi = min(hi, cfg.Max)
		}
		if lo <= hi {
			in.Min, in.Max = lo, hi
		}
		d, err := decideInner(p, in)
		if err != nil {
			return decided{}, err
		}
		return d, nil
	}, p), nil
}
