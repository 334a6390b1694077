package forecast

import (
	"fmt"
	"math"
	"slices"
)

// NewHoltWinters returns a Holt-Winters exponential smoothing model with
// additive or multiplicative seasonality of Config.Period steps and an
// additive, damped or no trend (Config.Seasonality, Config.Trend).
//
// The recursions are the classical ones (as R's stats::HoltWinters, with
// Gardner's damping):
//
//	level  ℓ_t = α(y_t − s_{t−m}) + (1−α)(ℓ_{t−1} + φb_{t−1})     (additive; y_t/s_{t−m} if multiplicative)
//	trend  b_t = β(ℓ_t − ℓ_{t−1}) + (1−β)φb_{t−1}
//	season s_t = γ(y_t − ℓ_t) + (1−γ)s_{t−m}                       (y_t/ℓ_t if multiplicative)
//	ŷ_{t+h} = ℓ_t + (φ+…+φ^h)b_t + s_{t+h−m}                      (× s if multiplicative)
//
// φ is 1 for an additive trend; there is no b for TrendNone. The parameters
// not fixed in the Config are fitted by minimizing the in-sample one-step
// squared error with Nelder–Mead (gonum/optimize) from the best two of six
// starting points, under
// a logistic transformation that keeps α, β, γ in (0, 1) and φ in
// (0.8, 0.98).
//
// Initial states come from the first k = min(⌊n/Period⌋, 4) seasons of the
// fitted window: the level from the mean of the first season, the trend from
// the difference between the last and the first of those season means, the
// seasonal terms from the median over the k seasons of each position's
// deviation (ratio) from the detrended level, smoothed by a centered moving
// average of ±Period/96 steps for long periods (±15 minutes of a daily
// cycle of 1-minute data) and normalized to sum 0 (mean 1); the median keeps
// a one-off event out of the pattern, the smoothing the sampling noise. The
// recursions then run over the whole window, so the fitted state reflects
// the latest data.
//
// The model needs two full seasons (2×Period observations).
func NewHoltWinters(cfg Config) (*Model, error) {
	cfg, err := cfg.validate(kindHoltWinters)
	if err != nil {
		return nil, err
	}
	h := &hw{
		m:     cfg.Period,
		mult:  cfg.Seasonality == Multiplicative,
		trend: cfg.Trend,
		fixed: [4]*float64{cfg.Alpha, cfg.Beta, cfg.Gamma, cfg.Phi},
	}
	h.alpha, h.beta, h.gamma, h.phi = 0.5, 0.05, 0.1, 1
	if h.trend == TrendDamped {
		h.phi = 0.95
	}
	if h.trend == TrendNone {
		h.beta = 0
	}
	return newModel(kindHoltWinters, cfg, h), nil
}

type hw struct {
	m       int
	mult    bool
	errMult bool // fitted by the likelihood of relative (multiplicative) errors
	likOnly bool // scored by likelihood only, never by the backtest
	trend   Trend
	fixed   [4]*float64
	tag     string // appended to the form in the name (Auto's second period: "[m=168]")

	alpha, beta, gamma, phi float64
	fitted                  bool
	fitN                    int // length of the last fitted window
	label                   string

	level, b float64
	season   []float64 // season[i] is the term for positions ≡ i mod m
	pos      int       // position of the next observation modulo m

	// Initial state of the last reset or estimate. s0 and work (scratch
	// for sse) live only while estimate runs: between fits the model
	// holds one seasonal array, not three.
	l0, b0 float64
	s0     []float64
	work   []float64
}

func (h *hw) name() string {
	if h.fitted {
		return h.label
	}
	return h.describe()
}

func (h *hw) describe() string {
	s := "hw-" + map[bool]string{false: "additive", true: "multiplicative"}[h.mult]
	switch h.trend {
	case TrendDamped:
		s += "-damped"
	case TrendNone:
		s += "-notrend"
	}
	if h.errMult {
		s += "-relerr"
	}
	s += h.tag
	if !h.fitted {
		return s
	}
	s += fmt.Sprintf("(alpha=%.3g", h.alpha)
	if h.trend != TrendNone {
		s += fmt.Sprintf(" beta=%.3g", h.beta)
	}
	s += fmt.Sprintf(" gamma=%.3g", h.gamma)
	if h.trend == TrendDamped {
		s += fmt.Sprintf(" phi=%.3g", h.phi)
	}
	return s + ")"
}

