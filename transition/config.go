package transition

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/shadowscale/shadowscale/internal/defaults"

	"github.com/shadowscale/shadowscale/internal/enum"
)

// Defaults a zero Config field takes.
const (
	// DefaultDwell is the minimum time Steps holds each weight.
	DefaultDwell = 30 * time.Second
	// DefaultMaxFailures is how many consecutive failed health checks make
	// Steps roll back.
	DefaultMaxFailures = 3
	// DefaultPollInterval is how often HealthDrainer asks its Check hook.
	DefaultPollInterval = time.Second
)

// DefaultWeights returns the weights Steps goes through when
// StepsConfig.Weights is empty: 10%, 25%, 50%, then the full share.
func DefaultWeights() []float64 { return []float64{0.1, 0.25, 0.5, 1} }

// StepsConfig configures Steps. The zero value is valid: every zero field
// takes the default named on it.
type StepsConfig struct {
	// Weights are the shares of their final traffic the new replicas get,
	// one per step: each in (0, 1], strictly increasing, the last exactly 1.
	// Empty means DefaultWeights().
	Weights []float64

	// Dwell is the minimum time each weight is held, measured from the now
	// of the pass that applied it, before the next step. Zero means
	// DefaultDwell; negative is invalid. A Dwell shorter than the
	// Controller's pass interval moves one step per healthy pass.
	Dwell time.Duration

	// MaxFailures is how many consecutive failed health checks make Steps
	// roll back (weight 0). Zero means DefaultMaxFailures; negative is
	// invalid.
	MaxFailures int

	// Health reports whether the new replicas are healthy at the weight
	// they carry; a non-nil error is a failure and its text goes into
	// Status.Reason. It is called once on every pass after the first of a
	// plan, during dwell too, so that a rollback does not wait for the dwell
	// to end. Advance waits for it, so it should answer quickly and heed
	// ctx. Nil means always healthy.
	Health func(ctx context.Context, c HealthCheck) error

	// SetWeight applies a weight to the traffic layer, for example
	// (*Router).ApplyWeight. If it fails, the step is not taken and Advance
	// returns its error; the next pass tries again. Advance waits for it, so
	// it should answer quickly and heed ctx. Nil means the weight is only
	// reported in Status (the caller applies it).
	SetWeight func(ctx context.Context, c WeightChange) error
}

// HealthCheck is the argument of StepsConfig.Health.
type HealthCheck struct {
	// Plan is the move under way.
	Plan Plan
	// Now is the time of the pass.
	Now time.Time
	// Step is the index in Weights of the weight in effect.
	Step int
	// Weight is the weight in effect.
	Weight float64
}

// WeightChange is the argument of StepsConfig.SetWeight.
type WeightChange struct {
	// Plan is the move under way.
	Plan Plan
	// Now is the time of the pass.
	Now time.Time
	// Step is the index in Weights of the new weight, or -1 on rollback.
	Step int
	// Weight is the share of their final traffic the new replicas get, in
	// [0, 1].
	Weight float64
	// Rollback is true when the weight is 0 because of failed health checks.
	Rollback bool
}

// Validate reports the first field out of range, naming it and its value.
// Zero fields are valid (they take defaults).
func (c StepsConfig) Validate() error {
	prev := 0.0
	for i, w := range c.Weights {
		switch {
		case math.IsNaN(w) || w <= 0 || w > 1:
			return fmt.Errorf("%w: Weights[%d] = %v, want a value in (0, 1]", ErrInvalidConfig, i, w)
		case i > 0 && w <= prev:
			return fmt.Errorf("%w: Weights[%d] = %v is not greater than Weights[%d] = %v", ErrInvalidConfig, i, w, i-1, prev)
		}
		prev = w
	}
	if n := len(c.Weights); n > 0 && c.Weights[n-1] != 1 {
		return fmt.Errorf("%w: Weights[%d] = %v, the last weight must be 1", ErrInvalidConfig, n-1, c.Weights[n-1])
	}
	if c.Dwell < 0 {
		return fmt.Errorf("%w: Dwell = %s, want >= 0", ErrInvalidConfig, c.Dwell)
	}
	if c.MaxFailures < 0 {
		return fmt.Errorf("%w: MaxFailures = %d, want >= 0", ErrInvalidConfig, c.MaxFailures)
	}
	return nil
}

func (c StepsConfig) withDefaults() StepsConfig {
	if len(c.Weights) == 0 {
		c.Weights = DefaultWeights()
	} else {
		c.Weights = append([]float64(nil), c.Weights...)
	}
	c.Dwell = defaults.IfZero(c.Dwell, DefaultDwell)
	c.MaxFailures = defaults.IfZero(c.MaxFailures, DefaultMaxFailures)
	return c
}

