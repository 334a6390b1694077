package policy

import (
	"fmt"
	"math"
	"slices"

	"github.com/shadowscale/shadowscale/forecast"

	"github.com/shadowscale/shadowscale/internal/mathx"
)

// maxReplicas caps conversions so a huge or infinite load cannot overflow int.
const maxReplicas = mathx.MaxInt

// Replicas converts load into the replicas that serve it at the target
// utilization: ceil(load / (perReplica × target)). It returns 0 for a
// non-positive or NaN load or parameter, and caps huge results at 2^30.
func Replicas(load, perReplica, target float64) int {
	if !(load > 0) || !(perReplica > 0) || !(target > 0) || math.IsInf(perReplica, 0) {
		return 0
	}
	r := load / (perReplica * target)
	if math.IsNaN(r) {
		return maxReplicas
	}
	return mathx.CeilInt(r)
}

// Clamp returns n bounded to [min, max].
func Clamp(n, min, max int) int {
	if n < min {
		return min
	}
	if n > max {
		return max
	}
	return n
}

// Validate checks the parts of the Input every policy relies on.
func (in Input) Validate() error {
	switch {
	case !(in.PerReplica > 0) || math.IsInf(in.PerReplica, 0):
		return fmt.Errorf("%w: PerReplica (%v) must be a positive number", ErrInvalidInput, in.PerReplica)
	case !(in.TargetUtilization > 0 && in.TargetUtilization <= 1):
		return fmt.Errorf("%w: TargetUtilization (%v) must be in (0, 1]", ErrInvalidInput, in.TargetUtilization)
	case in.Min < 0:
		return fmt.Errorf("%w: Min (%d) must not be negative", ErrInvalidInput, in.Min)
	case in.Min > in.Max:
		return fmt.Errorf("%w: Min (%d) must not exceed Max (%d)", ErrInvalidInput, in.Min, in.Max)
	case in.Current < 0 || in.Ready < 0:
		return fmt.Errorf("%w: Current (%d) and Ready (%d) must not be negative", ErrInvalidInput, in.Current, in.Ready)
	case !(in.PeakUpper >= 0) || math.IsInf(in.PeakUpper, 0):
		return fmt.Errorf("%w: PeakUpper (%v) must be a finite number, not negative", ErrInvalidInput, in.PeakUpper)
	}
	return nil
}

// PeakForecast returns in.Forecast with the upper bounds of its first
// LeadSteps steps set to PeakUpper (never below a step's Mean), so that a
// rule reading the largest upper bound of the lead window provisions for
// the bound on the window's peak. Without a PeakUpper, or without a
// forecast, it returns in.Forecast unchanged; the returned forecast never
// shares the Upper slice it changes with in.Forecast.
func (in Input) PeakForecast() forecast.Forecast {
	f := in.Forecast
	n := min(f.Len(), len(f.Upper))
	if !(in.PeakUpper > 0) || n == 0 {
		return f
	}
	f.Upper = slices.Clone(f.Upper)
	for i := range min(max(in.LeadSteps, 1), n) {
		f.Upper[i] = max(in.PeakUpper, f.Mean[i])
	}
	return f
}

func decision(current, target int, reason string) Decision {
	a := NoChange
	switch {
	case target > current:
		a = ScaleUp
	case target < current:
		a = ScaleDown
	}
	return Decision{Action: a, Target: target, Reason: reason}
}

// NewDecision returns a Decision moving from current to target with the
// action implied by the comparison.
func NewDecision(current, target int, reason string) Decision {
	return decision(current, target, reason)
}
