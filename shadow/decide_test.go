package shadow

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
)

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// warmup is a forecaster that never has enough history: the policy then
// decides on the load alone.
type warmup struct{}

func (warmup) Observe(time.Time, float64) error { return nil }
func (warmup) Forecast(int, float64) (forecast.Forecast, error) {
	return forecast.Forecast{}, forecast.ErrInsufficientHistory
}

// wants is a policy that asks for n replicas (with an optional ceiling).
func wants(n, ceiling int) policy.Policy {
	return policy.Func(func(in policy.Input) (policy.Decision, error) {
		d := policy.NewDecision(in.Current, n, fmt.Sprintf("wants %d", n))
		d.Ceiling = ceiling
		return d, nil
	})
}

// TestDecideRules drives the decision phase with plain values, one row per
// rule of the Plan.
func TestDecideRules(t *testing.T) {
	sample := func(vals map[Metric]float64) observations {
		return observations{sample: Sample{Time: t0, Values: vals}, state: actuator.State{Desired: 10, Ready: 10}}
	}
	ok := sample(map[Metric]float64{RequestRate: 100, CPU: 5})
	cases := []struct {
		name   string
		cfg    func(*Config)
		pol    policy.Policy
		obs    observations
		extra  bool // scale on CPU too
		drain  bool
		warm   bool // fill the robust window at 100 first
		fallen bool // and accept a step down to 5 after it
		target int
		scale  bool
		held   string
		cond   ConditionType
		reason string
		drains int
	}{
		{name: "scale up", pol: wants(14, 0), obs: ok, target: 14, scale: true, cond: ScalingLimited, reason: ReasonDesiredWithinRange},
		{name: "no change", pol: wants(10, 0), obs: ok, target: 10, cond: Held, reason: ReasonNotHeld},
		{name: "source error holds", pol: wants(14, 0), obs: observations{sampleErr: errors.New("down"), state: actuator.State{Desired: 10, Ready: 10}},
			target: 10, held: ReasonMetricsUnavailable, cond: ScalingActive, reason: ReasonMetricsUnavailable},
		{name: "NaN holds", pol: wants(14, 0), obs: sample(map[Metric]float64{RequestRate: math.NaN()}), target: 10, held: ReasonMetricsUnavailable},
		{name: "negative holds", pol: wants(14, 0), obs: sample(map[Metric]float64{RequestRate: -1}), target: 10, held: ReasonMetricsUnavailable},
		{name: "production unknown holds", pol: wants(14, 0), obs: observations{sample: ok.sample, stateErr: errors.New("403")},
			target: 0, held: ReasonProductionUnknown, cond: AbleToScale, reason: ReasonFailedGetState},
		{name: "policy error holds", pol: policy.Func(func(policy.Input) (policy.Decision, error) { return policy.Decision{}, errors.New("bad") }),
			obs: ok, target: 10, held: ReasonPolicyFailed},
		{name: "policy panic holds", pol: policy.Func(func(policy.Input) (policy.Decision, error) { panic("bug") }),
			obs: ok, target: 10, held: ReasonPolicyFailed},
		{name: "above max is clamped", pol: wants(500, 0), obs: ok, target: 100, scale: true, cond: ScalingLimited, reason: ReasonTooManyReplicas},
		{name: "below min is clamped", cfg: func(c *Config) { c.MinReplicas = 4 }, pol: wants(1, 0), obs: ok, target: 4, scale: true, cond: ScalingLimited, reason: ReasonTooFewReplicas},
		{name: "a ceiling raises max", pol: wants(130, 150), obs: ok, target: 130, scale: true, cond: ScalingLimited, reason: ReasonDesiredWithinRange},
		{name: "a ceiling bounds too", pol: wants(200, 150), obs: ok, target: 150, scale: true, cond: ScalingLimited, reason: ReasonTooManyReplicas},
		{name: "scale-down drains serving replicas", pol: wants(6, 0), obs: ok, drain: true, target: 6, scale: true, drains: 4},
		{name: "scale-down drains only what is serving", pol: wants(6, 0), drain: true, target: 6, scale: true, drains: 1,
			obs: observations{sample: ok.sample, state: actuator.State{Desired: 10, Ready: 7}}},
		{name: "missing second metric forbids scale-down", pol: wants(6, 0), extra: true, obs: sample(map[Metric]float64{RequestRate: 100}),
			target: 10, cond: ScalingLimited, reason: ReasonNoScaleDown},
		{name: "missing second metric allows scale-up", pol: wants(12, 0), extra: true, obs: sample(map[Metric]float64{RequestRate: 100}),
			target: 12, scale: true},
		{name: "suspect high sample adds at most half", pol: wants(40, 0), warm: true, obs: sample(map[Metric]float64{RequestRate: 1e6}), target: 15,
			scale: true, cond: ScalingLimited, reason: ReasonSuspectSample},
		{name: "suspect high sample removes nothing", pol: wants(5, 0), warm: true, obs: sample(map[Metric]float64{RequestRate: 1e6}), target: 10,
			cond: ScalingLimited, reason: ReasonNoScaleDown},
		{name: "suspect low sample holds", pol: wants(5, 0), warm: true, obs: sample(map[Metric]float64{RequestRate: 0}), target: 10,
			held: ReasonSuspectSample, cond: ScalingActive, reason: ReasonSuspectSample},
		{name: "a fall continued adds nothing", pol: wants(14, 0), warm: true, fallen: true, obs: sample(map[Metric]float64{RequestRate: 5}), target: 10,
			cond: ScalingLimited, reason: ReasonLoadFell},
		{name: "a fall continued scales down", pol: wants(3, 0), warm: true, fallen: true, obs: sample(map[Metric]float64{RequestRate: 5}), target: 3,
			scale: true, cond: ScalingLimited, reason: ReasonDesiredWithinRange},
		{name: "forecast-only plans nothing", cfg: func(c *Config) { c.ForecastOnly = true }, pol: wants(14, 0), obs: ok, target: 14,
			cond: AbleToScale, reason: ReasonForecastOnly},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{PerReplica: 10}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			cfg = cfg.withDefaults()
			var extra []metricOption
			if tc.extra {
				extra = append(extra, metricOption{MetricTarget{Metric: CPU, PerReplica: 1, TargetUtilization: 0.7}, warmup{}})
			}
			s := newState(cfg, Deps{Forecaster: warmup{}, Policy: tc.pol}, extra)
			s.drain = tc.drain
			if tc.warm {
				for range robustWindow {
					s.metrics[0].rob.push(100)
				}
			}
			if tc.fallen {
				s.metrics[0].rob.push(5)
			}
			rep, v := s.decide(t0, tc.obs)
			assert.Equal(t, tc.target, rep.Plan.Target, rep.Decision.Reason)
			assert.Equal(t, tc.scale, rep.Plan.Scale, "scale")
			assert.Equal(t, tc.drains, rep.Plan.Drain, "drain")
			assert.Equal(t, tc.held, v.holdReason, "hold reason: %s", v.holdMsg)
			assert.Equal(t, tc.held != "", rep.Held)
			if tc.cond != "" {
				c, found := rep.Condition(tc.cond)
				assert.True(t, found)
				assert.Equal(t, tc.reason, c.Reason, c.Message)
			}
			assert.Len(t, rep.Conditions, 6, "one condition per type")
		})
	}
}

