package main

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, // blue
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, // red
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, // green
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, // purple
}

var grey = color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff}

// runColor gives each stack the same colour on every chart: predictive
// blue, reactive red, predictive without shadows (the regression
// scenario's third stack) green.
func runColor(o options) color.Color {
	switch {
	case o.Policy == "reactive":
		return palette[1]
	case o.Label == "predictive without shadows":
		return palette[2]
	}
	return palette[0]
}

// regressionWindow picks three days around the step at which the
// capacity regression starts: one before it, two after.
func regressionWindow(tr Trace, at int) (int, int) {
	n := tr.Len()
	span := int(72 * time.Hour / tr.Step)
	if span >= n {
		return 0, n
	}
	lo := min(max(0, at-span/3), n-span)
	return lo, lo + span
}

// window picks the three days around the trace's peak demand (the whole
// trace when shorter), where the policies differ most visibly.
func window(tr Trace) (int, int) {
	n := tr.Len()
	span := int(72 * time.Hour / tr.Step)
	if span >= n {
		return 0, n
	}
	peak := 0
	for i, v := range tr.Values {
		if v > tr.Values[peak] {
			peak = i
		}
	}
	lo := max(0, peak-span/2)
	hi := min(n, lo+span)
	return hi - span, hi
}

// bucketMax downsamples [lo, hi) into at most n points, keeping each
// bucket's maximum so that peaks stay visible.
func bucketMax(lo, hi, n int, x func(i int) float64, y func(i int) float64) plotter.XYs {
	size := max(1, (hi-lo+n-1)/n)
	var pts plotter.XYs
	for b := lo; b < hi; b += size {
		m := math.Inf(-1)
		for i := b; i < min(hi, b+size); i++ {
			m = math.Max(m, y(i))
		}
		pts = append(pts, plotter.XY{X: x(b), Y: m})
	}
	return pts
}

// drawReplay draws demand, the one-step forecast band and each run's ready
// capacity over the three days around the peak, with scale events and the
// shadow pool below.
func drawReplay(path, name string, tr Trace, runs []*result) error {
	lo, hi := window(tr)
	return drawReplayWindow(path, name, tr, runs, lo, hi, -1)
}

