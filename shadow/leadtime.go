package shadow

import (
	"slices"
	"time"

	"github.com/shadowscale/shadowscale/internal/ring"
)

// leadTimer learns the provisioning lead time: it matches replicas that
// became ready with the oldest outstanding requests and keeps a rolling
// window of the request→ready durations.
type leadTimer struct {
	requested []time.Time // one entry per replica requested and not yet ready
	window    ring.Ring[time.Duration]
}

func newLeadTimer(size int) *leadTimer { return &leadTimer{window: ring.New[time.Duration](size)} }

// size is the number of durations the window keeps.
func (l *leadTimer) size() int { return l.window.Cap() }

// layout returns the window as a snapshot saves it: the durations as they
// lie and the index of the oldest.
func (l *leadTimer) layout() ([]time.Duration, int) { return l.window.Layout() }

// leadSnapshot is the lead-time learner as a snapshot saves it.
func (s *state) leadSnapshot() leadSnapshot {
	w, next := s.lead.layout()
	return leadSnapshot{Requested: s.lead.requested, Window: w, Next: next}
}

// restore sets the outstanding requests and the window saved by layout; a
// window that is not full is read oldest first.
func (l *leadTimer) restore(requested []time.Time, window []time.Duration, next int) {
	if len(window) < l.size() {
		next = 0
	}
	if w, ok := ring.FromLayout(l.size(), window, next); ok {
		l.window = w
	}
	l.requested = requested
}

// requestedAt records n replicas requested at now.
func (l *leadTimer) requestedAt(now time.Time, n int) {
	for i := 0; i < n; i++ {
		l.requested = append(l.requested, now)
	}
}

// cancel forgets the n newest outstanding requests (a scale-down removed
// starting replicas).
func (l *leadTimer) cancel(n int) {
	n = min(n, len(l.requested))
	l.requested = l.requested[:len(l.requested)-n]
}

// readied records n replicas that became ready at now.
func (l *leadTimer) readied(now time.Time, n int) {
	for i := 0; i < n && len(l.requested) > 0; i++ {
		d := now.Sub(l.requested[0])
		l.requested = l.requested[1:]
		l.window.Push(d)
	}
}

// p90 returns the 90th percentile of the window and whether it has enough
// samples (at least 3) to be trusted.
func (l *leadTimer) p90() (time.Duration, bool) {
	if l.window.Len() < 3 {
		return 0, false
	}
	s := l.window.AppendTo(nil)
	slices.Sort(s)
	i := (len(s)*9 + 9) / 10
	return s[min(i, len(s))-1], true
}
