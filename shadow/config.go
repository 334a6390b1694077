package shadow

import (
	"fmt"
	"math"
	"time"

	"github.com/shadowscale/shadowscale/internal/defaults"
)

// Config tunes a Controller. The zero value of each field selects the
// default documented on it; New calls Validate after applying defaults.
type Config struct {
	// Interval is the time between reconcile passes and the step of the
	// load history. Default 1m.
	Interval time.Duration
	// LeadTime is the provisioning lead time: how long a requested
	// replica takes to serve. It is the starting point; the Controller
	// learns the real value from the actuator (the rolling P90 of
	// request→ready times) unless DisableLeadTimeLearning. Default 10m;
	// a negative value selects none (replicas serve as soon as requested).
	LeadTime time.Duration
	// DisableLeadTimeLearning keeps LeadTime fixed.
	DisableLeadTimeLearning bool
	// Metric is the metric scaled on. Default RequestRate.
	Metric Metric
	// PerReplica is the load, in Metric's unit, one replica serves at 100%
	// utilization. Required.
	PerReplica float64
	// TargetUtilization is the utilization policies aim for, in (0, 1].
	// Default 0.7.
	TargetUtilization float64
	// MinReplicas and MaxReplicas bound production. Defaults 1 and 100.
	// MinReplicas 0 (with a MaxReplicas) lets production scale to zero:
	// with the default Predictive stack it stays there while the load is
	// zero and is sized from the load when it comes back (the reactive
	// floor, policy.HPA, sizes a group at zero from the load).
	MinReplicas, MaxReplicas int
	// HistorySize is how many observations the Controller keeps. Default
	// 10080 (one week of minutes); at most 4,194,304 (eight years of
	// minutes, 32 MiB of float64 per metric), since the history is
	// allocated when the Controller is built. After a restart the
	// forecasters' windows are read back over this many intervals: a
	// HistorySize shorter than a forecaster's window leaves a restored
	// forecaster to refit on a shorter window than the one it saved, and
	// it then forecasts otherwise than it would have without the restart.
	HistorySize int
	// Level is the nominal coverage of forecast intervals, in (0, 1).
	// Default 0.95.
	Level float64
	// RefitEvery is how many passes pass between calls to Refit on a
	// forecaster that implements forecast.Refitter. 0 selects the default
	// of one day of intervals; a negative value disables refitting.
	RefitEvery int
	// ShadowStaleAfter is how old shadow stats may be before they are
	// treated as missing. Default 3 × Interval.
	ShadowStaleAfter time.Duration
	// CallTimeout bounds each call to a dependency during a pass. Default
	// Interval / 2.
	CallTimeout time.Duration
	// DrainTimeout bounds draining before a scale-down. Default Interval.
	DrainTimeout time.Duration
	// ActuationFailureAlert is how many consecutive failed actuations
	// raise an alert. Default 3.
	ActuationFailureAlert int
	// SaveEvery is how many passes pass between two snapshots when a
	// StateStore is configured (WithStateStore). 0 selects the default,
	// 1: every pass saves, and a restart at any point changes nothing. A
	// larger value divides the cost of saving by it (BenchmarkSavedDay:
	// about 0.25 ms of CPU and 67 KiB per snapshot of a week-old service
	// with the one-minute Auto forecaster and the Predictive stack, 30
	// times its pass without a store); a Controller killed between
	// two saves resumes from the older snapshot: the passes since are read
	// back from the HistorySource as after a downtime, but what the
	// policy and the lead-time learning saw in them is lost. Run saves
	// once more when it stops, and Save saves on demand, so that a
	// graceful restart loses nothing.
	SaveEvery int
	// SourceLookback is how long the MetricsSource may serve its last
	// reading again when no newer one has come: Prometheus's lookback
	// delta (5m by default) for a gauge whose scrapes are missing, or the
	// scrape interval when passes come more often than scrapes. A sample
	// far above the recent load is held until the next pass confirms it;
	// when it lies more than ten times the recent median above it (a
	// glitch's size), a next sample equal to it bit for bit does not
	// confirm it (nor add capacity) unless the value has lasted this long,
	// so that one glitch served twice is not taken for a step change (a
	// smaller step served bit for bit, as synthetic loads are, is
	// confirmed by its copy as by any reading, unless the source reports
	// scrape times, Sample.Scraped, which tell a copy of any size from a
	// new reading). Values a pass reads back
	// from a HistorySource after missed passes that continue the last
	// observation bit for bit, less than SourceLookback after it (what
	// Prometheus serves for the points of its own outage, or of failed
	// scrapes), are left out as gaps, which the forecaster fills; zeros
	// are read as load. Default 5m; a negative value selects none (any
	// repeat confirms, every value read back is load; scrape times still
	// tell copies).
	SourceLookback time.Duration
	// ForecastOnly runs the whole Controller in forecast-only mode (AWS
	// predictive scaling's ForecastOnly): every pass observes, forecasts
	// and decides exactly as a live Controller would from the same
	// observed state, and reports its Plan, but nothing is applied: no
	// production or shadow Scale, no SetFraction, no drain, no transition.
	ForecastOnly bool
}

