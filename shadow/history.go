package shadow

import (
	"time"

	"github.com/shadowscale/shadowscale/internal/ring"
)

// Observation is one point of the load history.
type Observation struct {
	// Time is when the value was observed, on the Controller's grid.
	Time time.Time
	// Value is the metric's value.
	Value float64
	// Scraped is when the value was measured (the scrape it comes from),
	// for a HistorySource that knows it (see Sample.Scraped); zero when
	// unknown. A value read back with the same scrape time as the one
	// before it is that reading served again. The Controller's own
	// History leaves it zero.
	Scraped time.Time
}

// history is a bounded load history: the oldest value is overwritten.
// Values are stored as plain float64s; times are kept as runs of
// consecutive grid points (a new run after a gap or a re-anchored clock),
// so a week of one-minute values costs 79 KiB, not the 315 KiB of
// Observations.
type history struct {
	vals  ring.Ring[float64]
	total int64 // values ever added: the absolute index of the next one
	step  time.Duration
	runs  []run // oldest first; runs[0] covers the oldest value held
}

// run is a stretch of consecutive grid points: value number idx (absolute)
// was observed at t, and each next one step later.
type run struct {
	idx int64
	t   time.Time
}

func newHistory(size int, step time.Duration) *history {
	return &history{vals: ring.New[float64](size), step: step}
}

// len is the number of values held.
func (h *history) len() int { return h.vals.Len() }

func (h *history) add(o Observation) {
	if h.len() == 0 || !o.Time.Equal(h.lastTime().Add(h.step)) {
		h.runs = append(h.runs, run{idx: h.total, t: o.Time})
	}
	h.vals.Push(o.Value)
	h.total++
	oldest := h.total - int64(h.len())
	for len(h.runs) > 1 && h.runs[1].idx <= oldest {
		h.runs = h.runs[1:]
	}
}

// lastTime is the time of the newest value; zero when empty.
func (h *history) lastTime() time.Time {
	if h.len() == 0 {
		return time.Time{}
	}
	r := h.runs[len(h.runs)-1]
	return r.t.Add(time.Duration(h.total-1-r.idx) * h.step)
}

// snapshot copies the history, oldest first.
func (h *history) snapshot() []Observation {
	n := h.len()
	out := make([]Observation, n)
	oldest := h.total - int64(n)
	ri := 0
	for i := range n {
		abs := oldest + int64(i)
		for ri+1 < len(h.runs) && h.runs[ri+1].idx <= abs {
			ri++
		}
		r := h.runs[ri]
		out[i] = Observation{Time: r.t.Add(time.Duration(abs-r.idx) * h.step), Value: h.vals.At(i)}
	}
	return out
}

// rebase sets the count of values ever added to total (at least the
// values held), keeping the values and their times: after a restore the
// history counts what the saved Controller had seen, not only what was
// read back.
func (h *history) rebase(total int64) {
	total = max(total, int64(h.len()))
	d := total - h.total
	for i := range h.runs {
		h.runs[i].idx += d
	}
	h.total = total
}
