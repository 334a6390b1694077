package shadow

import (
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"time"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/internal/mathx"
	"github.com/shadowscale/shadowscale/policy"
)

// maxPlausible bounds a forecast: an upper bound above this multiple of the
// recent high load says the model broke, not that the load will come, and
// scaling to it would buy a fleet for nothing.
const maxPlausible = 10

// forecastAll refits and forecasts every metric, validates each forecast
// and combines them into one forecast in units of the primary metric: the
// step-wise maximum of each metric's forecast converted to replicas' worth
// of Config.Metric. It names the driving metric in rep and returns the
// ForecastTrusted condition.
func (s *state) forecastAll(t time.Time, steps int, rep *Report, v *verdict) (forecast.Forecast, Condition) {
	cond := Condition{Type: ForecastTrusted, Status: true, Reason: ReasonForecastValid}
	refit := s.cfg.RefitEvery > 0 && s.passes%s.cfg.RefitEvery == 0
	s.retry.pass(s, t, steps, refit)
	var parts []*metricState
	for i, m := range s.metrics {
		m.fcst, m.peak = forecast.Forecast{}, 0
		if refit {
			if err := safeRefit(m.fc); err != nil && !errors.Is(err, forecast.ErrInsufficientHistory) {
				v.fail("forecast", fmt.Errorf("%s refit: %w", name(m.fc), err))
			}
		}
		f, err := safeForecast(m.fc, steps, s.cfg.Level)
		peak := 0.0
		if err == nil {
			peak, err = s.boundPeak(m, f, steps)
		}
		if err == nil {
			err = s.checkForecast(m, f, peak, steps)
		}
		switch {
		case err == nil:
			m.fcst, m.peak = f, peak
			parts = append(parts, m)
			continue
		case errors.Is(err, forecast.ErrInsufficientHistory):
			if cond.Status {
				cond = Condition{Type: ForecastTrusted, Reason: ReasonWarmingUp, Message: fmt.Sprintf("%s: %v", m.Metric, err)}
			}
			continue
		}
		v.fail("forecast", err)
		reason := ReasonForecastFailed
		if errors.Is(err, errForecastInvalid) {
			reason = ReasonForecastInvalid
		}
		if errors.Is(err, errImplausible) {
			reason = ReasonImplausible
		}
		cond = Condition{Type: ForecastTrusted, Reason: reason, Message: err.Error()}
		// The primary metric's forecast is what the policy plans with;
		// another metric's failure forbids scaling in on a partial view.
		if i == 0 {
			v.hold(reason, err.Error())
		} else if v.noScaleIn == "" {
			v.noScaleIn = err.Error()
		}
	}
	if s.metrics[0].fcst.Len() > 0 {
		s.prevFc = s.metrics[0].fcst
	} else {
		s.prevFc = forecast.Forecast{}
	}
	if s.metrics[0].fcst.Len() == 0 {
		return forecast.Forecast{}, cond
	}
	fc := combine(parts, steps)
	rep.Forecast = fc
	rep.PeakUpper = combinePeak(parts, steps)
	rep.Metric = driving(parts, steps)
	return fc, cond
}

// combine converts each metric's forecast to the primary metric's unit and
// takes the step-wise maximum over the first steps steps.
func combine(parts []*metricState, steps int) forecast.Forecast {
	if len(parts) == 1 {
		return parts[0].fcst
	}
	base := parts[0].fcst
	out := forecast.Forecast{Start: base.Start, Step: base.Step, Level: base.Level, Model: base.Model,
		Mean: make([]float64, steps), Lower: make([]float64, steps), Upper: make([]float64, steps)}
	for _, m := range parts {
		for i := range steps {
			out.Mean[i] = math.Max(out.Mean[i], m.weight*m.fcst.Mean[i])
			out.Lower[i] = math.Max(out.Lower[i], m.weight*m.fcst.Lower[i])
			out.Upper[i] = math.Max(out.Upper[i], m.weight*m.fcst.Upper[i])
		}
	}
	return out
}

// boundPeak returns the forecaster's bound on the peak of f's first steps
// steps when it implements forecast.PeakBounder, at the one-sided level of
// the interval's upper end ((1 + Config.Level) / 2), for the policies to
// provision for (policy.Input.PeakUpper): the largest per-step upper bound
// of a central interval covers the peak of a window less often than its
// level says (a fifth to a half of the time on one-minute traces), a
// calibrated bound on the peak about as often. It returns 0 when the
// forecaster gives no bound or cannot yet (a short history); a panic or a
// bound that is not a finite number is an error of the forecast.
func (s *state) boundPeak(m *metricState, f forecast.Forecast, steps int) (float64, error) {
	pb, ok := m.fc.(forecast.PeakBounder)
	if !ok || f.Len() < steps {
		return 0, nil
	}
	u, err := safePeakUpper(pb, steps, (1+s.cfg.Level)/2)
	switch {
	case errors.Is(err, forecast.ErrInsufficientHistory):
		return 0, nil
	case err != nil:
		return 0, err
	case !mathx.Finite(u) || u < 0:
		return 0, fmt.Errorf("%w from forecaster %s (model %q) for %s: peak bound %v", errForecastInvalid, name(m.fc), f.Model, m.Metric, u)
	}
	return u, nil
}

