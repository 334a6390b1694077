package operator

import (
	"context"
	"testing"

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
