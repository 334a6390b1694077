package shadow_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/mirror"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
)

// fault is one kind of ordinary fault the week test injects.
type fault int

const (
	noFault fault = iota
	spike1e6
	spike1e12
	spikeMax
	sampleNaN
	sampleZero
	sampleNegative
	sourceError
	clockBack10m // the clock steps back ten minutes and stays there
	clockFwd3h   // the clock steps forward three hours and stays there
	clockFwd1y   // one pass stamped a year ahead
	forecastError
	forecastPanic
	policyPanic
	scaleTransient
	scalePermanent
	scaleHang
	shadowStale
	numFaults
)

var faultNames = [...]string{"none", "spike 1e6", "spike 1e12", "spike MaxFloat64", "NaN", "zero", "negative", "source error",
	"clock −10m", "clock +3h", "clock +1y", "forecaster error", "forecaster panic", "policy panic",
	"scale transient", "scale permanent", "scale hang", "shadow stats stale"}

func (f fault) String() string { return faultNames[f] }

// rig is the world of the week test: a daily load, faulty dependencies and
// a production group whose replicas take three minutes to become ready.
type rig struct {
	mu    sync.Mutex
	fault fault
	now   time.Time
	rng   *rand.Rand
}

func (r *rig) current() fault { r.mu.Lock(); defer r.mu.Unlock(); return r.fault }

// load is a daily cycle between 60 and 140 req/s with 3% noise.
func (r *rig) load(t time.Time) float64 {
	day := float64(t.Sub(t0)) / float64(24*time.Hour)
	v := 100 + 40*math.Sin(2*math.Pi*day)
	return v * (1 + 0.03*r.rng.NormFloat64())
}

func (r *rig) Sample(_ context.Context, now time.Time) (shadow.Sample, error) {
	v := r.load(now)
	switch r.current() {
	case spike1e6:
		v = 1e6
	case spike1e12:
		v = 1e12
	case spikeMax:
		v = math.MaxFloat64
	case sampleNaN:
		v = math.NaN()
	case sampleZero:
		v = 0
	case sampleNegative:
		v = -5
	case sourceError:
		return shadow.Sample{}, errors.New("scrape failed")
	}
	return shadow.Sample{Time: now, Values: map[shadow.Metric]float64{shadow.RequestRate: v}}, nil
}

// faultyForecaster fails or panics when told to.
type faultyForecaster struct {
	forecast.Forecaster
	r *rig
}

func (f faultyForecaster) Forecast(h int, level float64) (forecast.Forecast, error) {
	switch f.r.current() {
	case forecastError:
		return forecast.Forecast{}, errors.New("model diverged")
	case forecastPanic:
		panic("index out of range in a plug-in")
	}
	return f.Forecaster.Forecast(h, level)
}

// faultyPolicy panics when told to.
type faultyPolicy struct {
	policy.Policy
	r *rig
}

func (p faultyPolicy) Decide(in policy.Input) (policy.Decision, error) {
	if p.r.current() == policyPanic {
		panic("nil map in a custom policy")
	}
	return p.Policy.Decide(in)
}

// faultyGroup fails or hangs its Scale calls when told to.
type faultyGroup struct {
	*actuatortest.Group
	r *rig
}

func (g faultyGroup) Scale(ctx context.Context, n int) error {
	switch g.r.current() {
	case scaleTransient:
		return errors.New("503 service unavailable")
	case scalePermanent:
		return actuator.Permanent(errors.New("403 access denied"))
	case scaleHang:
		<-ctx.Done()
		return ctx.Err()
	}
	return g.Group.Scale(ctx, n)
}

// countingDrainer drains at once and counts what it drained and restored.
type countingDrainer struct {
	mu                 sync.Mutex
	drained, undrained int
}

func (d *countingDrainer) Drain(_ context.Context, n int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.drained += n
	return nil
}

func (d *countingDrainer) Undrain(_ context.Context, n int) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.undrained += n
	return n, nil
}

// total sums every point of the int64 counter name.
func total(t *testing.T, r *sdkmetric.ManualReader, name string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(context.Background(), &rm))
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if s, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == name {
				for _, p := range s.DataPoints {
					n += p.Value
				}
			}
		}
	}
	return n
}

