package mirror

import (
	"fmt"
	"sync"
	"time"
)

// DropReason says why a copy never reached a shadow.
type DropReason int

// Drop reasons.
const (
	// DropQueueFull: the shadow's queue was full (the shadow is slow or
	// down and its workers are busy).
	DropQueueFull DropReason = iota
	// DropBodyTooLarge: the request body exceeded MaxBodyBytes.
	DropBodyTooLarge
	// DropBodyIncomplete: the primary did not read the whole body, so no
	// complete copy exists.
	DropBodyIncomplete
	// DropRateLimited: the MaxRate cap was reached.
	DropRateLimited
	// DropClosed: the Tee was closed.
	DropClosed
	// DropRedactPanic: the Redact hook panicked.
	DropRedactPanic
	// DropShadowDown: the shadow's breaker is open after consecutive
	// transport errors or timeouts (see Config.BreakerFailures): the copy
	// was refused, purged from the queue, or cancelled in flight.
	DropShadowDown
	// DropMemoryBudget: taking the copy would have exceeded
	// Config.MemoryBudget.
	DropMemoryBudget
	numDropReasons
)

var dropNames = [...]string{"queue_full", "body_too_large", "body_incomplete", "rate_limited", "closed", "redact_panic", "shadow_down", "memory_budget"}

// String returns the reason's metric label, e.g. "queue_full".
func (d DropReason) String() string {
	if d >= 0 && d < numDropReasons {
		return dropNames[d]
	}
	return fmt.Sprintf("unknown drop reason: %d", int(d))
}

// outcome classifies a finished copy.
type outcome int

const (
	outcomeOK outcome = iota
	outcome5xx
	outcomeTransport
	outcomeTimeout
	outcomePanic
	numOutcomes
)

var outcomeNames = [...]string{"ok", "status_5xx", "transport_error", "timeout", "panic"}

// String returns the outcome's metric label.
func (o outcome) String() string {
	if o >= 0 && o < numOutcomes {
		return outcomeNames[o]
	}
	return fmt.Sprintf("unknown outcome: %d", int(o))
}

type counts struct {
	outcomes         [numOutcomes]int64
	drops            [numDropReasons]int64
	compared         int64
	statusMismatches int64
	bodyMismatches   int64
}

func (c *counts) add(o *counts) {
	for i := range c.outcomes {
		c.outcomes[i] += o.outcomes[i]
	}
	for i := range c.drops {
		c.drops[i] += o.drops[i]
	}
	c.compared += o.compared
	c.statusMismatches += o.statusMismatches
	c.bodyMismatches += o.bodyMismatches
}

func (c *counts) requests() int64 {
	var n int64
	for _, v := range c.outcomes {
		n += v
	}
	return n
}

func (c *counts) errors() int64 { return c.requests() - c.outcomes[outcomeOK] }

func (c *counts) dropped() int64 {
	var n int64
	for _, v := range c.drops {
		n += v
	}
	return n
}

type slot struct {
	idx  int64 // start time / span; slot is empty if stale
	c    counts
	hist histogram
}

// window is a ring of time slots covering the sliding window. Safe for
// concurrent use; callers pass now.
type window struct {
	mu    sync.Mutex
	span  int64
	slots []slot
}

func newWindow(w time.Duration, n int) *window {
	return &window{span: int64(w) / int64(n), slots: make([]slot, n)}
}

// at returns the slot for now, resetting it if it holds an older period.
// Callers hold mu.
func (w *window) at(now time.Time) *slot {
	idx := now.UnixNano() / w.span
	s := &w.slots[int(uint64(idx)%uint64(len(w.slots)))]
	if s.idx != idx {
		*s = slot{idx: idx}
	}
	return s
}

func (w *window) record(now time.Time, o outcome, d time.Duration) {
	w.mu.Lock()
	s := w.at(now)
	s.c.outcomes[o]++
	if o == outcomeOK || o == outcome5xx {
		s.hist[histIndex(d)]++
	}
	w.mu.Unlock()
}

func (w *window) drop(now time.Time, r DropReason) {
	w.mu.Lock()
	w.at(now).c.drops[r]++
	w.mu.Unlock()
}

func (w *window) compare(now time.Time, statusMismatch, bodyMismatch bool) {
	w.mu.Lock()
	s := w.at(now)
	s.c.compared++
	if statusMismatch {
		s.c.statusMismatches++
	}
	if bodyMismatch {
		s.c.bodyMismatches++
	}
	w.mu.Unlock()
}

// sum adds the slots inside the window ending at now into c and h.
func (w *window) sum(now time.Time, c *counts, h *histogram) {
	idx := now.UnixNano() / w.span
	oldest := idx - int64(len(w.slots)) + 1
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.slots {
		s := &w.slots[i]
		if s.idx >= oldest && s.idx <= idx {
			c.add(&s.c)
			if h != nil {
				h.add(&s.hist)
			}
		}
	}
}

// ShadowStats is one shadow's performance over the window, with the detail
// that Stats folds together.
type ShadowStats struct {
	// Name is the Target's name.
	Name string
	// Stats holds the totals; Dropped includes the per-request drops
	// (rate cap, body) that concerned every shadow.
	Stats
	// Status5xx, TransportErrors, Timeouts and Panics split Errors.
	Status5xx, TransportErrors, Timeouts, Panics int64
	// Drops counts dropped copies by DropReason.String().
	Drops map[string]int64
	// Compared counts copies whose answer was compared with the primary's
	// (Config.Compare); StatusMismatches and BodyMismatches count
	// differences.
	Compared, StatusMismatches, BodyMismatches int64
	// Breaker is the shadow's breaker state now.
	Breaker BreakerState
	// BreakerPause is the breaker's current pause: how long it stays open
	// after tripping (0 while closed after a recovery).
	BreakerPause time.Duration
}

// MismatchRate is the share of compared copies whose status or body
// differed from the primary's, or 0 with none compared.
func (s ShadowStats) MismatchRate() float64 {
	if s.Compared == 0 {
		return 0
	}
	// A status mismatch usually implies a body mismatch; count each copy once.
	return float64(max(s.StatusMismatches, s.BodyMismatches)) / float64(s.Compared)
}

// Report is the full view of the tee over the window.
type Report struct {
	// Stats aggregates all shadows (what Stats returns).
	Stats
	// Shadows holds one entry per target, in configuration order.
	Shadows []ShadowStats
	// Mix is the achieved sample by stratum since start.
	Mix []StratumMix
	// NoiseCompared and NoiseMismatches count comparisons between two
	// shadows sharing a Target.Version: the mismatch rate expected from
	// nondeterminism alone (Diffy's noise floor).
	NoiseCompared, NoiseMismatches int64
}

// NoiseRate is NoiseMismatches / NoiseCompared, or 0.
func (r Report) NoiseRate() float64 {
	if r.NoiseCompared == 0 {
		return 0
	}
	return float64(r.NoiseMismatches) / float64(r.NoiseCompared)
}

func fillStats(s *Stats, c *counts, h *histogram) {
	s.Requests = c.requests()
	s.Errors = c.errors()
	s.Dropped = c.dropped()
	s.P50 = h.quantile(0.50)
	s.P95 = h.quantile(0.95)
	s.P99 = h.quantile(0.99)
}

func dropMap(c *counts) map[string]int64 {
	m := make(map[string]int64, numDropReasons)
	for i, v := range c.drops {
		m[DropReason(i).String()] = v
	}
	return m
}
