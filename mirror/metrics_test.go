package mirror

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestOpenTelemetryMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()

	cfg := baseConfig("http://shadow.internal")
	cfg.Shadows[0].Name = "canary"
	cfg.Fraction = 1
	cfg.MaxBodyBytes = 4
	cfg.Methods = []string{http.MethodGet, http.MethodPost}
	cfg.Compare = true
	cfg.Transport = funcRT(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == "/bad" {
			return okResponse(r, http.StatusInternalServerError, "x"), nil
		}
		return okResponse(r, http.StatusOK, "primary"), nil
	})
	tee := newTee(t, cfg, WithMeterProvider(mp))
	h := tee.Wrap(okHandler)
	for _, p := range []string{"/a", "/b", "/bad"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/big", stringsReader("too large")))
	require.NoError(t, tee.SetFraction(0.3))
	// Read before Close: Close unregisters the gauges' callback.
	waitIdle(tee)
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	require.Len(t, rm.ScopeMetrics, 1)
	assert.Equal(t, ScopeName, rm.ScopeMetrics[0].Scope.Name)
	byName := map[string]metricdata.Metrics{}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		byName[m.Name] = m
	}
	sum := func(name string, attrs ...attribute.KeyValue) int64 {
		m, ok := byName[name]
		require.True(t, ok, name)
		var n int64
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			match := true
			for _, a := range attrs {
				v, ok := dp.Attributes.Value(a.Key)
				match = match && ok && v == a.Value
			}
			if match {
				n += dp.Value
			}
		}
		return n
	}
	assert.Equal(t, int64(4), sum(MetricSampled))
	assert.Equal(t, int64(2), sum(MetricRequests, attribute.String("shadow", "canary"), attribute.String("outcome", "ok")))
	assert.Equal(t, int64(1), sum(MetricRequests, attribute.String("outcome", "status_5xx")))
	assert.Equal(t, int64(1), sum(MetricDropped, attribute.String("reason", "body_too_large")))
	assert.Equal(t, int64(1), sum(MetricMismatches, attribute.String("kind", "status")))
	hist := byName[MetricDuration].Data.(metricdata.Histogram[float64])
	require.Len(t, hist.DataPoints, 1)
	assert.Equal(t, uint64(3), hist.DataPoints[0].Count)
	gauge := byName[MetricFraction].Data.(metricdata.Gauge[float64])
	require.Len(t, gauge.DataPoints, 1)
	assert.Equal(t, 0.3, gauge.DataPoints[0].Value)
	depth := byName[MetricQueueDepth].Data.(metricdata.Gauge[int64])
	require.Len(t, depth.DataPoints, 1)
	assert.Zero(t, depth.DataPoints[0].Value)
}

func TestNilOptionsKeepDefaults(t *testing.T) {
	tee := newTee(t, baseConfig("http://shadow.internal"), WithMeterProvider(nil), WithClock(nil), WithLogger(nil), nil)
	assert.NotNil(t, tee.now)
	assert.NotNil(t, tee.log)
	s, err := tee.Stats(context.Background())
	require.NoError(t, err)
	assert.False(t, s.At.IsZero(), "time.Now is the default clock")
}
