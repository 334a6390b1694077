package forecast

import "time"

// MaxOnlinePeriod is the longest seasonal period, in steps, that
// SeasonalPeriods proposes: a week of 5-minute steps. Longer periods (a
// week of minutes is 10,080 steps) cost several times the fitting time of
// the daily cycle online, for little gain at lead-time horizons.
const MaxOnlinePeriod = 2016

// SeasonalPeriods returns the periods, in steps of the given length, to
// give AutoConfig.Periods for web or machine load: the daily cycle when a
// day is a whole number of at least 2 steps, and the weekly cycle too when
// a week has at most MaxOnlinePeriod steps. It returns nil when the step
// does not divide a day.
func SeasonalPeriods(step time.Duration) []int {
	day := 24 * time.Hour
	if step <= 0 || day%step != 0 || day/step < 2 {
		return nil
	}
	d := int(day / step)
	if 7*d <= MaxOnlinePeriod {
		return []int{d, 7 * d}
	}
	return []int{d}
}
