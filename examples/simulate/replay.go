package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
)

// options describe one replay.
type options struct {
	Policy     string // "predictive" or "reactive"
	PerReplica float64
	ReadyDelay time.Duration
	Target     float64
	Min, Max   int
	// Shadows enables the shadow pool and its signal (predictive only).
	Shadows bool
	// RegressionAt, in (0, 1), is where per-replica capacity drops to
	// RegressionFactor × PerReplica (a slower release); 0 disables it.
	RegressionAt     float64
	RegressionFactor float64
	// Quantile, DownscaleThreshold, ForecastScaleIn, NoRamp and RampWindow
	// tune the predictive stack (0/false: the library defaults).
	Quantile           float64
	DownscaleThreshold float64
	ForecastScaleIn    bool
	NoRamp             bool
	RampWindow         int
	// Rule is the predictive stack's forecast rule: "threshold" (or
	// empty) or "planner".
	Rule string
	// ScaleDownStabilization, if positive, is the predictive stack's
	// scale-down stabilization window (PredictiveConfig).
	ScaleDownStabilization time.Duration
	// Select is how the predictive stack's forecaster chooses its model
	// (forecast.AutoConfig.Select; zero: the default).
	Select forecast.SelectMethod
	// ResidualWindow is the predictive stack's forecaster's error-scale
	// time constant in steps (forecast.AutoConfig.ResidualWindow; zero:
	// the default).
	ResidualWindow int
	// Horizon is the number of steps ahead the predictive stack's
	// forecaster's backtest scores (forecast.AutoConfig.Horizon; zero: the
	// default).
	Horizon int
	// BiasWindow is the time constant of the tracking signal that refits
	// the predictive stack's forecaster early, at least 12 steps
	// (forecast.AutoConfig.BiasWindow; zero: the forecaster's default, an
	// hour; negative: never).
	BiasWindow time.Duration
	// Reasons keeps each step's decision reason in its row.
	Reasons bool
	// RestartAt, when positive, restarts the Controller before that trace
	// step: it saves a snapshot after every pass, and a new Controller,
	// forecaster and policy restore it and read the history back from the
	// trace; the groups and the mirror live on, as they would.
	RestartAt int
	// Progress, if not nil, receives a progress line every 10%.
	Progress io.Writer
	Label    string
}

// row is one step of a replay.
type row struct {
	Time     time.Time
	Demand   float64
	Forecast float64 // one-step-ahead mean forecast made at the previous step
	Upper    float64 // the bound provisioned for at that step: the peak bound of the lead window, else the step's upper bound
	Desired  int
	Ready    int
	Shadows  int
	Capacity float64 // effective per-replica capacity at this step
	Action   policy.Action
	ShadowUp bool   // the shadow signal triggered this step's scale-up
	Reason   string // the pass's decision reason (options.Reasons only)
}

// result is a replay's rows and summary.
type result struct {
	Opts     options
	Rows     []row
	Summary  summary
	Model    string
	restored bool // the restarted Controller restored its snapshot
}

// summary holds the judged metrics and the operator's view.
type summary struct {
	Policy        string  `json:"policy"`
	Steps         int     `json:"steps"`
	Under         float64 `json:"under_provisioned_fraction"`
	CapacityRatio float64 `json:"capacity_ratio"`
	ScaleEvents   int     `json:"scale_events"`
	// PaidCapacityRatio counts what a bill counts: every requested
	// replica, booting included (Σ desired × C / Σ demand).
	PaidCapacityRatio float64 `json:"paid_capacity_ratio"`
	// ReplicaStarts is Σ positive changes of desired: each is a boot paid
	// before the replica serves.
	ReplicaStarts int     `json:"replica_starts"`
	PaidHours     float64 `json:"-"` // requested replica-hours

	UnderEffective float64 `json:"-"` // under-provisioning against the effective (regressed) capacity
	ReplicaHours   float64 `json:"-"`
	ShadowHours    float64 `json:"-"`
	WorstShortfall float64 `json:"-"` // largest demand − ready capacity, in replicas
	ShadowScaleUps int     `json:"-"`
	// PassErrors counts passes that reported a failure (a held pass, an
	// implausible forecast): the replay goes on, as Run does.
	PassErrors int `json:"pass_errors"`
	// Restart, with -restart-at, compares this replay with the same one
	// whose Controller restarted.
	Restart *restartResult `json:"restart,omitempty"`
}

