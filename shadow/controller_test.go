package shadow_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/goleak"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/forecast/forecasttest"
	"github.com/shadowscale/shadowscale/mirror"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// ramp holds 20 req/s for an hour, rises to 200 req/s over two hours,
// holds for an hour, and falls back to 20 over an hour.
func ramp(now time.Time) map[shadow.Metric]float64 {
	m := now.Sub(t0).Minutes() - 60
	var v float64
	switch {
	case m < 0:
		v = 20
	case m < 120:
		v = 20 + 1.5*m
	case m < 180:
		v = 200
	case m < 240:
		v = 200 - 3*(m-180)
	default:
		v = 20
	}
	return map[shadow.Metric]float64{shadow.RequestRate: v, shadow.CPU: v / 100}
}

// TestRunRampScalesAheadOfDemand drives the real Controller with Run on a mock
// clock through a load ramp with a 10-minute provisioning delay: ready
// capacity must cover demand at every pass after warm-up (the scale-ups were
// requested a lead time early) and shrink after the load falls.
func TestRunRampScalesAheadOfDemand(t *testing.T) {
	mock := clock.NewMock()
	mock.Set(t0)
	src := &shadowtest.Source{Script: ramp}
	grp := actuatortest.NewGroup(3, 10*time.Minute, mock.Now)
	fc := &driftForecaster{k: 10, step: time.Minute}
	reports := make(chan shadow.Report, 1)
	c, err := shadow.New(shadow.Config{Interval: time.Minute, LeadTime: 10 * time.Minute, PerReplica: 10, TargetUtilization: 0.8, MaxReplicas: 50},
		shadow.Deps{Source: src, Forecaster: fc, Policy: peakPolicy, Production: grp},
		shadow.WithClock(mock), shadow.WithLogger(testLogger(&syncBuffer{})),
		shadow.WithReportHandler(func(r shadow.Report, err error) {
			assert.NoError(t, err)
			reports <- r
		}))
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	start := time.Now()
	var maxReady, lastReady int
	under := 0
	for i := 0; i < 360; i++ {
		if i > 0 {
			mock.Add(time.Minute)
		}
		r := <-reports
		require.Equal(t, t0.Add(time.Duration(i)*time.Minute), r.Time)
		if i >= 5 && r.Load > float64(r.State.Ready)*10 {
			under++
			t.Errorf("pass %d (%s): load %.0f > ready capacity %d×10", i, r.Time.Format("15:04"), r.Load, r.State.Ready)
		}
		maxReady = max(maxReady, r.State.Ready)
		lastReady = r.State.Ready
	}
	cancel()
	require.NoError(t, <-done)
	assert.Zero(t, under)
	assert.GreaterOrEqual(t, maxReady, 25, "capacity for 200 req/s at 80%% of 10 req/s")
	assert.LessOrEqual(t, lastReady, 5, "capacity falls back after the load falls")
	assert.Less(t, time.Since(start), 5*time.Second)

	// Every scale-up was requested at least a lead time before the
	// replicas it asked for were needed: the first request above 3
	// replicas came before demand exceeded 3 replicas' capacity.
	calls := grp.Calls()
	require.NotEmpty(t, calls)
	assert.Greater(t, calls[0].Target, 3)
	firstNeed := t0.Add(time.Hour + time.Duration((30.0-20)/1.5*float64(time.Minute)))
	assert.True(t, calls[0].At.Add(10*time.Minute).Before(firstNeed) || calls[0].At.Add(10*time.Minute).Equal(firstNeed),
		"first scale-up at %s, ready at %s, needed at %s", calls[0].At, calls[0].At.Add(10*time.Minute), firstNeed)
}

func newMeter() (*sdkmetric.ManualReader, *sdkmetric.MeterProvider) {
	r := sdkmetric.NewManualReader()
	return r, sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
}

// counter sums the int64 counter name for points whose attribute key has val.
func counter(t *testing.T, r *sdkmetric.ManualReader, name, key, val string) int64 {
	t.Helper()
	return sumPoints(t, r, name, func(p metricdata.DataPoint[int64]) bool {
		v, ok := p.Attributes.Value(attribute.Key(key))
		return ok && v.AsString() == val
	})
}