// drawReplayWindow is drawReplay over the steps [lo, hi); a mark in the
// window draws a vertical line there, labelled as the capacity regression.
// A run without shadows is drawn dashed, over the others, so that it stays
// visible where it follows the same capacity as the run with shadows.
func drawReplayWindow(path, name string, tr Trace, runs []*result, lo, hi, mark int) error {
	t0 := tr.Times[lo]
	hours := func(i int) float64 { return tr.Times[i].Sub(t0).Hours() }
	const pts = 900

	top := plot.New()
	top.Title.Text = fmt.Sprintf("%s — from %s", name, t0.Format("2006-01-02 15:04 MST"))
	top.X.Label.Text = "hours"
	top.Y.Label.Text = "load per step"
	top.Legend.Top = true
	top.Legend.Left = true
	entries := 0
	addLegend := func(name string, th ...plot.Thumbnailer) {
		top.Legend.Add(name, th...)
		entries++
	}

	var pred *result
	for _, r := range runs {
		if r.Opts.Policy == "predictive" && pred == nil {
			pred = r
		}
	}
	var band *plotter.Line // drawn over the capacity lines, which mostly cover it
	if pred != nil {
		upper := bucketMax(lo, hi, pts, hours, func(i int) float64 { return pred.Rows[i].Upper })
		var err error
		if band, err = plotter.NewLine(upper); err != nil {
			return err
		}
		band.Color = color.RGBA{R: 0xe6, G: 0x9f, B: 0x00, A: 0xff} // orange: no stack uses it
		band.Width = vg.Points(0.8)
		band.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		addLegend("forecast upper bound (1 step)", band)
	}
	dem, err := plotter.NewLine(bucketMax(lo, hi, pts, hours, func(i int) float64 { return tr.Values[i] }))
	if err != nil {
		return err
	}
	dem.Color = grey
	top.Add(dem)
	addLegend("demand", dem)
	// Runs without shadows last, dashed: they coincide with the run with
	// shadows until the shadows see something.
	order := make([]*result, 0, len(runs))
	for _, r := range runs {
		if r.Opts.Shadows || r.Opts.Policy == "reactive" {
			order = append(order, r)
		}
	}
	for _, r := range runs {
		if !r.Opts.Shadows && r.Opts.Policy != "reactive" {
			order = append(order, r)
		}
	}
	dashed := len(runs) > 2
	for _, r := range order {
		cap := bucketMax(lo, hi, pts, hours, func(i int) float64 { return float64(r.Rows[i].Ready) * r.Rows[i].Capacity })
		l, err := plotter.NewLine(cap)
		if err != nil {
			return err
		}
		l.Color = runColor(r.Opts)
		l.Width = vg.Points(1.2)
		if dashed && !r.Opts.Shadows && r.Opts.Policy != "reactive" {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		top.Add(l)
		addLegend(fmt.Sprintf("ready capacity, %s (under %.2f%%, cap %.2f)", r.Opts.Label, 100*r.Summary.UnderEffective, r.Summary.CapacityRatio), l)
		var ev plotter.XYs
		for i := lo; i < hi; i++ {
			if i > 0 && r.Rows[i].Desired > r.Rows[i-1].Desired {
				ev = append(ev, plotter.XY{X: hours(i), Y: float64(r.Rows[i].Desired) * r.Rows[i].Capacity})
			}
		}
		if len(ev) > 0 && len(ev) < 2000 {
			s, err := plotter.NewScatter(ev)
			if err != nil {
				return err
			}
			s.GlyphStyle.Color = runColor(r.Opts)
			s.GlyphStyle.Radius = vg.Points(1.5)
			s.GlyphStyle.Shape = draw.TriangleGlyph{}
			top.Add(s)
		}
	}

	if band != nil {
		top.Add(band)
	}
	// The legend's lines sit above the data.
	top.Y.Max *= 1 + 0.06*float64(entries+1)

	if mark >= lo && mark < hi {
		// After every line, so that it spans the whole height.
		m, err := plotter.NewLine(plotter.XYs{{X: hours(mark), Y: top.Y.Min}, {X: hours(mark), Y: top.Y.Max}})
		if err != nil {
			return err
		}
		m.Color = grey
		m.Width = vg.Points(1)
		m.Dashes = []vg.Length{vg.Points(1), vg.Points(2)}
		top.Add(m)
		addLegend(fmt.Sprintf("capacity regression from %s", tr.Times[mark].Format("01-02 15:04")), m)
	}

	bottom := plot.New()
	bottom.X.Label.Text = "hours"
	bottom.Y.Label.Text = "shadow replicas"
	bottom.Y.Min = 0
	bottom.X.Min, bottom.X.Max = top.X.Min, top.X.Max
	for _, r := range runs {
		if !r.Opts.Shadows || r.Opts.Policy != "predictive" {
			continue
		}
		l, err := plotter.NewLine(bucketMax(lo, hi, pts, hours, func(i int) float64 { return float64(r.Rows[i].Shadows) }))
		if err != nil {
			return err
		}
		l.Color = runColor(r.Opts)
		bottom.Add(l)
	}
	return save(path, 11*vg.Inch, 7*vg.Inch, [][]*plot.Plot{{top}, {bottom}}, []float64{0.75, 0.25})
}

// drawFrontier draws both policies' trade-off curves.
func drawFrontier(path, name string, reac, pred []point, perfectCap float64) error {
	p, err := frontierPlot(name, reac, pred, perfectCap)
	if err != nil {
		return err
	}
	return save(path, 8*vg.Inch, 5.5*vg.Inch, [][]*plot.Plot{{p}}, []float64{1})
}

// frontierPlot is the plot drawFrontier saves.
func frontierPlot(name string, reac, pred []point, perfectCap float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "trade-off: " + filepath.Base(name)
	p.X.Label.Text = "capacity ratio (Σ ready × C / Σ demand)"
	p.Y.Label.Text = "under-provisioned steps (%)"
	p.Legend.Top = true
	for _, s := range []struct {
		name  string
		pts   []point
		color color.Color
	}{{"reactive HPA, targets 0.30–0.95", reac, runColor(options{Policy: "reactive"})}, {"predictive + shadows, targets 0.50–0.95", pred, runColor(options{Policy: "predictive"})}} {
		var xy plotter.XYs
		for _, q := range s.pts {
			xy = append(xy, plotter.XY{X: q.Cap, Y: 100 * q.Under})
		}
		l, sc, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, err
		}
		l.Color, sc.Color = s.color, s.color
		p.Add(l, sc)
		p.Legend.Add(s.name, l, sc)
	}
	// Every point of both curves is shown: a zoom on the predictive curve
	// clipped the reactive one's cheapest and most generous targets.
	p.Y.Min = 0
	pf, err := plotter.NewScatter(plotter.XYs{{X: perfectCap, Y: 0}})
	if err != nil {
		return nil, err
	}
	pf.GlyphStyle.Shape = draw.BoxGlyph{}
	pf.GlyphStyle.Color = grey
	p.Add(pf)
	p.Legend.Add("perfect foresight", pf)
	return p, nil
}

// save renders rows of plots, with relative heights, to SVG or PNG by the
// file's extension.
func save(path string, w, h vg.Length, rows [][]*plot.Plot, heights []float64) error {
	ext := strings.ToLower(filepath.Ext(path))
	var canvas vg.CanvasWriterTo
	switch ext {
	case ".svg":
		canvas = vgsvg.New(w, h)
	case ".png":
		canvas = vgimg.PngCanvas{Canvas: vgimg.New(w, h)}
	default:
		return fmt.Errorf("-chart %s: want a .svg or .png file", path)
	}
	dc := draw.New(canvas)
	for i, sub := range layout(dc, rows, heights) {
		rows[i][0].Draw(sub)
	}
	return writeFile(path, canvas)
}

// layout stacks rows of one plot each in dc, with relative heights.
// plot.Align lines the panels' data areas up (their Y axes differ in
// width); its horizontal extents are kept, the heights are ours.
func layout(dc draw.Canvas, rows [][]*plot.Plot, heights []float64) []draw.Canvas {
	aligned := plot.Align(rows, draw.Tiles{Rows: len(rows), Cols: 1}, dc)
	out := make([]draw.Canvas, len(rows))
	y := dc.Max.Y
	for i := range rows {
		rh := vg.Length(heights[i]) * (dc.Max.Y - dc.Min.Y)
		x := aligned[i][0].Rectangle
		out[i] = draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: x.Min.X, Y: y - rh}, Max: vg.Point{X: x.Max.X, Y: y}}}
		y -= rh
	}
	return out
}
