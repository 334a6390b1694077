package policy

import "fmt"

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
	return wrap("no_scale_in_on_forecast", func(in Input) (Decision, error) {
		if err := in.Validate(); err != nil {
			return Decision{}, err
		}
		d, err := decideInner(p, in)
		if err != nil {
			return Decision{}, err
		}
		var floor int
		var who func() string // built only for a reason that names it
		if reactive != nil {
			r, err := decideInner(reactive, in)
			if err != nil {
				return Decision{}, fmt.Errorf("policy: NoScaleInOnForecast: reactive: %w", err)
			}
			floor, who = r.Target, func() string { return fmt.Sprintf("reactive asks %d", r.Target) }
		} else {
			if !in.loadOK() {
				if d.Action == ScaleDown && in.Current <= in.Max {
					return hold(in, fmt.Sprintf("no scale-in on forecast while the load metric is missing: holding %d (would %s)", in.Current, d)), nil
				}
				return d, nil
			}
			floor = Replicas(in.Load, in.PerReplica, in.TargetUtilization)
			who = func() string { return fmt.Sprintf("observed load %s needs %d", num(in.Load), floor) }
		}
		if d.Action != ScaleDown || in.Current > in.Max {
			return d, nil
		}
		if floor >= in.Current {
			return hold(in, fmt.Sprintf("no scale-in on forecast: %s ≥ current %d: holding (would %s)", who(), in.Current, d)), nil
		}
		if floor > d.Target {
			return finish(in, floor, fmt.Sprintf("scale-in limited to %d: %s (would %s)", floor, who(), d)), nil
		}
		return d, nil
	}, p, reactive), nil
}
