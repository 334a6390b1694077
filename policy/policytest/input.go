package policytest

import (
	"time"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
)

// Defaults used by NewInput.
const (
	// PerReplica is the load one replica serves at 100% utilization.
	PerReplica = 100.0
	// TargetUtilization is the utilization aimed for.
	TargetUtilization = 0.7
	// Min and Max bound the replicas.
	Min, Max = 1, 100
)

// NewInput returns a valid Input at now with current replicas all ready,
// a valid observed load, no forecast, no shadow signal, PerReplica 100,
// TargetUtilization 0.7, Min 1, Max 100 and LeadSteps 1. Tests change the
// fields they care about.
func NewInput(now time.Time, current int, load float64) policy.Input {
	return policy.Input{
		Now:               now,
		Current:           current,
		Ready:             current,
		Load:              load,
		LoadValid:         true,
		LeadSteps:         1,
		PerReplica:        PerReplica,
		TargetUtilization: TargetUtilization,
		Min:               Min,
		Max:               Max,
	}
}

// Forecast returns a forecast starting at start with the given step and
// means, and a central 95% interval of ± spread × mean around each.
func Forecast(start time.Time, step time.Duration, spread float64, mean ...float64) forecast.Forecast {
	f := forecast.Forecast{Start: start, Step: step, Level: 0.95, Model: "policytest"}
	for _, m := range mean {
		f.Mean = append(f.Mean, m)
		f.Lower = append(f.Lower, max(0, m-spread*m))
		f.Upper = append(f.Upper, m+spread*m)
	}
	return f
}
