package policy

import (
	"fmt"
	"time"
)

// CooldownConfig sets how long after a scaling action the next one waits.
type CooldownConfig struct {
	// Up is the minimum time from the last scaling action (either way) to
	// a scale-up. Zero allows it at once.
	Up time.Duration
	// Down is the minimum time from the last scaling action (either way)
	// to a scale-down. Zero allows it at once.
	Down time.Duration
}

// Cooldown returns p held at Current while the cooldown since the last
// scaling action it returned runs, like the cooldowns of cloud autoscaling
// groups. It keeps the time of the last change it returned (from
// Input.Now) once the next Input.Current shows it carried out (a dry run or
// a failed actuation starts no cooldown) and forgets it when time goes
// backwards. Not safe for concurrent use.
func Cooldown(p Policy, cfg CooldownConfig) (Policy, error) {
	if err := needPolicy("Cooldown", "policy", p); err != nil {
		return nil, err
	}
	if cfg.Up < 0 || cfg.Down < 0 {
		return nil, fmt.Errorf("policy: Cooldown: Up (%s) and Down (%s) must not be negative", cfg.Up, cfg.Down)
	}
	var (
		c    clock
		last time.Time
		has  bool
		// The last change returned, kept only once the next
		// Input.Current shows it carried out.
		pending       bool
		prevLast      time.Time
		prevHas       bool
		pendingTarget int
	)
	return Func(func(in Input) (Decision, error) {
		if err := in.Validate(); err != nil {
			return Decision{}, err
		}
		if c.advance(in.Now) {
			has, pending = false, false
		}
		if pending && in.Current != pendingTarget {
			last, has = prevLast, prevHas // not carried out
		}
		pending = false
		d, err := decideInner(p, in)
		if err != nil {
			return Decision{}, err
		}
		wait := cfg.Up
		if d.Action == ScaleDown {
			wait = cfg.Down
		}
		if has && d.Action != NoChange && in.Current >= in.Min && in.Current <= in.Max {
			if since := in.Now.Sub(last); since < wait {
				d = hold(in, fmt.Sprintf("cooldown: last scaling %s ago < %s %s cooldown: holding %d (would %s)",
					since, wait, d.Action, in.Current, d))
			}
		}
		if d.Action != NoChange {
			prevLast, prevHas = last, has
			pending, pendingTarget = true, d.Target
			last, has = in.Now, true
		}
		return d, nil
	}), nil
}
