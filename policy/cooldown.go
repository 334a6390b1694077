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
	w := wrap("cooldown", func(in Input) (decided, error) {
		if err := in.Validate(); err != nil {
			return decided{}, err
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
			return decided{}, err
		}
		wait := cfg.Up
		if d.Action == ScaleDown {
			wait = cfg.Down
		}
		if has && d.Action != NoChange && in.Current >= in.Min && in.Current <= in.Max {
			if since := in.Now.Sub(last); since < wait {
				d = hold(in, text(fmt.Sprintf("cooldown: last scaling %s ago < %s %s cooldown: holding %d (would %s)",
					since, wait, d.Action, in.Current, d.final())))
			}
		}
		if d.Action != NoChange {
			prevLast, prevHas = last, has
			pending, pendingTarget = true, d.Target
			last, has = in.Now, true
		}
		return d, nil
	}, p)
	type own struct {
		Clock         clockState `json:"clock"`
		Last          time.Time  `json:"last"`
		Has           bool       `json:"has"`
		Pending       bool       `json:"pending"`
		PrevLast      time.Time  `json:"prev_last"`
		PrevHas       bool       `json:"prev_has"`
		PendingTarget int        `json:"pending_target"`
	}
	w.save = func() any {
		return own{c.state(), last, has, pending, prevLast, prevHas, pendingTarget}
	}
	w.load = func() (any, func() error, func()) {
		var st own
		check := func() error {
			if st.PendingTarget < 0 {
				return fmt.Errorf("pending target %d", st.PendingTarget)
			}
			return nil
		}
		return &st, check, func() {
			c, last, has, pending = st.Clock.clock(), st.Last, st.Has, st.Pending
			prevLast, prevHas, pendingTarget = st.PrevLast, st.PrevHas, st.PendingTarget
		}
	}
	return w, nil
}
