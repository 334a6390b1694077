package policy

import (
	"fmt"
	"time"
)

// MinHistoryConfig says when a forecast is trusted.
type MinHistoryConfig struct {
	// Forecasts is how many passes (distinct Input.Now values) must have
	// carried a non-empty forecast before it is trusted. Ignored when
	// Trusted is set.
	Forecasts int
	// Trusted, if not nil, decides instead of the count (for example from
	// a backtest error). It is called only on passes with a forecast.
	Trusted func(in Input) bool
}

// MinHistory returns a policy that uses fallback (typically a reactive
// policy such as HPA) until the forecast is trusted, and p afterwards; a
// pass without a forecast also goes to fallback. The reason says which was
// used and why. Only the chosen policy is called on a pass. The count is
// keyed on Input.Now and restarts when time goes backwards; not safe for
// concurrent use.
func MinHistory(p, fallback Policy, cfg MinHistoryConfig) (Policy, error) {
	if err := needPolicy("MinHistory", "policy", p); err != nil {
		return nil, err
	}
	if err := needPolicy("MinHistory", "fallback", fallback); err != nil {
		return nil, err
	}
	if cfg.Forecasts < 0 {
		return nil, fmt.Errorf("policy: MinHistory: Forecasts (%d) must not be negative", cfg.Forecasts)
	}
	var (
		c       clock
		count   int
		counted time.Time
	)
	w := wrap("min_history", func(in Input) (decided, error) {
		if err := in.Validate(); err != nil {
			return decided{}, err
		}
		if c.advance(in.Now) {
			count = 0
		}
		has := in.Forecast.Len() > 0
		if has && (count == 0 || !in.Now.Equal(counted)) {
			count, counted = count+1, in.Now
		}
		var why string
		switch {
		case !has:
			why = "no forecast this pass"
		case cfg.Trusted != nil && !cfg.Trusted(in):
			why = "forecast not trusted yet"
		case cfg.Trusted == nil && count < cfg.Forecasts:
			why = fmt.Sprintf("forecast not trusted yet (%d of %d forecasts)", count, cfg.Forecasts)
		default:
			return decideInner(p, in)
		}
		d, err := decideInner(fallback, in)
		if err != nil {
			return decided{}, err
		}
		d.r = prefixed(why+", falling back: ", d.r)
		return d, nil
	}, p, fallback)
	type own struct {
		Clock   clockState `json:"clock"`
		Count   int        `json:"count"`
		Counted time.Time  `json:"counted"`
	}
	w.save = func() any { return own{c.state(), count, counted} }
	w.load = func() (any, func() error, func()) {
		var st own
		check := func() error {
			if st.Count < 0 {
				return fmt.Errorf("forecast count %d", st.Count)
			}
			return nil
		}
		return &st, check, func() { c, count, counted = st.Clock.clock(), st.Count, st.Counted }
	}
	return w, nil
}
