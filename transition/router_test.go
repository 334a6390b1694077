package transition_test

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/transition"
)

// named returns a handler that answers with name.
func named(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, name)
	})
}

func newRouter(t *testing.T, cfg transition.RouterConfig, backends ...transition.Backend) *transition.Router {
	t.Helper()
	r, err := transition.NewRouter(cfg)
	require.NoError(t, err)
	for _, b := range backends {
		require.NoError(t, r.Add(b))
	}
	return r
}

// serve sends one request through h and returns the body and status.
func serve(h http.Handler) (string, int) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	return rec.Body.String(), rec.Code
}

func counts(h http.Handler, n int) map[string]int {
	out := map[string]int{}
	for range n {
		body, _ := serve(h)
		out[body]++
	}
	return out
}

func TestRouterSmoothRoundRobinInterleaves(t *testing.T) {
	r := newRouter(t, transition.RouterConfig{},
		transition.Backend{Name: "a", Handler: named("a"), Weight: 5},
		transition.Backend{Name: "b", Handler: named("b"), Weight: 1},
		transition.Backend{Name: "c", Handler: named("c"), Weight: 1},
	)
	var seq []string
	for range 14 {
		body, code := serve(r)
		require.Equal(t, http.StatusOK, code)
		seq = append(seq, body)
	}
	// nginx's documented sequence for weights 5, 1, 1, twice over.
	assert.Equal(t, strings.Split("aabacaaaabacaa", ""), seq)
}

func TestRouterSmoothRoundRobinFollowsWeightsExactly(t *testing.T) {
	r := newRouter(t, transition.RouterConfig{},
		transition.Backend{Name: "old", Handler: named("old"), Weight: 1},
		transition.Backend{Name: "new", Handler: named("new"), Weight: 0.25},
	)
	assert.Equal(t, map[string]int{"old": 400, "new": 100}, counts(r, 500))

	require.NoError(t, r.SetWeight("new", 1))
	assert.Equal(t, map[string]int{"old": 250, "new": 250}, counts(r, 500))
}

func TestRouterWeightedRandomDistributesByWeight(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	r := newRouter(t, transition.RouterConfig{Balance: transition.WeightedRandom, Rand: rng.Float64},
		transition.Backend{Name: "a", Handler: named("a"), Weight: 1},
		transition.Backend{Name: "b", Handler: named("b"), Weight: 3},
		transition.Backend{Name: "c", Handler: named("c"), Weight: 6},
		transition.Backend{Name: "off", Handler: named("off"), Weight: 0},
	)
	const n = 20000
	got := counts(r, n)
	assert.Zero(t, got["off"])
	for name, share := range map[string]float64{"a": 0.1, "b": 0.3, "c": 0.6} {
		assert.InDelta(t, share, float64(got[name])/n, 0.015, "backend %s: %d of %d", name, got[name], n)
	}
}

func TestRouterWeightedRandomEdgeOfRand(t *testing.T) {
	x := 0.0
	r := newRouter(t, transition.RouterConfig{Balance: transition.WeightedRandom, Rand: func() float64 { return x }},
		transition.Backend{Name: "a", Handler: named("a"), Weight: 1},
		transition.Backend{Name: "b", Handler: named("b"), Weight: 1},
	)
	body, _ := serve(r)
	assert.Equal(t, "a", body)
	x = math.Nextafter(1, 0)
	body, _ = serve(r)
	assert.Equal(t, "b", body)
}

func TestRouterDrainingAndZeroWeightGetNoRequests(t *testing.T) {
	for _, balance := range []transition.Balance{transition.SmoothRoundRobin, transition.WeightedRandom} {
		t.Run(balance.String(), func(t *testing.T) {
			cfg := transition.RouterConfig{Balance: balance}
			if balance == transition.WeightedRandom {
				cfg.Rand = rand.New(rand.NewPCG(3, 4)).Float64
			}
			r := newRouter(t, cfg,
				transition.Backend{Name: "a", Handler: named("a"), Weight: 1},
				transition.Backend{Name: "b", Handler: named("b"), Weight: 1},
				transition.Backend{Name: "c", Handler: named("c"), Weight: 1},
			)
			require.NoError(t, r.SetDraining("b", true))
			require.NoError(t, r.SetWeight("c", 0))
			assert.Equal(t, map[string]int{"a": 300}, counts(r, 300))

			st, ok := r.Backend("b")
			require.True(t, ok)
			assert.True(t, st.Draining)
			assert.Zero(t, st.Served)

			require.NoError(t, r.SetDraining("b", false))
			got := counts(r, 300)
			assert.Positive(t, got["b"])
			assert.Zero(t, got["c"])
		})
	}
}

