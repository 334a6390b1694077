package policy

import (
	"fmt"
	"math"
)

// ToleranceConfig sets the dead bands around the current replica count.
type ToleranceConfig struct {
	// Up ignores a scale-up of at most Up × Current replicas (inclusive),
	// in [0, 1). Zero ignores none.
	Up float64
	// Down ignores a scale-down of at most Down × Current replicas
	// (inclusive), in [0, 1). Zero ignores none.
	Down float64
}

// Tolerance returns p with separate up and down dead bands: a change whose
// relative size |target − Current| / Current is within the band for its
// direction becomes NoChange (HPA's tolerance, which Kubernetes applies to
// the metric ratio, split by direction as its configurable tolerance does).
// A change from or to a count outside [Min, Max] always passes. Stateless.
func Tolerance(p Policy, cfg ToleranceConfig) (Policy, error) {
	if err := needPolicy("Tolerance", "policy", p); err != nil {
		return nil, err
	}
	if !(cfg.Up >= 0 && cfg.Up < 1) || !(cfg.Down >= 0 && cfg.Down < 1) {
		return nil, fmt.Errorf("policy: Tolerance: Up (%v) and Down (%v) must be in [0, 1)", cfg.Up, cfg.Down)
	}
	return wrap("tolerance", func(in Input) (decided, error) {
		if err := in.Validate(); err != nil {
			return decided{}, err
		}
		d, err := decideInner(p, in)
		if err != nil || in.Current == 0 || in.Current < in.Min || in.Current > in.Max {
			return d, err
		}
		change := math.Abs(float64(d.Target-in.Current)) / float64(in.Current)
		band := cfg.Up
		if d.Action == ScaleDown {
			band = cfg.Down
		}
		if d.Action != NoChange && change <= band {
			return hold(in, text(fmt.Sprintf("change %s within %s tolerance %s: holding %d (would %s)",
				num(change), d.Action, num(band), in.Current, d.final()))), nil
		}
		return d, nil
	}, p), nil
}
