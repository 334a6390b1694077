package shadow

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// instruments holds the Controller's OpenTelemetry instruments, created
// once in New. The package doc lists them.
type instruments struct {
	load, fcMean, fcLower, fcUpper      metric.Float64Gauge
	current, ready, desired, serving    metric.Int64Gauge
	decisions, errors, alerts           metric.Int64Counter
	shadowLatency, shadowErrRate        metric.Float64Gauge
	shadowReplicas                      metric.Int64Gauge
	shadowFraction, shadowCost, leadSec metric.Float64Gauge
	shadowTriggered                     metric.Int64Counter
	condition                           metric.Int64Gauge
	heldZeros                           metric.Int64Gauge

	mu    sync.Mutex
	attrs map[[2]string][]metric.AddOption
}

const meterName = "github.com/shadowscale/shadowscale/shadow"

func newInstruments(mp metric.MeterProvider) (*instruments, error) {
	m := mp.Meter(meterName)
	in := instruments{attrs: map[[2]string][]metric.AddOption{}}
	var err error
	fg := func(name, unit, desc string) metric.Float64Gauge {
		if err != nil {
			return nil
		}
		var g metric.Float64Gauge
		g, err = m.Float64Gauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		return g
	}
	ig := func(name, unit, desc string) metric.Int64Gauge {
		if err != nil {
			return nil
		}
		var g metric.Int64Gauge
		g, err = m.Int64Gauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		return g
	}
	ic := func(name, unit, desc string) metric.Int64Counter {
		if err != nil {
			return nil
		}
		var c metric.Int64Counter
		c, err = m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		return c
	}
	in.load = fg("shadowscale.load", "{load}/s", "Observed production load on the scaling metric.")
	in.fcMean = fg("shadowscale.forecast.mean", "{load}/s", "Peak forecast mean over the lead time.")
	in.fcLower = fg("shadowscale.forecast.lower", "{load}/s", "Peak forecast lower bound over the lead time.")
	in.fcUpper = fg("shadowscale.forecast.upper", "{load}/s", "Upper bound on the peak load over the lead time: the forecaster's bound on the peak when it gives one, else the largest per-step upper bound.")
	in.current = ig("shadowscale.replicas.current", "{replica}", "Production replicas requested before the pass.")
	in.ready = ig("shadowscale.replicas.ready", "{replica}", "Production replicas serving.")
	in.desired = ig("shadowscale.replicas.desired", "{replica}", "Production replicas the decision asked for.")
	in.serving = ig("shadowscale.replicas.serving", "{replica}", "Production replicas with their full traffic share.")
	in.decisions = ic("shadowscale.decisions", "{decision}", "Decisions, by action.")
	in.errors = ic("shadowscale.errors", "{error}", "Dependency failures, by dependency.")
	in.alerts = ic("shadowscale.alerts", "{alert}", "Alerts raised, by kind.")
	in.shadowLatency = fg("shadowscale.shadow.latency", "s", "Shadow p95 latency.")
	in.shadowErrRate = fg("shadowscale.shadow.error_rate", "1", "Shadow error rate.")
	in.shadowReplicas = ig("shadowscale.shadow.replicas", "{replica}", "Shadow replicas requested.")
	in.shadowFraction = fg("shadowscale.shadow.fraction", "1", "Fraction of production traffic mirrored.")
	in.shadowCost = fg("shadowscale.shadow.cost", "{currency}/h", "Shadow pool cost per hour.")
	in.shadowTriggered = ic("shadowscale.shadow.triggered", "{decision}", "Scale-ups the shadow signal caused.")
	in.leadSec = fg("shadowscale.lead_time", "s", "Provisioning lead time in use.")
	in.condition = ig("shadowscale.condition", "1", "1 when the condition holds, by type and reason.")
	in.heldZeros = ig("shadowscale.forecast.held_zeros", "{step}", "Steps of zeros of the scaling metric the forecaster holds back as a possible monitoring outage.")
	return &in, err
}

// count adds one to c for the attribute key=val. The attribute options
// are built once per pair.
func (in *instruments) count(ctx context.Context, c metric.Int64Counter, key, val string) {
	in.mu.Lock()
	o, ok := in.attrs[[2]string{key, val}]
	if !ok {
		o = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String(key, val)))}
		in.attrs[[2]string{key, val}] = o
	}
	in.mu.Unlock()
	c.Add(ctx, 1, o...)
}
