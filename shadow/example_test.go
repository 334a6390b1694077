package shadow_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/mirror"
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

// A custom Forecaster needs two methods. This one forecasts the mean of the
// last three observations with a ±20% interval, on the Controller's grid.
type meanOfThree struct {
	last []float64
	at   time.Time
}

func (m *meanOfThree) Observe(t time.Time, v float64) error {
	m.last = append(m.last, v)
	if len(m.last) > 3 {
		m.last = m.last[1:]
	}
	m.at = t
	return nil
}

func (m *meanOfThree) Forecast(h int, level float64) (forecast.Forecast, error) {
	if len(m.last) < 3 {
		return forecast.Forecast{}, forecast.ErrInsufficientHistory
	}
	mean := (m.last[0] + m.last[1] + m.last[2]) / 3
	f := forecast.Forecast{Start: m.at.Add(time.Minute), Step: time.Minute, Level: level, Model: "mean-of-3"}
	for range h {
		f.Mean = append(f.Mean, mean)
		f.Lower = append(f.Lower, 0.8*mean)
		f.Upper = append(f.Upper, 1.2*mean)
	}
	return f, nil
}

// Plugging in a custom forecaster, and reading the typed conditions of a
// pass.
func ExampleController_Step_customForecaster() {
	now := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	prod := actuatortest.NewGroup(2, 0, func() time.Time { return now })
	c, _ := shadow.New(shadow.Config{PerReplica: 100, MaxReplicas: 10},
		shadow.Deps{Source: shadowtest.NewSource(300), Forecaster: &meanOfThree{}, Policy: policy.Func(func(in policy.Input) (policy.Decision, error) {
			_, up := in.Forecast.Peak(in.LeadSteps)
			n := policy.Clamp(policy.Replicas(max(up, in.Load), in.PerReplica, in.TargetUtilization), in.Min, in.Max)
			return policy.NewDecision(in.Current, n, fmt.Sprintf("peak %.0f", up)), nil
		}), Production: prod},
		shadow.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	var rep shadow.Report
	for range 4 {
		rep, _ = c.Step(context.Background(), now)
		now = now.Add(time.Minute)
	}
	fmt.Println(rep.Forecast.Model, rep.Decision)
	for _, cd := range rep.Conditions {
		fmt.Println(cd.Type, cd.Status, cd.Reason)
	}
	// Output:
	// mean-of-3 no_change to 6: peak 360
	// AbleToScale true ReadyForNewScale
	// ScalingActive true ValidMetricFound
	// ScalingLimited false DesiredWithinRange
	// ForecastTrusted true ForecastValid
	// ShadowSignal false NoShadowPool
	// Held false NotHeld
}

// Run under the deterministic mock clock: each Add of an interval runs one
// pass, and the report handler sees it.
func ExampleController_Run() {
	mock := clock.NewMock()
	mock.Set(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
	prod := actuatortest.NewGroup(1, 0, mock.Now)
	fc, _ := forecast.NewNaive(forecast.Config{Step: time.Minute})
	reports := make(chan shadow.Report)
	c, _ := shadow.New(shadow.Config{PerReplica: 100, MaxReplicas: 10},
		shadow.Deps{Source: shadowtest.NewSource(250), Forecaster: fc, Policy: policy.Func(func(in policy.Input) (policy.Decision, error) {
			n := policy.Clamp(policy.Replicas(in.Load, in.PerReplica, in.TargetUtilization), in.Min, in.Max)
			return policy.NewDecision(in.Current, n, "load"), nil
		}), Production: prod},
		shadow.WithClock(mock), shadow.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		shadow.WithReportHandler(func(r shadow.Report, _ error) { reports <- r }))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	for i := range 3 {
		r := <-reports
		fmt.Println(r.Time.Format("15:04"), r.Decision.Action, r.Decision.Target)
		if i < 2 {
			mock.Add(time.Minute)
		}
	}
	cancel()
	fmt.Println(<-done)
	// Output:
	// 00:00 scale_up 4
	// 00:01 no_change 4
	// 00:02 no_change 4
	// <nil>
}

// fixedMirror is a mirror whose shadows answer in 40 ms.
type fixedMirror struct{ fraction float64 }

func (m *fixedMirror) Stats(context.Context) (mirror.Stats, error) {
	return mirror.Stats{At: time.Now(), Requests: 100, P95: 40 * time.Millisecond, Window: time.Minute}, nil
}
func (m *fixedMirror) SetFraction(f float64) error { m.fraction = f; return nil }

// A Controller with a shadow pool: once the load is predictable, shadows
// are provisioned on the cheapest fitting instance type and receive a
// mirrored fraction of traffic sized to load each at the probe utilization.
func ExampleWithShadowPool() {
	now := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	prod := actuatortest.NewGroup(4, 0, func() time.Time { return now })
	shadows := actuatortest.NewGroup(0, 0, func() time.Time { return now })
	fc, _ := forecast.NewNaive(forecast.Config{Step: time.Minute})
	pol, _ := policy.Predictive(policy.DefaultPredictiveConfig())
	m := &fixedMirror{}
	c, _ := shadow.New(shadow.Config{PerReplica: 100},
		shadow.Deps{Source: shadowtest.NewSource(250), Forecaster: fc, Policy: pol, Production: prod},
		shadow.WithShadowPool(m, shadows, shadow.PoolConfig{MinHistory: 5, ProvisionAfter: 2, Catalog: []shadow.InstanceType{
			{Name: "c.large", VCPU: 2, MemoryGiB: 4, HourlyPrice: 0.085},
			{Name: "t.small", VCPU: 1, MemoryGiB: 2, HourlyPrice: 0.02},
		}}),
		shadow.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	var rep shadow.Report
	for range 10 {
		rep, _ = c.Step(context.Background(), now)
		now = now.Add(time.Minute)
	}
	fmt.Printf("active %t, %d shadow on %s, mirroring %.0f%%\n", rep.Pool.Active, rep.Pool.Desired, rep.Pool.InstanceType, 100*m.fraction)
	// Output: active true, 1 shadow on t.small, mirroring 28%
}
