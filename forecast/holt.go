package forecast

import "fmt"

// NewHolt returns Holt's linear trend method, ETS(A,A,N), or with
// Config.Trend TrendDamped its damped form, ETS(A,Ad,N): exponential
// smoothing of a level and a local slope, without a season, for a load
// that climbs or falls without a cycle of a known period (Config.Period
// is not used). The smoothing factors Config.Alpha (level), Config.Beta
// (slope, as a share of the level's change) and, damped, Config.Phi
// (within [0.8, 0.98] when fitted) are fitted by minimizing the one-step
// squared error when not fixed; the initial level and slope are those of a
// line fitted to the first ten observations. It needs four observations.
// TrendNone is refused: a level without a slope is [NewEWMA].
//
// [NewAuto] does not choose among Holt models. Its models with a local
// slope are seasonal: they fit only after two of the configured periods
// of history (two days for a daily period) and then estimate a season the
// load may not have. For a load without such a cycle a Holt model follows
// the slope from its fourth observation; give it to the Controller (or a
// forecaster of your own that picks one).
func NewHolt(cfg Config) (*Model, error) {
	cfg, err := cfg.validate(kindHolt)
	if err != nil {
		return nil, err
	}
	if cfg.Trend == TrendNone {
		return nil, fmt.Errorf("%w: Holt needs a trend (TrendAdditive or TrendDamped); without one use NewEWMA", ErrInvalidArgument)
	}
	h := &holt{damped: cfg.Trend == TrendDamped, alpha: 0.5, beta: 0.1, phi: 1, fixed: [3]*float64{cfg.Alpha, cfg.Beta, cfg.Phi}}
	if h.damped {
		h.phi = 0.95
	}
	for i, p := range []*float64{&h.alpha, &h.beta, &h.phi} {
		if v := h.fixed[i]; v != nil && (i < 2 || h.damped) {
			*p = *v
		}
	}
	return newModel(kindHolt, cfg, h), nil
}

// holt is the model of NewHolt.
type holt struct {
	damped           bool
	fixed            [3]*float64 // alpha, beta, phi
	alpha, beta, phi float64
	level, b         float64
	l0, b0           float64
	fitted           bool
	fitN             int // observations of the last fit
	label            string
}

func (h *holt) name() string {
	if h.fitted {
		return h.label
	}
	return h.describe()
}

func (h *holt) describe() string {
	s := "holt"
	if h.damped {
		s += "-damped"
	}
	if !h.fitted {
		return s
	}
	s += fmt.Sprintf("(alpha=%.3g beta=%.3g", h.alpha, h.beta)
	if h.damped {
		s += fmt.Sprintf(" phi=%.3g", h.phi)
	}
	return s + ")"
}

// holtInitPoints is how many of the first observations the initial level
// and slope are fitted on (least squares).
const holtInitPoints = 10

func (h *holt) minHistory() int      { return 4 }
func (h *holt) multiplicative() bool { return false }
func (h *holt) next() float64        { return h.level + h.phi*h.b }

// initial fits a line to the first observations: the slope is the initial
// trend, the line's value one step before the first the initial level.
func (h *holt) initial(y []float64) {
	n := min(len(y), holtInitPoints)
	if n == 0 {
		h.l0, h.b0 = 0, 0
		return
	}
	var st, sy, stt, sty float64
	for t, v := range y[:n] {
		ft := float64(t)
		st += ft
		sy += v
		stt += ft * ft
		sty += ft * v
	}
	nf := float64(n)
	b := 0.0
	if d := nf*stt - st*st; d != 0 {
		b = (nf*sty - st*sy) / d
	}
	a := (sy - b*st) / nf
	h.l0, h.b0 = a-b, b
}

func (h *holt) reset(y []float64) {
	h.initial(y)
	h.level, h.b = h.l0, h.b0
}

func (h *holt) update(y float64) {
	l0 := h.level
	h.level = h.alpha*y + (1-h.alpha)*(l0+h.phi*h.b)
	h.b = h.beta*(h.level-l0) + (1-h.beta)*h.phi*h.b
}

// predict sums the damped trend's φ^j over the steps ahead, the skipped
// ones in closed form.
func (h *holt) predict(skip int, mean []float64) {
	cum, ph := dampedSkip(h.phi, skip)
	for i := range mean {
		ph *= h.phi
		cum += ph
		mean[i] = h.level + cum*h.b
	}
}

// psi is α + αβ Σ_{i≤j} φ^i, the error-correction form of the recursions.
func (h *holt) psi(j int) float64 { return h.alpha + h.alpha*h.beta*dampedSum(h.phi, j) }

// sse is the sum of squared one-step errors over y with parameters p
// (alpha, beta, phi).
func (h *holt) sse(y []float64, alpha, beta, phi float64) float64 {
	l, b := h.l0, h.b0
	var sum float64
	for _, v := range y {
		e := v - (l + phi*b)
		sum += e * e
		l0 := l
		l = alpha*v + (1-alpha)*(l0+phi*b)
		b = beta*(l-l0) + (1-beta)*phi*b
	}
	return sum
}

func (h *holt) coldStart() { h.fitN = 0 }

func (h *holt) estimate(y []float64) error {
	if err := checkFitInput(y, h.name(), h.minHistory(), false, ""); err != nil {
		return err
	}
	h.initial(y)
	all := []float64{h.alpha, h.beta, h.phi}
	var free []int
	var bs []bound
	for i, b := range []bound{{1e-4, 1}, {0, 1}, {0.8, 0.98}} {
		if h.fixed[i] == nil && (i < 2 || h.damped) {
			free, bs = append(free, i), append(bs, b)
		}
	}
	starts := [][]float64{{0.5, 0.1, 0.95}, {0.9, 0.01, 0.9}, {0.2, 0.2, 0.85}, {0.1, 0.01, 0.95}}
	if h.fitted && warm(h.fitN, len(y)) {
		// A refit on a window of about the same length starts from the
		// parameters fitted before (as Holt-Winters does).
		starts = [][]float64{{h.alpha, h.beta, h.phi}}
	}
	fitFree(all, free, bs, starts, 150, func(p []float64) float64 { return h.sse(y, p[0], p[1], p[2]) })
	h.alpha, h.beta, h.phi = all[0], all[1], all[2]
	h.fitted, h.fitN = true, len(y)
	h.label = h.describe()
	return nil
}

func (h *holt) id() string {
	return fmt.Sprintf("holt damped=%t fixed=%s", h.damped, fixedID(h.fixed[:]...))
}

func (h *holt) save(full bool) mState {
	st := mState{ID: h.id(), Fitted: h.fitted, FitN: h.fitN, Label: h.label, Params: floats{h.alpha, h.beta, h.phi}, Full: full}
	if full {
		st.Vals = floats{h.level, h.b}
	}
	return st
}

func (h *holt) load(st mState) (func(), error) {
	if err := checkShape(st, 3, 2, nil, nil); err != nil {
		return nil, err
	}
	return func() {
		h.alpha, h.beta, h.phi = st.Params[0], st.Params[1], st.Params[2]
		h.fitted, h.fitN, h.label = st.Fitted, st.FitN, st.Label
		if st.Full {
			h.level, h.b = st.Vals[0], st.Vals[1]
		}
	}, nil
}
