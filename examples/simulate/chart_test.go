package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func minuteTrace(n int) Trace {
	return Trace{Values: make([]float64, n), Times: make([]time.Time, n), Step: time.Minute}
}

// TestRegressionWindowHoldsTheDrop: the regression chart's three days
// start one day before the drop, stay inside the trace, and cover all of a
// shorter trace.
func TestRegressionWindowHoldsTheDrop(t *testing.T) {
	const day = 24 * 60
	for _, c := range []struct{ n, at, lo, hi int }{
		{10 * day, 6 * day, 5 * day, 8 * day},     // one day before, two after
		{10 * day, day / 2, 0, 3 * day},           // near the start
		{10 * day, 10*day - 5, 7 * day, 10 * day}, // near the end
		{2 * day, day, 0, 2 * day},                // a trace shorter than three days
	} {
		lo, hi := regressionWindow(minuteTrace(c.n), c.at)
		assert.Equal(t, [2]int{c.lo, c.hi}, [2]int{lo, hi}, "n %d, at %d", c.n, c.at)
		assert.True(t, lo <= c.at && c.at < hi, "the drop at %d lies in [%d, %d)", c.at, lo, hi)
	}
}

// TestRunColorsAreStable: a stack has one colour on every chart, whatever
// its position among the runs drawn.
func TestRunColorsAreStable(t *testing.T) {
	pred := runColor(options{Policy: "predictive", Shadows: true, Label: "predictive with shadows"})
	assert.Equal(t, pred, runColor(options{Policy: "predictive"}))
	assert.NotEqual(t, pred, runColor(options{Policy: "reactive"}))
	assert.NotEqual(t, pred, runColor(options{Policy: "predictive", Label: "predictive without shadows"}))
	assert.NotEqual(t, runColor(options{Policy: "reactive"}), runColor(options{Policy: "predictive", Label: "predictive without shadows"}))
}