func (h *hw) minHistory() int      { return 2 * h.m }
func (h *hw) multiplicative() bool { return h.mult }
func (h *hw) next() float64        { return h.combine(h.level+h.phi*h.b, h.season[h.pos]) }
func (h *hw) combine(base, s float64) float64 {
	if h.mult {
		return base * s
	}
	return base + s
}

// initial computes the initial level, trend and seasonal terms from the
// first k = min(⌊n/m⌋, 4) seasons of y into h.l0, h.b0 and s0.
func (h *hw) initial(y, s0 []float64) {
	m := h.m
	k := min(len(y)/m, maxInitSeasons)
	means := seasonMeans(y, m, k)
	b := 0.0
	if h.trend != TrendNone {
		b = (means[k-1] - means[0]) / float64((k-1)*m)
	}
	m1 := means[0]
	c := float64(m-1) / 2
	base := func(t int) float64 { return m1 + (float64(t)-c)*b }
	seasonalInit(s0, y, m, k, h.mult, func(t int) float64 { return base(t) }, nil)
	h.l0 = m1 - (c+1)*b
	h.b0 = b
}

// warm reports whether a fit on n points may start from the parameters
// fitted on prev points: only when the windows have about the same length.
func warm(prev, n int) bool { return 4*n <= 5*prev && 5*n >= 4*prev }

// coldStarter is a model whose next estimate may start from the
// parameters of its last fit (a warm start); coldStart makes it search
// from its usual starts instead.
type coldStarter interface{ coldStart() }

// coldStart makes m's next estimate search from its usual starts, when m
// warm-starts at all.
func coldStart(m model) {
	if c, ok := m.(coldStarter); ok {
		c.coldStart()
	}
}

func (h *hw) coldStart() { h.fitN = 0 }

// smoothCircular replaces s by its centered moving average of half-width k
// (wrapping around), to take the sampling noise out of long seasonal
// profiles (k = m/96: ±15 steps for a daily cycle of 1-minute data).
func smoothCircular(s []float64, k int) {
	if k < 1 {
		return
	}
	n := len(s)
	src := append([]float64(nil), s...)
	var sum float64
	for j := -k; j <= k; j++ {
		sum += src[((j%n)+n)%n]
	}
	w := float64(2*k + 1)
	for i := range s {
		s[i] = sum / w
		sum += src[(i+k+1)%n] - src[((i-k)%n+n)%n]
	}
}

// maxInitSeasons caps the seasons used for initial states.
const maxInitSeasons = 4

// seasonMeans returns the means of the first k seasons of length m.
func seasonMeans(y []float64, m, k int) []float64 {
	means := make([]float64, k)
	for j := range k {
		var sum float64
		for _, v := range y[j*m : (j+1)*m] {
			sum += v
		}
		means[j] = sum / float64(m)
	}
	return means
}

// seasonalInit sets s[i] to the median over the first k seasons of the
// deviation (additive: y − ref, multiplicative: y / ref) of y at position i,
// where ref(t) is the detrended reference, then normalizes s to sum 0 (mean
// 1). The median keeps a one-off event in one season out of the pattern.
// If other is not nil, the reference also includes other[t mod len(other)].
func seasonalInit(s, y []float64, m, k int, mult bool, ref func(t int) float64, other []float64) {
	devs := make([]float64, k)
	var sum float64
	for i := range m {
		for j := range k {
			t := j*m + i
			r := ref(t)
			if other != nil {
				if mult {
					r *= other[t%len(other)]
				} else {
					r += other[t%len(other)]
				}
			}
			if mult {
				devs[j] = y[t] / math.Max(r, 1e-9)
			} else {
				devs[j] = y[t] - r
			}
		}
		slices.Sort(devs)
		if k%2 == 1 {
			s[i] = devs[k/2]
		} else {
			s[i] = (devs[k/2-1] + devs[k/2]) / 2
		}
	}
	smoothCircular(s, m/96)
	for _, v := range s {
		sum += v
	}
	mean := sum / float64(m)
	for i := range s {
		switch {
		case !mult:
			s[i] -= mean
		case mean > 0:
			s[i] /= mean
		default:
			s[i] = 1
		}
	}
}

func (h *hw) reset(y []float64) {
	if h.season == nil {
		// Allocated on first use: Auto holds candidates whose history
		// is still too short, and releases those it did not choose.
		h.season = make([]float64, h.m)
	}
	h.initial(y, h.season)
	h.level, h.b, h.pos = h.l0, h.b0, 0
}

