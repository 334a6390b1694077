package mirror

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingTee returns a Tee whose shadow is an instant in-memory transport.
func countingTee(t *testing.T, cfg Config, opts ...Option) (*Tee, *recordingRT) {
	t.Helper()
	rt := &recordingRT{}
	cfg.Shadows = []Target{{URL: "http://shadow.internal"}}
	cfg.SigningKey = testKey
	cfg.Transport = rt
	cfg.QueueSize = 1 << 16
	return newTee(t, cfg, opts...), rt
}

func mirrored(tee *Tee) (req, mir int64) {
	for _, m := range tee.Mix() {
		req += m.Requests
		mir += m.Mirrored
	}
	return req, mir
}

func TestSampledShareWithinTwoPoints(t *testing.T) {
	for _, f := range []float64{0.01, 0.1, 0.5} {
		t.Run(fmt.Sprint(f), func(t *testing.T) {
			tee, rt := countingTee(t, Config{Fraction: f}, WithSeed(42))
			h := tee.Wrap(okHandler)
			const n = 10000
			for i := range n {
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, fmt.Sprintf("/r%d", i%7), nil))
			}
			drain(t, tee)
			req, mir := mirrored(tee)
			assert.Equal(t, int64(n), req)
			assert.InDelta(t, f, float64(mir)/n, 0.02)
			assert.Equal(t, mir, rt.n.Load(), "every sampled copy reached the shadow")
		})
	}
}

func TestConsistentByKey(t *testing.T) {
	cfg := Config{Fraction: 0.2, KeyHeader: "X-Tenant"}
	tee, rt := countingTee(t, cfg)
	h := tee.Wrap(okHandler)
	const sessions, perSession = 10000, 2
	for s := range sessions {
		for range perSession {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("X-Tenant", fmt.Sprintf("s-%d", s))
			h.ServeHTTP(httptest.NewRecorder(), r)
		}
	}
	drain(t, tee)
	per := map[string]int{}
	for _, r := range rt.reqs {
		per[r.Header.Get("X-Tenant")]++
	}
	for s, n := range per {
		assert.Equal(t, perSession, n, "session %s mirrored whole", s)
	}
	assert.InDelta(t, 0.2, float64(len(per))/sessions, 0.02)

	// Raising the fraction keeps every session already mirrored.
	low := map[string]bool{}
	for s := range sessions {
		k := fmt.Sprintf("s-%d", s)
		if keyPoint(k) < 0.1 {
			low[k] = true
		}
	}
	for k := range low {
		assert.Less(t, keyPoint(k), 0.2, k)
	}
}

func TestKeyFromCookieAndClientAddr(t *testing.T) {
	s := newSampler(Config{KeyCookie: "sid", KeyClientAddr: true, Methods: DefaultMethods, MaxStrata: 8, Window: time.Minute}.withDefaults(), nil)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: "sid", Value: "abc"})
	k, ok := s.key(r)
	assert.True(t, ok)
	assert.Equal(t, "abc", k)
	r = httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "198.51.100.4:1234"
	k, ok = s.key(r)
	assert.True(t, ok)
	assert.Equal(t, "198.51.100.4", k)
}

func TestKillSwitchOverridesRoutes(t *testing.T) {
	cfg := Config{Fraction: 0, Routes: []Route{{Name: "api", PathPrefix: "/api", Fraction: 1}}}
	tee, rt := countingTee(t, cfg)
	h := tee.Wrap(okHandler)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/x", nil))
	require.NoError(t, tee.SetFraction(0.001))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/x", nil))
	require.NoError(t, tee.SetFraction(0))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/x", nil))
	drain(t, tee)
	assert.Equal(t, int64(1), rt.n.Load(), "only the request while mirroring was on")
}

func TestPerRouteRates(t *testing.T) {
	cfg := Config{Fraction: 0.5, Routes: []Route{
		{Name: "health", PathPrefix: "/healthz", Fraction: 0},
		{Name: "api", PathPrefix: "/api", Fraction: 1},
		{Name: "api-v2-get", PathPrefix: "/api/v2", Method: http.MethodGet, Fraction: 0},
	}}
	tee, _ := countingTee(t, cfg, WithSeed(7))
	h := tee.Wrap(okHandler)
	for range 1000 {
		for _, p := range []string{"/healthz", "/api/v1/x", "/api/v2/y", "/static/z"} {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
		}
	}
	drain(t, tee)
	byRoute := map[string]StratumMix{}
	for _, m := range tee.Mix() {
		byRoute[m.Route] = m
	}
	assert.Zero(t, byRoute["health"].Mirrored)
	assert.Equal(t, int64(1000), byRoute["api"].Mirrored)
	assert.Zero(t, byRoute["api-v2-get"].Mirrored, "longest prefix wins")
	assert.InDelta(t, 500, byRoute["/static"].Mirrored, 60)
	assert.InDelta(t, 0.25, byRoute["api"].RequestShare, 1e-9)
}

