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
	spikeServed // a spike the source serves again for three more passes (its scrapes missing)
	numFaults
)

var faultNames = [...]string{"none", "spike 1e6", "spike 1e12", "spike MaxFloat64", "NaN", "zero", "negative", "source error",
	"clock −10m", "clock +3h", "clock +1y", "forecaster error", "forecaster panic", "policy panic",
	"scale transient", "scale permanent", "scale hang", "shadow stats stale", "spike served again"}

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
	case spikeServed:
		v = 5e5
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

// TestFaultWeek runs a week of one-minute passes of the default Predictive
// stack with a shadow pool and a drainer, and injects every ordinary fault
// at seeded random times. Every pass must keep the invariants.
func TestFaultWeek(t *testing.T) {
	if testing.Short() {
		t.Skip("a week of passes; run without -short")
	}
	const passes = 7 * 24 * 60
	w := newWeek(t)
	schedule := faultSchedule(passes)
	clockOffset := time.Duration(0)
	for i := range passes {
		f := schedule[i]
		switch {
		case f == clockBack10m && schedule[i-1] != f:
			clockOffset -= 10 * time.Minute
		case f == clockFwd3h && schedule[i-1] != f:
			clockOffset += 3 * time.Hour
		}
		w.pass(i, f, clockOffset, i > 2 && schedule[i-1] == noFault && schedule[i-2] != noFault)
	}
	assert.Zero(t, w.breaks, "invariant breaks")
	for _, k := range []string{"spike suspect", "spike served again", "unconfirmed or missing sample", "drain then failed scale", "failed scale", "recovery"} {
		assert.Positive(t, w.exercised[k], "invariant %q never exercised", k)
	}
	st, _ := w.grp.Current(context.Background())
	t.Logf("week: %d faulty passes, production at %d, drained %d, restored %d; invariants exercised: %v",
		countFaults(schedule), st.Desired, w.dr.drained, w.dr.undrained, w.exercised)
}

// faultSchedule places a random fault every 40 to 100 passes after the
// first 600; actuator faults last 15 passes, so that they meet scale-ups
// and scale-downs.
func faultSchedule(passes int) []fault {
	schedule := make([]fault, passes)
	frng := rand.New(rand.NewPCG(11, 13))
	for i := 600; i < passes-30; i += 40 + frng.IntN(60) {
		f := fault(1 + frng.IntN(int(numFaults)-1))
		n := 1
		switch {
		case f >= scaleTransient && f <= scaleHang:
			n = 15
		case f == spikeServed:
			n = 4
		}
		for k := range n {
			schedule[i+k] = f
		}
	}
	return schedule
}

const weekMin, weekMax = 2, 60

// week is the world of TestFaultWeek and its invariant bookkeeping.
type week struct {
	t         *testing.T
	r         *rig
	c         *shadow.Controller
	grp       *actuatortest.Group
	fm        *fakeMirror
	dr        *countingDrainer
	reader    *sdkmetric.ManualReader
	logs      *syncBuffer
	breaks    int
	exercised map[string]int
	lastFault fault // the last fault injected
	prevFault fault // the previous pass's
}

func newWeek(t *testing.T) *week {
	w := &week{t: t, r: &rig{now: t0, rng: rand.New(rand.NewPCG(7, 9))}, fm: &fakeMirror{}, dr: &countingDrainer{},
		logs: &syncBuffer{}, exercised: map[string]int{}}
	var mp *sdkmetric.MeterProvider
	w.reader, mp = newMeter()
	w.grp = actuatortest.NewGroup(15, 3*time.Minute, func() time.Time { return w.r.now })
	shadows := actuatortest.NewGroup(0, 0, func() time.Time { return w.r.now })
	auto, err := forecast.NewAuto(forecast.AutoConfig{Step: time.Minute, Periods: []int{1440}})
	require.NoError(t, err)
	pol, err := policy.Predictive(policy.DefaultPredictiveConfig())
	require.NoError(t, err)
	w.c, err = shadow.New(shadow.Config{PerReplica: 10, MinReplicas: weekMin, MaxReplicas: weekMax, LeadTime: 3 * time.Minute, CallTimeout: 20 * time.Millisecond},
		shadow.Deps{Source: w.r, Forecaster: faultyForecaster{auto, w.r}, Policy: faultyPolicy{pol, w.r}, Production: faultyGroup{w.grp, w.r}},
		shadow.WithMeterProvider(mp), shadow.WithLogger(testLogger(w.logs)),
		shadow.WithRetry(actuator.RetryConfig{After: instant, MaxRetries: 1}),
		shadow.WithDrainer(w.dr),
		shadow.WithShadowPool(w.fm, shadows, shadow.PoolConfig{}))
	require.NoError(t, err)
	return w
}