// total sums every point of the int64 counter name.
func total(t *testing.T, r *sdkmetric.ManualReader, name string) int64 {
	t.Helper()
	return sumPoints(t, r, name, func(metricdata.DataPoint[int64]) bool { return true })
}

// sumPoints sums the points of the int64 counter name that keep accepts.
func sumPoints(t *testing.T, r *sdkmetric.ManualReader, name string, keep func(metricdata.DataPoint[int64]) bool) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(context.Background(), &rm))
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			sum, ok := m.Data.(metricdata.Sum[int64])
			require.True(t, ok, "%s is %T", name, m.Data)
			for _, p := range sum.DataPoints {
				if keep(p) {
					n += p.Value
				}
			}
		}
	}
	return n
}

// TestStepDependencyFailures fails each dependency in turn: the pass holds
// capacity, the error is counted and logged, and the next pass recovers.
func TestStepDependencyFailures(t *testing.T) {
	for _, tc := range dependencyCases() {
		t.Run(tc.name, func(t *testing.T) { testDependencyFailure(t, tc) })
	}
}

// dependencyCase breaks one dependency and fixes it again.
type dependencyCase struct {
	name   string
	dep    string
	break_ func(src *shadowtest.Source, fc *driftForecaster, grp *actuatortest.Group, m *fakeMirror)
	fix    func(src *shadowtest.Source, fc *driftForecaster, grp *actuatortest.Group, m *fakeMirror)
	held   bool
}

func dependencyCases() []dependencyCase {
	boom := errors.New("boom")
	return []dependencyCase{
		{"metrics source error", "metrics",
			func(src *shadowtest.Source, _ *driftForecaster, _ *actuatortest.Group, _ *fakeMirror) {
				src.SetError(boom)
			},
			func(src *shadowtest.Source, _ *driftForecaster, _ *actuatortest.Group, _ *fakeMirror) {
				src.SetError(nil)
			}, true},
		{"metrics NaN", "metrics",
			func(src *shadowtest.Source, _ *driftForecaster, _ *actuatortest.Group, _ *fakeMirror) {
				src.Script = func(time.Time) map[shadow.Metric]float64 {
					return map[shadow.Metric]float64{shadow.RequestRate: math.NaN()}
				}
			},
			func(src *shadowtest.Source, _ *driftForecaster, _ *actuatortest.Group, _ *fakeMirror) {
				src.Script = surge
			}, true},
		{"forecaster error", "forecast",
			func(_ *shadowtest.Source, fc *driftForecaster, _ *actuatortest.Group, _ *fakeMirror) { fc.err = boom },
			func(_ *shadowtest.Source, fc *driftForecaster, _ *actuatortest.Group, _ *fakeMirror) { fc.err = nil }, true},
		{"actuator current error", "actuator",
			func(_ *shadowtest.Source, _ *driftForecaster, g *actuatortest.Group, _ *fakeMirror) {
				g.SetCurrentError(boom)
			},
			func(_ *shadowtest.Source, _ *driftForecaster, g *actuatortest.Group, _ *fakeMirror) {
				g.SetCurrentError(nil)
			}, true},
		{"actuator scale error", "actuator",
			func(_ *shadowtest.Source, _ *driftForecaster, g *actuatortest.Group, _ *fakeMirror) {
				g.SetScaleError(boom)
			},
			func(_ *shadowtest.Source, _ *driftForecaster, g *actuatortest.Group, _ *fakeMirror) {
				g.SetScaleError(nil)
			}, false},
		{"stale shadow stats", "shadow",
			func(_ *shadowtest.Source, _ *driftForecaster, _ *actuatortest.Group, m *fakeMirror) {
				m.set(mirror.Stats{At: t0, Requests: 100, P95: time.Second}, nil)
				m.frozen = true
			},
			func(_ *shadowtest.Source, _ *driftForecaster, _ *actuatortest.Group, m *fakeMirror) { m.frozen = false }, false},
	}
}

