package forecast

import (
	"strings"

	"github.com/shadowscale/shadowscale/internal/mathx"
)

// combination forecasts the median, step by step, of the forecasts of its
// parts (the mean of the middle two for an even number of parts). Forecast
// combination is the most robust finding of the M3 and M4 competitions: the
// median of a few good models errs less often badly than any one of them.
//
// With inner > 0 it is a combination of three selections instead: the
// median of the median of the first inner parts, the first part and part
// pick (the backtest's three best, its best, and the lowest AICc, which may
// be one of the three). The median of three flat-ish models damps a trend
// the other two selections keep.
type combination struct {
	parts []model
	// With inner > 0 the forecast is the median of three: the median of
	// the first inner parts, the first part and part pick.
	inner, pick int
	bufs        [][]float64
	vals        []float64
}

func newCombination(parts []model) *combination {
	return &combination{parts: parts, bufs: make([][]float64, len(parts)), vals: make([]float64, len(parts))}
}

func (c *combination) name() string {
	names := make([]string, len(c.parts))
	for i, p := range c.parts {
		names[i] = p.name()
	}
	if c.inner > 0 {
		return "median(median(" + strings.Join(names[:c.inner], ", ") + "), " + names[0] + ", " + names[c.pick] + ")"
	}
	return "median(" + strings.Join(names, ", ") + ")"
}

func (c *combination) minHistory() int {
	n := 0
	for _, p := range c.parts {
		n = max(n, p.minHistory())
	}
	return n
}

func (c *combination) estimate(y []float64) error {
	for _, p := range c.parts {
		if err := p.estimate(y); err != nil {
			return err
		}
	}
	return nil
}

func (c *combination) coldStart() {
	for _, p := range c.parts {
		coldStart(p)
	}
}

func (c *combination) reset(y []float64) {
	for _, p := range c.parts {
		p.reset(y)
	}
}

func (c *combination) update(y float64) {
	for _, p := range c.parts {
		p.update(y)
	}
}

// median combines c.vals (reordered in place).
func (c *combination) median() float64 {
	if c.inner > 0 {
		first, pick := c.vals[0], c.vals[c.pick]
		m := mathx.Median(c.vals[:c.inner])
		return max(min(first, pick), min(max(first, pick), m))
	}
	return mathx.Median(c.vals)
}

func (c *combination) next() float64 {
	for i, p := range c.parts {
		c.vals[i] = p.next()
	}
	return c.median()
}

func (c *combination) predict(skip int, mean []float64) {
	for i, p := range c.parts {
		if cap(c.bufs[i]) < len(mean) {
			c.bufs[i] = make([]float64, len(mean))
		}
		c.bufs[i] = c.bufs[i][:len(mean)]
		p.predict(skip, c.bufs[i])
	}
	for j := range mean {
		for i := range c.parts {
			c.vals[i] = c.bufs[i][j]
		}
		mean[j] = c.median()
	}
}

// psi is the median of the parts' coefficients: the combined forecast
// errs about as a typical part does. Auto calibrates the intervals of a
// combination on its backtest errors.
func (c *combination) psi(j int) float64 {
	for i, p := range c.parts {
		c.vals[i] = p.psi(j)
	}
	return c.median()
}

// multiplicative reports whether all parts have relative errors.
func (c *combination) multiplicative() bool {
	for _, p := range c.parts {
		if !p.multiplicative() {
			return false
		}
	}
	return true
}
