package mirror

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shadowscale/shadowscale/internal/enum"
)

// BreakerState is the state of a shadow's circuit breaker.
type BreakerState int

// Breaker states, after gobreaker's model.
const (
	// BreakerClosed: copies are sent.
	BreakerClosed BreakerState = iota
	// BreakerOpen: copies are dropped as shadow_down until the pause ends.
	BreakerOpen
	// BreakerHalfOpen: one probe copy is in flight; others are dropped.
	BreakerHalfOpen
)

var breakerNames = [...]string{"closed", "open", "half-open"}

// String returns "closed", "open" or "half-open".
func (s BreakerState) String() string {
	return enum.Name(s, "breaker state", breakerNames[:])
}

// breaker is one shadow's circuit breaker. Each state change starts a new
// generation; the outcome of a send admitted in an earlier generation is
// ignored, so late failures cannot re-trip the breaker or double its pause.
// Time is passed in.
type breaker struct {
	threshold int // consecutive failures that open it; < 0 disables
	base, max time.Duration

	mu          sync.Mutex
	state       BreakerState
	gen         uint64
	consecutive int
	pause       time.Duration
	openUntil   int64 // unix nanos

	// refuseUntil lets the request path refuse copies without the lock:
	// the end of the pause while open, MaxInt64 while a probe is in
	// flight, 0 while closed.
	refuseUntil atomic.Int64
}

func newBreaker(threshold int, base time.Duration) *breaker {
	return &breaker{threshold: threshold, base: base, max: base * MaxBreakerPauseFactor}
}

// refuses reports, without locking, whether a copy offered at now would
// be dropped.
func (b *breaker) refuses(now time.Time) bool { return now.UnixNano() < b.refuseUntil.Load() }

// admit decides whether a copy may be sent at now and returns the
// generation to report its outcome in. An open breaker whose pause is over
// turns half-open and admits this copy as the single probe.
func (b *breaker) admit(now time.Time) (uint64, bool) {
	if b.threshold < 0 {
		return 0, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerClosed:
		return b.gen, true
	case BreakerOpen:
		if now.UnixNano() < b.openUntil {
			return b.gen, false
		}
		b.state = BreakerHalfOpen
		b.gen++
		b.refuseUntil.Store(math.MaxInt64)
		return b.gen, true
	default: // half-open: the probe is in flight
		return b.gen, false
	}
}

// unadmit returns an admission that was not used (the copy was dropped
// before sending): a half-open breaker may probe again at once.
func (b *breaker) unadmit(gen uint64) {
	if b.threshold < 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if gen == b.gen && b.state == BreakerHalfOpen {
		b.state = BreakerOpen
		b.gen++
		b.refuseUntil.Store(b.openUntil)
	}
}

// done records the outcome of a send admitted in gen and reports whether
// it opened the breaker.
func (b *breaker) done(gen uint64, success bool, now time.Time) (opened bool) {
	if b.threshold < 0 {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if gen != b.gen {
		return false
	}
	switch b.state {
	case BreakerClosed:
		if success {
			b.consecutive = 0
			return false
		}
		b.consecutive++
		if b.consecutive < b.threshold {
			return false
		}
		b.trip(now, b.base)
		return true
	case BreakerHalfOpen:
		if success {
			b.state = BreakerClosed
			b.gen++
			b.consecutive = 0
			b.pause = 0
			b.refuseUntil.Store(0)
			return false
		}
		b.trip(now, min(2*b.pause, b.max))
		return true
	}
	return false
}

// trip opens the breaker for p. Callers hold mu.
func (b *breaker) trip(now time.Time, p time.Duration) {
	b.state = BreakerOpen
	b.gen++
	b.consecutive = 0
	b.pause = p
	b.openUntil = now.UnixNano() + int64(p)
	b.refuseUntil.Store(b.openUntil)
}

// snapshot returns the state and current pause.
func (b *breaker) snapshot() (BreakerState, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state, b.pause
}
