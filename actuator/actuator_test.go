package actuator_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/actuator/actuatortest"
)

func instant(time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	c <- time.Time{}
	return c
}

func TestDoStopsAfterBudget(t *testing.T) {
	calls := 0
	var waits []time.Duration
	err := actuator.Do(context.Background(), actuator.RetryConfig{MaxRetries: 3, After: instant, OnRetry: func(_ error, d time.Duration) { waits = append(waits, d) }},
		func(context.Context) error { calls++; return errors.New("503") })
	require.EqualError(t, err, "503")
	assert.Equal(t, 4, calls, "one attempt and three retries")
	assert.Len(t, waits, 3)
}

// fakeClock is a clock whose waits fire at once and advance its time.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.now = c.now.Add(d)
	return instant(d)
}

// The elapsed-time budget runs on the injected clock: with waits that take
// no real time, the loop still ends when the clock's time is spent.
func TestDoBudgetRunsOnTheInjectedClock(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	start := clk.now
	calls := 0
	err := actuator.Do(context.Background(), actuator.RetryConfig{
		InitialInterval: time.Second, MaxInterval: 4 * time.Second, MaxElapsedTime: 20 * time.Second, MaxRetries: 1000,
		After: clk.After, Now: clk.Now,
	}, func(context.Context) error { calls++; return errors.New("503") })
	require.EqualError(t, err, "503")
	elapsed := clk.now.Sub(start)
	assert.LessOrEqual(t, elapsed, 20*time.Second, "no wait starts past the budget")
	assert.GreaterOrEqual(t, elapsed, 20*time.Second-6*time.Second, "the budget is nearly spent: one more wait (≤ 4s × 1.5) would pass it")
	assert.Less(t, calls, 30, "the elapsed-time budget, not MaxRetries, ended the loop")
}

func TestDoKeepsThePermanentMark(t *testing.T) {
	gone := errors.New("group gone")
	calls := 0
	err := actuator.Do(context.Background(), actuator.RetryConfig{After: instant}, func(context.Context) error {
		calls++
		return fmt.Errorf("scale: %w", actuator.Permanent(gone))
	})
	assert.Equal(t, 1, calls, "a permanent error is not retried")
	assert.True(t, actuator.IsPermanent(err), "the caller can still classify it")
	assert.ErrorIs(t, err, gone)
	assert.EqualError(t, err, "scale: permanent: group gone")
}

func TestDoHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	never := func(time.Duration) <-chan time.Time { return nil }
	calls := 0
	err := actuator.Do(ctx, actuator.RetryConfig{After: never}, func(context.Context) error {
		calls++
		cancel()
		return errors.New("503")
	})
	require.Error(t, err)
	assert.Equal(t, 1, calls)
}

func TestRetryConfigValidate(t *testing.T) {
	for _, c := range []actuator.RetryConfig{{InitialInterval: -1}, {MaxInterval: -1}, {MaxElapsedTime: -1}} {
		assert.Error(t, c.Validate())
		assert.Error(t, actuator.Do(context.Background(), c, func(context.Context) error { return nil }))
	}
}

func TestRetryCountZeroDefaultNegativeNone(t *testing.T) {
	for _, c := range []struct{ maxRetries, calls int }{{0, 5}, {-1, 1}, {2, 3}} {
		calls := 0
		err := actuator.Do(context.Background(), actuator.RetryConfig{MaxRetries: c.maxRetries, After: instant}, func(context.Context) error {
			calls++
			return errors.New("503")
		})
		require.Error(t, err)
		assert.Equal(t, c.calls, calls, "MaxRetries %d", c.maxRetries)
	}
}

func TestRetryingRejectsNegativeTarget(t *testing.T) {
	a := actuator.Retrying(actuatortest.NewGroup(1, 0, nil), actuator.RetryConfig{After: instant})
	err := a.Scale(context.Background(), -2)
	assert.ErrorIs(t, err, actuator.ErrInvalidTarget)
	assert.True(t, actuator.IsPermanent(err))
	assert.Nil(t, actuator.Permanent(nil))
}

func TestRetryingCurrent(t *testing.T) {
	g := actuatortest.NewGroup(3, 0, nil)
	g.FailCurrent(errors.New("timeout"))
	st, err := actuator.Retrying(g, actuator.RetryConfig{After: instant}).Current(context.Background())
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 3, Ready: 3}, st)
}

func TestGroupReadyDelay(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := actuatortest.NewGroup(2, 10*time.Minute, func() time.Time { return now })
	ctx := context.Background()
	require.NoError(t, g.Scale(ctx, 5))
	st, _ := g.Current(ctx)
	assert.Equal(t, actuator.State{Desired: 5, Ready: 2}, st)
	now = now.Add(9 * time.Minute)
	st, _ = g.Current(ctx)
	assert.Equal(t, 2, st.Ready)
	now = now.Add(time.Minute)
	st, _ = g.Current(ctx)
	assert.Equal(t, 5, st.Ready, "ready at exactly request + delay")
	// Scale-down removes starting replicas first, then ready ones, at once.
	require.NoError(t, g.Scale(ctx, 7))
	require.NoError(t, g.Scale(ctx, 4))
	st, _ = g.Current(ctx)
	assert.Equal(t, actuator.State{Desired: 4, Ready: 4}, st)
	assert.Len(t, g.Calls(), 3)
}

func TestGroupLatency(t *testing.T) {
	g := actuatortest.NewGroup(1, 0, nil)
	g.Latency = time.Hour
	g.After = func(time.Duration) <-chan time.Time { return nil }
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, g.Scale(ctx, 2), context.Canceled)
	_, err := g.Current(ctx)
	assert.ErrorIs(t, err, context.Canceled)
}

var _ actuator.Actuator = (*actuatortest.Group)(nil)