func (w *week) check(ok bool, i int, f fault, format string, args ...any) {
	if ok {
		return
	}
	w.breaks++
	if w.breaks <= 20 {
		w.t.Errorf("pass %d (%s, fault %s): %s", i, w.r.now.Format("Mon 15:04"), f, fmt.Sprintf(format, args...))
	}
}

// pass runs pass i with fault f, the pass time shifted by offset, and
// checks the invariants; cleared says the fault ended two passes ago.
func (w *week) pass(i int, f fault, offset time.Duration, cleared bool) {
	t, ctx := w.t, context.Background()
	w.r.mu.Lock()
	w.r.fault, w.r.now = f, t0.Add(time.Duration(i)*time.Minute)
	w.r.mu.Unlock()
	passTime := w.r.now.Add(offset)
	if f == clockFwd1y {
		passTime = passTime.AddDate(1, 0, 0)
	}
	statsAt := passTime
	if f == shadowStale {
		statsAt = passTime.Add(-time.Hour)
	}
	w.fm.set(mirror.Stats{At: statsAt, Requests: 100, P95: 40 * time.Millisecond, Window: time.Minute}, nil)
	before, err := w.grp.Current(ctx)
	require.NoError(t, err)
	var errsBefore, alertsBefore int64
	logBefore := 0
	if f != noFault { // reading the counters costs; only faulty passes need them
		errsBefore, alertsBefore = total(t, w.reader, "shadowscale.errors"), total(t, w.reader, "shadowscale.alerts")
		logBefore = strings.Count(w.logs.String(), "level=WARN")
	}

	rep, _ := w.c.Step(ctx, passTime)

	after, err := w.grp.Current(ctx)
	require.NoError(t, err)
	w.check(after.Desired >= weekMin && after.Desired <= weekMax, i, f, "desired %d outside [%d, %d]", after.Desired, weekMin, weekMax)
	w.checkSample(i, f, f == spikeServed && w.prevFault == f, rep, before.Desired, after.Desired)
	w.prevFault = f
	if rep.Applied.Drained > 0 && !rep.Applied.Scaled {
		w.exercised["drain then failed scale"]++
		w.check(rep.Applied.Undrained == rep.Applied.Drained, i, f, "drained %d, scale failed, restored %d", rep.Applied.Drained, rep.Applied.Undrained)
	}
	switch f {
	case noFault, scaleTransient, scalePermanent, scaleHang:
		// The actuator faults show only when the pass scales.
	default:
		w.check(total(t, w.reader, "shadowscale.errors")+total(t, w.reader, "shadowscale.alerts") > errsBefore+alertsBefore, i, f, "fault not counted")
		w.check(strings.Count(w.logs.String(), "level=WARN") > logBefore, i, f, "fault not logged")
	}
	if rep.Plan.Scale && f >= scaleTransient && f <= scaleHang {
		w.exercised["failed scale"]++
		w.check(!rep.Actuated && total(t, w.reader, "shadowscale.errors") > errsBefore, i, f, "failed scale not counted")
	}
	if f != noFault {
		w.lastFault = f
	}
	// Recovery: two passes after a fault cleared, the pass is not held.
	if f == noFault && cleared {
		w.exercised["recovery"]++
		held, _ := rep.Condition(shadow.Held)
		w.check(!rep.Held, i, w.lastFault, "still held 2 passes after the fault cleared: %s", held.Message)
	}
}

// checkSample checks the invariants of a pass whose sample was a spike,
// unconfirmed or missing.
// A copy of a spike (served again) adds no capacity at all.
func (w *week) checkSample(i int, f fault, copied bool, rep shadow.Report, before, after int) {
	if f >= spike1e6 && f <= spikeMax || f == spikeServed {
		w.exercised["spike suspect"]++
		w.check(len(rep.Suspect) > 0, i, f, "spike not taken as suspect")
	}
	if copied {
		w.exercised["spike served again"]++
		w.check(after <= before, i, f, "scaled %d → %d on a copy of a spike", before, after)
	}
	if len(rep.Suspect) > 0 || !rep.LoadValid {
		w.exercised["unconfirmed or missing sample"]++
		w.check(after <= max(before, int(math.Ceil(1.5*float64(before)))), i, f, "scaled %d → %d on an unconfirmed sample", before, after)
		w.check(after >= before, i, f, "scaled down %d → %d while the metric was missing", before, after)
	}
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