// restartResult is a restarted replay next to the uninterrupted one.
type restartResult struct {
	// At is the trace step before which the Controller restarted.
	At int `json:"at_step"`
	// DifferingSteps counts the steps whose requested, ready or shadow
	// replicas, action, shadow trigger or one-step forecast (mean and
	// upper bound, to 1e-9 relative) differ from the uninterrupted
	// replay's.
	DifferingSteps int `json:"differing_steps"`
	// Restored is false when the restarted Controller found no usable
	// snapshot.
	Restored bool `json:"restored"`
	// Summary is the restarted replay's.
	Summary summary `json:"summary"`
}

// traceSource is the replay's metrics source: the trace value of the
// current step, and the trace's past as a shadow.HistorySource.
type traceSource struct {
	tr  Trace
	cur func() int // the current step
}

func (s traceSource) Sample(context.Context, time.Time) (shadow.Sample, error) {
	i := s.cur()
	return shadow.Sample{Time: s.tr.Times[i], Values: map[shadow.Metric]float64{shadow.RequestRate: s.tr.Values[i]}}, nil
}

// History returns the trace's values from from to to, never past the
// current step.
func (s traceSource) History(_ context.Context, m shadow.Metric, from, to time.Time, _ time.Duration) ([]shadow.Observation, error) {
	if m != shadow.RequestRate {
		return nil, fmt.Errorf("trace has no metric %q", m)
	}
	lo, _ := slices.BinarySearchFunc(s.tr.Times, from, func(t, x time.Time) int { return t.Compare(x) })
	var out []shadow.Observation
	for i := lo; i < s.cur() && !s.tr.Times[i].After(to); i++ {
		out = append(out, shadow.Observation{Time: s.tr.Times[i], Value: s.tr.Values[i]})
	}
	return out, nil
}

// memStore is the replay's shadow.StateStore.
type memStore struct {
	mu   sync.Mutex
	data []byte
}

func (m *memStore) Load(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		return nil, shadow.ErrNoSnapshot
	}
	return m.data, nil
}

func (m *memStore) Save(_ context.Context, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = data
	return nil
}

// shadowCatalog is the instance catalog the replay's shadow pool chooses
// from; hourly prices are illustrative on-demand prices.
var shadowCatalog = []shadow.InstanceType{
	{Name: "c-2x4", VCPU: 2, MemoryGiB: 4, HourlyPrice: 0.085},
	{Name: "m-2x8", VCPU: 2, MemoryGiB: 8, HourlyPrice: 0.096},
	{Name: "c-4x8", VCPU: 4, MemoryGiB: 8, HourlyPrice: 0.17},
}

// newForecaster returns the predictive stack's forecaster for the grid,
// configured by o's Select, ResidualWindow, Horizon and BiasWindow (0:
// the defaults; BiasWindow in steps of the grid, at least minBiasSteps).
func newForecaster(step time.Duration, o options) (forecast.Forecaster, error) {
	bias := 0
	switch {
	case o.BiasWindow < 0:
		bias = -1
	case o.BiasWindow > 0 && step > 0:
		bias = int(max((o.BiasWindow+step-1)/step, minBiasSteps))
	}
	return forecast.NewAuto(forecast.AutoConfig{Step: step, Periods: forecast.SeasonalPeriods(step), Select: o.Select,
		ResidualWindow: o.ResidualWindow, Horizon: o.Horizon, BiasWindow: bias})
}

// minBiasSteps is the fewest steps -bias-window spans.
const minBiasSteps = 12

