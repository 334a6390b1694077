package policy

import (
	"errors"
	"fmt"
)

// RateLimitConfig limits how fast the replica count changes, like HPA's
// behavior policies.
type RateLimitConfig struct {
	// Up limits scale-ups; no policies means no limit.
	Up RateRules
	// Down limits scale-downs; no policies means no limit.
	Down RateRules
}

// Validate names the invalid rule of each direction (Up, Down).
func (c RateLimitConfig) Validate() error {
	if err := errors.Join(c.Up.validate("Up"), c.Down.validate("Down")); err != nil {
		return fmt.Errorf("policy: RateLimit: %w", err)
	}
	return nil
}

// RateLimit returns p with its changes limited per sliding period, exactly
// as HPA limits them (convertDesiredReplicasWithBehaviorRate): within each
// policy's period the count may move from the count at the period's start
// by at most Value pods or Value percent (percent up rounds up, percent down
// truncates), Select choosing among the policies. A change it returns is
// remembered at Input.Now and kept only if the next Input.Current shows it
// carried out (a dry run or a failed actuation leaves no trace); state is
// dropped when time goes backwards. Not safe for concurrent use.
func RateLimit(p Policy, cfg RateLimitConfig) (Policy, error) {
	if err := needPolicy("RateLimit", "policy", p); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &rateLimiter{up: cfg.Up, down: cfg.Down}
	var c clock
	w := wrap("rate_limit", func(in Input) (decided, error) {
		if err := in.Validate(); err != nil {
			return decided{}, err
		}
		if c.advance(in.Now) {
			r.reset()
		}
		d, err := decideInner(p, in)
		if err != nil {
			return decided{}, err
		}
		r.confirm(in.Current)
		n, why := r.limit(in.Now, in.Current, d.Target, in.Min, max(in.Max, d.Ceiling))
		if why != "" && n != d.Target {
			d = finishUpTo(in, n, d.Ceiling, suffixed(d.r, text(why), n))
		}
		r.record(in.Now, in.Current, d.Target)
		return d, nil
	}, p)
	type own struct {
		Clock clockState `json:"clock"`
		rateState
	}
	w.save = func() any { return own{c.state(), r.state()} }
	w.load = func() (any, func() error, func()) {
		var st own
		return &st, func() error { return st.check() }, func() { c = st.Clock.clock(); st.apply(r) }
	}
	return w, nil
}
