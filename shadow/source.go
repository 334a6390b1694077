package shadow

import (
	"context"
	"time"
)

// Metric names a production utilization signal.
type Metric string

// Well-known metrics. Sources may report others.
const (
	// RequestRate is requests per second.
	RequestRate Metric = "request_rate"
	// CPU is CPU usage, in cores or a source-defined unit.
	CPU Metric = "cpu"
	// Memory is memory usage, in bytes or a source-defined unit.
	Memory Metric = "memory"
	// NetworkIO is network throughput, in bytes per second.
	NetworkIO Metric = "network_io"
)

// Sample is one observation of production utilization.
type Sample struct {
	// Time is when the sample was taken.
	Time time.Time
	// Values holds one value per metric the source reports.
	Values map[Metric]float64
	// Scraped optionally holds, per metric, when its value was measured:
	// the scrape (or rule evaluation) that produced it, for sources that
	// know it (the Prometheus driver's Config.ScrapeTimes). A value whose
	// scrape time equals that of a sample held back as suspect is that
	// reading served again, not a new one, and confirms nothing, whatever
	// its size, while a value of another scrape is a new reading, equal
	// or not; without scrape times only copies of a sample implausibly
	// far above are told apart (see Config.SourceLookback). A source
	// leaves out what is no scrape time (the Prometheus driver leaves
	// out the evaluation time a computed query's timestamp() gives).
	Scraped map[Metric]time.Time
}

// MetricsSource reads production utilization.
//
// Sample returns the latest values of the metrics it knows; the Controller
// scales on Config.Metric and records the others. It must be safe for
// concurrent use and should honour ctx's deadline. now is the Controller's
// pass time, for sources that replay data or align to a grid.
type MetricsSource interface {
	Sample(ctx context.Context, now time.Time) (Sample, error)
}

// SourceFunc adapts a function to MetricsSource.
type SourceFunc func(ctx context.Context, now time.Time) (Sample, error)

// Sample calls f(ctx, now).
func (f SourceFunc) Sample(ctx context.Context, now time.Time) (Sample, error) { return f(ctx, now) }

// HistorySource is an optional capability of a MetricsSource: it reads past
// values of one metric, so that a Controller that starts (or restarts, or
// comes back after a long gap) can fill its history window before it
// forecasts. The Controller detects it with a type assertion.
//
// History returns the values of metric at the times from, from+step, …,
// up to and including to, oldest first. A point the source has no value for
// is left out (a gap), never zero-filled. On error no observation is used.
type HistorySource interface {
	History(ctx context.Context, metric Metric, from, to time.Time, step time.Duration) ([]Observation, error)
}