func TestRouterWithNoEligibleBackend(t *testing.T) {
	r := newRouter(t, transition.RouterConfig{})
	body, code := serve(r)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "no backend available\n", body)

	require.NoError(t, r.Add(transition.Backend{Name: "a", Handler: named("a"), Weight: 1}))
	require.NoError(t, r.SetDraining("a", true))
	_, code = serve(r)
	assert.Equal(t, http.StatusServiceUnavailable, code)

	custom := newRouter(t, transition.RouterConfig{NoBackend: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})}, transition.Backend{Name: "zero", Handler: named("zero"), Weight: 0})
	_, code = serve(custom)
	assert.Equal(t, http.StatusTeapot, code)
}

func TestRouterTracksInFlight(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	r := newRouter(t, transition.RouterConfig{}, transition.Backend{Name: "slow", Weight: 1,
		Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			entered <- struct{}{}
			<-release
		})})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { serve(r) })
	}
	for range 3 {
		<-entered
	}
	st, _ := r.Backend("slow")
	assert.Equal(t, int64(3), st.InFlight)
	close(release)
	wg.Wait()
	st, _ = r.Backend("slow")
	assert.Equal(t, transition.BackendState{Name: "slow", Weight: 1, InFlight: 0, Served: 3}, st)
}

func TestRouterBackendErrors(t *testing.T) {
	r := newRouter(t, transition.RouterConfig{}, transition.Backend{Name: "a", Handler: named("a"), Weight: 1})

	err := r.Add(transition.Backend{Name: "a", Handler: named("a")})
	require.ErrorIs(t, err, transition.ErrDuplicateBackend)
	err = r.Add(transition.Backend{Handler: named("x")})
	require.ErrorIs(t, err, transition.ErrInvalidBackend)
	err = r.Add(transition.Backend{Name: "x"})
	require.ErrorIs(t, err, transition.ErrInvalidBackend)
	assert.Contains(t, err.Error(), `backend "x": Handler is nil`)
	err = r.Add(transition.Backend{Name: "x", Handler: named("x"), Weight: -1})
	require.ErrorIs(t, err, transition.ErrInvalidBackend)
	assert.Contains(t, err.Error(), `backend "x": Weight = -1`)
	err = r.SetWeight("a", math.Inf(1))
	require.ErrorIs(t, err, transition.ErrInvalidBackend)

	require.ErrorIs(t, r.SetWeight("nope", 1), transition.ErrUnknownBackend)
	require.ErrorIs(t, r.SetDraining("nope", true), transition.ErrUnknownBackend)
	require.ErrorIs(t, r.Remove("nope"), transition.ErrUnknownBackend)
	require.ErrorIs(t, r.WaitIdle(context.Background(), "nope"), transition.ErrUnknownBackend)
	_, ok := r.Backend("nope")
	assert.False(t, ok)

	// SetWeights is all or nothing.
	err = r.SetWeights(map[string]float64{"a": 7, "nope": 1})
	require.ErrorIs(t, err, transition.ErrUnknownBackend)
	st, _ := r.Backend("a")
	assert.Equal(t, 1.0, st.Weight)

	require.NoError(t, r.Remove("a"))
	assert.Empty(t, r.Backends())
}

func TestRouterConfigValidate(t *testing.T) {
	err := transition.RouterConfig{Balance: 7}.Validate()
	require.ErrorIs(t, err, transition.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "Balance = 7")
	err = transition.RouterConfig{Rand: rand.Float64}.Validate()
	require.ErrorIs(t, err, transition.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "Rand is set but Balance = smooth-round-robin")
	_, err = transition.NewRouter(transition.RouterConfig{Balance: -1})
	require.ErrorIs(t, err, transition.ErrInvalidConfig)

	assert.Equal(t, "unknown balance: 9", transition.Balance(9).String())
	assert.Equal(t, "weighted-random", transition.WeightedRandom.String())

	// WeightedRandom without Rand uses the global source.
	r := newRouter(t, transition.RouterConfig{Balance: transition.WeightedRandom},
		transition.Backend{Name: "a", Handler: named("a"), Weight: 1})
	body, _ := serve(r)
	assert.Equal(t, "a", body)
}

