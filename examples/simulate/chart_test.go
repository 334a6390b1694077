package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
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

// TestFrontierShowsEveryPoint: the frontier chart's axes hold every point
// of both curves, the reactive one's far ends included.
func TestFrontierShowsEveryPoint(t *testing.T) {
	reac := []point{{Cap: 3.8, Under: 0.004}, {Cap: 1.7, Under: 0.06}, {Cap: 1.26, Under: 0.22}}
	pred := []point{{Cap: 2.9, Under: 0.0004}, {Cap: 1.6, Under: 0.05}}
	p, err := frontierPlot("t.csv", reac, pred, 1.1)
	require.NoError(t, err)
	for _, q := range append(reac, pred...) {
		assert.True(t, p.X.Min <= q.Cap && q.Cap <= p.X.Max, "capacity %v outside [%v, %v]", q.Cap, p.X.Min, p.X.Max)
		assert.True(t, p.Y.Min <= 100*q.Under && 100*q.Under <= p.Y.Max, "under %v%% outside [%v, %v]", 100*q.Under, p.Y.Min, p.Y.Max)
	}
}

// TestPanelsAligned: stacked panels whose Y axes differ in width get data
// areas that start and end at the same x.
func TestPanelsAligned(t *testing.T) {
	top, bottom := plot.New(), plot.New()
	top.Y.Label.Text, bottom.Y.Label.Text = "load per step", "shadow replicas"
	top.Y.Min, top.Y.Max = 0, 123456 // wide tick labels
	bottom.Y.Min, bottom.Y.Max = 0, 3
	for _, p := range []*plot.Plot{top, bottom} {
		p.X.Min, p.X.Max = 0, 72
	}
	dc := draw.New(vgimg.New(11*vg.Inch, 7*vg.Inch))
	c := layout(dc, [][]*plot.Plot{{top}, {bottom}}, []float64{0.75, 0.25})
	a, b := top.DataCanvas(c[0]), bottom.DataCanvas(c[1])
	assert.InDelta(t, float64(a.Min.X), float64(b.Min.X), 0.01)
	assert.InDelta(t, float64(a.Max.X), float64(b.Max.X), 0.01)
	assert.Greater(t, c[0].Max.Y, c[1].Max.Y, "the first row on top")
}
