package shadow

import "time"

// Observation is one point of the load history.
type Observation struct {
	Time  time.Time
	Value float64
}

// ring is a bounded history; the oldest observation is overwritten.
type ring struct {
	buf   []Observation
	start int
	n     int
}

func newRing(size int) *ring { return &ring{buf: make([]Observation, size)} }

func (r *ring) add(o Observation) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = o
		r.n++
		return
	}
	r.buf[r.start] = o
	r.start = (r.start + 1) % len(r.buf)
}

func (r *ring) len() int { return r.n }

// snapshot copies the history, oldest first.
func (r *ring) snapshot() []Observation {
	out := make([]Observation, r.n)
	for i := 0; i < r.n; i++ {
		out[i] = r.buf[(r.start+i)%len(r.buf)]
	}
	return out
}
