package policy

import (
	"fmt"
	"sync/atomic"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/internal/mathx"

	"github.com/shadowscale/shadowscale/internal/defaults"
)

// DefaultQuantile is the forecast quantile Headroom provisions for when
// none is configured: P90.
const DefaultQuantile = 0.9

// HeadroomConfig sets the quantile of the predictive distribution a policy
// provisions for.
type HeadroomConfig struct {
	// Quantile is in (0, 1); zero means DefaultQuantile. 0.5 is the mean.
	Quantile float64
}

// QuantileForecast returns f with Mean replaced by the q-quantile of each
// step's predictive distribution, read as normal: the interval [Lower,
// Upper] at Level gives σ = (Upper − Mean) / Φ⁻¹((1 + Level) / 2), and the
// quantile is Mean + Φ⁻¹(q) × σ (never below 0). Steps whose Mean or Upper is
// not finite keep their Mean; a negative spread counts as 0. ok is false,
// and f is returned unchanged, when f has no usable interval (Level outside
// (0, 1), or Upper shorter than Mean).
func QuantileForecast(f forecast.Forecast, q float64) (out forecast.Forecast, ok bool) {
	return quantileForecast(f, q, 0, 0)
}

// quantileForecast is QuantileForecast reading the upper bound of the
// first lead steps as max(peak, Mean) when peak is positive (see
// Input.PeakForecast), without copying the bounds.
func quantileForecast(f forecast.Forecast, q, peak float64, lead int) (out forecast.Forecast, ok bool) {
	if !(f.Level > 0 && f.Level < 1) || len(f.Upper) < len(f.Mean) || !(q > 0 && q < 1) {
		return f, false
	}
	zl, zq := mathx.NormalQuantile((1+f.Level)/2), mathx.NormalQuantile(q)
	if !(peak > 0) {
		lead = 0
	}
	mean := make([]float64, len(f.Mean))
	for i, m := range f.Mean {
		mean[i] = m
		u := f.Upper[i]
		if i < lead {
			u = max(peak, m)
		}
		if !mathx.Finite(m) || !mathx.Finite(u) {
			continue
		}
		sigma := max(0, (u-m)/zl)
		mean[i] = max(0, m+zq*sigma)
	}
	f.Mean = mean
	return f, true
}

// Headroom returns p seeing, in Input.Forecast.Mean, the chosen quantile of
// the forecast instead of its mean (see QuantileForecast), so a policy that
// provisions for the mean (Threshold) provisions for that quantile. With an
// Input.PeakUpper, the lead window's upper bounds are that bound on its peak
// first (Input.PeakForecast): at Quantile (1 + Level) / 2, P90 of an 80%
// forecast, the policy provisions for the bound itself. A forecast without
// a usable interval passes unchanged, as the reason says. For a group
// allowed to scale to zero (Input.Min 0), a forecast that expects no load
// (a mean of 0 at every step, and an upper bound under one replica's load
// at the target) asks for nothing: the policy sees no upper bound. That
// bound, the spread of errors made elsewhere, kept a replica up at every
// pass of an idle phase, so that such a group never reached zero once the
// forecast was trusted. The load present is the reactive floor's to
// serve, as always (its scale-down stabilization is the cool-down before
// zero), and a load that comes anyway its to follow.
// Stateless: it keeps no state of its own.
func Headroom(p Policy, cfg HeadroomConfig) (Policy, error) {
	if err := needPolicy("Headroom", "policy", p); err != nil {
		return nil, err
	}
	q := cfg.Quantile
	q = defaults.IfZero(q, DefaultQuantile)
	if !(q > 0 && q < 1) {
		return nil, fmt.Errorf("policy: Headroom: Quantile (%v) must be in (0, 1)", cfg.Quantile)
	}
	label := fmt.Sprintf("P%s", num(q*100))
	var last atomic.Pointer[headroomPrefix]
	return wrap("headroom", func(in Input) (decided, error) {
		if err := in.Validate(); err != nil {
			return decided{}, err
		}
		if in.Forecast.Len() == 0 {
			return decideInner(p, in)
		}
		if in.Min == 0 && noLoadExpected(in) {
			_, upper := in.Forecast.Peak(0)
			in.Forecast = zeroForecast(in.Forecast)
			d, err := decideInner(p, in)
			if err != nil {
				return decided{}, err
			}
			d.r = prefixed(fmt.Sprintf("min 0: no replica for a forecast that expects no load (mean 0 at every step, upper bound at most %s): ", num(upper)), d.r)
			return d, nil
		}
		f, ok := quantileForecast(in.Forecast, q, in.PeakUpper, max(in.LeadSteps, 1))
		prefix := levelPrefix(&last, label, in.Forecast.Level)
		if !ok {
			prefix = fmt.Sprintf("headroom %s unavailable (forecast has no interval), using the mean: ", label)
		}
		in.Forecast = f
		d, err := decideInner(p, in)
		if err != nil {
			return decided{}, err
		}
		d.r = prefixed(prefix, d.r)
		return d, nil
	}, p), nil
}

// noLoadExpected reports whether in's forecast expects no load: a mean
// of 0 at every step (as a seasonal model's at the idle phase of a load
// whose past values there were zeros), and an upper bound under one
// replica's load at the target at every step, where the forecast has an
// interval. Its upper bound there is the spread of errors made elsewhere
// (at the ramps), not a chance of load at this phase. A forecast without
// a finite step expects nothing.
func noLoadExpected(in Input) bool {
	f := in.Forecast
	bounded := f.Level > 0 && f.Level < 1 && len(f.Upper) >= len(f.Mean)
	one := 0.0 // one replica's load at the target
	if mathx.Finite(in.PerReplica) && in.PerReplica > 0 && in.TargetUtilization > 0 {
		one = in.PerReplica * in.TargetUtilization
	}
	seen := false
	for i, m := range f.Mean {
		if !mathx.Finite(m) {
			continue
		}
		seen = true
		if m > 0 || bounded && mathx.Finite(f.Upper[i]) && !(f.Upper[i] < one) {
			return false
		}
	}
	return seen
}

// zeroForecast is f with a mean of 0 at every step, and no interval.
func zeroForecast(f forecast.Forecast) forecast.Forecast {
	f.Mean = make([]float64, len(f.Mean))
	f.Lower, f.Upper = nil, nil
	return f
}

// headroomPrefix is the reason prefix of one interval level.
type headroomPrefix struct {
	level  float64
	prefix string
}

// levelPrefix returns the reason prefix for level, formatted only when the
// level differs from the last pass's (it rarely changes).
func levelPrefix(last *atomic.Pointer[headroomPrefix], label string, level float64) string {
	if p := last.Load(); p != nil && p.level == level {
		return p.prefix
	}
	p := &headroomPrefix{level: level, prefix: "headroom " + label + " of the " + num(level*100) + "% interval: "}
	last.Store(p)
	return p.prefix
}
