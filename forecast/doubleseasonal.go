package forecast

import (
	"fmt"
	"math"
)

// NewDoubleSeasonal returns double-seasonal Holt-Winters (Taylor, 2003) for
// load with two cycles, such as daily (Config.Period) and weekly
// (Config.Period2), with an AR(1) adjustment of the one-step error:
//
//	ℓ_t = α(y_t − d_{t−m1} − w_{t−m2}) + (1−α)(ℓ_{t−1} + b_{t−1})
//	b_t = β(ℓ_t − ℓ_{t−1}) + (1−β)b_{t−1}
//	d_t = γ(y_t − ℓ_t − w_{t−m2}) + (1−γ)d_{t−m1}
//	w_t = δ(y_t − ℓ_t − d_{t−m1}) + (1−δ)w_{t−m2}
//	ŷ_{t+h} = ℓ_t + h·b_t + d_{t+h−m1} + w_{t+h−m2} + φ^h e_t
//
// with e_t the last one-step error; with multiplicative seasonality the
// seasonal terms are ratios (y_t/(d·w), …) and multiply the level, as in
// Taylor's paper and R's forecast::dshw. Trend may be TrendAdditive or
// TrendNone (default TrendAdditive; TrendDamped is rejected). α, β, γ
// (Config.Gamma), δ (Config.Delta) and φ (Config.Phi) are fitted like
// Holt-Winters unless fixed.
//
// Initial states come from the first k = min(⌊n/Period2⌋, 4) long seasons:
// the level and trend from the long-season means, the short seasonal terms
// from the median detrended deviation at each position of the short cycle,
// the long seasonal terms from the median remaining deviation at each
// position of the long cycle; both are normalized. The model needs
// 2×Period2 observations.
func NewDoubleSeasonal(cfg Config) (*Model, error) {
	cfg, err := cfg.validate(kindDoubleSeasonal)
	if err != nil {
		return nil, err
	}
	if cfg.Trend == TrendDamped {
		return nil, fmt.Errorf("%w: double-seasonal Holt-Winters supports Trend additive or none, got %s", ErrInvalidArgument, cfg.Trend)
	}
	d := &dshw{
		m1: cfg.Period, m2: cfg.Period2,
		mult:  cfg.Seasonality == Multiplicative,
		trend: cfg.Trend == TrendAdditive,
		fixed: [5]*float64{cfg.Alpha, cfg.Beta, cfg.Gamma, cfg.Delta, cfg.Phi},
		p:     [5]float64{0.3, 0.01, 0.1, 0.1, 0.5},
	}
	if !d.trend {
		d.p[1] = 0
	}
	return newModel(kindDoubleSeasonal, cfg, d), nil
}

type dshw struct {
	m1, m2 int
	mult   bool
	trend  bool
	fixed  [5]*float64
	p      [5]float64 // alpha, beta, gamma, delta, phi
	fitted bool
	fitN   int
	label  string

	l, b, e    float64
	d, w       []float64
	pos1, pos2 int

	l0, b0 float64
	d0, w0 []float64
	dw, ww []float64 // scratch for sse
}

func (m *dshw) name() string {
	if m.fitted {
		return m.label
	}
	return m.describe()
}

func (m *dshw) describe() string {
	s := "dshw-" + map[bool]string{false: "additive", true: "multiplicative"}[m.mult]
	if !m.trend {
		s += "-notrend"
	}
	if !m.fitted {
		return s
	}
	return s + fmt.Sprintf("(alpha=%.3g beta=%.3g gamma=%.3g delta=%.3g phi=%.3g)", m.p[0], m.p[1], m.p[2], m.p[3], m.p[4])
}

func (m *dshw) minHistory() int      { return 2 * m.m2 }
func (m *dshw) multiplicative() bool { return m.mult }

func (m *dshw) initial(y []float64) {
	if m.d == nil {
		// Allocated on first use, as for Holt-Winters.
		m.d, m.d0, m.dw = make([]float64, m.m1), make([]float64, m.m1), make([]float64, m.m1)
		m.w, m.w0, m.ww = make([]float64, m.m2), make([]float64, m.m2), make([]float64, m.m2)
	}
	m1, m2 := m.m1, m.m2
	k := min(len(y)/m2, maxInitSeasons)
	means := seasonMeans(y, m2, k)
	b := 0.0
	if m.trend {
		b = (means[k-1] - means[0]) / float64((k-1)*m2)
	}
	a := means[0]
	mid := float64(m2-1) / 2
	base := func(t int) float64 { return a + (float64(t)-mid)*b }
	// The short cycle from the median over the first k×m2/m1 short seasons,
	// the long cycle from what remains, median over k long seasons.
	seasonalInit(m.d0, y, m1, k*m2/m1, m.mult, base, nil)
	seasonalInit(m.w0, y, m2, k, m.mult, base, m.d0)
	m.l0 = a - (mid+1)*b
	m.b0 = b
}

func (m *dshw) reset(y []float64) {
	m.initial(y)
	m.l, m.b, m.e = m.l0, m.b0, 0
	copy(m.d, m.d0)
	copy(m.w, m.w0)
	m.pos1, m.pos2 = 0, 0
}

