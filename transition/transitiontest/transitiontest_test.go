package transitiontest_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/shadowscale/shadowscale/transition"
	"github.com/shadowscale/shadowscale/transition/transitiontest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestTransitionerScriptsAndRecords(t *testing.T) {
	boom := errors.New("boom")
	tr := transitiontest.NewTransitioner(
		transitiontest.Result{Status: transition.Status{Weight: 0.1}},
		transitiontest.Result{Status: transition.Status{Weight: 0.1, Reason: "hold"}, Err: boom},
	)
	p := transition.Plan{From: 1, To: 3, Started: t0}
	ctx := context.Background()
	assert.Equal(t, 2, tr.Remaining())

	st, err := tr.Advance(ctx, t0, p)
	require.NoError(t, err)
	assert.Equal(t, transition.Status{Weight: 0.1}, st)
	st, err = tr.Advance(ctx, t0.Add(time.Second), p)
	require.ErrorIs(t, err, boom)
	assert.Equal(t, "hold", st.Reason)
	st, err = tr.Advance(ctx, t0.Add(2*time.Second), p)
	require.NoError(t, err)
	assert.Equal(t, transition.Status{Weight: 1, Done: true}, st, "an empty script is done")

	tr.Script(transitiontest.Result{Status: transition.Status{Weight: 0.5}})
	p2 := transition.Plan{From: 3, To: 4, Started: t0.Add(time.Hour)}
	st, err = tr.Advance(ctx, t0.Add(time.Hour), p2)
	require.NoError(t, err)
	assert.Equal(t, 0.5, st.Weight)
	assert.Zero(t, tr.Remaining())

	assert.Equal(t, []transition.Plan{p, p, p, p2}, tr.Plans())
	calls := tr.Calls()
	require.Len(t, calls, 4)
	assert.Equal(t, transitiontest.Call{Now: t0.Add(time.Hour), Plan: p2}, calls[3])
}

func TestDrainerRecordsAndFails(t *testing.T) {
	d := transitiontest.NewDrainer()
	ctx := context.Background()
	require.NoError(t, d.Drain(ctx, 2))

	first, second, always := errors.New("first"), errors.New("second"), errors.New("always")
	d.FailNext(first, second)
	d.SetErr(always)
	require.ErrorIs(t, d.Drain(ctx, 1), first)
	require.ErrorIs(t, d.Drain(ctx, 3), second)
	require.ErrorIs(t, d.Drain(ctx, 4), always)
	d.SetErr(nil)
	require.NoError(t, d.Drain(ctx, 5))

	assert.Equal(t, []int{2, 1, 3, 4, 5}, d.Calls())
	assert.Equal(t, 15, d.Total())
}

func TestDrainerBlocksUntilReleased(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := transitiontest.NewDrainer()
		d.Block()
		d.Block() // idempotent
		done := make(chan error, 2)
		for range 2 {
			go func() { done <- d.Drain(context.Background(), 1) }()
		}
		synctest.Wait()
		assert.Equal(t, 2, d.Waiting())
		assert.Empty(t, done)

		d.Release()
		synctest.Wait()
		require.NoError(t, <-done)
		require.NoError(t, <-done)
		assert.Zero(t, d.Waiting())
		d.Release() // idempotent

		// Released means no longer blocking.
		require.NoError(t, d.Drain(context.Background(), 1))
		assert.Equal(t, []int{1, 1, 1}, d.Calls())
	})
}

func TestDrainerBlockedEndsWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := transitiontest.NewDrainer()
		d.Block()
		d.FailNext(errors.New("not consumed by a canceled drain"))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		require.ErrorIs(t, d.Drain(ctx, 3), context.DeadlineExceeded)
		assert.Equal(t, time.Minute, time.Since(start))
		d.Release()
		require.EqualError(t, d.Drain(context.Background(), 1), "not consumed by a canceled drain")
	})
}
