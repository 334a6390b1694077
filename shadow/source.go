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
