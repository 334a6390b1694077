package mirror

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBreakerGenerations checks the state machine with explicit times:
// open after the threshold, a single half-open probe after the pause, a
// doubled pause when the probe fails, and outcomes of sends admitted in an
// earlier generation ignored (no re-trip, no doubling).
func TestBreakerGenerations(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := newBreaker(2, time.Second)
	g1, ok := b.admit(t0)
	require.True(t, ok)
	g1b, _ := b.admit(t0)
	g1c, _ := b.admit(t0)
	assert.False(t, b.done(g1, false, t0))
	assert.True(t, b.done(g1b, false, t0), "second consecutive failure opens")
	assert.False(t, b.done(g1c, false, t0), "late failure of an earlier generation is ignored")
	st, pause := b.snapshot()
	assert.Equal(t, BreakerOpen, st)
	assert.Equal(t, time.Second, pause, "not doubled by the late failure")
	assert.True(t, b.refuses(t0.Add(999*time.Millisecond)))
	_, ok = b.admit(t0.Add(999 * time.Millisecond))
	assert.False(t, ok)

	t1 := t0.Add(time.Second)
	assert.False(t, b.refuses(t1), "pause over: the next copy may be offered")
	probe, ok := b.admit(t1)
	require.True(t, ok, "half-open probe")
	st, _ = b.snapshot()
	assert.Equal(t, BreakerHalfOpen, st)
	_, ok = b.admit(t1)
	assert.False(t, ok, "a single probe at a time")
	assert.True(t, b.refuses(t1.Add(time.Hour)), "copies refused while the probe is out")
	assert.True(t, b.done(probe, false, t1), "failed probe reopens")
	_, pause = b.snapshot()
	assert.Equal(t, 2*time.Second, pause, "failed probe doubles the pause")
	assert.False(t, b.done(probe, false, t1), "same probe reported twice: ignored")

	t2 := t1.Add(2 * time.Second)
	probe, ok = b.admit(t2)
	require.True(t, ok)
	b.unadmit(probe) // the probe copy was dropped before sending
	probe, ok = b.admit(t2)
	require.True(t, ok, "another copy may probe at once")
	assert.False(t, b.done(probe, true, t2), "probe answered: closed")
	st, pause = b.snapshot()
	assert.Equal(t, BreakerClosed, st)
	assert.Zero(t, pause)
	assert.False(t, b.refuses(t2))

	for s, want := range map[BreakerState]string{BreakerClosed: "closed", BreakerOpen: "open", BreakerHalfOpen: "half-open", 9: "unknown breaker state: 9"} {
		assert.Equal(t, want, s.String())
	}
	off := newBreaker(-1, time.Second)
	g, ok := off.admit(t0)
	assert.True(t, ok)
	assert.False(t, off.done(g, false, t0))
}

// scriptedShadow is a transport whose every call waits for the next
// scripted result (nil: 200 OK) and announces itself on entered.
type scriptedShadow struct {
	entered chan string
	results chan error
}

func newScriptedShadow() *scriptedShadow {
	return &scriptedShadow{entered: make(chan string, 64), results: make(chan error, 64)}
}

func (s *scriptedShadow) RoundTrip(r *http.Request) (*http.Response, error) {
	s.entered <- r.URL.Path
	select {
	case err := <-s.results:
		if err != nil {
			return nil, err
		}
		return okResponse(r, http.StatusOK, "ok"), nil
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
}

// TestBreakerPurgesQueueProbesAndRecovers runs the breaker inside a Tee:
// when it opens the queued copies are purged and counted, copies are
// refused without a dial while it is open, one probe goes out after the
// pause, a failed probe doubles the pause, and an answered probe closes it.
func TestBreakerPurgesQueueProbesAndRecovers(t *testing.T) {
	clk := newFakeClock(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	shadow := newScriptedShadow()
	cfg := baseConfig("http://shadow.internal")
	cfg.Workers = 1
	cfg.QueueSize = 16
	cfg.BreakerFailures = 3
	cfg.BreakerPause = time.Second
	cfg.Window = time.Hour
	cfg.Transport = shadow
	tee := newTee(t, cfg, WithClock(clk))
	h := tee.Wrap(okHandler)
	serve := func(n int) {
		for range n {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			require.Equal(t, "primary", rec.Body.String())
		}
	}
	report := func() ShadowStats {
		waitIdle(tee)
		rep, err := tee.Report(context.Background())
		require.NoError(t, err)
		return rep.Shadows[0]
	}

	serve(8) // one in flight, seven queued
	for range 3 {
		shadow.results <- errRefused
	}
	s := report()
	assert.Equal(t, int64(3), s.TransportErrors)
	assert.Equal(t, int64(5), s.Drops["shadow_down"], "queue purged when the breaker opened")
	assert.Equal(t, BreakerOpen, s.Breaker)
	assert.Len(t, shadow.entered, 3)

	serve(2)
	s = report()
	assert.Equal(t, int64(7), s.Drops["shadow_down"], "refused without a dial while open")

	clk.Add(time.Second)
	serve(1)
	<-shadow.entered
	<-shadow.entered
	<-shadow.entered
	assert.Equal(t, "/", <-shadow.entered, "the probe")
	serve(2) // refused: the probe is out
	shadow.results <- errRefused
	s = report()
	assert.Equal(t, int64(4), s.TransportErrors)
	assert.Equal(t, int64(9), s.Drops["shadow_down"])
	assert.Equal(t, BreakerOpen, s.Breaker)
	assert.Equal(t, 2*time.Second, s.BreakerPause, "failed probe doubled the pause")

	clk.Add(time.Second)
	serve(1)
	s = report()
	assert.Equal(t, int64(10), s.Drops["shadow_down"], "still paused (2 s)")
	clk.Add(time.Second)
	serve(1)
	<-shadow.entered
	shadow.results <- nil
	s = report()
	assert.Equal(t, BreakerClosed, s.Breaker, "answered probe closed the breaker")
	for range 3 {
		shadow.results <- nil
	}
	serve(3)
	s = report()
	assert.Equal(t, int64(4), s.Requests-s.Errors, "probe and the three copies after it answered")
	assert.Equal(t, int64(10), s.Drops["shadow_down"])
	assert.Equal(t, int64(14+4), s.Requests+s.Dropped, "every copy accounted for")
}

// TestBreakerCancelsInFlightSends: a send hanging on its context is
// cancelled when another send opens the breaker; it counts as a
// shadow_down drop, not as a failure, so the pause is not doubled.
func TestBreakerCancelsInFlightSends(t *testing.T) {
	clk := newFakeClock(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	shadow := newScriptedShadow()
	cfg := baseConfig("http://shadow.internal")
	cfg.Workers = 2
	cfg.BreakerFailures = 1
	cfg.Window = time.Hour
	cfg.Transport = shadow
	tee := newTee(t, cfg, WithClock(clk))
	h := tee.Wrap(okHandler)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/hang", nil))
	assert.Equal(t, "/hang", <-shadow.entered)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/fail", nil))
	assert.Equal(t, "/fail", <-shadow.entered)
	shadow.results <- errRefused // consumed by whichever send reads first
	waitIdle(tee)
	rep, err := tee.Report(context.Background())
	require.NoError(t, err)
	s := rep.Shadows[0]
	assert.Equal(t, int64(1), s.TransportErrors)
	assert.Equal(t, int64(1), s.Drops["shadow_down"], "the other send was cancelled")
	assert.Equal(t, BreakerOpen, s.Breaker)
	assert.Equal(t, time.Second, s.BreakerPause)
}
