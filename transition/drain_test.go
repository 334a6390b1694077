package transition_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/transition"
)

// gated returns a handler whose requests each wait for one token on its
// channel.
func gated() (http.Handler, chan<- struct{}) {
	tokens := make(chan struct{})
	return http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-tokens }), tokens
}

// result holds the outcome of a call run in a goroutine; done is closed
// when err is set.
type result struct {
	done chan struct{}
	err  error
}

func async(f func() error) *result {
	r := &result{done: make(chan struct{})}
	go func() {
		r.err = f()
		close(r.done)
	}()
	return r
}

func (r *result) finished() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func TestInFlightDrainReturnsExactlyWhenInFlightReachesZero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		oldH, oldTokens := gated()
		newH, newTokens := gated()
		r := newRouter(t, transition.RouterConfig{},
			transition.Backend{Name: "old", Handler: oldH, Weight: 0},
			transition.Backend{Name: "new", Handler: newH, Weight: 1},
		)
		// Two requests in flight on "new".
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { serve(r) })
		}
		synctest.Wait()
		st, _ := r.Backend("new")
		require.Equal(t, int64(2), st.InFlight)
		require.NoError(t, r.SetWeights(map[string]float64{"old": 1, "new": 1}))

		d, err := transition.NewInFlightDrainer(r, transition.InFlightDrainerConfig{})
		require.NoError(t, err)
		start := time.Now()
		res := async(func() error { return d.Drain(context.Background(), 1) })
		synctest.Wait()
		assert.False(t, res.finished(), "two requests still in flight")
		st, _ = r.Backend("new")
		assert.True(t, st.Draining, "the newest backend is drained")

		// New requests go to "old" only.
		for range 3 {
			wg.Go(func() { serve(r) })
		}
		synctest.Wait()
		st, _ = r.Backend("new")
		assert.Equal(t, int64(2), st.Served)
		st, _ = r.Backend("old")
		assert.Equal(t, int64(3), st.InFlight)

		newTokens <- struct{}{}
		synctest.Wait()
		assert.False(t, res.finished(), "one request still in flight")
		newTokens <- struct{}{}
		synctest.Wait()
		require.True(t, res.finished(), "in flight reached zero")
		require.NoError(t, res.err)
		assert.Zero(t, time.Since(start), "no polling delay")

		st, _ = r.Backend("new")
		assert.Equal(t, transition.BackendState{Name: "new", Weight: 1, Draining: true, Served: 2}, st)
		for range 3 {
			oldTokens <- struct{}{}
		}
		wg.Wait()
	})
}

func TestInFlightDrainIdleBackendsReturnsAtOnceAndRemoves(t *testing.T) {
	r := newRouter(t, transition.RouterConfig{},
		transition.Backend{Name: "a", Handler: named("a"), Weight: 1},
		transition.Backend{Name: "b", Handler: named("b"), Weight: 1},
		transition.Backend{Name: "c", Handler: named("c"), Weight: 1},
	)
	d, err := transition.NewInFlightDrainer(r, transition.InFlightDrainerConfig{Remove: true})
	require.NoError(t, err)
	require.NoError(t, d.Drain(context.Background(), 2))
	names := []string{}
	for _, b := range r.Backends() {
		names = append(names, b.Name)
	}
	assert.Equal(t, []string{"a"}, names)

	require.NoError(t, d.Drain(context.Background(), 0))
	err = d.Drain(context.Background(), -1)
	require.ErrorIs(t, err, transition.ErrInvalidCount)
	assert.Contains(t, err.Error(), "n = -1")
	err = d.Drain(context.Background(), 2)
	require.ErrorIs(t, err, transition.ErrNotEnoughBackends)
	assert.Contains(t, err.Error(), "drain n = 2, 1 backends serving")
	st, _ := r.Backend("a")
	assert.False(t, st.Draining, "a failed drain marks nothing")
}

func TestInFlightDrainContextEndsWithCtxErrAndRestores(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, tokens := gated()
		r := newRouter(t, transition.RouterConfig{},
			transition.Backend{Name: "a", Handler: named("a"), Weight: 1},
			transition.Backend{Name: "b", Handler: h, Weight: 1},
		)
		require.NoError(t, r.SetWeight("a", 0))
		go serve(r)
		synctest.Wait()
		require.NoError(t, r.SetWeight("a", 1))
		d, err := transition.NewInFlightDrainer(r, transition.InFlightDrainerConfig{Remove: true})
		require.NoError(t, err)

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		err = d.Drain(ctx, 1)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 5*time.Second, time.Since(start))
		st, ok := r.Backend("b")
		require.True(t, ok, "not removed")
		assert.False(t, st.Draining, "serving again")
		assert.Equal(t, int64(1), st.InFlight)

		ctx, cancel = context.WithCancel(context.Background())
		res := async(func() error { return d.Drain(ctx, 1) })
		synctest.Wait()
		assert.False(t, res.finished())
		cancel()
		synctest.Wait()
		require.True(t, res.finished())
		require.ErrorIs(t, res.err, context.Canceled)

		// An ended context fails before marking anything.
		require.ErrorIs(t, d.Drain(ctx, 1), context.Canceled)
		st, _ = r.Backend("b")
		assert.False(t, st.Draining)

		tokens <- struct{}{}
		synctest.Wait()
	})
}

