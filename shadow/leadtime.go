package shadow

import (
	"slices"
	"time"
)

// leadTimer learns the provisioning lead time: it matches replicas that
// became ready with the oldest outstanding requests and keeps a rolling
// window of the request→ready durations.
type leadTimer struct {
	requested []time.Time // one entry per replica requested and not yet ready
	window    []time.Duration
	size      int
	next      int
}

func newLeadTimer(size int) *leadTimer { return &leadTimer{size: size} }

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
		if len(l.window) < l.size {
			l.window = append(l.window, d)
		} else {
			l.window[l.next] = d
			l.next = (l.next + 1) % l.size
		}
	}
}

// p90 returns the 90th percentile of the window and whether it has enough
// samples (at least 3) to be trusted.
func (l *leadTimer) p90() (time.Duration, bool) {
	if len(l.window) < 3 {
		return 0, false
	}
	s := slices.Clone(l.window)
	slices.Sort(s)
	i := (len(s)*9 + 9) / 10
	return s[min(i, len(s))-1], true
}
