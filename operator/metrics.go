package operator

import (
	promclient "github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/embedded"
	"k8s.io/apimachinery/pkg/types"
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

// The labels the Prometheus exporter gives scopedMeters' attributes.
const (
	namespaceLabel = "otel_scope_predictivescaler_namespace"
	nameLabel      = "otel_scope_predictivescaler_name"
)

// runningOnly serves g's metrics without the series of PredictiveScalers
// whose scaler does not run on this replica (running reports those that
// do): the SDK keeps a meter's last values for as long as the process
// lives, and the series of an object deleted, or of a shard another
// replica took over, would otherwise stay on /metrics with their last
// value.
func runningOnly(g promclient.Gatherer, running func() map[types.NamespacedName]int64) promclient.Gatherer {
	return promclient.GathererFunc(func() ([]*dto.MetricFamily, error) {
		mfs, err := g.Gather()
		live := running()
		out := mfs[:0]
		for _, mf := range mfs {
			ms := mf.Metric[:0]
			for _, m := range mf.Metric {
				if key, ok := scalerOf(m); ok {
					if _, run := live[key]; !run {
						continue
					}
				}
				ms = append(ms, m)
			}
			if len(ms) > 0 {
				mf.Metric = ms
				out = append(out, mf)
			}
		}
		return out, err
	})
}

// scalerOf reads the PredictiveScaler a series belongs to from its labels.
func scalerOf(m *dto.Metric) (types.NamespacedName, bool) {
	var key types.NamespacedName
	n := 0
	for _, l := range m.GetLabel() {
		switch l.GetName() {
		case namespaceLabel:
			key.Namespace = l.GetValue()
			n++
		case nameLabel:
			key.Name = l.GetValue()
			n++
		}
	}
	return key, n == 2
}