func (m *dshw) base(l, b, d, w float64) float64 {
	if m.mult {
		return (l + b) * d * w
	}
	return l + b + d + w
}

func (m *dshw) next() float64 {
	return m.base(m.l, m.b, m.d[m.pos1], m.w[m.pos2]) + m.p[4]*m.e
}

func (m *dshw) update(y float64) {
	m.l, m.b, m.e = dshwStep(y, m.l, m.b, m.d, m.w, m.pos1, m.pos2, &m.p, m.mult, m.trend)
	if m.pos1++; m.pos1 == m.m1 {
		m.pos1 = 0
	}
	if m.pos2++; m.pos2 == m.m2 {
		m.pos2 = 0
	}
}

// dshwStep folds y into the state and returns the new level, trend and
// one-step error (without the AR adjustment).
func dshwStep(y, l, b float64, d, w []float64, i, j int, p *[5]float64, mult, trend bool) (nl, nb, e float64) {
	a, beta, g, dl := p[0], p[1], p[2], p[3]
	di, wj := d[i], w[j]
	if mult {
		di, wj = atLeastTiny(di), atLeastTiny(wj)
		e = y - (l+b)*di*wj
		nl = a*(y/(di*wj)) + (1-a)*(l+b)
		sl := atLeastTiny(nl)
		d[i] = g*(y/(sl*wj)) + (1-g)*di
		w[j] = dl*(y/(sl*di)) + (1-dl)*wj
	} else {
		e = y - (l + b + di + wj)
		nl = a*(y-di-wj) + (1-a)*(l+b)
		d[i] = g*(y-nl-wj) + (1-g)*di
		w[j] = dl*(y-nl-di) + (1-dl)*wj
	}
	if trend {
		nb = beta*(nl-l) + (1-beta)*b
	}
	return nl, nb, e
}

func (m *dshw) predict(skip int, mean []float64) {
	ar := 1.0
	if skip > 0 {
		ar = math.Pow(m.p[4], float64(skip))
	}
	s1, s2 := (m.pos1+skip%m.m1)%m.m1, (m.pos2+skip%m.m2)%m.m2
	for i := range mean {
		h := skip + i + 1
		ar *= m.p[4]
		d, w := m.d[(s1+i)%m.m1], m.w[(s2+i)%m.m2]
		lb := m.l + float64(h)*m.b
		if m.mult {
			mean[i] = lb*d*w + ar*m.e
		} else {
			mean[i] = lb + d + w + ar*m.e
		}
	}
}

func (m *dshw) psi(j int) float64 {
	c := m.p[0] * (1 + float64(j)*m.p[1])
	if j%m.m1 == 0 {
		c += m.p[2] * (1 - m.p[0])
	}
	if j%m.m2 == 0 {
		c += m.p[3] * (1 - m.p[0])
	}
	return c
}

func (m *dshw) sse(y []float64, p *[5]float64) float64 {
	copy(m.dw, m.d0)
	copy(m.ww, m.w0)
	l, b, e := m.l0, m.b0, 0.0
	i, j := 0, 0
	var sum float64
	for _, v := range y {
		f := m.base(l, b, m.dw[i], m.ww[j]) + p[4]*e
		r := v - f
		sum += r * r
		l, b, e = dshwStep(v, l, b, m.dw, m.ww, i, j, p, m.mult, m.trend)
		if i++; i == m.m1 {
			i = 0
		}
		if j++; j == m.m2 {
			j = 0
		}
	}
	return sum
}

func (m *dshw) coldStart() { m.fitN = 0 }

func (m *dshw) estimate(y []float64) error {
	if err := checkFitInput(y, m.name(), m.minHistory(), m.mult, "multiplicative seasonality"); err != nil {
		return err
	}
	m.initial(y)
	all := m.p
	var free []int
	for i := range 5 {
		if i == 1 && !m.trend {
			all[1] = 0
			continue
		}
		if m.fixed[i] != nil {
			all[i] = *m.fixed[i]
			continue
		}
		free = append(free, i)
	}
	starts := [][]float64{
		{0.3, 0.01, 0.1, 0.1, 0.5}, {0.8, 0.001, 0.05, 0.05, 0.2}, {0.1, 0.01, 0.2, 0.2, 0.8},
		{0.05, 0.001, 0.01, 0.01, 0.9}, {0.5, 0.05, 0.3, 0.3, 0.1},
	}
	if m.fitted && warm(m.fitN, len(y)) {
		starts = [][]float64{m.p[:]}
	}
	bs := make([]bound, len(free))
	for k := range free {
		bs[k] = bound{0, 1}
	}
	fitFree(all[:], free, bs, starts, 120, func(p []float64) float64 { return m.sse(y, (*[5]float64)(p)) })
	m.p = all
	m.fitted = true
	m.fitN = len(y)
	m.label = m.describe()
	return nil
}

// nParams counts the smoothing parameters, φ and the initial states.
func (m *dshw) nParams() int {
	k := 4 + 1 + m.m1 - 1 + m.m2 - 1 // alpha, gamma, delta, phi, level, seasons
	if m.trend {
		k += 2
	}
	return k
}

// release frees the state arrays until the next reset or estimate.
func (m *dshw) release() { m.d, m.d0, m.dw, m.w, m.w0, m.ww = nil, nil, nil, nil, nil, nil }