// TestFaultWeek runs a week of one-minute passes of the default Predictive
// stack with a shadow pool and a drainer, and injects every ordinary fault
// at seeded random times. Every pass must keep the invariants.
func TestFaultWeek(t *testing.T) {
	if testing.Short() {
		t.Skip("a week of passes; run without -short")
	}
	const (
		passes = 7 * 24 * 60
		minR   = 2
		maxR   = 60
	)
	r := &rig{now: t0, rng: rand.New(rand.NewPCG(7, 9))}
	schedule := make([]fault, passes)
	frng := rand.New(rand.NewPCG(11, 13))
	for i := 600; i < passes-30; i += 40 + frng.IntN(60) {
		f := fault(1 + frng.IntN(int(numFaults)-1))
		n := 1
		if f >= scaleTransient && f <= scaleHang {
			n = 15 // long enough to meet scale-ups and scale-downs
		}
		for k := range n {
			schedule[i+k] = f
		}
	}
	reader, mp := newMeter()
	logs := &syncBuffer{}
	grp := actuatortest.NewGroup(15, 3*time.Minute, func() time.Time { return r.now })
	shadows := actuatortest.NewGroup(0, 0, func() time.Time { return r.now })
	fm := &fakeMirror{}
	dr := &countingDrainer{}
	auto, err := forecast.NewAuto(forecast.AutoConfig{Step: time.Minute, Periods: []int{1440}})
	require.NoError(t, err)
	pol, err := policy.Predictive(policy.DefaultPredictiveConfig())
	require.NoError(t, err)
	c, err := shadow.New(shadow.Config{PerReplica: 10, MinReplicas: minR, MaxReplicas: maxR, LeadTime: 3 * time.Minute, CallTimeout: 20 * time.Millisecond},
		shadow.Deps{Source: r, Forecaster: faultyForecaster{auto, r}, Policy: faultyPolicy{pol, r}, Production: faultyGroup{grp, r}},
		shadow.WithMeterProvider(mp), shadow.WithLogger(testLogger(logs)),
		shadow.WithRetry(actuator.RetryConfig{After: instant, MaxRetries: 1}),
		shadow.WithDrainer(dr),
		shadow.WithShadowPool(fm, shadows, shadow.PoolConfig{}))
	require.NoError(t, err)

	ctx := context.Background()
	clockOffset := time.Duration(0)
	lastFault, lastFaultAt := noFault, -100
	breaks := 0
	exercised := map[string]int{}
	check := func(ok bool, i int, f fault, format string, args ...any) {
		if !ok {
			breaks++
			if breaks <= 20 {
				t.Errorf("pass %d (%s, fault %s): %s", i, r.now.Format("Mon 15:04"), f, fmt.Sprintf(format, args...))
			}
		}
	}
	for i := range passes {
		f := schedule[i]
		r.mu.Lock()
		r.fault, r.now = f, t0.Add(time.Duration(i)*time.Minute)
		r.mu.Unlock()
		switch {
		case f == clockBack10m && schedule[i-1] != f:
			clockOffset -= 10 * time.Minute
		case f == clockFwd3h && schedule[i-1] != f:
			clockOffset += 3 * time.Hour
		}
		passTime := r.now.Add(clockOffset)
		if f == clockFwd1y {
			passTime = passTime.AddDate(1, 0, 0)
		}
		if f == shadowStale {
			fm.set(mirror.Stats{At: passTime.Add(-time.Hour), Requests: 100, P95: 40 * time.Millisecond, Window: time.Minute}, nil)
		} else {
			fm.set(mirror.Stats{At: passTime, Requests: 100, P95: 40 * time.Millisecond, Window: time.Minute}, nil)
		}
		before, err := grp.Current(ctx)
		require.NoError(t, err)
		errsBefore, alertsBefore, logBefore := int64(0), int64(0), 0
		if f != noFault {
			errsBefore, alertsBefore = total(t, reader, "shadowscale.errors"), total(t, reader, "shadowscale.alerts")
			logBefore = strings.Count(logs.String(), "level=WARN")
		}

		rep, _ := c.Step(ctx, passTime)

		after, err := grp.Current(ctx)
		require.NoError(t, err)
		check(after.Desired >= minR && after.Desired <= maxR, i, f, "desired %d outside [%d, %d]", after.Desired, minR, maxR)
		if f >= spike1e6 && f <= spikeMax {
			exercised["spike held"]++
			check(len(rep.Suspect) > 0 && rep.Held, i, f, "spike not held as suspect")
		}
		if len(rep.Suspect) > 0 || !rep.LoadValid {
			exercised["unconfirmed or missing sample"]++
			check(after.Desired <= max(before.Desired, int(math.Ceil(1.5*float64(before.Desired)))), i, f,
				"scaled %d → %d on an unconfirmed sample", before.Desired, after.Desired)
			check(after.Desired >= before.Desired, i, f, "scaled down %d → %d while the metric was missing", before.Desired, after.Desired)
		}
		if rep.Applied.Drained > 0 && !rep.Applied.Scaled {
			exercised["drain then failed scale"]++
			check(rep.Applied.Undrained == rep.Applied.Drained, i, f, "drained %d, scale failed, restored %d", rep.Applied.Drained, rep.Applied.Undrained)
		}
		switch f {
		case noFault, scaleTransient, scalePermanent, scaleHang:
			// The actuator faults show only when the pass scales.
		default:
			check(total(t, reader, "shadowscale.errors")+total(t, reader, "shadowscale.alerts") > errsBefore+alertsBefore, i, f, "fault not counted")
			check(strings.Count(logs.String(), "level=WARN") > logBefore, i, f, "fault not logged")
		}
		if rep.Plan.Scale && f >= scaleTransient && f <= scaleHang {
			exercised["failed scale"]++
			check(!rep.Actuated && total(t, reader, "shadowscale.errors") > errsBefore, i, f, "failed scale not counted")
		}
		if f != noFault {
			lastFault, lastFaultAt = f, i
		}
		// Recovery: two passes after the last fault cleared, the pass is
		// not held (the stale shadow stats never hold a pass).
		if f == noFault && i-lastFaultAt == 2 && schedule[i-1] == noFault {
			exercised["recovery"]++
			held, _ := rep.Condition(shadow.Held)
			check(!rep.Held, i, lastFault, "still held 2 passes after the fault cleared: %s", held.Message)
		}
	}
	assert.Zero(t, breaks, "invariant breaks")
	for _, k := range []string{"spike held", "unconfirmed or missing sample", "drain then failed scale", "failed scale", "recovery"} {
		assert.Positive(t, exercised[k], "invariant %q never exercised", k)
	}
	t.Logf("invariants exercised: %v", exercised)
	t.Logf("week: %d faults, production at %d, drained %d, restored %d", countFaults(schedule), func() int { s, _ := grp.Current(ctx); return s.Desired }(), dr.drained, dr.undrained)
}

func countFaults(s []fault) int {
	n := 0
	for _, f := range s {
		if f != noFault {
			n++
		}
	}
	return n
}
