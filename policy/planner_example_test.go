package policy_test

import (
	"fmt"
	"time"

	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/policy/policytest"
)

func ExampleNewPlanner() {
	cfg := policy.DefaultPlannerConfig()
	cfg.Boot = 10 * time.Minute
	p, err := policy.NewPlanner(cfg)
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	// 14 replicas serve; the load dips for a few minutes and comes back
	// 7 minutes from now, before a released replica could boot again.
	in := policytest.NewInput(now, 14, 800)
	in.LeadSteps = 11
	in.Forecast = policytest.Forecast(now.Add(time.Minute), time.Minute, 0.05,
		800, 700, 650, 650, 700, 800, 930, 930, 930, 930, 930, 930, 930)
	d, err := p.Decide(in)
	if err != nil {
		panic(err)
	}
	fmt.Println(d)
	// Output:
	// no_change to 14: keep 14: mean 930 req/s in 7m0s needs 14, within lead 11m0s + boot 10m0s (forecast)
}
