package operator

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// passLog is the slog.Handler of one object's log. It drops a record at
// Warn or above that is identical — message and attributes, but the pass
// time "now" — to one of the previous pass: a condition that lasts (an
// HPA on the workload that the Controller's scale refuses, a Prometheus
// warning) is logged when it starts, changes, or comes back after a pass
// without it, not on every pass.
type passLog struct {
	next   slog.Handler
	prefix string // the attributes and groups added by With, as text
	st     *passLogState
}

// passLogState is what the handlers derived from one passLog share.
type passLogState struct {
	mu        sync.Mutex
	prev, cur map[string]bool
}

func newPassLog(next slog.Handler) *passLog {
	return &passLog{next: next, st: &passLogState{prev: map[string]bool{}, cur: map[string]bool{}}}
}

// nextPass starts a pass: the records of the one that ends are those the
// next may drop.
func (s *passLogState) nextPass() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prev, s.cur = s.cur, map[string]bool{}
}

func (h *passLog) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *passLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		var key strings.Builder
		key.WriteString(h.prefix)
		key.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool {
			if a.Key != "now" {
				fmt.Fprintf(&key, "\x00%s=%v", a.Key, a.Value)
			}
			return true
		})
		h.st.mu.Lock()
		repeat := h.st.prev[key.String()]
		h.st.cur[key.String()] = true
		h.st.mu.Unlock()
		if repeat {
			return nil
		}
	}
	return h.next.Handle(ctx, r)
}

func (h *passLog) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range as {
		fmt.Fprintf(&b, "%s=%v\x00", a.Key, a.Value)
	}
	return &passLog{next: h.next.WithAttrs(as), prefix: b.String(), st: h.st}
}

func (h *passLog) WithGroup(name string) slog.Handler {
	return &passLog{next: h.next.WithGroup(name), prefix: h.prefix + name + ".\x00", st: h.st}
}
