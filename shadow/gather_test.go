package shadow_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/mirror"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
)

// errStale stands for the k8s driver's ErrStatusStale: a transient error
// the workload's controller clears once it observes the new spec.
var errStale = errors.New("k8s: status not yet observed for the current spec")

// countingActuator counts Current calls on the actuator it wraps.
type countingActuator struct {
	actuator.Actuator
	current atomic.Int64
}

func (a *countingActuator) Current(ctx context.Context) (actuator.State, error) {
	a.current.Add(1)
	return a.Actuator.Current(ctx)
}

// mockWaits is a retry After on a mock clock that tells the test each wait
// once it is registered, so the test advances the clock by exactly that
// much and never sleeps.
func mockWaits(mock *clock.Mock) (after func(time.Duration) <-chan time.Time, waits <-chan time.Duration) {
	ch := make(chan time.Duration, 16)
	return func(d time.Duration) <-chan time.Time {
		c := mock.After(d)
		ch <- d
		return c
	}, ch
}

// TestCurrentRetriedAfterTransientError: a production Current that fails
// with a transient error (a status not yet observed) is retried on the
// Controller's clock with the retry policy, and the pass goes on with the
// state the retry read instead of holding.
func TestCurrentRetriedAfterTransientError(t *testing.T) {
	mock := clock.NewMock()
	mock.Set(t0)
	grp := actuatortest.NewGroup(1, 0, mock.Now)
	grp.FailCurrent(fmt.Errorf("k8s: read deployment default/web: %w: generation 3, observed 2", errStale))
	prod := &countingActuator{Actuator: grp}
	after, waits := mockWaits(mock)
	var retried []error
	c, err := shadow.New(shadow.Config{PerReplica: 10},
		shadow.Deps{Source: shadowtest.NewSource(100), Forecaster: &driftForecaster{k: 3, step: time.Minute}, Policy: peakPolicy, Production: prod},
		shadow.WithClock(mock), shadow.WithLogger(testLogger(&syncBuffer{})),
		shadow.WithRetry(actuator.RetryConfig{After: after, OnRetry: func(err error, _ time.Duration) { retried = append(retried, err) }}))
	require.NoError(t, err)

	type result struct {
		r   shadow.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := c.Step(context.Background(), t0)
		done <- result{r, err}
	}()
	var d time.Duration
	select {
	case d = <-waits:
	case res := <-done:
		t.Fatalf("the pass ended without a retry: held %v, %v", res.r.Held, res.err)
	}
	// The default policy: 200ms with ±50% jitter.
	assert.GreaterOrEqual(t, d, 100*time.Millisecond)
	assert.LessOrEqual(t, d, 300*time.Millisecond)
	mock.Add(d)
	res := <-done

	require.NoError(t, res.err)
	assert.False(t, res.r.Held)
	assert.Equal(t, actuator.State{Desired: 1, Ready: 1}, res.r.State)
	assert.True(t, res.r.Actuated, "scaled for 100 req/s")
	assert.EqualValues(t, 2, prod.current.Load())
	require.Len(t, retried, 1)
	assert.ErrorIs(t, retried[0], errStale)
	able, _ := res.r.Condition(shadow.AbleToScale)
	assert.True(t, able.Status, "%+v", able)
}

// TestCurrentRetryPolicy: Current gets the retry policy Scale gets — as
// many attempts, no retry of a permanent error — and a pass that exhausts
// it holds with the last error.
func TestCurrentRetryPolicy(t *testing.T) {
	cases := []struct {
		name     string
		errs     []error
		attempts int64
		held     bool
	}{
		{"clears on the last retry", []error{errStale, errStale}, 3, false},
		{"outlasts the retries", []error{errStale, errStale, errStale}, 3, true},
		{"permanent", []error{actuator.Permanent(errors.New("forbidden"))}, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mock := clock.NewMock()
			mock.Set(t0)
			grp := actuatortest.NewGroup(2, 0, mock.Now)
			grp.FailCurrent(tc.errs...)
			prod := &countingActuator{Actuator: grp}
			after, waits := mockWaits(mock)
			c, err := shadow.New(shadow.Config{PerReplica: 10},
				shadow.Deps{Source: shadowtest.NewSource(100), Forecaster: &driftForecaster{k: 3, step: time.Minute}, Policy: peakPolicy, Production: prod},
				shadow.WithClock(mock), shadow.WithLogger(testLogger(&syncBuffer{})),
				shadow.WithRetry(actuator.RetryConfig{After: after, MaxRetries: 2}))
			require.NoError(t, err)
			done := make(chan error, 1)
			var r shadow.Report
			go func() {
				var err error
				r, err = c.Step(context.Background(), t0)
				done <- err
			}()
			var stepErr error
		wait:
			for {
				select {
				case d := <-waits:
					mock.Add(d)
				case stepErr = <-done:
					break wait
				}
			}
			assert.Equal(t, tc.attempts, prod.current.Load(), "Current calls")
			assert.Equal(t, tc.held, r.Held)
			if !tc.held {
				require.NoError(t, stepErr)
				assert.True(t, r.Actuated)
				return
			}
			require.Error(t, stepErr)
			assert.ErrorIs(t, stepErr, tc.errs[len(tc.errs)-1])
			held, _ := r.Condition(shadow.Held)
			assert.Equal(t, shadow.ReasonProductionUnknown, held.Reason)
			assert.Empty(t, grp.Calls(), "no Scale while production is unknown")
		})
	}
}

