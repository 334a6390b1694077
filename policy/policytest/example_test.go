package policytest_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/policy/policytest"
)

func ExampleFake() {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	fake := policytest.NewFake(
		policytest.Step{Decision: policytest.Target(4, 6)},
		policytest.Step{Err: errors.New("forecast unavailable")},
	)
	for i := 0; i < 3; i++ {
		d, err := fake.Decide(policytest.NewInput(now.Add(time.Duration(i)*time.Minute), 4, 300))
		fmt.Println(d.Action, d.Target, err)
	}
	fmt.Println(fake.Calls(), fake.Inputs()[1].Now.Format(time.Kitchen))
	// Output:
	// scale_up 6 <nil>
	// no_change 0 forecast unavailable
	// no_change 4 <nil>
	// 3 12:01PM
}

func ExampleNewInput() {
	in := policytest.NewInput(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), 3, 150)
	in.Forecast = policytest.Forecast(in.Now.Add(time.Minute), time.Minute, 0.1, 200, 250)
	fmt.Println(in.Validate() == nil, in.Forecast.Upper)
	var _ policy.Policy = policytest.NewFake()
	// Output:
	// true [220 275]
}
