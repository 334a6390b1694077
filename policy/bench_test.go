package policy_test

import (
	"testing"
	"time"

	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/policy/policytest"
)

// benchInputs is a day of 1-minute passes with an 11-step forecast.
func benchInputs() []policy.Input {
	ins := make([]policy.Input, 1440)
	for i := range ins {
		load := 500 + 400*float64(i%240)/240
		in := input(60*i, 10, load)
		in.LeadSteps = 11
		means := make([]float64, 11)
		for h := range means {
			means[h] = load + float64(h)*5
		}
		in.Forecast = policytest.Forecast(at(60*i+60), time.Minute, 0.2, means...)
		ins[i] = in
	}
	return ins
}

func benchPolicy(b *testing.B, p policy.Policy) {
	ins := benchInputs()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := p.Decide(ins[i%len(ins)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkThreshold is the baseline the others are read against.
func BenchmarkThreshold(b *testing.B) {
	benchPolicy(b, mustThreshold(policy.DefaultThresholdConfig()))
}

func BenchmarkHPA(b *testing.B) { benchPolicy(b, mustHPA()) }

func BenchmarkPredictive(b *testing.B) {
	p, err := policy.Predictive(policy.DefaultPredictiveConfig())
	if err != nil {
		b.Fatal(err)
	}
	benchPolicy(b, p)
}