func (c Config) withDefaults() Config {
	c.Interval = defaults.IfZero(c.Interval, time.Minute)
	c.LeadTime = defaults.Or(c.LeadTime, 10*time.Minute)
	if c.Metric == "" {
		c.Metric = RequestRate
	}
	c.TargetUtilization = defaults.IfZero(c.TargetUtilization, 0.7)
	if c.MinReplicas == 0 && c.MaxReplicas == 0 {
		c.MinReplicas, c.MaxReplicas = 1, 100
	} else if c.MaxReplicas == 0 {
		c.MaxReplicas = max(100, c.MinReplicas)
	}
	c.HistorySize = defaults.IfZero(c.HistorySize, 10080)
	c.Level = defaults.IfZero(c.Level, 0.95)
	if c.RefitEvery == 0 && c.Interval > 0 {
		c.RefitEvery = max(1, int(24*time.Hour/c.Interval))
	}
	c.ShadowStaleAfter = defaults.IfZero(c.ShadowStaleAfter, 3*c.Interval)
	if c.CallTimeout == 0 {
		c.CallTimeout = c.Interval / 2
	}
	c.DrainTimeout = defaults.IfZero(c.DrainTimeout, c.Interval)
	c.ActuationFailureAlert = defaults.IfZero(c.ActuationFailureAlert, 3)
	c.SaveEvery = defaults.IfZero(c.SaveEvery, 1)
	c.SourceLookback = defaults.Or(c.SourceLookback, 5*time.Minute)
	return c
}

// Validate reports the first invalid field, naming it and its value.
func (c Config) Validate() error {
	switch {
	case c.Interval <= 0:
		return fmt.Errorf("shadow: Config.Interval (%s) must be positive", c.Interval)
	case !(c.PerReplica > 0) || math.IsInf(c.PerReplica, 0):
		return fmt.Errorf("shadow: Config.PerReplica (%v) must be a positive number", c.PerReplica)
	case !(c.TargetUtilization > 0 && c.TargetUtilization <= 1):
		return fmt.Errorf("shadow: Config.TargetUtilization (%v) must be in (0, 1]", c.TargetUtilization)
	case c.MinReplicas < 0:
		return fmt.Errorf("shadow: Config.MinReplicas (%d) must not be negative", c.MinReplicas)
	case c.MinReplicas > c.MaxReplicas:
		return fmt.Errorf("shadow: Config.MinReplicas (%d) must not exceed MaxReplicas (%d)", c.MinReplicas, c.MaxReplicas)
	case c.HistorySize < 2 || c.HistorySize > maxHistorySize:
		return fmt.Errorf("shadow: Config.HistorySize (%d) must be in [2, %d]", c.HistorySize, maxHistorySize)
	case !(c.Level > 0 && c.Level < 1):
		return fmt.Errorf("shadow: Config.Level (%v) must be in (0, 1)", c.Level)
	case c.ShadowStaleAfter < 0:
		return fmt.Errorf("shadow: Config.ShadowStaleAfter (%s) must not be negative", c.ShadowStaleAfter)
	case c.CallTimeout < 0:
		return fmt.Errorf("shadow: Config.CallTimeout (%s) must not be negative", c.CallTimeout)
	case c.DrainTimeout < 0:
		return fmt.Errorf("shadow: Config.DrainTimeout (%s) must not be negative", c.DrainTimeout)
	case c.ActuationFailureAlert < 0:
		return fmt.Errorf("shadow: Config.ActuationFailureAlert (%d) must not be negative", c.ActuationFailureAlert)
	case c.SaveEvery < 0:
		return fmt.Errorf("shadow: Config.SaveEvery (%d) must not be negative", c.SaveEvery)
	}
	return nil
}

// maxHistorySize bounds Config.HistorySize: a larger one would be
// allocated at once, and an absurd one would end the process.
const maxHistorySize = 1 << 22

// leadSteps is the forecast horizon in steps: the lead time plus one
// interval, rounded up.
func leadSteps(lead, interval time.Duration) int {
	n := int((lead + interval + interval - 1) / interval)
	return max(1, n)
}
