package mirror

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ScopeName is the instrumentation scope (meter name) of the package.
const ScopeName = "github.com/shadowscale/shadowscale/mirror"

// Metric names; the package documentation lists them with units and
// attributes.
const (
	MetricRequests   = "shadowscale.mirror.requests"
	MetricDuration   = "shadowscale.mirror.duration"
	MetricDropped    = "shadowscale.mirror.dropped"
	MetricSampled    = "shadowscale.mirror.sampled"
	MetricMismatches = "shadowscale.mirror.mismatches"
	MetricFraction   = "shadowscale.mirror.fraction"
	MetricQueueDepth = "shadowscale.mirror.queue.depth"
)

// Mismatch kinds of MetricMismatches.
var (
	kindStatus = metric.WithAttributes(attribute.String("kind", "status"))
	kindBody   = metric.WithAttributes(attribute.String("kind", "body"))
)

type instruments struct {
	requests   metric.Int64Counter
	duration   metric.Float64Histogram
	dropped    metric.Int64Counter
	sampled    metric.Int64Counter
	mismatches metric.Int64Counter
	reg        metric.Registration

	// Precomputed attribute sets and option slices, so that recording
	// does not allocate.
	outcomeAttrs [][numOutcomes][]metric.AddOption
	shadowAttrs  []metric.MeasurementOption
	shadowRecord [][]metric.RecordOption
	dropAttrs    [][numDropReasons][]metric.AddOption // [lane+1]; 0 = all shadows
}

func newInstruments(mp metric.MeterProvider, t *Tee) (*instruments, error) {
	m := mp.Meter(ScopeName)
	in := &instruments{}
	var err error
	wrap := func(name string, e error) error { return fmt.Errorf("mirror: create instrument %s: %w", name, e) }
	if in.requests, err = m.Int64Counter(MetricRequests, metric.WithUnit("{request}"),
		metric.WithDescription("Copies completed by a shadow, by outcome.")); err != nil {
		return nil, wrap(MetricRequests, err)
	}
	if in.duration, err = m.Float64Histogram(MetricDuration, metric.WithUnit("s"),
		metric.WithDescription("Shadow response latency of completed copies."),
		metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)); err != nil {
		return nil, wrap(MetricDuration, err)
	}
	if in.dropped, err = m.Int64Counter(MetricDropped, metric.WithUnit("{request}"),
		metric.WithDescription("Copies dropped before reaching a shadow, by reason.")); err != nil {
		return nil, wrap(MetricDropped, err)
	}
	if in.sampled, err = m.Int64Counter(MetricSampled, metric.WithUnit("{request}"),
		metric.WithDescription("Requests selected for mirroring.")); err != nil {
		return nil, wrap(MetricSampled, err)
	}
	if in.mismatches, err = m.Int64Counter(MetricMismatches, metric.WithUnit("{request}"),
		metric.WithDescription("Copies whose answer differed from the primary's, by kind.")); err != nil {
		return nil, wrap(MetricMismatches, err)
	}
	fraction, err := m.Float64ObservableGauge(MetricFraction, metric.WithUnit("1"),
		metric.WithDescription("Sampling fraction in force."))
	if err != nil {
		return nil, wrap(MetricFraction, err)
	}
	depth, err := m.Int64ObservableGauge(MetricQueueDepth, metric.WithUnit("{request}"),
		metric.WithDescription("Copies waiting in a shadow's queue."))
	if err != nil {
		return nil, wrap(MetricQueueDepth, err)
	}
	in.dropAttrs = make([][numDropReasons][]metric.AddOption, len(t.lanes)+1)
	for r := range DropReason(numDropReasons) {
		in.dropAttrs[0][r] = []metric.AddOption{metric.WithAttributes(attribute.String("shadow", "*"), attribute.String("reason", r.String()))}
	}
	for i, l := range t.lanes {
		sa := metric.WithAttributes(attribute.String("shadow", l.name))
		in.shadowAttrs = append(in.shadowAttrs, sa)
		in.shadowRecord = append(in.shadowRecord, []metric.RecordOption{sa})
		var oa [numOutcomes][]metric.AddOption
		for o := range outcome(numOutcomes) {
			oa[o] = []metric.AddOption{metric.WithAttributes(attribute.String("shadow", l.name), attribute.String("outcome", o.String()))}
		}
		in.outcomeAttrs = append(in.outcomeAttrs, oa)
		for r := range DropReason(numDropReasons) {
			in.dropAttrs[i+1][r] = []metric.AddOption{metric.WithAttributes(attribute.String("shadow", l.name), attribute.String("reason", r.String()))}
		}
	}
	in.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveFloat64(fraction, t.sampler.getFraction())
		for i, l := range t.lanes {
			o.ObserveInt64(depth, int64(len(l.queue)), in.shadowAttrs[i])
		}
		return nil
	}, fraction, depth)
	if err != nil {
		return nil, fmt.Errorf("mirror: register metric callback: %w", err)
	}
	return in, nil
}