func TestInFlightDrainChoose(t *testing.T) {
	r := newRouter(t, transition.RouterConfig{},
		transition.Backend{Name: "a", Handler: named("a"), Weight: 1},
		transition.Backend{Name: "b", Handler: named("b"), Weight: 2},
		transition.Backend{Name: "c", Handler: named("c"), Weight: 1},
	)
	var got transition.Choice
	choose := func(c transition.Choice) ([]string, error) {
		got = c
		return []string{"a"}, nil
	}
	d, err := transition.NewInFlightDrainer(r, transition.InFlightDrainerConfig{Choose: choose})
	require.NoError(t, err)
	require.NoError(t, d.Drain(context.Background(), 1))
	assert.Equal(t, 1, got.N)
	require.Len(t, got.Backends, 3)
	assert.Equal(t, "b", got.Backends[1].Name)
	assert.Equal(t, 2.0, got.Backends[1].Weight)
	st, _ := r.Backend("a")
	assert.True(t, st.Draining)

	tests := []struct {
		names []string
		err   error
		want  string
	}{
		{[]string{"b", "c"}, transition.ErrInvalidConfig, `Choose returned 2 names ["b" "c"] for n = 1`},
		{[]string{"a"}, transition.ErrAlreadyDraining, `"a"`},
		{[]string{"zz"}, transition.ErrUnknownBackend, `"zz"`},
	}
	for _, tt := range tests {
		d, err := transition.NewInFlightDrainer(r, transition.InFlightDrainerConfig{
			Choose: func(transition.Choice) ([]string, error) { return tt.names, nil },
		})
		require.NoError(t, err)
		err = d.Drain(context.Background(), 1)
		require.ErrorIs(t, err, tt.err)
		assert.Contains(t, err.Error(), tt.want)
	}
	dup, err := transition.NewInFlightDrainer(r, transition.InFlightDrainerConfig{
		Choose: func(transition.Choice) ([]string, error) { return []string{"b", "b"}, nil },
	})
	require.NoError(t, err)
	err = dup.Drain(context.Background(), 2)
	require.ErrorIs(t, err, transition.ErrInvalidConfig)
	assert.Contains(t, err.Error(), `"b" twice`)

	boom := errors.New("boom")
	failing, err := transition.NewInFlightDrainer(r, transition.InFlightDrainerConfig{
		Choose: func(transition.Choice) ([]string, error) { return nil, boom },
	})
	require.NoError(t, err)
	require.ErrorIs(t, failing.Drain(context.Background(), 1), boom)

	for _, name := range []string{"b", "c"} {
		st, _ := r.Backend(name)
		assert.False(t, st.Draining, name)
	}
	_, err = transition.NewInFlightDrainer(nil, transition.InFlightDrainerConfig{})
	require.ErrorIs(t, err, transition.ErrInvalidConfig)
	require.NoError(t, transition.InFlightDrainerConfig{}.Validate())
}

func TestInFlightConcurrentDrainsChooseDisjointBackends(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRouter(t, transition.RouterConfig{})
		tokens := map[string]chan<- struct{}{}
		names := []string{"a", "b", "c", "d", "e", "f"}
		for _, name := range names {
			h, tk := gated()
			tokens[name] = tk
			require.NoError(t, r.Add(transition.Backend{Name: name, Handler: h, Weight: 1}))
		}
		// One request in flight on every backend.
		for range names {
			go serve(r)
		}
		synctest.Wait()
		d, err := transition.NewInFlightDrainer(r, transition.InFlightDrainerConfig{})
		require.NoError(t, err)
		results := []*result{}
		for range 3 {
			results = append(results, async(func() error { return d.Drain(context.Background(), 2) }))
		}
		synctest.Wait()
		draining := 0
		for _, b := range r.Backends() {
			assert.Equal(t, int64(1), b.InFlight)
			if b.Draining {
				draining++
			}
		}
		assert.Equal(t, 6, draining, "three drains of 2 mark 6 distinct backends")
		for _, res := range results {
			assert.False(t, res.finished())
		}
		for _, name := range names {
			tokens[name] <- struct{}{}
		}
		synctest.Wait()
		for _, res := range results {
			require.True(t, res.finished())
			require.NoError(t, res.err)
		}
	})
}

