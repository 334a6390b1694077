package shadow

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLazyDeadlineEndsAtTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		ctx, cancel := withLazyTimeout(context.Background(), 10*time.Second)
		defer cancel()
		dl, ok := ctx.Deadline()
		require.True(t, ok)
		assert.Equal(t, start.Add(10*time.Second), dl)
		assert.NoError(t, ctx.Err())
		<-ctx.Done() // arms the timer, which closes Done at the deadline
		assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
		assert.Equal(t, 10*time.Second, time.Since(start))
	})
}

func TestLazyDeadlineErrWithoutDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := withLazyTimeout(context.Background(), time.Second)
		defer cancel()
		<-time.After(time.Second) // the deadline passes with no timer armed
		assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
		select {
		case <-ctx.Done():
		default:
			t.Fatal("Done is not closed after Err reported the deadline")
		}
	})
}

func TestLazyDeadlinePassedBeforeDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := withLazyTimeout(context.Background(), time.Second)
		defer cancel()
		<-time.After(time.Second) // neither Done nor Err asked before the deadline
		<-ctx.Done()
		assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
		child, stop := context.WithCancel(ctx)
		defer stop()
		<-child.Done()
	})
}

func TestLazyDeadlineCancel(t *testing.T) {
	ctx, cancel := withLazyTimeout(context.Background(), time.Hour)
	done := ctx.Done()
	cancel()
	<-done
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
	cancel() // idempotent

	ctx, cancel = withLazyTimeout(context.Background(), time.Hour)
	cancel()
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
	<-ctx.Done()
}

func TestLazyDeadlineFollowsItsParent(t *testing.T) {
	type key struct{}
	parent, stop := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	ctx, cancel := withLazyTimeout(parent, time.Hour)
	defer cancel()
	assert.Equal(t, "v", ctx.Value(key{}))
	done := ctx.Done()
	stop()
	<-done
	assert.ErrorIs(t, ctx.Err(), context.Canceled)

	// A parent that ended before Done was asked for.
	parent, stop = context.WithCancel(context.Background())
	ctx, cancel = withLazyTimeout(parent, time.Hour)
	defer cancel()
	stop()
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
	<-ctx.Done()

	// A parent that ended before anything was asked: Done first.
	parent, stop = context.WithCancel(context.Background())
	ctx, cancel = withLazyTimeout(parent, time.Hour)
	defer cancel()
	stop()
	<-ctx.Done()
	assert.ErrorIs(t, ctx.Err(), context.Canceled)

	// An earlier deadline of the parent's is the context's.
	early := time.Now().Add(time.Minute)
	parent, stop = context.WithDeadline(context.Background(), early)
	defer stop()
	ctx, cancel = withLazyTimeout(parent, time.Hour)
	defer cancel()
	dl, _ := ctx.Deadline()
	assert.Equal(t, early, dl)
}

func TestLazyDeadlineDerivedContexts(t *testing.T) {
	ctx, cancel := withLazyTimeout(context.Background(), time.Hour)
	child, stop := context.WithTimeout(ctx, time.Hour)
	defer stop()
	cancel()
	<-child.Done()
	assert.ErrorIs(t, child.Err(), context.Canceled)

	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := withLazyTimeout(context.Background(), 5*time.Second)
		defer cancel()
		child, stop := context.WithCancel(ctx)
		defer stop()
		<-child.Done()
		assert.ErrorIs(t, child.Err(), context.DeadlineExceeded)
	})
}
