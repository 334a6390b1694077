package shadow_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/mirror"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
)

var catalog = []shadow.InstanceType{
	{Name: "c.large", VCPU: 2, MemoryGiB: 4, HourlyPrice: 0.085},
	{Name: "t.small", VCPU: 1, MemoryGiB: 2, HourlyPrice: 0.02},
	{Name: "m.large", VCPU: 2, MemoryGiB: 8, HourlyPrice: 0.096},
	{Name: "c.large-spot", VCPU: 2, MemoryGiB: 4, HourlyPrice: 0.03, Spot: true},
}

func TestCheapestInstance(t *testing.T) {
	cases := []struct {
		vcpu, mem float64
		spot      bool
		want      string
	}{
		{1, 1, false, "t.small"},
		{2, 4, false, "c.large"},
		{2, 4, true, "c.large-spot"},
		{2, 6, true, "m.large"},
	}
	for _, tc := range cases {
		got, err := shadow.CheapestInstance(catalog, tc.vcpu, tc.mem, tc.spot)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got.Name, "%v vCPU %v GiB spot=%v", tc.vcpu, tc.mem, tc.spot)
	}
	_, err := shadow.CheapestInstance(catalog, 4, 1, true)
	assert.ErrorIs(t, err, shadow.ErrNoInstanceType)
}

type poolRig struct {
	c      *shadow.Controller
	src    *shadowtest.Source
	shadow *actuatortest.Group
	mir    *fakeMirror
	now    time.Time
}

func newPoolRig(t *testing.T, pc shadow.PoolConfig, pol policy.Policy) *poolRig {
	r := &poolRig{now: t0, src: shadowtest.NewSource(200), mir: &fakeMirror{}}
	clk := func() time.Time { return r.now }
	r.shadow = actuatortest.NewGroup(0, 0, clk)
	c, err := shadow.New(shadow.Config{PerReplica: 10, TargetUtilization: 0.5, MaxReplicas: 200},
		shadow.Deps{Source: r.src, Forecaster: &driftForecaster{k: 5, step: time.Minute}, Policy: pol, Production: actuatortest.NewGroup(40, 0, clk)},
		shadow.WithLogger(testLogger(&syncBuffer{})), shadow.WithShadowPool(r.mir, r.shadow, pc))
	require.NoError(t, err)
	r.c = c
	return r
}

func (r *poolRig) step(t *testing.T) shadow.Report {
	t.Helper()
	r.mir.set(mirror.Stats{At: r.now, Requests: 50, P95: 40 * time.Millisecond}, nil)
	rep, err := r.c.Step(context.Background(), r.now)
	require.NoError(t, err)
	r.now = r.now.Add(time.Minute)
	return rep
}

