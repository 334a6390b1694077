package policy

import (
	"fmt"
	"time"
)

// StabilizeConfig sets the stabilization windows.
type StabilizeConfig struct {
	// Up: a scale-up goes no higher than the lowest target the inner
	// policy asked for within the last Up. Zero disables it.
	Up time.Duration
	// Down: a scale-down goes no lower than the highest target the inner
	// policy asked for within the last Down. Zero disables it.
	Down time.Duration
}

// Stabilize returns p with HPA-style stabilization windows
// (stabilizeRecommendationWithBehaviors): it records every target p asks
// for at Input.Now and bounds the answer by the recorded targets within
// each window. State is keyed on Input.Now and dropped when time goes
// backwards; not safe for concurrent use.
func Stabilize(p Policy, cfg StabilizeConfig) (Policy, error) {
	if err := needPolicy("Stabilize", "policy", p); err != nil {
		return nil, err
	}
	if cfg.Up < 0 || cfg.Down < 0 {
		return nil, fmt.Errorf("policy: Stabilize: Up (%s) and Down (%s) must not be negative", cfg.Up, cfg.Down)
	}
	s := &stabilizer{up: cfg.Up, down: cfg.Down}
	var c clock
	w := wrap("stabilize", func(in Input) (decided, error) {
		if err := in.Validate(); err != nil {
			return decided{}, err
		}
		if c.advance(in.Now) {
			s.reset()
		}
		d, err := decideInner(p, in)
		if err != nil {
			return decided{}, err
		}
		n, why := s.apply(in.Now, in.Current, d.Target)
		if why.empty() {
			return d, nil
		}
		return finishUpTo(in, n, d.Ceiling, suffixed(d.r, why, n)), nil
	}, p)
	type own struct {
		Clock clockState `json:"clock"`
		stabState
	}
	w.save = func() any { return own{c.state(), s.state()} }
	w.load = func() (any, func() error, func()) {
		var st own
		return &st, func() error { return st.check() }, func() { c, s.recs = st.Clock.clock(), st.recs() }
	}
	return w, nil
}
