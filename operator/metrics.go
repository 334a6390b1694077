package operator

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/embedded"
)

// scopedMeters gives the meters of one PredictiveScaler's Controller the
// object's namespace and name as instrumentation-scope attributes, so that
// the Controllers sharing one MeterProvider keep apart series (the
// Prometheus exporter turns scope attributes into labels).
func scopedMeters(mp metric.MeterProvider, namespace, name string) metric.MeterProvider {
	return scopedProvider{mp: mp, attrs: []attribute.KeyValue{
		attribute.String("predictivescaler.namespace", namespace),
		attribute.String("predictivescaler.name", name),
	}}
}

type scopedProvider struct {
	embedded.MeterProvider
	mp    metric.MeterProvider
	attrs []attribute.KeyValue
}

func (p scopedProvider) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	return p.mp.Meter(name, append(opts[:len(opts):len(opts)], metric.WithInstrumentationAttributes(p.attrs...))...)
}