func TestPoolAppearsWithSignalGrowsAndDisappears(t *testing.T) {
	r := newPoolRig(t, shadow.PoolConfig{Scale: 0.1, MinHistory: 10, ProvisionAfter: 2, DeprovisionAfter: 5, MaxReplicas: 4,
		Catalog: catalog, MinVCPU: 2, MinMemoryGiB: 4}, peakPolicy)
	// Not enough history yet: no shadows.
	for i := range 10 {
		rep := r.step(t)
		assert.False(t, rep.Pool.Active, "pass %d: %s", i, rep.Pool.Reason)
		assert.Zero(t, rep.Pool.Desired)
	}
	// History is long enough and the load is steady (predictable): the
	// pool appears after ProvisionAfter passes (the first counted on the
	// last pass above) and grows one replica per
	// pass to 10% of the 40 replicas 200 req/s needs at 50%, capped at 4.
	var desired []int
	var rep shadow.Report
	for range 6 {
		rep = r.step(t)
		desired = append(desired, rep.Pool.Desired)
	}
	assert.Equal(t, []int{1, 2, 3, 4, 4, 4}, desired)
	assert.True(t, rep.Pool.Active)
	assert.Equal(t, "c.large", rep.Pool.InstanceType, "cheapest on-demand type with 2 vCPU and 4 GiB")
	assert.InDelta(t, 4*0.085, rep.Pool.CostPerHour, 1e-9)
	assert.InDelta(t, 4*10*0.5/200.0, rep.Pool.Fraction, 1e-9, "mirrored share: ready shadows × C × target / predicted load")
	assert.InDelta(t, 4.0/40, r.mir.fraction, 1e-9)
	assert.True(t, rep.Shadow.Valid)
	// Each shadow receives a production replica's load at the target
	// (200 × 0.1 / 4 = 5 req/s = 10 × 0.5).
	assert.InDelta(t, 1.0, rep.Shadow.LoadRatio, 1e-9)

	// Load falls to almost nothing: after DeprovisionAfter passes the pool
	// goes away and mirroring stops; one pass of low load is not enough
	// (hysteresis).
	r.src.Set(shadow.RequestRate, 1)
	var active []bool
	for range 14 {
		rep = r.step(t)
		active = append(active, rep.Pool.Active)
	}
	assert.True(t, active[3], "still active: hysteresis")
	assert.False(t, active[len(active)-1])
	assert.Zero(t, rep.Pool.Desired)
	assert.Zero(t, r.mir.fraction)
	st, err := r.shadow.Current(context.Background())
	require.NoError(t, err)
	assert.Zero(t, st.Desired)
}

func TestPoolStaysAwayFromUnpredictableLoad(t *testing.T) {
	r := newPoolRig(t, shadow.PoolConfig{MinHistory: 3, ProvisionAfter: 2, MaxForecastError: 0.1}, peakPolicy)
	for i := range 30 {
		v := 20.0
		if i%2 == 0 {
			v = 400
		}
		r.src.Set(shadow.RequestRate, v)
		rep := r.step(t)
		if i > 5 {
			assert.False(t, rep.Pool.Active, "pass %d", i)
			assert.Contains(t, rep.Pool.Reason, "unpredictable")
		}
	}
}

func TestShadowSignalTriggersScaleUp(t *testing.T) {
	r := newPoolRig(t, shadow.PoolConfig{MinHistory: 3, ProvisionAfter: 1}, peakPolicy)
	var rep shadow.Report
	for range 8 {
		rep = r.step(t)
	}
	require.True(t, rep.Pool.Active)
	before := rep.State.Desired
	// The shadows slow down while the forecast sees no change.
	r.mir.set(mirror.Stats{At: r.now, Requests: 50, P95: 900 * time.Millisecond}, nil)
	rep, err := r.c.Step(context.Background(), r.now)
	require.NoError(t, err)
	assert.Equal(t, policy.ScaleUp, rep.Decision.Action)
	assert.Greater(t, rep.Decision.Target, before)
	assert.True(t, rep.Decision.ShadowTriggered)
	assert.Equal(t, 1, rep.Pool.Triggered)
	require.NotEmpty(t, rep.Alerts)
	assert.Equal(t, shadow.AlertShadowDivergence, rep.Alerts[0].Kind)
}

// TestPoolMinLoadZeroDefaultNegativeNone: with a load below half a
// replica's capacity the default MinLoad keeps the pool away, and a
// negative MinLoad (no minimum) lets it appear.
func TestPoolMinLoadZeroDefaultNegativeNone(t *testing.T) {
	for _, c := range []struct {
		minLoad float64
		active  bool
	}{{0, false}, {-1, true}} {
		r := newPoolRig(t, shadow.PoolConfig{MinHistory: 3, ProvisionAfter: 1, MinLoad: c.minLoad}, peakPolicy)
		r.src.Set(shadow.RequestRate, 2) // PerReplica 10: the default minimum is 5
		var rep shadow.Report
		for range 10 {
			rep = r.step(t)
		}
		assert.Equal(t, c.active, rep.Pool.Active, "MinLoad %v: %s", c.minLoad, rep.Pool.Reason)
		if !c.active {
			assert.Contains(t, rep.Pool.Reason, "< minimum 5")
		}
	}
}