func TestRateCapWithExplicitClock(t *testing.T) {
	clk := newFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg := Config{Fraction: 1, MaxRate: 10}
	tee, rt := countingTee(t, cfg, WithClock(clk))
	h := tee.Wrap(okHandler)
	serve := func(n int) {
		for range n {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		}
	}
	serve(100) // burst of 10 allowed at one instant
	clk.Add(500 * time.Millisecond)
	serve(100) // 5 more tokens
	drain(t, tee)
	assert.Equal(t, int64(15), rt.n.Load())
	rep, err := tee.Report(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(185), rep.Shadows[0].Drops["rate_limited"])
}

func TestBucket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := newBucket(2, 1)
	assert.True(t, b.allow(t0, 1))
	assert.False(t, b.allow(t0, 1))
	assert.False(t, b.allow(t0.Add(400*time.Millisecond), 1))
	assert.True(t, b.allow(t0.Add(500*time.Millisecond), 1))
	assert.False(t, b.allow(t0.Add(100*time.Millisecond), 1), "time going backwards adds nothing")
	assert.True(t, b.allow(t0.Add(time.Second), 0.5))
	assert.False(t, b.allow(t0.Add(1500*time.Millisecond), 0.5), "half share: takes twice as far apart")
	assert.True(t, b.allow(t0.Add(2*time.Second), 0.5))

	burst := newBucket(1, 3)
	for i := range 3 {
		assert.True(t, burst.allow(t0, 1), "burst take %d", i)
	}
	assert.False(t, burst.allow(t0, 1))
	assert.True(t, burst.allow(t0.Add(time.Second), 1))
}

// TestStratifiedSampleReachesRareRoutes: at 1% a route seen 20 times per
// window would usually get nothing; stratified sampling gives it at least
// one copy per window, and a shared cap is split fairly.
func TestStratifiedSampleReachesRareRoutes(t *testing.T) {
	clk := newFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	run := func(stratify bool) map[string]StratumMix {
		cfg := Config{Fraction: 0.01, Stratify: stratify, Window: time.Minute, MaxRate: 50, Burst: 50}
		tee, _ := countingTee(t, cfg, WithClock(clk), WithSeed(3))
		h := tee.Wrap(okHandler)
		for minute := range 5 {
			for i := range 2000 {
				clk.Set(time.Date(2026, 1, 1, 0, minute, 0, 0, time.UTC).Add(time.Duration(i) * 30 * time.Millisecond))
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/hot", nil))
				if i%100 == 0 {
					h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/rare", nil))
				}
			}
		}
		drain(t, tee)
		out := map[string]StratumMix{}
		for _, m := range tee.Mix() {
			out[m.Route] = m
		}
		return out
	}
	plain := run(false)
	strat := run(true)
	assert.Equal(t, int64(100), strat["/rare"].Requests)
	assert.GreaterOrEqual(t, strat["/rare"].Mirrored, int64(5), "at least one per window")
	assert.GreaterOrEqual(t, strat["/rare"].MirroredShare, plain["/rare"].MirroredShare)
	assert.InDelta(t, 0.01, float64(strat["/hot"].Mirrored)/float64(strat["/hot"].Requests), 0.01)
}

func TestMaxStrataPoolsOverflow(t *testing.T) {
	tee, _ := countingTee(t, Config{Fraction: 1, MaxStrata: 2})
	h := tee.Wrap(okHandler)
	for _, p := range []string{"/a", "/b", "/c", "/d/x"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	drain(t, tee)
	routes := map[string]int64{}
	for _, m := range tee.Mix() {
		routes[m.Route] = m.Requests
	}
	assert.Equal(t, map[string]int64{"/a": 1, "/b": 1, "other": 2}, routes)
}

func TestDefaultRoute(t *testing.T) {
	for in, want := range map[string]string{"": "/", "/": "/", "/api": "/api", "/api/v1/x": "/api"} {
		assert.Equal(t, want, defaultRoute(in), in)
	}
}