func TestHealthDrainPollsUntilDrained(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var begun []transition.DrainStart
		var checks []transition.DrainCheck
		d, err := transition.NewHealthDrainer(transition.HealthDrainerConfig{
			Begin: func(_ context.Context, s transition.DrainStart) error {
				begun = append(begun, s)
				return nil
			},
			Check: func(_ context.Context, c transition.DrainCheck) (bool, error) {
				checks = append(checks, c)
				return c.Attempt == 3, nil
			},
			Interval: 2 * time.Second,
		})
		require.NoError(t, err)
		start := time.Now()
		require.NoError(t, d.Drain(context.Background(), 2))
		assert.Equal(t, 4*time.Second, time.Since(start), "checked at once, then every 2s until the third check")

		assert.Equal(t, []transition.DrainStart{{N: 2, Now: start}}, begun)
		require.Len(t, checks, 3)
		for i, c := range checks {
			assert.Equal(t, transition.DrainCheck{N: 2, Started: start, Now: start.Add(time.Duration(i) * 2 * time.Second),
				Attempt: i + 1}, c)
		}
	})
}

func TestHealthDrainContextEndsWithCtxErr(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, err := transition.NewHealthDrainer(transition.HealthDrainerConfig{
			Check: func(context.Context, transition.DrainCheck) (bool, error) { return false, nil },
		})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 3500*time.Millisecond)
		defer cancel()
		start := time.Now()
		require.ErrorIs(t, d.Drain(ctx, 1), context.DeadlineExceeded)
		assert.Equal(t, 3500*time.Millisecond, time.Since(start))
		require.ErrorIs(t, d.Drain(ctx, 1), context.DeadlineExceeded)
		require.NoError(t, d.Drain(ctx, 0))
	})
}

func TestHealthDrainHookErrors(t *testing.T) {
	boom := errors.New("lb api 500")
	checked := 0
	d, err := transition.NewHealthDrainer(transition.HealthDrainerConfig{
		Begin: func(context.Context, transition.DrainStart) error { return boom },
		Check: func(context.Context, transition.DrainCheck) (bool, error) { checked++; return true, nil },
	})
	require.NoError(t, err)
	err = d.Drain(context.Background(), 3)
	require.ErrorIs(t, err, boom)
	assert.Equal(t, "transition: begin drain of 3 replicas: lb api 500", err.Error())
	assert.Zero(t, checked)

	d, err = transition.NewHealthDrainer(transition.HealthDrainerConfig{
		Check: func(context.Context, transition.DrainCheck) (bool, error) { return false, boom },
	})
	require.NoError(t, err)
	err = d.Drain(context.Background(), 1)
	require.ErrorIs(t, err, boom)
	assert.Equal(t, "transition: drain check 1 of 1 replicas: lb api 500", err.Error())
	require.ErrorIs(t, d.Drain(context.Background(), -3), transition.ErrInvalidCount)
}

func TestHealthDrainerConfigValidate(t *testing.T) {
	_, err := transition.NewHealthDrainer(transition.HealthDrainerConfig{})
	require.ErrorIs(t, err, transition.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "Check is nil")
	err = transition.HealthDrainerConfig{
		Check:    func(context.Context, transition.DrainCheck) (bool, error) { return true, nil },
		Interval: -time.Millisecond,
	}.Validate()
	require.ErrorIs(t, err, transition.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "Interval = -1ms")
}

func TestHealthDrainOnMockClock(t *testing.T) {
	// clock.Mock yields with a short real sleep; inside the bubble that time
	// is fake too.
	synctest.Test(t, func(t *testing.T) {
		mock := clock.NewMock()
		mock.Set(t0)
		var attempts atomic.Int64
		d, err := transition.NewHealthDrainer(transition.HealthDrainerConfig{
			Check: func(_ context.Context, c transition.DrainCheck) (bool, error) {
				attempts.Store(int64(c.Attempt))
				return c.Now.Sub(c.Started) >= time.Minute, nil
			},
			Interval: 30 * time.Second,
		}, transition.WithClock(mock))
		require.NoError(t, err)
		res := async(func() error { return d.Drain(context.Background(), 1) })
		synctest.Wait()
		for range 2 {
			assert.False(t, res.finished())
			mock.Add(30 * time.Second)
			synctest.Wait()
		}
		require.True(t, res.finished())
		require.NoError(t, res.err)
		assert.Equal(t, int64(3), attempts.Load())
	})
}
