package policy_test

import (
	"fmt"
	"time"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
)

func ExampleThreshold() {
	th, err := policy.NewThreshold(policy.DefaultThresholdConfig())
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	d, err := th.Decide(policy.Input{
		Now:     now,
		Current: 6, Ready: 6,
		Forecast: forecast.Forecast{
			Start: now.Add(time.Minute), Step: time.Minute,
			Mean: []float64{390, 412, 405}, Lower: []float64{350, 370, 360}, Upper: []float64{430, 454, 450},
			Level: 0.95,
		},
		LeadSteps:         3,
		PerReplica:        80,
		TargetUtilization: 0.7,
		Min:               1, Max: 20,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(d)
	// Output:
	// scale_up to 8: predicted 412 req/s (forecast peak over 3 steps) > 0.8 × capacity 480 req/s: scale up to 8 replicas
}

func ExampleHPA() {
	hpa, err := policy.NewHPA(policy.DefaultHPAConfig())
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	in := policy.Input{
		Now: now, Current: 4, Ready: 4,
		Load: 700, LoadValid: true, // 4 replicas of 100 at target 0.5 serve 200
		PerReplica: 100, TargetUtilization: 0.5,
		Min: 1, Max: 50,
	}
	d, err := hpa.Decide(in)
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Action, d.Target)
	fmt.Println(d.Reason)
	// Output:
	// scale_up 8
	// HPA: utilization 175% of 4 ready vs target 50% (ratio 3.5): ceil(3.5 × 4) = 14; ScaleUpLimit: 8
}

func ExampleMax() {
	th, _ := policy.NewThreshold(policy.DefaultThresholdConfig())
	hpa, _ := policy.NewHPA(policy.DefaultHPAConfig())
	combined, err := policy.Max(th, hpa)
	if err != nil {
		panic(err)
	}
	// The forecast expects a quiet hour, but the load is high right now: the
	// reactive rule keeps the capacity.
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	d, _ := combined.Decide(policy.Input{
		Now: now, Current: 10, Ready: 10,
		Load: 700, LoadValid: true,
		Forecast:   forecast.Forecast{Start: now.Add(time.Minute), Step: time.Minute, Mean: []float64{100}},
		LeadSteps:  1,
		PerReplica: 100, TargetUtilization: 0.7,
		Min: 1, Max: 50,
	})
	fmt.Println(d.Action, d.Target)
	// Output:
	// no_change 10
}

func ExampleHeadroom() {
	th, _ := policy.NewThreshold(policy.DefaultThresholdConfig())
	p90, err := policy.Headroom(th, policy.HeadroomConfig{Quantile: 0.9})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	d, _ := p90.Decide(policy.Input{
		Now: now, Current: 10, Ready: 10,
		// Mean 700 with a 95% interval of ± 196: σ = 100, P90 = 828.
		Forecast: forecast.Forecast{Start: now.Add(time.Minute), Step: time.Minute,
			Mean: []float64{700}, Lower: []float64{504}, Upper: []float64{896}, Level: 0.95},
		LeadSteps:  1,
		PerReplica: 100, TargetUtilization: 0.7,
		Min: 1, Max: 50,
	})
	fmt.Println(d)
	// Output:
	// scale_up to 12: headroom P90 of the 95% interval: predicted 828 req/s (forecast peak over 1 steps) > 0.8 × capacity 1000 req/s: scale up to 12 replicas
}

func ExampleStabilize() {
	th, _ := policy.NewThreshold(policy.DefaultThresholdConfig())
	p, _ := policy.Stabilize(th, policy.StabilizeConfig{Down: 10 * time.Minute})
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	// The load drops after minute 0; the scale-down waits until the target
	// asked for at minute 0 has left the 10-minute window.
	for _, pass := range []struct {
		minute int
		load   float64
	}{{0, 700}, {5, 200}, {9, 200}, {10, 200}} {
		d, _ := p.Decide(policy.Input{
			Now: t0.Add(time.Duration(pass.minute) * time.Minute), Current: 10, Ready: 10,
			Load: pass.load, LoadValid: true,
			PerReplica: 100, TargetUtilization: 0.7, Min: 1, Max: 50,
		})
		fmt.Println(pass.minute, d.Action, d.Target)
	}
	// Output:
	// 0 no_change 10
	// 5 no_change 10
	// 9 no_change 10
	// 10 scale_down 3
}

func ExampleDryRun() {
	th, _ := policy.NewThreshold(policy.DefaultThresholdConfig())
	dry, _ := policy.DryRun(th)
	d, _ := dry.Decide(policy.Input{
		Now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), Current: 2, Ready: 2,
		Load: 700, LoadValid: true,
		PerReplica: 100, TargetUtilization: 0.7, Min: 1, Max: 50,
	})
	would, _ := dry.Last()
	fmt.Println(d.Action, d.Target)
	fmt.Println(would.Action, would.Target)
	// Output:
	// no_change 2
	// scale_up 10
}

func ExamplePredictive() {
	cfg := policy.DefaultPredictiveConfig()
	cfg.MinForecasts = 1
	p, err := policy.Predictive(cfg)
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	// A ramp arrives within the 3-step lead window: provision for its P90
	// now, while the observed load is still on target.
	d, err := p.Decide(policy.Input{
		Now: now, Current: 10, Ready: 10,
		Load: 700, LoadValid: true,
		Forecast: forecast.Forecast{Start: now.Add(time.Minute), Step: time.Minute,
			Mean:  []float64{750, 900, 1000, 1500},
			Lower: []float64{554, 704, 804, 1304},
			Upper: []float64{946, 1096, 1196, 1696}, Level: 0.95},
		LeadSteps:  3,
		PerReplica: 100, TargetUtilization: 0.7,
		Min: 1, Max: 50,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Action, d.Target)
	// Output:
	// scale_up 17
}
