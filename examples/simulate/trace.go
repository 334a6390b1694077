package main

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/shadowscale/shadowscale/series"
)

// Trace is a demand series on a regular grid.
type Trace struct {
	Times  []time.Time
	Values []float64
	Step   time.Duration
}

// Len is the number of steps.
func (t Trace) Len() int { return len(t.Values) }

// valueOnlyStart is where a trace without timestamps starts.
var valueOnlyStart = time.Unix(0, 0).UTC()

// defaultStep is the grid of a trace without timestamps when -step is not
// given.
const defaultStep = time.Minute

// readTrace reads a trace with package series (see its documentation for
// the format). A trace without a timestamp column is laid on a grid of
// step (zero: defaultStep) from 1970-01-01T00:00:00Z; a trace with
// timestamps carries its own step and a non-zero step is an error. Errors
// name the line.
func readTrace(r io.Reader, step time.Duration) (Trace, error) {
	s, err := series.ReadCSV(r)
	if err != nil {
		return Trace{}, fmt.Errorf("trace: %w", err)
	}
	if s.Len() < 2 {
		return Trace{}, fmt.Errorf("trace: need at least 2 rows, got %d", s.Len())
	}
	tr := Trace{Times: s.Times, Values: s.Values, Step: s.Step}
	if s.Times != nil && step != 0 {
		return Trace{}, fmt.Errorf("-step %s: the trace has timestamps with a step of %s; -step is for traces without timestamps", step, s.Step)
	}
	if s.Times == nil {
		if step == 0 {
			step = defaultStep
		}
		if step > math.MaxInt64/time.Duration(s.Len()-1) {
			return Trace{}, fmt.Errorf("-step %s: %d samples would span more than time can hold", step, s.Len())
		}
		tr.Step = step
		tr.Times = make([]time.Time, s.Len())
		for i := range tr.Times {
			tr.Times[i] = valueOnlyStart.Add(time.Duration(i) * step)
		}
	}
	return tr, nil
}
