package shadow_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
)

// A replay drives the Controller with Step and explicit times: here the load
// doubles at 00:05 and production, which needs two minutes to add a
// replica, follows.
func ExampleController_Step() {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	now := start
	load := shadowtest.NewSource(100)
	prod := actuatortest.NewGroup(2, 2*time.Minute, func() time.Time { return now })
	fc, _ := forecast.NewNaive(forecast.Config{Step: time.Minute})
	scaleToLoad := policy.Func(func(in policy.Input) (policy.Decision, error) {
		n := policy.Clamp(policy.Replicas(in.Load, in.PerReplica, in.TargetUtilization), in.Min, in.Max)
		return policy.NewDecision(in.Current, n, fmt.Sprintf("load %.0f needs %d", in.Load, n)), nil
	})
	c, err := shadow.New(shadow.Config{Interval: time.Minute, PerReplica: 100, TargetUtilization: 0.5, MaxReplicas: 10},
		shadow.Deps{Source: load, Forecaster: fc, Policy: scaleToLoad, Production: prod},
		shadow.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := 0; i < 9; i++ {
		if i == 5 {
			load.Set(shadow.RequestRate, 200)
		}
		rep, err := c.Step(context.Background(), now)
		if err != nil {
			fmt.Println(err)
			return
		}
		st, _ := prod.Current(context.Background())
		fmt.Printf("%s load=%.0f %-10s desired=%d ready=%d\n", now.Format("15:04"), rep.Load, rep.Decision.Action, st.Desired, st.Ready)
		now = now.Add(time.Minute)
	}
	// Output:
	// 00:00 load=100 no_change  desired=2 ready=2
	// 00:01 load=100 no_change  desired=2 ready=2
	// 00:02 load=100 no_change  desired=2 ready=2
	// 00:03 load=100 no_change  desired=2 ready=2
	// 00:04 load=100 no_change  desired=2 ready=2
	// 00:05 load=200 scale_up   desired=4 ready=2
	// 00:06 load=200 no_change  desired=4 ready=2
	// 00:07 load=200 no_change  desired=4 ready=4
	// 00:08 load=200 no_change  desired=4 ready=4
}

// New rejects a bad configuration with the field and its value.
func ExampleNew_validation() {
	_, err := shadow.New(shadow.Config{PerReplica: 50, MinReplicas: 8, MaxReplicas: 4}, shadow.Deps{})
	fmt.Println(err)
	// Output: shadow: Config.MinReplicas (8) must not exceed MaxReplicas (4)
}

// CheapestInstance picks the shadow instance type.
func ExampleCheapestInstance() {
	t, _ := shadow.CheapestInstance([]shadow.InstanceType{
		{Name: "m.large", VCPU: 2, MemoryGiB: 8, HourlyPrice: 0.096},
		{Name: "c.large", VCPU: 2, MemoryGiB: 4, HourlyPrice: 0.085},
		{Name: "t.small", VCPU: 1, MemoryGiB: 2, HourlyPrice: 0.02},
	}, 2, 4, false)
	fmt.Println(t.Name)
	// Output: c.large
}