// newPolicy returns the policy under test.
func newPolicy(o options, step time.Duration) (policy.Policy, error) {
	hpa, err := policy.NewHPA(policy.DefaultHPAConfig())
	if err != nil {
		return nil, err
	}
	if o.Policy == "reactive" {
		return hpa, nil
	}
	cfg := policy.DefaultPredictiveConfig()
	cfg.Reactive = hpa
	// The service's latency objective: its p95 at 90% utilization.
	cfg.Threshold.LatencyThreshold, _ = defaultService.at(0.9)
	if o.Quantile > 0 {
		cfg.Quantile = o.Quantile
	}
	if o.DownscaleThreshold > 0 {
		cfg.Threshold.DownscaleThreshold = o.DownscaleThreshold
	}
	cfg.ForecastScaleIn = o.ForecastScaleIn
	if o.Rule == "planner" {
		cfg.Rule = policy.RulePlanner
	}
	cfg.DisableRamp = o.NoRamp
	cfg.ScaleDownStabilization = o.ScaleDownStabilization
	cfg.Ramp.Window = o.RampWindow
	return policy.Predictive(cfg)
}

// replay runs the trace through a real shadow.Controller, one Step per
// trace step, with in-memory groups that honour the ready delay.
func replay(ctx context.Context, tr Trace, o options) (*result, error) {
	if o.Policy != "predictive" && o.Policy != "reactive" {
		return nil, fmt.Errorf("-policy %q: want predictive or reactive", o.Policy)
	}
	step := tr.Step
	var now time.Time
	clk := func() time.Time { return now }
	initial := max(o.Min, policy.Replicas(tr.Values[0], o.PerReplica, o.Target), 1)
	initial = min(initial, o.Max)
	prod := actuatortest.NewGroup(initial, o.ReadyDelay, clk)

	i := 0
	capacityAt := func(i int) float64 {
		if o.RegressionAt > 0 && i >= int(o.RegressionAt*float64(tr.Len())) {
			return o.PerReplica * o.RegressionFactor
		}
		return o.PerReplica
	}
	src := traceSource{tr: tr, cur: func() int { return i }}
	opts := []shadow.Option{shadow.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
	var sm *simMirror
	var shadows *actuatortest.Group
	if o.Shadows && o.Policy == "predictive" {
		shadows = actuatortest.NewGroup(0, o.ReadyDelay, clk)
		sm = &simMirror{model: defaultService, step: step, window: max(1, int(5*time.Minute/step)), ready: func() int {
			st, _ := shadows.Current(ctx)
			return st.Ready
		}}
		opts = append(opts, shadow.WithShadowPool(sm, shadows, shadow.PoolConfig{
			Scale: 0.05, MaxReplicas: 5, MinHistory: int(time.Hour / step), MaxForecastError: 0.5,
			Catalog: shadowCatalog, MinVCPU: 2, MinMemoryGiB: 4,
		}))
	}
	var store *memStore
	if o.RestartAt > 0 {
		store = &memStore{}
		opts = append(opts, shadow.WithStateStore(store, "simulate"))
	}
	// build makes the Controller with its own forecaster and policy; the
	// first replay pass has no history to read back, so the first
	// Controller reads the current sample only.
	var fc forecast.Forecaster
	build := func(src shadow.MetricsSource) (*shadow.Controller, error) {
		var err error
		if o.Policy == "predictive" {
			fc, err = newForecaster(step, o)
		} else {
			fc, err = forecast.NewNaive(forecast.Config{Step: step})
		}
		if err != nil {
			return nil, err
		}
		pol, err := newPolicy(o, step)
		if err != nil {
			return nil, err
		}
		return shadow.New(shadow.Config{
			Interval: step, LeadTime: leadTime(o.ReadyDelay), PerReplica: o.PerReplica, TargetUtilization: o.Target,
			MinReplicas: o.Min, MaxReplicas: o.Max, DisableLeadTimeLearning: true, Level: level(o),
		}, shadow.Deps{Source: src, Forecaster: fc, Policy: pol, Production: prod}, opts...)
	}
	ctrl, err := build(shadow.SourceFunc(src.Sample))
	if err != nil {
		return nil, err
	}

	res := &result{Opts: o, Rows: make([]row, tr.Len())}
	var prevMean, prevUpper float64
	var prevDesired int
	for i = 0; i < tr.Len(); i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		now = tr.Times[i]
		if i == o.RestartAt && i > 0 {
			if ctrl, err = build(src); err != nil {
				return nil, err
			}
		}
		c := capacityAt(i)
		if sm != nil {
			sm.observe(now, tr.Values[i], c)
		}
		rep, stepErr := ctrl.Step(ctx, now)
		if i == o.RestartAt && i > 0 {
			res.restored = rep.Restored
		}
		if stepErr != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("step %d (%s): %w", i, now.Format(time.RFC3339), stepErr)
			}
			res.Summary.PassErrors++
		}
		st, err := prod.Current(ctx)
		if err != nil {
			return nil, err
		}
		r := row{Time: now, Demand: tr.Values[i], Forecast: prevMean, Upper: prevUpper, Desired: st.Desired, Ready: st.Ready,
			Capacity: c, Action: rep.Decision.Action, ShadowUp: rep.Decision.ShadowTriggered && rep.Actuated}
		if o.Reasons {
			r.Reason = rep.Decision.Reason
			if stepErr != nil {
				r.Reason = "pass failed: " + stepErr.Error()
			}
		}
		if shadows != nil {
			ss, _ := shadows.Current(ctx)
			r.Shadows = ss.Desired
		}
		res.Rows[i] = r
		if i == 0 {
			prevDesired = st.Desired
		}
		if st.Desired != prevDesired {
			res.Summary.ScaleEvents++
		}
		prevDesired = st.Desired
		prevMean, prevUpper = 0, 0
		if f := rep.Forecast; f.Len() > 0 {
			prevMean, prevUpper = f.Mean[0], f.Upper[0]
			if rep.PeakUpper > 0 {
				prevUpper = max(rep.PeakUpper, f.Mean[0])
			}
		}
		if o.Progress != nil && (10*(i+1)/tr.Len() > 10*i/tr.Len()) {
			fmt.Fprintf(o.Progress, "%s: %d%% (%d/%d steps)\n", o.Label, 100*(i+1)/tr.Len(), i+1, tr.Len())
		}
	}
	if n, ok := fc.(forecast.Namer); ok {
		res.Model = n.Name()
	}
	res.Summary = summarize(res.Rows, o, step, res.Summary.ScaleEvents)
	return res, nil
}

