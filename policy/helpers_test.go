package policy_test

import (
	"time"

	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/policy/policytest"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

// input builds a valid Input at t0+s seconds with current replicas, all
// ready, and the observed load.
func input(s, current int, load float64) policy.Input {
	return policytest.NewInput(at(s), current, load)
}

func mustHPA() *policy.HPA {
	h, err := policy.NewHPA(policy.DefaultHPAConfig())
	if err != nil {
		panic(err)
	}
	return h
}

func mustThreshold(cfg policy.ThresholdConfig) *policy.Threshold {
	th, err := policy.NewThreshold(cfg)
	if err != nil {
		panic(err)
	}
	return th
}
