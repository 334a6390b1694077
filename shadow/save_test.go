package shadow_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
)

// hookStore is a StateStore whose Save calls a hook first.
type hookStore struct {
	memStore
	onSave func(ctx context.Context)
}

func (h *hookStore) Save(ctx context.Context, data []byte) error {
	if h.onSave != nil {
		h.onSave(ctx)
	}
	return h.memStore.Save(ctx, data)
}

func (h *hookStore) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.saves
}

func saver(t *testing.T, store shadow.StateStore, cfg shadow.Config, now *time.Time) *shadow.Controller {
	t.Helper()
	cfg.PerReplica = 10
	c, err := shadow.New(cfg, shadow.Deps{Source: shadowtest.NewSource(100), Forecaster: &driftForecaster{k: 5, step: time.Minute},
		Policy: peakPolicy, Production: actuatortest.NewGroup(10, 0, func() time.Time { return *now })},
		shadow.WithStateStore(store, "checkout"), shadow.WithLogger(testLogger(&syncBuffer{})))
	require.NoError(t, err)
	return c
}

// A Save that hangs, ignoring its context, holds its pass for exactly
// CallTimeout; the passes after it skip saving (and say so) without
// waiting, and saving resumes once it returns.
func TestSaveNeverBlocksLongerThanCallTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var hang sync.Once
		store := &hookStore{}
		store.onSave = func(context.Context) {
			hang.Do(func() { <-release }) // the first Save hangs
		}
		now := t0
		c := saver(t, store, shadow.Config{CallTimeout: 2 * time.Second}, &now)

		start := time.Now()
		r, err := c.Step(context.Background(), now)
		require.Error(t, err)
		assert.Equal(t, 2*time.Second, time.Since(start), "the pass waited CallTimeout, no more")
		assert.Contains(t, err.Error(), "state: save snapshot: no answer within CallTimeout (2s), still running")
		assert.False(t, r.Held, "the decision is made before saving")

		now = now.Add(time.Minute)
		start = time.Now()
		_, err = c.Step(context.Background(), now)
		require.Error(t, err)
		assert.Zero(t, time.Since(start), "a skipped save does not wait")
		assert.Contains(t, err.Error(), "the previous Save has not returned yet: not saved")

		close(release)
		synctest.Wait()
		assert.Equal(t, 1, store.count(), "the hung Save finished")
		now = now.Add(time.Minute)
		_, err = c.Step(context.Background(), now)
		require.NoError(t, err)
		assert.Equal(t, 2, store.count())
	})
}

// Run does not wait forever for a Save that ignores its context: the
// final save waits CallTimeout for the hung one, Run CallTimeout more, and
// then returns an error naming it; the Save's goroutine ends when the store
// returns.
func TestRunDoesNotWaitForeverForAHungSave(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		store := &hookStore{}
		store.onSave = func(context.Context) { <-release }
		now := time.Now()
		c := saver(t, store, shadow.Config{CallTimeout: 2 * time.Second}, &now)
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		err := c.Run(ctx) // passes at 0 (its save hangs) and 1 minute
		require.Error(t, err)
		assert.Contains(t, err.Error(), "a state store Save has not returned 2s after Run stopped")
		assert.Equal(t, 90*time.Second+4*time.Second, time.Since(now), "the final save's CallTimeout, then Run's")
		close(release)
		synctest.Wait()
		assert.Equal(t, 1, store.count(), "the hung Save returned; no other was started")
	})
}

// Saving runs after the pass's decision and outside the state lock: Save
// reads the Controller, and sees the pass's observation already in the
// history.
func TestSaveRunsAfterDecide(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &hookStore{}
		var c *shadow.Controller
		var seen []time.Time
		store.onSave = func(context.Context) {
			h := c.History() // takes the state lock: would not return inside decide
			seen = append(seen, h[len(h)-1].Time)
		}
		now := t0
		c = saver(t, store, shadow.Config{CallTimeout: time.Second}, &now)
		var want []time.Time
		for range 5 {
			start := time.Now()
			_, err := c.Step(context.Background(), now)
			require.NoError(t, err)
			assert.Zero(t, time.Since(start))
			want = append(want, now)
			now = now.Add(time.Minute)
		}
		assert.Equal(t, want, seen)
	})
}

// With SaveEvery 3, one pass in three saves; Run saves the passes left
// over when it stops, and Save saves on demand.
func TestSaveEvery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &hookStore{}
		now := time.Now()
		c := saver(t, store, shadow.Config{SaveEvery: 3}, &now)
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute+time.Second)
		defer cancel()
		require.NoError(t, c.Run(ctx)) // passes at 0, 1, 2, 3 and 4 minutes
		assert.Equal(t, 2, store.count(), "after the third pass, and the two left when Run stopped")

		s2 := &hookStore{}
		d := saver(t, s2, shadow.Config{SaveEvery: 3}, &now)
		require.NoError(t, d.Save(context.Background()))
		assert.Zero(t, s2.count(), "before the first pass nothing is saved: the saved state was not read yet")
		_, err := d.Step(context.Background(), now)
		require.NoError(t, err)
		assert.Zero(t, s2.count())
		require.NoError(t, d.Save(context.Background()))
		assert.Equal(t, 1, s2.count())
	})
}

func TestSaveEveryValidated(t *testing.T) {
	now := t0
	_, err := shadow.New(shadow.Config{PerReplica: 10, SaveEvery: -1}, shadow.Deps{Source: shadowtest.NewSource(1),
		Forecaster: &driftForecaster{k: 3}, Policy: peakPolicy, Production: actuatortest.NewGroup(1, 0, func() time.Time { return now })})
	require.ErrorContains(t, err, "Config.SaveEvery (-1) must not be negative")
}