// Balance is how a Router spreads requests over its backends by weight.
type Balance int

const (
	// SmoothRoundRobin is nginx's smooth weighted round-robin: deterministic,
	// and it interleaves backends instead of sending bursts to one.
	SmoothRoundRobin Balance = iota
	// WeightedRandom picks each request's backend at random with
	// probability proportional to its weight, from RouterConfig.Rand.
	WeightedRandom
)

// String returns the name of b.
func (b Balance) String() string {
	return enum.Name(b, "balance", balanceNames)
}

var balanceNames = []string{SmoothRoundRobin: "smooth-round-robin", WeightedRandom: "weighted-random"}

// RouterConfig configures a Router. The zero value is valid.
type RouterConfig struct {
	// Balance is the balancing algorithm. Zero is SmoothRoundRobin.
	Balance Balance

	// Rand returns a number in [0, 1) for WeightedRandom; it is called with
	// the Router's lock held, so it need not be safe for concurrent use. Nil
	// means math/rand/v2's Float64. Setting it with SmoothRoundRobin is an
	// error.
	Rand func() float64

	// NoBackend serves requests when no backend may take them (none, all
	// draining or all at weight 0). Nil means a 503 Service Unavailable.
	NoBackend http.Handler
}

// Validate reports the first field out of range, naming it and its value.
func (c RouterConfig) Validate() error {
	switch c.Balance {
	case SmoothRoundRobin:
		if c.Rand != nil {
			return fmt.Errorf("%w: Rand is set but Balance = %s does not use it", ErrInvalidConfig, c.Balance)
		}
	case WeightedRandom:
	default:
		return fmt.Errorf("%w: Balance = %d, want SmoothRoundRobin or WeightedRandom", ErrInvalidConfig, int(c.Balance))
	}
	return nil
}

// InFlightDrainerConfig configures an InFlightDrainer. The zero value is
// valid.
type InFlightDrainerConfig struct {
	// Choose picks the n backends to drain from a snapshot of the Router;
	// it must return n distinct names of backends that are not draining.
	// Nil means the n most recently added backends that are not draining,
	// the ones a scale-down removes first when replicas are added and
	// removed last-in first-out.
	Choose func(c Choice) ([]string, error)

	// Remove, if true, removes drained backends from the Router once their
	// in-flight count reaches zero. If false they stay, draining, until the
	// caller removes them.
	Remove bool
}

// Choice is the argument of InFlightDrainerConfig.Choose.
type Choice struct {
	// N is how many backends to choose.
	N int
	// Backends is the Router's state, in the order backends were added.
	Backends []BackendState
}

// Validate reports the first field out of range. Every InFlightDrainerConfig
// is valid today; Validate exists so that callers can check configurations
// uniformly.
func (c InFlightDrainerConfig) Validate() error { return nil }

// HealthDrainerConfig configures a HealthDrainer.
type HealthDrainerConfig struct {
	// Begin stops sending new requests to n replicas (for example it
	// deregisters them from a load balancer). Drain calls it once before
	// polling and fails with its error. Nil means traffic is stopped
	// elsewhere.
	Begin func(ctx context.Context, s DrainStart) error

	// Check reports whether the n replicas may go (true) or still serve
	// (false). Drain calls it at once and then every Interval until it
	// returns true, an error (which ends Drain) or ctx ends. Required.
	Check func(ctx context.Context, c DrainCheck) (bool, error)

	// Interval is the time between two Checks. Zero means
	// DefaultPollInterval; negative is invalid.
	Interval time.Duration
}

// DrainStart is the argument of HealthDrainerConfig.Begin.
type DrainStart struct {
	// N is how many replicas to drain.
	N int
	// Now is when the drain started.
	Now time.Time
}

// DrainCheck is the argument of HealthDrainerConfig.Check.
type DrainCheck struct {
	// N is how many replicas are draining.
	N int
	// Started is when the drain started.
	Started time.Time
	// Now is the time of this check.
	Now time.Time
	// Attempt counts checks of this drain from 1.
	Attempt int
}

// Validate reports the first field out of range, naming it and its value.
func (c HealthDrainerConfig) Validate() error {
	if c.Check == nil {
		return fmt.Errorf("%w: Check is nil, want a health-check hook", ErrInvalidConfig)
	}
	if c.Interval < 0 {
		return fmt.Errorf("%w: Interval = %s, want >= 0", ErrInvalidConfig, c.Interval)
	}
	return nil
}
