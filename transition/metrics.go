package transition

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// meterName names the Meter by the package's import path.
const meterName = "github.com/shadowscale/shadowscale/transition"

// Drain outcomes, the values of the "outcome" attribute of the drain
// instruments.
const (
	outcomeDrained  = "drained"
	outcomeCanceled = "canceled"
	outcomeError    = "error"
)

type stepsInstruments struct {
	weight    metric.Float64Gauge
	steps     metric.Int64Counter
	holds     metric.Int64Counter
	rollbacks metric.Int64Counter
}

func newStepsInstruments(mp metric.MeterProvider) (stepsInstruments, error) {
	m := mp.Meter(meterName)
	var in stepsInstruments
	var err error
	if in.weight, err = m.Float64Gauge("shadowscale.transition.weight", metric.WithUnit("1"),
		metric.WithDescription("Share of their final traffic the new replicas get, in [0, 1].")); err != nil {
		return in, fmt.Errorf("transition: create weight gauge: %w", err)
	}
	if in.steps, err = m.Int64Counter("shadowscale.transition.steps", metric.WithUnit("{step}"),
		metric.WithDescription("Weight steps applied.")); err != nil {
		return in, fmt.Errorf("transition: create steps counter: %w", err)
	}
	if in.holds, err = m.Int64Counter("shadowscale.transition.health_failures", metric.WithUnit("{check}"),
		metric.WithDescription("Failed health checks during transitions.")); err != nil {
		return in, fmt.Errorf("transition: create health failures counter: %w", err)
	}
	if in.rollbacks, err = m.Int64Counter("shadowscale.transition.rollbacks", metric.WithUnit("{rollback}"),
		metric.WithDescription("Transitions rolled back to weight 0.")); err != nil {
		return in, fmt.Errorf("transition: create rollbacks counter: %w", err)
	}
	return in, nil
}

type drainInstruments struct {
	drains   metric.Int64Counter
	replicas metric.Int64Counter
	duration metric.Float64Histogram
	drainer  attribute.KeyValue
}

func newDrainInstruments(mp metric.MeterProvider, drainer string) (drainInstruments, error) {
	m := mp.Meter(meterName)
	in := drainInstruments{drainer: attribute.String("drainer", drainer)}
	var err error
	if in.drains, err = m.Int64Counter("shadowscale.transition.drains", metric.WithUnit("{drain}"),
		metric.WithDescription("Drains finished, by drainer and outcome.")); err != nil {
		return in, fmt.Errorf("transition: create drains counter: %w", err)
	}
	if in.replicas, err = m.Int64Counter("shadowscale.transition.drained_replicas", metric.WithUnit("{replica}"),
		metric.WithDescription("Replicas drained successfully.")); err != nil {
		return in, fmt.Errorf("transition: create drained replicas counter: %w", err)
	}
	if in.duration, err = m.Float64Histogram("shadowscale.transition.drain.duration", metric.WithUnit("s"),
		metric.WithDescription("Time from the start of a drain to its end, by drainer and outcome.")); err != nil {
		return in, fmt.Errorf("transition: create drain duration histogram: %w", err)
	}
	return in, nil
}

// record counts one finished drain of n replicas that took secs seconds and
// ended with err.
func (in drainInstruments) record(n int, secs float64, err error) {
	outcome := outcomeDrained
	switch {
	case err == nil:
	case isContextErr(err):
		outcome = outcomeCanceled
	default:
		outcome = outcomeError
	}
	// Record with a background context: the drain's own ctx may be done.
	ctx := context.Background()
	attrs := metric.WithAttributes(in.drainer, attribute.String("outcome", outcome))
	in.drains.Add(ctx, 1, attrs)
	in.duration.Record(ctx, secs, attrs)
	if err == nil {
		in.replicas.Add(ctx, int64(n), metric.WithAttributes(in.drainer))
	}
}