func (h *hw) update(y float64) {
	s := h.season[h.pos]
	l0 := h.level
	base := l0 + h.phi*h.b
	if h.mult {
		h.level = h.alpha*(y/math.Max(s, 1e-9)) + (1-h.alpha)*base
		h.season[h.pos] = h.gamma*(y/math.Max(h.level, 1e-9)) + (1-h.gamma)*s
	} else {
		h.level = h.alpha*(y-s) + (1-h.alpha)*base
		h.season[h.pos] = h.gamma*(y-h.level) + (1-h.gamma)*s
	}
	if h.trend != TrendNone {
		h.b = h.beta*(h.level-l0) + (1-h.beta)*h.phi*h.b
	}
	if h.pos++; h.pos == h.m {
		h.pos = 0
	}
}

// predict sums the damped trend's φ^j over the steps ahead; the steps it
// skips in closed form, φ(1 − φ^skip)/(1 − φ).
func (h *hw) predict(skip int, mean []float64) {
	cum, ph := dampedSkip(h.phi, skip)
	start := (h.pos + skip%h.m) % h.m
	for i := range mean {
		ph *= h.phi
		cum += ph
		mean[i] = h.combine(h.level+cum*h.b, h.season[(start+i)%h.m])
	}
}

// dampedSkip returns, for a forecast that starts skip steps ahead, the
// damped trend's multiplier over the skipped steps, Σ_{i=1..skip} φ^i, in
// closed form (skip itself without damping), and φ^skip.
func dampedSkip(phi float64, skip int) (cum, ph float64) {
	if skip <= 0 {
		return 0, 1
	}
	if phi == 1 {
		return float64(skip), 1
	}
	ph = math.Pow(phi, float64(skip))
	return phi * (1 - ph) / (1 - phi), ph
}

// dampedSum is Σ_{i=1..j} φ^i, summed step by step.
func dampedSum(phi float64, j int) float64 {
	cum, ph := 0.0, 1.0
	for range j {
		ph *= phi
		cum += ph
	}
	return cum
}

// psi uses the error-correction form of the recursions: α, αβ for the trend
// (damped by φ) and γ(1−α) for the season.
func (h *hw) psi(j int) float64 {
	c := h.alpha
	if h.trend != TrendNone {
		c += h.alpha * h.beta * dampedSum(h.phi, j)
	}
	if j%h.m == 0 {
		c += h.gamma * (1 - h.alpha)
	}
	return c
}

// sse is the fit objective with parameters a, b, g, phi from the initial
// state in h.l0, h.b0, h.s0: the in-sample one-step squared error or, for a
// relative-error model, n·log Σ(e/ŷ)² + 2 Σ log ŷ (minus twice the
// Gaussian log-likelihood of relative errors, up to a constant).
func (h *hw) sse(y []float64, a, beta, g, phi float64) float64 {
	s := h.work[:h.m]
	copy(s, h.s0)
	if h.trend == TrendNone && !h.mult && !h.errMult {
		if sum, ok := hwPassLevel(y, s, h.l0, a, g); ok {
			return sum
		}
		copy(s, h.s0)
	}
	sum, lsum := hwPass(y, s, h.l0, h.b0, a, beta, g, phi, h.trend != TrendNone, h.mult, h.errMult)
	if h.errMult {
		return float64(len(y))*math.Log(sum) + 2*lsum
	}
	return sum
}

// hwPassLevel is hwPass for additive seasonality without trend and with
// absolute errors, the fitting loop's commonest case: with no trend terms
// its serial dependency per step is half as long. It gives hwPass's sum bit
// for bit (the trend terms are exact zeros) while every level change is
// finite; otherwise, where hwPass would carry a NaN trend, it reports
// false and the caller runs hwPass.
func hwPassLevel(y, s []float64, l, a, g float64) (sum float64, ok bool) {
	pos, moved := 0, 0.0
	for _, v := range y {
		si := s[pos]
		e := v - l - si
		nl := l + a*e
		s[pos] = si + g*(v-nl-si)
		moved += nl - l
		l = nl
		sum += e * e
		if pos++; pos == len(s) {
			pos = 0
		}
	}
	return sum, !math.IsNaN(moved) && !math.IsInf(moved, 0)
}