// TestCurrentRetriesBoundedByCallTimeout: retries of a Current that keeps
// failing stop at the pass's CallTimeout, however generous the retry
// budget, and the error keeps the reason the retries were for.
func TestCurrentRetriesBoundedByCallTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		grp := actuatortest.NewGroup(2, 0, nil)
		grp.SetCurrentError(errStale)
		prod := &countingActuator{Actuator: grp}
		c, err := shadow.New(shadow.Config{PerReplica: 10, CallTimeout: 5 * time.Second},
			shadow.Deps{Source: shadowtest.NewSource(100), Forecaster: &driftForecaster{k: 3, step: time.Minute}, Policy: peakPolicy, Production: prod},
			shadow.WithLogger(testLogger(&syncBuffer{})),
			shadow.WithRetry(actuator.RetryConfig{MaxRetries: 1000, MaxElapsedTime: time.Hour}))
		require.NoError(t, err)
		start := time.Now()
		r, err := c.Step(context.Background(), start)
		assert.Equal(t, 5*time.Second, time.Since(start), "the gather's deadline, on the bubble's clock")
		require.Error(t, err)
		assert.ErrorIs(t, err, errStale)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.True(t, r.Held)
		assert.Greater(t, prod.current.Load(), int64(3), "retried until the deadline")
		assert.Empty(t, grp.Calls())
	})
}

// TestShadowPoolCurrentRetried: the shadow pool's actuator is read with the
// same retries as production's.
func TestShadowPoolCurrentRetried(t *testing.T) {
	now := t0
	grp := actuatortest.NewGroup(2, 0, func() time.Time { return now })
	pool := actuatortest.NewGroup(0, 0, func() time.Time { return now })
	pool.FailCurrent(errStale)
	counted := &countingActuator{Actuator: pool}
	m := &fakeMirror{}
	m.set(mirror.Stats{At: now, Requests: 100, P95: 50 * time.Millisecond}, nil)
	c, err := shadow.New(shadow.Config{PerReplica: 10},
		shadow.Deps{Source: shadowtest.NewSource(50), Forecaster: &driftForecaster{k: 3, step: time.Minute}, Policy: peakPolicy, Production: grp},
		shadow.WithLogger(testLogger(&syncBuffer{})), shadow.WithRetry(actuator.RetryConfig{After: instant}),
		shadow.WithShadowPool(m, counted, shadow.PoolConfig{MinHistory: 1, ProvisionAfter: 1, MaxForecastError: 10}))
	require.NoError(t, err)
	_, err = c.Step(context.Background(), now)
	require.NoError(t, err)
	assert.EqualValues(t, 2, counted.current.Load())
}

// hangingGroup's Current waits for its context to end.
type hangingGroup struct {
	*actuatortest.Group
	seen *deadlines
}

func (g hangingGroup) Current(ctx context.Context) (actuator.State, error) {
	g.seen.add(ctx)
	<-ctx.Done()
	return actuator.State{}, ctx.Err()
}

// deadlines records the deadline of each context a dependency was called with.
type deadlines struct {
	mu  sync.Mutex
	all []time.Time
}

func (d *deadlines) add(ctx context.Context) {
	dl, ok := ctx.Deadline()
	d.mu.Lock()
	defer d.mu.Unlock()
	if ok {
		d.all = append(d.all, dl)
	}
}

// A metrics source and a production group that both hang hold the pass up
// by CallTimeout at most: the reads share one deadline, whether they run
// one after the other or concurrently.
func TestGatherHangingReadsShareOneDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const timeout = 20 * time.Second
		seen := &deadlines{}
		src := shadow.SourceFunc(func(ctx context.Context, _ time.Time) (shadow.Sample, error) {
			seen.add(ctx)
			<-ctx.Done()
			return shadow.Sample{}, ctx.Err()
		})
		grp := hangingGroup{Group: actuatortest.NewGroup(3, 0, nil), seen: seen}
		c, err := shadow.New(shadow.Config{PerReplica: 10, CallTimeout: timeout},
			shadow.Deps{Source: src, Forecaster: &driftForecaster{k: 5, step: time.Minute}, Policy: peakPolicy, Production: grp},
			shadow.WithLogger(testLogger(&syncBuffer{})))
		require.NoError(t, err)

		start := time.Now()
		rep, err := c.Step(context.Background(), t0)
		assert.Equal(t, timeout, time.Since(start), "the two hanging reads cost the pass one CallTimeout")
		require.Error(t, err)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.True(t, rep.Held)
		assert.Equal(t, shadow.ReasonMetricsUnavailable, heldReason(rep))
		require.Len(t, seen.all, 2, "both reads ran under a deadline")
		assert.Equal(t, seen.all[0], seen.all[1], "one deadline for the pass")
		assert.Equal(t, start.Add(timeout), seen.all[0])
	})
}

// heldReason is the reason code of the Held condition.
func heldReason(rep shadow.Report) string {
	for _, cd := range rep.Conditions {
		if cd.Type == shadow.Held {
			return cd.Reason
		}
	}
	return ""
}
