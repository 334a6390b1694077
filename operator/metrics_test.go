package operator

import (
	"context"
	"slices"
	"testing"

	promclient "github.com/prometheus/client_golang/prometheus"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"k8s.io/apimachinery/pkg/types"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestScopedMetersKeepControllersApart(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	for _, name := range []string{"web", "api"} {
		g, err := scopedMeters(mp, "shop", name).Meter("m").Int64Gauge("replicas")
		require.NoError(t, err)
		g.Record(context.Background(), int64(len(name)))
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, "m", sm.Scope.Name)
		ns, _ := sm.Scope.Attributes.Value(attribute.Key("predictivescaler.namespace"))
		assert.Equal(t, "shop", ns.AsString())
		name, _ := sm.Scope.Attributes.Value(attribute.Key("predictivescaler.name"))
		g := sm.Metrics[0].Data.(metricdata.Gauge[int64])
		got[name.AsString()] = g.DataPoints[0].Value
	}
	assert.Equal(t, map[string]int64{"web": 3, "api": 3}, got, "one series per object, not one overwritten by the other")
}

// /metrics shows the series of the scalers running on this replica and
// the operator's own, not those of an object deleted or of a shard another
// replica holds, which the SDK would keep with their last value.
func TestRunningOnlyDropsScalersNotRunningHere(t *testing.T) {
	reg := promclient.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	require.NoError(t, err)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	for _, name := range []string{"web", "api", "gone"} {
		g, err := scopedMeters(mp, "shop", name).Meter("m").Int64Gauge("replicas")
		require.NoError(t, err)
		g.Record(context.Background(), 3)
	}
	own, err := mp.Meter("operator").Int64Counter("passes")
	require.NoError(t, err)
	own.Add(context.Background(), 1)

	running := map[types.NamespacedName]int64{{Namespace: "shop", Name: "web"}: 1, {Namespace: "shop", Name: "api"}: 1}
	g := runningOnly(reg, func() map[types.NamespacedName]int64 { return running })
	series := func() (scalers []string, others int) {
		mfs, err := g.Gather()
		require.NoError(t, err)
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				if key, ok := scalerOf(m); ok {
					scalers = append(scalers, mf.GetName()+" "+key.String())
				} else if mf.GetName() == "passes_total" {
					others++
				}
			}
		}
		slices.Sort(scalers)
		return scalers, others
	}
	scalers, others := series()
	assert.Equal(t, []string{"replicas shop/api", "replicas shop/web"}, scalers)
	assert.Equal(t, 1, others, "the operator's own series stay")

	delete(running, types.NamespacedName{Namespace: "shop", Name: "api"}) // deleted, or its shard lost
	scalers, _ = series()
	assert.Equal(t, []string{"replicas shop/web"}, scalers)
}