func testDependencyFailure(t *testing.T, tc dependencyCase) {
	reader, mp := newMeter()
	logs := &syncBuffer{}
	src := &shadowtest.Source{Script: surge}
	now := t0
	grp := actuatortest.NewGroup(2, 0, func() time.Time { return now })
	fc := &driftForecaster{k: 5, step: time.Minute}
	m := &fakeMirror{}
	c, err := shadow.New(shadow.Config{PerReplica: 10, MaxReplicas: 40},
		shadow.Deps{Source: src, Forecaster: fc, Policy: peakPolicy, Production: grp},
		shadow.WithMeterProvider(mp), shadow.WithLogger(testLogger(logs)),
		shadow.WithRetry(actuator.RetryConfig{After: instant, MaxRetries: 2}),
		shadow.WithShadowPool(m, actuatortest.NewGroup(0, 0, func() time.Time { return now }), shadow.PoolConfig{MinHistory: 1, ProvisionAfter: 1, MaxForecastError: 10}))
	require.NoError(t, err)
	ctx := context.Background()
	step := func() (shadow.Report, error) {
		if !m.frozen {
			m.set(mirror.Stats{At: now, Requests: 100, P95: 50 * time.Millisecond}, nil)
		}
		r, err := c.Step(ctx, now)
		now = now.Add(time.Minute)
		return r, err
	}
	for range 10 { // warm up at 50 req/s
		_, err := step()
		require.NoError(t, err)
	}
	before := grp.Calls()
	tc.break_(src, fc, grp, m)
	// The surge begins now: a healthy pass would scale up.
	for range 3 {
		r, err := step()
		require.Error(t, err)
		assert.Equal(t, tc.held, r.Held, "held")
		if tc.held {
			assert.Equal(t, policy.NoChange, r.Decision.Action)
			assert.Contains(t, r.Decision.Reason, "holding")
		}
	}
	if tc.held {
		assert.Equal(t, len(before), len(grp.Calls()), "no Scale call while holding")
	}
	assert.GreaterOrEqual(t, counter(t, reader, "shadowscale.errors", "dependency", tc.dep), int64(3))
	assert.Contains(t, logs.String(), "dependency="+tc.dep)

	tc.fix(src, fc, grp, m)
	r, err := step()
	require.NoError(t, err)
	assert.False(t, r.Held)
	st, err := grp.Current(ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, st.Desired, policy.Replicas(90, 10, 0.7), "recovered and scaled for the surge")
}

// surge is 50 req/s for ten minutes, then 90.
func surge(now time.Time) map[shadow.Metric]float64 {
	v := 50.0
	if now.Sub(t0) >= 10*time.Minute {
		v = 90
	}
	return map[shadow.Metric]float64{shadow.RequestRate: v}
}

func TestActuationFailureAlert(t *testing.T) {
	now := t0
	grp := actuatortest.NewGroup(1, 0, func() time.Time { return now })
	grp.SetScaleError(actuator.Permanent(errors.New("access denied")))
	var alerts []shadow.Alert
	c, err := shadow.New(shadow.Config{PerReplica: 10, ActuationFailureAlert: 2},
		shadow.Deps{Source: shadowtest.NewSource(100), Forecaster: &driftForecaster{k: 3, step: time.Minute}, Policy: peakPolicy, Production: grp},
		shadow.WithLogger(testLogger(&syncBuffer{})), shadow.WithAlertHandler(func(a shadow.Alert) { alerts = append(alerts, a) }),
		shadow.WithRetry(actuator.RetryConfig{After: instant}))
	require.NoError(t, err)
	for range 3 {
		_, err := c.Step(context.Background(), now)
		require.Error(t, err)
		assert.True(t, actuator.IsPermanent(err))
		now = now.Add(time.Minute)
	}
	assert.Len(t, grp.Calls(), 3, "a permanent error is not retried")
	require.Len(t, alerts, 1)
	assert.Equal(t, shadow.AlertActuationFailures, alerts[0].Kind)
	assert.Contains(t, alerts[0].Message, "access denied")
}

func TestTransientErrorsRetried(t *testing.T) {
	now := t0
	grp := actuatortest.NewGroup(1, 0, func() time.Time { return now })
	grp.FailScale(errors.New("throttled"), errors.New("throttled"))
	c, err := shadow.New(shadow.Config{PerReplica: 10},
		shadow.Deps{Source: shadowtest.NewSource(100), Forecaster: &driftForecaster{k: 3, step: time.Minute}, Policy: peakPolicy, Production: grp},
		shadow.WithLogger(testLogger(&syncBuffer{})), shadow.WithRetry(actuator.RetryConfig{After: instant}))
	require.NoError(t, err)
	r, err := c.Step(context.Background(), now)
	require.NoError(t, err)
	assert.True(t, r.Actuated)
	assert.Len(t, grp.Calls(), 3)
	st, _ := grp.Current(context.Background())
	assert.Equal(t, 15, st.Desired)
}

