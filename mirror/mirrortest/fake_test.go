package mirrortest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/mirror"
	"github.com/shadowscale/shadowscale/mirror/mirrortest"
)

func TestFakeScript(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	boom := errors.New("boom")
	f := mirrortest.New(0.1,
		mirrortest.Step{Stats: mirror.Stats{At: at, Requests: 10}},
		mirrortest.Step{Err: boom},
		mirrortest.Step{Stats: mirror.Stats{At: at.Add(time.Minute), Requests: 20, Fraction: 0.5}},
	)
	ctx := context.Background()
	s, err := f.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(10), s.Requests)
	assert.Equal(t, 0.1, s.Fraction, "fraction in force fills the step")
	_, err = f.Stats(ctx)
	require.ErrorIs(t, err, boom)
	for range 2 { // the last step repeats
		s, err = f.Stats(ctx)
		require.NoError(t, err)
		assert.Equal(t, int64(20), s.Requests)
		assert.Equal(t, 0.5, s.Fraction)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = f.Stats(cancelled)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 4, f.StatsCalls())
}

func TestFakeEmptyScript(t *testing.T) {
	f := mirrortest.New(0)
	_, err := f.Stats(context.Background())
	require.ErrorIs(t, err, mirrortest.ErrScriptEmpty)
	f.Script(mirrortest.Step{Stats: mirror.Stats{Requests: 1}})
	s, err := f.Stats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(1), s.Requests)
}

func TestFakeSetFraction(t *testing.T) {
	f := mirrortest.New(0.1)
	require.NoError(t, f.SetFraction(0.3))
	require.ErrorIs(t, f.SetFraction(1.5), mirror.ErrFraction)
	failure := errors.New("unavailable")
	f.FailSetFraction(failure)
	require.ErrorIs(t, f.SetFraction(0.4), failure)
	assert.Equal(t, 0.3, f.Fraction())
	f.FailSetFraction(nil)
	require.NoError(t, f.SetFraction(0))
	assert.Equal(t, []float64{0.3, 1.5, 0.4, 0}, f.SetFractionCalls())
	assert.Equal(t, 0.0, f.Fraction())
}