func summarize(rows []row, o options, step time.Duration, events int) summary {
	s := summary{Policy: o.Policy, Steps: len(rows), ScaleEvents: events}
	var capSum, paidSum, demSum float64
	under, underEff := 0, 0
	for i, r := range rows {
		capSum += float64(r.Ready) * o.PerReplica
		paidSum += float64(r.Desired) * o.PerReplica
		if i > 0 && r.Desired > rows[i-1].Desired {
			s.ReplicaStarts += r.Desired - rows[i-1].Desired
		}
		s.PaidHours += float64(r.Desired) * step.Hours()
		demSum += r.Demand
		if r.Demand > float64(r.Ready)*o.PerReplica+1e-9 {
			under++
		}
		if r.Demand > float64(r.Ready)*r.Capacity+1e-9 {
			underEff++
		}
		s.WorstShortfall = math.Max(s.WorstShortfall, (r.Demand-float64(r.Ready)*r.Capacity)/o.PerReplica)
		s.ReplicaHours += float64(r.Ready) * step.Hours()
		s.ShadowHours += float64(r.Shadows) * step.Hours()
		if r.ShadowUp {
			s.ShadowScaleUps++
		}
	}
	s.Under = float64(under) / float64(len(rows))
	s.UnderEffective = float64(underEff) / float64(len(rows))
	if demSum > 0 {
		s.CapacityRatio = capSum / demSum
		s.PaidCapacityRatio = paidSum / demSum
	}
	return s
}

// level is the interval level whose upper bound is the quantile the
// predictive stack provisions for (0.8 for the 90th percentile), so that the
// policy reads the forecaster's calibrated quantile rather than one
// converted from a 95% interval under a normal assumption.
func level(o options) float64 {
	q := o.Quantile
	if q <= 0 {
		q = policy.DefaultQuantile
	}
	return 2*q - 1
}

// leadTime is the Controller's LeadTime for a ready delay: shadow.Config
// reads a zero as its 10-minute default, so an instant start is passed as
// a negative value, which selects none.
func leadTime(readyDelay time.Duration) time.Duration {
	if readyDelay == 0 {
		return -1
	}
	return readyDelay
}