func TestLeadTimeLearned(t *testing.T) {
	now := t0
	grp := actuatortest.NewGroup(1, 4*time.Minute, func() time.Time { return now })
	src := &shadowtest.Source{Script: func(n time.Time) map[shadow.Metric]float64 {
		return map[shadow.Metric]float64{shadow.RequestRate: 10 * (1 + n.Sub(t0).Minutes())}
	}}
	c, err := shadow.New(shadow.Config{PerReplica: 10, TargetUtilization: 1, LeadTime: 10 * time.Minute, MaxReplicas: 1000},
		shadow.Deps{Source: src, Forecaster: &driftForecaster{k: 3, step: time.Minute}, Policy: peakPolicy, Production: grp},
		shadow.WithLogger(testLogger(&syncBuffer{})))
	require.NoError(t, err)
	assert.Equal(t, 10*time.Minute, c.LeadTime())
	var last shadow.Report
	for range 30 {
		last, err = c.Step(context.Background(), now)
		require.NoError(t, err)
		now = now.Add(time.Minute)
	}
	assert.Equal(t, 4*time.Minute, c.LeadTime(), "P90 of observed request→ready times")
	assert.Equal(t, 5, last.LeadSteps, "lead time plus one interval")
}

func TestNegativeLeadTimeMeansNone(t *testing.T) {
	now := t0
	grp := actuatortest.NewGroup(1, 0, func() time.Time { return now })
	c, err := shadow.New(shadow.Config{PerReplica: 10, LeadTime: -1, DisableLeadTimeLearning: true},
		shadow.Deps{Source: shadowtest.NewSource(10), Forecaster: &driftForecaster{k: 3, step: time.Minute}, Policy: peakPolicy, Production: grp},
		shadow.WithLogger(testLogger(&syncBuffer{})))
	require.NoError(t, err)
	assert.Equal(t, time.Duration(0), c.LeadTime(), "a negative LeadTime selects none, not the 10m default")
	r, err := c.Step(context.Background(), now)
	require.NoError(t, err)
	assert.Equal(t, 1, r.LeadSteps, "no lead time: the horizon is the next interval")
}

func TestHistoryBounded(t *testing.T) {
	now := t0
	c, err := shadow.New(shadow.Config{PerReplica: 10, HistorySize: 5},
		shadow.Deps{Source: shadowtest.NewSource(10), Forecaster: &driftForecaster{k: 3, step: time.Minute}, Policy: peakPolicy,
			Production: actuatortest.NewGroup(1, 0, func() time.Time { return now })},
		shadow.WithLogger(testLogger(&syncBuffer{})))
	require.NoError(t, err)
	for range 8 {
		_, err := c.Step(context.Background(), now)
		require.NoError(t, err)
		now = now.Add(time.Minute)
	}
	h := c.History()
	require.Len(t, h, 5)
	assert.Equal(t, t0.Add(3*time.Minute), h[0].Time)
	assert.Equal(t, t0.Add(7*time.Minute), h[4].Time)
}

func TestAnomalyAlert(t *testing.T) {
	now := t0
	src := shadowtest.NewSource(100)
	var alerts []shadow.Alert
	reader, mp := newMeter()
	c, err := shadow.New(shadow.Config{PerReplica: 10},
		shadow.Deps{Source: src, Forecaster: &driftForecaster{k: 5, step: time.Minute}, Policy: peakPolicy,
			Production: actuatortest.NewGroup(1, 0, func() time.Time { return now })},
		shadow.WithLogger(testLogger(&syncBuffer{})), shadow.WithMeterProvider(mp),
		shadow.WithAlertHandler(func(a shadow.Alert) { alerts = append(alerts, a) }))
	require.NoError(t, err)
	for range 6 {
		_, err := c.Step(context.Background(), now)
		require.NoError(t, err)
		now = now.Add(time.Minute)
	}
	require.Empty(t, alerts, "steady load is inside the band")
	// (Less than three times the highest load so far: not held as
	// suspect, judged by the detector.)
	src.Set(shadow.RequestRate, 280)
	r, err := c.Step(context.Background(), now)
	require.NoError(t, err)
	require.Len(t, r.Alerts, 1)
	assert.Equal(t, shadow.AlertAnomaly, r.Alerts[0].Kind)
	assert.Contains(t, r.Alerts[0].Message, "load 280 outside")
	assert.Equal(t, int64(1), counter(t, reader, "shadowscale.alerts", "kind", "anomaly"))
}