func TestGridTime(t *testing.T) {
	s := newState(Config{PerReplica: 10}.withDefaults(), Deps{Forecaster: warmup{}, Policy: wants(1, 0)}, nil)
	var v verdict
	at := func(d time.Duration) (time.Time, bool) {
		v = verdict{}
		g, ok := s.gridTime(t0.Add(d), &v)
		if ok {
			s.lastGrid = g
		}
		return g, ok
	}
	g, ok := at(0)
	assert.True(t, ok)
	assert.Equal(t, t0, g)
	_, ok = at(time.Minute)
	assert.True(t, ok)
	_, ok = at(time.Minute + 10*time.Second)
	assert.False(t, ok, "a second pass in the same slot is not observed")
	assert.Equal(t, ReasonDuplicatePass, v.holdReason)
	// Back ten minutes, twice: the grid re-anchors one step after the last
	// observation and moves on from there.
	_, ok = at(-8 * time.Minute)
	assert.False(t, ok)
	assert.Equal(t, ReasonClockJump, v.holdReason)
	g, ok = at(-7 * time.Minute)
	assert.True(t, ok)
	assert.Equal(t, t0.Add(2*time.Minute), g)
	g, ok = at(-6 * time.Minute)
	assert.True(t, ok)
	assert.Equal(t, t0.Add(3*time.Minute), g)
}

func TestHistoryKeepsTimesInRuns(t *testing.T) {
	h := newHistory(4, time.Minute)
	for i, d := range []time.Duration{0, 1, 2, 10, 11, 30} {
		h.add(Observation{Time: t0.Add(d * time.Minute), Value: float64(i)})
	}
	got := h.snapshot()
	want := []Observation{{Time: t0.Add(2 * time.Minute), Value: 2}, {Time: t0.Add(10 * time.Minute), Value: 3}, {Time: t0.Add(11 * time.Minute), Value: 4}, {Time: t0.Add(30 * time.Minute), Value: 5}}
	assert.Equal(t, want, got)
	assert.Len(t, h.runs, 3, "runs older than the oldest value are dropped")
}

func TestRobustHighIgnoresOneBlock(t *testing.T) {
	var r robust
	for i := range 3 * blockLen {
		v := 100.0
		if i == blockLen+5 {
			v = 1e6 // confirmed once, in one block only
		}
		r.push(v)
	}
	assert.Equal(t, 100.0, r.high())
	assert.Equal(t, 1, r.judge(1e6, 10))
	assert.Equal(t, -1, r.judge(0, 10))
	assert.Equal(t, 0, r.judge(180, 10))
}

// The anomaly band is the 99% band whatever level the forecast was read at.
func TestAnomalyBandIndependentOfLevel(t *testing.T) {
	f := forecast.Forecast{Mean: []float64{100}, Lower: []float64{90}, Upper: []float64{110}, Level: 0.8}
	lo, hi := anomalyBand(f)
	assert.InDelta(t, 100-10*2.5758/1.2816, lo, 0.01)
	assert.InDelta(t, 100+10*2.5758/1.2816, hi, 0.01)
	f.Level = 0.99
	lo, hi = anomalyBand(f)
	assert.InDelta(t, 90, lo, 1e-9)
	assert.InDelta(t, 110, hi, 1e-9)
}
