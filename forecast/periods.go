package forecast

import "time"

// MaxOnlinePeriod is the longest second period, in steps, that [Auto]
// models with one seasonal term per step (double-seasonal Holt-Winters,
// fitted on a window of three such periods): a week of 5-minute steps. A
// longer second period (a week of minutes is 10,080 steps) would cost
// several times the daily cycle's fitting time and a window of three
// weeks; Auto models it instead outside its window, as a smooth profile
// of its first three harmonics (see [AutoConfig.Periods]).
const MaxOnlinePeriod = 2016

// SeasonalPeriods returns the periods, in steps of the given length, to
// give AutoConfig.Periods for web or machine load: the daily and the
// weekly cycles when a day is a whole number of at least 2 steps. It
// returns nil when the step does not divide a day.
func SeasonalPeriods(step time.Duration) []int {
	day := 24 * time.Hour
	if step <= 0 || day%step != 0 || day/step < 2 {
		return nil
	}
	d := int(day / step)
	return []int{d, 7 * d}
}