// combinePeak converts each metric's bound on the lead window's peak to the
// primary metric's unit and returns the largest; a metric without a bound
// counts with the largest upper bound of its lead window. It returns 0 when
// no metric has a bound.
func combinePeak(parts []*metricState, steps int) float64 {
	out, bounded := 0.0, false
	for _, m := range parts {
		u := m.peak
		if u > 0 {
			bounded = true
		} else {
			_, u = m.fcst.Peak(steps)
		}
		out = math.Max(out, m.weight*u)
	}
	if !bounded {
		return 0
	}
	return out
}

// driving names the metric whose forecast needs the most replicas over the
// lead window.
func driving(parts []*metricState, steps int) Metric {
	best, who := -1.0, parts[0].Metric
	for _, m := range parts {
		if _, up := m.fcst.Peak(steps); m.weight*up > best {
			best, who = m.weight*up, m.Metric
		}
	}
	return who
}

var errImplausible = errors.New("implausible forecast")

// checkForecast validates a plug-in's forecast: at least steps steps,
// intervals as long as the mean, finite values, Lower ≤ Mean ≤ Upper, a
// Start on the grid one interval after the last observation, and an upper
// bound within maxPlausible × the metric's recent high load (or one
// replica's capacity, if larger).
func (s *state) checkForecast(m *metricState, f forecast.Forecast, peak float64, steps int) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w from forecaster %s (model %q) for %s: %s", errForecastInvalid, name(m.fc), f.Model, m.Metric, fmt.Sprintf(format, args...))
	}
	n := f.Len()
	switch {
	case n < steps:
		return bad("%d steps for a horizon of %d", n, steps)
	case len(f.Lower) != n || len(f.Upper) != n:
		return bad("%d means, %d lower and %d upper bounds", n, len(f.Lower), len(f.Upper))
	case f.Start.IsZero():
		return bad("zero Start")
	}
	for i := range n {
		lo, mid, hi := f.Lower[i], f.Mean[i], f.Upper[i]
		if !mathx.Finite(lo) || !mathx.Finite(mid) || !mathx.Finite(hi) {
			return bad("step %d is not finite (%v, %v, %v)", i, lo, mid, hi)
		}
		if tol := 1e-9 * math.Max(1, math.Abs(mid)); lo > mid+tol || mid > hi+tol {
			return bad("step %d has Lower %.4g, Mean %.4g, Upper %.4g out of order", i, lo, mid, hi)
		}
	}
	if m.fc == s.metrics[0].fc && !s.lastGrid.IsZero() {
		want := s.lastGrid.Add(s.cfg.Interval)
		if d := f.Start.Sub(want); d <= -s.cfg.Interval/2 || d >= s.cfg.Interval/2 {
			return bad("Start %s is off the grid (want %s)", f.Start.Format(time.RFC3339), want.Format(time.RFC3339))
		}
	}
	ref := math.Max(m.rob.high(), m.PerReplica)
	_, upper := f.Peak(steps)
	if upper = max(upper, peak); m.rob.n > 0 && upper > maxPlausible*ref {
		return fmt.Errorf("%w from forecaster %s (model %q) for %s: upper bound %.4g exceeds %d × the recent high load %.4g",
			errImplausible, name(m.fc), f.Model, m.Metric, upper, maxPlausible, ref)
	}
	return nil
}

// finite reports whether x is neither NaN nor infinite.
func finite(x float64) bool { return mathx.Finite(x) }

// name names a plug-in: its Name when it has one, else its type.
func name(x any) string {
	if n, ok := x.(forecast.Namer); ok {
		if s := safeName(n); s != "" {
			return s
		}
	}
	return fmt.Sprintf("%T", x)
}

func safeName(n forecast.Namer) (s string) {
	defer func() {
		if recover() != nil {
			s = ""
		}
	}()
	return n.Name()
}

func safeObserve(f forecast.Forecaster, t time.Time, x float64) (err error) {
	defer recoverInto(&err, "forecaster Observe")
	return f.Observe(t, x)
}

func safeForecast(f forecast.Forecaster, h int, level float64) (fc forecast.Forecast, err error) {
	// The plug-in's name is looked up only if it panics: not on every pass.
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{What: "forecaster " + name(f) + " Forecast", Value: r, Stack: string(debug.Stack())}
		}
	}()
	return f.Forecast(h, level)
}

func safePeakUpper(p forecast.PeakBounder, lead int, level float64) (u float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{What: "forecaster " + name(p) + " PeakUpper", Value: r, Stack: string(debug.Stack())}
		}
	}()
	return p.PeakUpper(lead, level)
}

func safeRefit(f forecast.Forecaster) (err error) {
	r, ok := f.(forecast.Refitter)
	if !ok {
		return nil
	}
	defer recoverInto(&err, "forecaster Refit")
	return r.Refit()
}

func safeDetect(d forecast.AnomalyDetector, t time.Time, x float64) (a forecast.Anomaly, err error) {
	defer recoverInto(&err, "anomaly detector Detect")
	return d.Detect(t, x)
}

func safeDecide(p policy.Policy, in policy.Input) (d policy.Decision, err error) {
	defer recoverInto(&err, "policy Decide")
	return p.Decide(in)
}
