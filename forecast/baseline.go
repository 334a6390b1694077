package forecast

import (
	"fmt"
	"math"
)

// NewNaive returns the naive forecaster: every step ahead equals the last
// observation (a random walk). It needs one observation.
func NewNaive(cfg Config) (*Model, error) {
	cfg, err := cfg.validate(kindNaive)
	if err != nil {
		return nil, err
	}
	return newModel(kindNaive, cfg, &naive{}), nil
}

type naive struct{ last float64 }

func (*naive) name() string             { return "naive" }
func (*naive) minHistory() int          { return 1 }
func (*naive) estimate([]float64) error { return nil }
func (n *naive) reset(y []float64)      { n.last = y[0] }
func (n *naive) next() float64          { return n.last }
func (n *naive) update(y float64)       { n.last = y }
func (*naive) psi(int) float64          { return 1 }
func (*naive) multiplicative() bool     { return false }
func (n *naive) predict(_ int, mean []float64) {
	for i := range mean {
		mean[i] = n.last
	}
}

// NewSeasonalNaive returns the seasonal naive forecaster: each step ahead
// equals the observation one Period earlier. It needs one full season.
func NewSeasonalNaive(cfg Config) (*Model, error) {
	cfg, err := cfg.validate(kindSeasonalNaive)
	if err != nil {
		return nil, err
	}
	return newModel(kindSeasonalNaive, cfg, &seasonalNaive{m: cfg.Period}), nil
}

type seasonalNaive struct {
	m   int
	tag string    // appended to the name (Auto's second period: "[m=168]")
	buf []float64 // last season; buf[pos] is the value one period before the next step
	pos int
}

func (s *seasonalNaive) name() string           { return "seasonal-naive" + s.tag }
func (s *seasonalNaive) minHistory() int        { return s.m }
func (*seasonalNaive) estimate([]float64) error { return nil }
func (*seasonalNaive) multiplicative() bool     { return false }
func (s *seasonalNaive) reset(y []float64) {
	// The state before y starts is the first season itself, so the first
	// season is "forecast" perfectly and carries no error information.
	if s.buf == nil {
		s.buf = make([]float64, s.m) // allocated on first use, as for Holt-Winters
	}
	copy(s.buf, y[:s.m])
	s.pos = 0
}
func (s *seasonalNaive) next() float64 { return s.buf[s.pos] }
func (s *seasonalNaive) update(y float64) {
	s.buf[s.pos] = y
	if s.pos++; s.pos == len(s.buf) {
		s.pos = 0
	}
}
func (s *seasonalNaive) predict(skip int, mean []float64) {
	start := (s.pos + skip%len(s.buf)) % len(s.buf)
	for i := range mean {
		mean[i] = s.buf[(start+i)%len(s.buf)]
	}
}
func (s *seasonalNaive) psi(j int) float64 {
	if j%s.m == 0 {
		return 1
	}
	return 0
}

// NewDrift returns the drift forecaster: the last observation plus the
// average change per step over the history window. It needs two
// observations.
func NewDrift(cfg Config) (*Model, error) {
	cfg, err := cfg.validate(kindDrift)
	if err != nil {
		return nil, err
	}
	return newModel(kindDrift, cfg, &drift{}), nil
}

type drift struct {
	first, last float64
	n           int
}

func (*drift) name() string             { return "drift" }
func (*drift) minHistory() int          { return 2 }
func (*drift) estimate([]float64) error { return nil }
func (*drift) multiplicative() bool     { return false }
func (*drift) psi(int) float64          { return 1 }
func (d *drift) reset(y []float64)      { d.first, d.last, d.n = y[0], y[0], 0 }
func (d *drift) slope() float64 {
	if d.n < 2 {
		return 0
	}
	return (d.last - d.first) / float64(d.n-1)
}
func (d *drift) next() float64 { return d.last + d.slope() }
func (d *drift) update(y float64) {
	if d.n == 0 {
		d.first = y
	}
	d.last = y
	d.n++
}
func (d *drift) predict(skip int, mean []float64) {
	b := d.slope()
	for i := range mean {
		mean[i] = d.last + float64(skip+i+1)*b
	}
}

// NewEWMA returns simple exponential smoothing (an exponentially weighted
// moving average, flat ahead). Its smoothing factor Config.Alpha is fitted
// by minimizing the one-step squared error when not fixed. It needs two
// observations.
func NewEWMA(cfg Config) (*Model, error) {
	cfg, err := cfg.validate(kindEWMA)
	if err != nil {
		return nil, err
	}
	e := &ewma{alpha: 0.5, fixed: cfg.Alpha}
	if cfg.Alpha != nil {
		e.alpha = *cfg.Alpha
	}
	return newModel(kindEWMA, cfg, e), nil
}

type ewma struct {
	alpha  float64
	fixed  *float64
	level  float64
	fitted bool
	label  string
	cold   bool // the next estimate searches from the usual starts (coldStart)
}

func (e *ewma) name() string {
	if !e.fitted {
		return "ewma"
	}
	return e.label
}
func (*ewma) minHistory() int      { return 2 }
func (*ewma) multiplicative() bool { return false }
func (e *ewma) psi(int) float64    { return e.alpha }
func (e *ewma) reset(y []float64)  { e.level = y[0] }
func (e *ewma) next() float64      { return e.level }
func (e *ewma) update(y float64)   { e.level += e.alpha * (y - e.level) }
func (e *ewma) predict(_ int, mean []float64) {
	for i := range mean {
		mean[i] = e.level
	}
}

func (e *ewma) coldStart() { e.cold = true }

func (e *ewma) estimate(y []float64) error {
	e.fitted = true
	defer func() { e.label = fmt.Sprintf("ewma(alpha=%.3g)", e.alpha) }()
	if e.fixed != nil {
		return nil
	}
	obj := func(p []float64) float64 {
		l, sum := y[0], 0.0
		for _, v := range y {
			d := v - l
			sum += d * d
			l += p[0] * d
		}
		return sum
	}
	starts := [][]float64{{0.5}, {0.1}, {0.9}}
	if e.fitted && e.label != "" && !e.cold {
		starts = [][]float64{{e.alpha}} // a refit starts from the last fit
	}
	e.cold = false
	best, f := minimizeBoxed(obj, []bound{{1e-4, 1}}, starts, 200)
	if !math.IsInf(f, 0) {
		e.alpha = best[0]
	}
	return nil
}

// nParams counts alpha and the initial level, as R's forecast::ets does.
func (*ewma) nParams() int { return 2 }

// release frees the last season until the next reset.
func (s *seasonalNaive) release() { s.buf = nil }
