package policy

import (
	"fmt"
	"math"

	"github.com/shadowscale/shadowscale/internal/enum"
)

// Breach is what happens when a policy asks for more than Input.Max (AWS
// predictive scaling's MaxCapacityBreachBehavior).
type Breach int

// Breach behaviors.
const (
	// HonorMax never exceeds Input.Max (the default).
	HonorMax Breach = iota
	// IncreaseMax lets the target exceed Input.Max up to the forecast's
	// capacity plus BufferPercent.
	IncreaseMax
)

// String returns the behavior's name.
func (b Breach) String() string {
	return enum.Name(b, "breach behavior", breachNames)
}

var breachNames = []string{HonorMax: "honor_max", IncreaseMax: "increase_max"}

// MaxCapacityConfig configures MaxCapacity.
type MaxCapacityConfig struct {
	// Behavior is HonorMax (default) or IncreaseMax.
	Behavior Breach
	// BufferPercent, with IncreaseMax, raises the ceiling to the forecast
	// capacity plus this percentage, in [0, 100] as AWS's
	// MaxCapacityBuffer. 0 lets capacity reach the forecast capacity, no
	// more.
	BufferPercent int
}

// MaxCapacity returns p with a max-capacity breach behavior. With HonorMax
// targets stay within [Min, Max]. With IncreaseMax the inner policy sees
// Max raised to max(Max, ceil(F × (1 + BufferPercent/100))), where F =
// Replicas(PredictedLoad) is the forecast's capacity (wrap in Headroom to
// use an upper quantile), and its target may exceed Input.Max up to that
// ceiling — the one wrapper whose targets may. Without a forecast Max holds.
// Stateless.
func MaxCapacity(p Policy, cfg MaxCapacityConfig) (Policy, error) {
	if err := needPolicy("MaxCapacity", "policy", p); err != nil {
		return nil, err
	}
	if cfg.Behavior != HonorMax && cfg.Behavior != IncreaseMax {
		return nil, fmt.Errorf("policy: MaxCapacity: Behavior (%d) is not honor_max or increase_max", int(cfg.Behavior))
	}
	if cfg.BufferPercent < 0 || cfg.BufferPercent > 100 {
		return nil, fmt.Errorf("policy: MaxCapacity: BufferPercent (%d) must be in [0, 100]", cfg.BufferPercent)
	}
	return wrap("max_capacity", func(in Input) (decided, error) {
		if err := in.Validate(); err != nil {
			return decided{}, err
		}
		pl, _ := predictedLoad(in)
		if cfg.Behavior == HonorMax || !pl.FromForecast {
			return decideInner(p, in)
		}
		f := Replicas(pl.Load, in.PerReplica, in.TargetUtilization)
		ceiling := max(in.Max, int(math.Min(math.Ceil(float64(f)*(1+float64(cfg.BufferPercent)/100)), maxReplicas)))
		if ceiling == in.Max {
			return decideInner(p, in)
		}
		raised := in
		raised.Max = ceiling
		d, err := decideInner(p, raised)
		if err != nil {
			return decided{}, err
		}
		if d.Target > in.Max {
			inner, max0 := d.r, in.Max
			d.r = lazy(func(b []byte) []byte {
				return fmt.Appendf(inner.appendTo(b), "; max %d raised to %d (forecast capacity %d + %d%% buffer)", max0, ceiling, f, cfg.BufferPercent)
			})
		}
		d.Ceiling = ceiling
		return d, nil
	}, p), nil
}
