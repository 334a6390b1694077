package policy

import (
	"fmt"
	"strconv"
)

// NoScaleInOnForecast returns p whose scale-ins must be confirmed by the
// present, not only by the forecast — the default of the clouds' predictive
// scaling, which never scales in on a forecast. When p asks for fewer
// replicas than Current:
//
//   - with a reactive policy, the scale-in happens only if reactive also
//     asks for fewer than Current, and never below reactive's target;
//   - with reactive nil, only if the observed load is valid, and never
//     below Replicas(Load) at the target utilization.
//
// Otherwise the count holds. Scale-ups pass unchanged. A non-nil reactive
// is called on every pass so its own state stays consistent: do not share
// one stateful reactive instance with another wrapper of the same stack.
// To allow scale-in on the forecast (cheaper, riskier), do not wrap.
func NoScaleInOnForecast(p, reactive Policy) (Policy, error) {
	if err := needPolicy("NoScaleInOnForecast", "policy", p); err != nil {
		return nil, err
	}
	return wrap("no_scale_in_on_forecast", func(in Input) (decided, error) {
		if err := in.Validate(); err != nil {
			return decided{}, err
		}
		d, err := decideInner(p, in)
		if err != nil {
			return decided{}, err
		}
		floor, observed := 0, false
		if reactive != nil {
			r, err := decideInner(reactive, in)
			if err != nil {
				return decided{}, fmt.Errorf("policy: NoScaleInOnForecast: reactive: %w", err)
			}
			floor = r.Target
		} else {
			if !in.loadOK() {
				if d.Action == ScaleDown && in.Current <= in.Max {
					return hold(in, textf("no scale-in on forecast while the load metric is missing: holding %d (would %s)", in.Current, d.final())), nil
				}
				return d, nil
			}
			floor, observed = Replicas(in.Load, in.PerReplica, in.TargetUtilization), true
		}
		if d.Action != ScaleDown || in.Current > in.Max {
			return d, nil
		}
		switch {
		case floor >= in.Current:
			return hold(in, deferred(&scaleInWhy{would: d, floor: floor, load: in.Load, observed: observed, current: in.Current, held: true})), nil
		case floor > d.Target:
			return finish(in, floor, deferred(&scaleInWhy{would: d, floor: floor, load: in.Load, observed: observed})), nil
		}
		return d, nil
	}, p, reactive), nil
}

// scaleInWhy is the reason of NoScaleInOnForecast, formatted when read.
type scaleInWhy struct {
	would    decided // what the forecast asked for
	floor    int     // the replicas the present needs
	load     float64 // the observed load, when observed
	observed bool    // floor comes from the observed load, not a reactive policy
	current  int
	held     bool // holding at current rather than limiting the scale-in
}

func (w *scaleInWhy) appendTo(b []byte) []byte {
	if w.held {
		b = w.who(append(b, "no scale-in on forecast: "...))
		b = strconv.AppendInt(append(b, " ≥ current "...), int64(w.current), 10)
		b = append(b, ": holding (would "...)
	} else {
		b = strconv.AppendInt(append(b, "scale-in limited to "...), int64(w.floor), 10)
		b = append(w.who(append(b, ": "...)), " (would "...)
	}
	return append(appendDecision(b, w.would), ')')
}

// who appends what asks for the floor.
func (w *scaleInWhy) who(b []byte) []byte {
	if w.observed {
		b = appendNum(append(b, "observed load "...), w.load)
		return strconv.AppendInt(append(b, " needs "...), int64(w.floor), 10)
	}
	return strconv.AppendInt(append(b, "reactive asks "...), int64(w.floor), 10)
}