func TestRouterApplyWeight(t *testing.T) {
	r := newRouter(t, transition.RouterConfig{},
		transition.Backend{Name: "old1", Handler: named("old1"), Weight: 1},
		transition.Backend{Name: "old2", Handler: named("old2"), Weight: 1},
		transition.Backend{Name: "gone", Handler: named("gone"), Weight: 1},
		transition.Backend{Name: "new1", Handler: named("new1"), Weight: 0},
		transition.Backend{Name: "new2", Handler: named("new2"), Weight: 0},
	)
	require.NoError(t, r.SetDraining("gone", true))
	c := transition.WeightChange{Plan: transition.Plan{From: 2, To: 4}, Weight: 0.25}
	require.NoError(t, r.ApplyWeight(context.Background(), c))
	weights := map[string]float64{}
	for _, b := range r.Backends() {
		weights[b.Name] = b.Weight
	}
	assert.Equal(t, map[string]float64{"old1": 1, "old2": 1, "gone": 1, "new1": 0.25, "new2": 0.25}, weights)
	assert.Equal(t, map[string]int{"old1": 400, "old2": 400, "new1": 100, "new2": 100}, counts(r, 1000))

	c.Plan = transition.Plan{From: 0, To: 5}
	err := r.ApplyWeight(context.Background(), c)
	require.ErrorIs(t, err, transition.ErrNotEnoughBackends)
	assert.Contains(t, err.Error(), "5 new replicas, 4 serving backends")
	c.Weight = -0.5
	require.ErrorIs(t, r.ApplyWeight(context.Background(), c), transition.ErrInvalidBackend)
}

func TestRouterStepsDriveRouter(t *testing.T) {
	r := newRouter(t, transition.RouterConfig{},
		transition.Backend{Name: "old", Handler: named("old"), Weight: 1},
		transition.Backend{Name: "new", Handler: named("new"), Weight: 0},
	)
	s, err := transition.NewSteps(transition.StepsConfig{Weights: []float64{0.25, 1}, Dwell: 1, SetWeight: r.ApplyWeight})
	require.NoError(t, err)
	p := transition.Plan{From: 1, To: 2, Started: t0}
	assert.Equal(t, map[string]int{"old": 100}, counts(r, 100))
	_, err = s.Advance(context.Background(), t0, p)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"old": 80, "new": 20}, counts(r, 100))
	st, err := s.Advance(context.Background(), t0.Add(1), p)
	require.NoError(t, err)
	assert.True(t, st.Done)
	assert.Equal(t, map[string]int{"old": 50, "new": 50}, counts(r, 100))
}

func TestNewBackendURLProxies(t *testing.T) {
	var forwarded string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		forwarded = req.Header.Get("X-Forwarded-Host")
		_, _ = io.WriteString(w, "upstream "+req.URL.Path)
	}))
	defer upstream.Close()
	t.Cleanup(http.DefaultTransport.(*http.Transport).CloseIdleConnections)
	u, err := url.Parse(upstream.URL + "/base")
	require.NoError(t, err)
	b, err := transition.NewBackendURL("up", u, 1)
	require.NoError(t, err)
	r := newRouter(t, transition.RouterConfig{}, b)

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://front.example/x", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "upstream /base/x", rec.Body.String())
	assert.Equal(t, "front.example", forwarded)

	_, err = transition.NewBackendURL("bad", &url.URL{Path: "relative"}, 1)
	require.ErrorIs(t, err, transition.ErrInvalidBackend)
	assert.Contains(t, err.Error(), `backend "bad"`)
	_, err = transition.NewBackendURL("nil", nil, 1)
	require.ErrorIs(t, err, transition.ErrInvalidBackend)
}

// TestRouterConcurrentWeightChangesUnderLoad runs requests from several
// goroutines while others change weights and draining marks; run it with
// -race.
func TestRouterConcurrentWeightChangesUnderLoad(t *testing.T) {
	for _, balance := range []transition.Balance{transition.SmoothRoundRobin, transition.WeightedRandom} {
		t.Run(balance.String(), func(t *testing.T) {
			r := newRouter(t, transition.RouterConfig{Balance: balance},
				transition.Backend{Name: "a", Handler: named("a"), Weight: 1},
				transition.Backend{Name: "b", Handler: named("b"), Weight: 1},
				transition.Backend{Name: "c", Handler: named("c"), Weight: 1},
			)
			const workers, perWorker = 4, 500
			var wg sync.WaitGroup
			var mu sync.Mutex
			total := map[string]int{}
			for range workers {
				wg.Go(func() {
					got := counts(r, perWorker)
					mu.Lock()
					defer mu.Unlock()
					for k, v := range got {
						total[k] += v
					}
				})
			}
			wg.Go(func() {
				for i := range 300 {
					w := float64(i%10) / 10
					assert.NoError(t, r.SetWeights(map[string]float64{"b": w, "c": 1 - w}))
					assert.NoError(t, r.SetDraining("c", i%3 == 0))
					_ = r.Backends()
				}
			})
			wg.Wait()
			sum := 0
			for _, v := range total {
				sum += v
			}
			assert.Equal(t, workers*perWorker, sum)
			assert.Zero(t, total["no backend available\n"], "a is always eligible")
			var served int64
			for _, b := range r.Backends() {
				assert.Zero(t, b.InFlight, b.Name)
				served += b.Served
			}
			assert.Equal(t, int64(workers*perWorker), served)
		})
	}
}