// hwPass runs the recursions over y and returns the sum of squared one-step
// errors (relative to the forecast if rel) and, if rel, the sum of the log
// forecasts. s holds the initial seasonal terms and is overwritten.
func hwPass(y, s []float64, l, b, a, beta, g, phi float64, trend, mult, rel bool) (sum, lsum float64) {
	pos := 0
	if !trend {
		b, beta = 0, 0
	}
	if !mult && !rel {
		// The common case, without branches in the loop.
		for _, v := range y {
			si := s[pos]
			base := l + phi*b
			e := v - base - si
			nl := base + a*e
			s[pos] = si + g*(v-nl-si)
			b = phi*b + beta*(nl-l-phi*b)
			l = nl
			sum += e * e
			if pos++; pos == len(s) {
				pos = 0
			}
		}
		return sum, 0
	}
	for _, v := range y {
		si := s[pos]
		base := l + phi*b
		var f, nl float64
		if mult {
			si = atLeastTiny(si)
			f = base * si
			nl = a*(v/si) + (1-a)*base
			s[pos] = g*(v/atLeastTiny(nl)) + (1-g)*si
		} else {
			f = base + si
			nl = base + a*(v-f)
			s[pos] = si + g*(v-nl-si)
		}
		e := v - f
		if rel {
			f = atLeastTiny(f)
			e /= f
			lsum += math.Log(f)
		}
		b = phi*b + beta*(nl-l-phi*b)
		l = nl
		sum += e * e
		if pos++; pos == len(s) {
			pos = 0
		}
	}
	return sum, lsum
}

// atLeastTiny is math.Max(x, 1e-9), the same value for every x (NaN
// included), inlined: the recursions call it on every step.
func atLeastTiny(x float64) float64 {
	if x > 1e-9 {
		return x
	}
	if x != x {
		return math.NaN()
	}
	return 1e-9
}

// release frees the state array until the next reset.
func (h *hw) release() { h.season = nil }

// nParams is the number of estimated parameters and initial states, as
// counted by the AICc of R's forecast::ets.
func (h *hw) nParams() int {
	k := 2 + h.m // alpha, gamma, level, m−1 seasonal terms
	switch h.trend {
	case TrendAdditive:
		k += 2
	case TrendDamped:
		k += 3
	}
	return k
}

// relErrors reports whether the model's likelihood is of relative errors.
func (h *hw) relErrors() bool { return h.errMult }

func (h *hw) estimate(y []float64) error {
	if err := checkFitInput(y, h.name(), h.minHistory(), h.mult || h.errMult, "multiplicative seasonality or errors"); err != nil {
		return err
	}
	h.s0, h.work = make([]float64, h.m), make([]float64, h.m)
	defer func() { h.s0, h.work = nil, nil }()
	h.initial(y, h.s0)
	// Parameter layout: alpha, beta, gamma, phi; used[i] marks the free ones.
	all := [4]float64{h.alpha, h.beta, h.gamma, h.phi}
	bounds := [4]bound{{1e-4, 1}, {0, 1}, {0, 1}, {0.8, 0.98}}
	used := [4]bool{true, h.trend != TrendNone, true, h.trend == TrendDamped}
	if h.trend != TrendDamped {
		all[3] = 1
	}
	if h.trend == TrendNone {
		all[1] = 0
	}
	var free []int
	for i := range 4 {
		if !used[i] {
			continue
		}
		if h.fixed[i] != nil {
			all[i] = *h.fixed[i]
			continue
		}
		free = append(free, i)
	}
	if h.trend == TrendDamped && h.fixed[3] != nil {
		all[3] = *h.fixed[3]
	}
	starts := [][]float64{
		{0.5, 0.05, 0.1, 0.95}, {0.9, 0.01, 0.02, 0.9}, {0.2, 0.2, 0.3, 0.85},
		{0.1, 0.01, 0.05, 0.95}, {0.7, 0.1, 0.3, 0.9}, {0.3, 0.001, 0.5, 0.98},
	}
	if h.fitted && warm(h.fitN, len(y)) {
		// A refit on a window of about the same length (online use)
		// starts from the current parameters only: they are usually
		// close, and the search is then about twice as cheap.
		starts = [][]float64{{h.alpha, h.beta, h.gamma, h.phi}}
	}
	var bs []bound
	for _, i := range free {
		bs = append(bs, bounds[i])
	}
	fitFree(all[:], free, bs, starts, 150, func(p []float64) float64 { return h.sse(y, p[0], p[1], p[2], p[3]) })
	h.alpha, h.beta, h.gamma, h.phi = all[0], all[1], all[2], all[3]
	h.fitted = true
	h.fitN = len(y)
	h.label = h.describe()
	return nil
}
