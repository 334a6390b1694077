package mirrortest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/shadowscale/shadowscale/mirror"
)

var _ mirror.Mirror = (*Fake)(nil)

// Step is one scripted answer of Stats: the stats, or an error.
type Step struct {
	// Stats is returned when Err is nil.
	Stats mirror.Stats
	// Err, if non-nil, is returned instead of Stats.
	Err error
}

// Fake is a Mirror that answers Stats from a script and records every
// SetFraction call. Safe for concurrent use.
//
// Stats returns the script's steps in order; after the last step it keeps
// returning the last one (or ErrScriptEmpty for an empty script). The
// Fraction of returned stats is the fraction set last, unless the step sets
// one itself. A cancelled ctx returns ctx.Err() without consuming a step.
type Fake struct {
	mu        sync.Mutex
	script    []Step
	next      int
	fraction  float64
	fractions []float64
	setErr    error
	statsN    int
}

// ErrScriptEmpty is returned by Stats when the Fake has no script.
var ErrScriptEmpty = errors.New("mirrortest: no scripted stats")

// New returns a Fake with the given script and an initial fraction.
func New(fraction float64, script ...Step) *Fake {
	return &Fake{script: script, fraction: fraction}
}

// Script appends steps to the script.
func (f *Fake) Script(steps ...Step) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, steps...)
}

// FailSetFraction makes subsequent valid SetFraction calls return err (nil
// restores success). Failed calls are still recorded.
func (f *Fake) FailSetFraction(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setErr = err
}

// Stats returns the next scripted step.
func (f *Fake) Stats(ctx context.Context) (mirror.Stats, error) {
	if err := ctx.Err(); err != nil {
		return mirror.Stats{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statsN++
	if len(f.script) == 0 {
		return mirror.Stats{}, ErrScriptEmpty
	}
	i := min(f.next, len(f.script)-1)
	if f.next < len(f.script) {
		f.next++
	}
	st := f.script[i]
	if st.Err != nil {
		return mirror.Stats{}, st.Err
	}
	s := st.Stats
	if s.Fraction == 0 {
		s.Fraction = f.fraction
	}
	return s, nil
}

// SetFraction records f and validates it like the real Tee.
func (f *Fake) SetFraction(v float64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fractions = append(f.fractions, v)
	if math.IsNaN(v) || v < 0 || v > 1 {
		return fmt.Errorf("%w: got %v", mirror.ErrFraction, v)
	}
	if f.setErr != nil {
		return f.setErr
	}
	f.fraction = v
	return nil
}

// Fraction returns the fraction in force.
func (f *Fake) Fraction() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fraction
}

// SetFractionCalls returns every value passed to SetFraction, in order,
// including rejected ones.
func (f *Fake) SetFractionCalls() []float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]float64(nil), f.fractions...)
}

// StatsCalls returns how many times Stats was called with a live context.
func (f *Fake) StatsCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.statsN
}