func TestNewValidates(t *testing.T) {
	deps := shadow.Deps{Source: shadowtest.NewSource(1), Forecaster: &driftForecaster{}, Policy: peakPolicy, Production: actuatortest.NewGroup(1, 0, nil)}
	cases := []struct {
		name string
		cfg  shadow.Config
		deps shadow.Deps
		opts []shadow.Option
		want string
	}{
		{"negative interval", shadow.Config{Interval: -time.Second, PerReplica: 1}, deps, nil, "Config.Interval (-1s) must be positive"},
		{"no per-replica", shadow.Config{}, deps, nil, "Config.PerReplica (0)"},
		{"NaN per-replica", shadow.Config{PerReplica: math.NaN()}, deps, nil, "Config.PerReplica (NaN)"},
		{"target above 1", shadow.Config{PerReplica: 1, TargetUtilization: 1.5}, deps, nil, "Config.TargetUtilization (1.5)"},
		{"min > max", shadow.Config{PerReplica: 1, MinReplicas: 5, MaxReplicas: 2}, deps, nil, "Config.MinReplicas (5) must not exceed MaxReplicas (2)"},
		{"negative min", shadow.Config{PerReplica: 1, MinReplicas: -1, MaxReplicas: 2}, deps, nil, "Config.MinReplicas (-1)"},
		{"level", shadow.Config{PerReplica: 1, Level: 1}, deps, nil, "Config.Level (1)"},
		{"history", shadow.Config{PerReplica: 1, HistorySize: 1}, deps, nil, "Config.HistorySize (1)"},
		{"history too large to allocate", shadow.Config{PerReplica: 1, HistorySize: 1 << 40}, deps, nil, "Config.HistorySize (1099511627776) must be in [2, 4194304]"},
		{"nil source", shadow.Config{PerReplica: 1}, shadow.Deps{Forecaster: deps.Forecaster, Policy: deps.Policy, Production: deps.Production}, nil, "Deps.Source is nil"},
		{"nil forecaster", shadow.Config{PerReplica: 1}, shadow.Deps{Source: deps.Source, Policy: deps.Policy, Production: deps.Production}, nil, "Deps.Forecaster is nil"},
		{"nil policy", shadow.Config{PerReplica: 1}, shadow.Deps{Source: deps.Source, Forecaster: deps.Forecaster, Production: deps.Production}, nil, "Deps.Policy is nil"},
		{"nil production", shadow.Config{PerReplica: 1}, shadow.Deps{Source: deps.Source, Forecaster: deps.Forecaster, Policy: deps.Policy}, nil, "Deps.Production is nil"},
		{"retry", shadow.Config{PerReplica: 1}, deps, []shadow.Option{shadow.WithRetry(actuator.RetryConfig{InitialInterval: -1})}, "InitialInterval (-1ns)"},
		{"pool scale", shadow.Config{PerReplica: 1}, deps, []shadow.Option{shadow.WithShadowPool(&fakeMirror{}, actuatortest.NewGroup(0, 0, nil), shadow.PoolConfig{Scale: 2})}, "PoolConfig.Scale (2)"},
		{"pool min > max", shadow.Config{PerReplica: 1}, deps, []shadow.Option{shadow.WithShadowPool(&fakeMirror{}, actuatortest.NewGroup(0, 0, nil), shadow.PoolConfig{MinReplicas: 3, MaxReplicas: 2})}, "PoolConfig.MinReplicas (3) must not exceed MaxReplicas (2)"},
		{"catalog too small", shadow.Config{PerReplica: 1}, deps, []shadow.Option{shadow.WithShadowPool(&fakeMirror{}, actuatortest.NewGroup(0, 0, nil),
			shadow.PoolConfig{Catalog: []shadow.InstanceType{{Name: "tiny", VCPU: 1, MemoryGiB: 1, HourlyPrice: 0.01}}, MinVCPU: 2})}, "no instance type satisfies"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := shadow.New(tc.cfg, tc.deps, tc.opts...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := shadow.New(shadow.Config{PerReplica: 1}, deps)
	require.NoError(t, err)
	_, err = shadow.New(shadow.Config{PerReplica: 1}, shadow.Deps{Forecaster: deps.Forecaster, Policy: deps.Policy, Production: deps.Production})
	assert.ErrorIs(t, err, shadow.ErrMissingDependency)
}

func TestRunReturnsOnCancel(t *testing.T) {
	mock := clock.NewMock()
	mock.Set(t0)
	c, err := shadow.New(shadow.Config{PerReplica: 10},
		shadow.Deps{Source: shadowtest.NewSource(10), Forecaster: &driftForecaster{k: 3, step: time.Minute}, Policy: peakPolicy,
			Production: actuatortest.NewGroup(1, 0, mock.Now)},
		shadow.WithClock(mock), shadow.WithLogger(testLogger(&syncBuffer{})))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, c.Run(ctx))
	_ = forecast.Forecast{}
}

type scriptedDetector struct{ alarmAt float64 }

func (d scriptedDetector) Detect(t time.Time, v float64) (forecast.Anomaly, error) {
	if v >= d.alarmAt {
		return forecast.Anomaly{Time: t, Value: v, Outside: true, Alarm: true, Reason: "detector: alarm"}, nil
	}
	return forecast.Anomaly{Time: t, Value: v}, nil
}

func TestAnomalyDetectorOption(t *testing.T) {
	now := t0
	src := shadowtest.NewSource(100)
	c, err := shadow.New(shadow.Config{PerReplica: 10},
		shadow.Deps{Source: src, Forecaster: &driftForecaster{k: 5, step: time.Minute}, Policy: peakPolicy,
			Production: actuatortest.NewGroup(1, 0, func() time.Time { return now })},
		shadow.WithLogger(testLogger(&syncBuffer{})), shadow.WithAnomalyDetector(scriptedDetector{alarmAt: 800}))
	require.NoError(t, err)
	// (Less than three times the highest load so far: not held as
	// suspect.)
	for _, v := range []float64{100, 100, 100, 100, 100, 280, 800} {
		src.Set(shadow.RequestRate, v)
		r, err := c.Step(context.Background(), now)
		require.NoError(t, err)
		if v < 800 {
			assert.Empty(t, r.Alerts, "the detector decides, not the built-in band (load %v)", v)
		} else {
			require.Len(t, r.Alerts, 1)
			assert.Equal(t, "detector: alarm", r.Alerts[0].Message)
		}
		now = now.Add(time.Minute)
	}
}

// TestImplausibleForecastHeld: a forecast whose upper bound is far beyond
// anything observed is a broken model; the pass holds instead of buying
// the maximum fleet, and says why.
func TestImplausibleForecastHeld(t *testing.T) {
	now := t0
	grp := actuatortest.NewGroup(2, 0, func() time.Time { return now })
	sane := forecasttest.Step{Forecast: forecast.Forecast{Mean: []float64{100}, Lower: []float64{90}, Upper: []float64{110}}}
	broken := forecasttest.Step{Forecast: forecast.Forecast{Mean: []float64{100}, Lower: []float64{0}, Upper: []float64{8e18}}}
	fc := &forecasttest.Fake{Script: []forecasttest.Step{sane, sane, broken}}
	logs := &syncBuffer{}
	c, err := shadow.New(shadow.Config{PerReplica: 10, MaxReplicas: 1000},
		shadow.Deps{Source: shadowtest.NewSource(100), Forecaster: fc, Policy: peakPolicy, Production: grp},
		shadow.WithLogger(testLogger(logs)))
	require.NoError(t, err)
	for i := range 3 {
		r, err := c.Step(context.Background(), now)
		now = now.Add(time.Minute)
		if i < 2 {
			require.NoError(t, err)
			continue
		}
		require.Error(t, err)
		assert.Contains(t, err.Error(), "exceeds 10 × the recent high load 100")
		assert.True(t, r.Held)
		assert.Contains(t, r.Decision.Reason, "upper bound 8e+18")
		held, _ := r.Condition(shadow.Held)
		assert.Equal(t, shadow.ReasonImplausible, held.Reason)
	}
	st, _ := grp.Current(context.Background())
	assert.Less(t, st.Desired, 100)
}
