package transition_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/shadowscale/shadowscale/transition"
)

func collect(t *testing.T, reader *sdkmetric.ManualReader) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, "github.com/shadowscale/shadowscale/transition", sm.Scope.Name)
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

func TestStepsMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	healthy := true
	s, err := transition.NewSteps(transition.StepsConfig{
		Dwell:       time.Second,
		MaxFailures: 1,
		Health: func(context.Context, transition.HealthCheck) error {
			if healthy {
				return nil
			}
			return errors.New("down")
		},
	}, transition.WithMeterProvider(mp), transition.WithMeterProvider(nil))
	require.NoError(t, err)
	p := transition.Plan{From: 1, To: 2, Started: t0}
	ctx := context.Background()
	for i := range 3 {
		_, err := s.Advance(ctx, t0.Add(time.Duration(i)*time.Second), p)
		require.NoError(t, err)
	}
	got := collect(t, reader)
	weight := got["shadowscale.transition.weight"].(metricdata.Gauge[float64])
	require.Len(t, weight.DataPoints, 1)
	assert.Equal(t, 0.5, weight.DataPoints[0].Value)
	assert.Equal(t, int64(3), got["shadowscale.transition.steps"].(metricdata.Sum[int64]).DataPoints[0].Value)

	healthy = false
	_, err = s.Advance(ctx, t0.Add(3*time.Second), p)
	require.NoError(t, err)
	got = collect(t, reader)
	assert.Equal(t, 0.0, got["shadowscale.transition.weight"].(metricdata.Gauge[float64]).DataPoints[0].Value)
	assert.Equal(t, int64(1), got["shadowscale.transition.rollbacks"].(metricdata.Sum[int64]).DataPoints[0].Value)
	assert.Equal(t, int64(1), got["shadowscale.transition.health_failures"].(metricdata.Sum[int64]).DataPoints[0].Value)
	assert.Equal(t, int64(3), got["shadowscale.transition.steps"].(metricdata.Sum[int64]).DataPoints[0].Value)
}

func TestDrainMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		d, err := transition.NewHealthDrainer(transition.HealthDrainerConfig{
			Check: func(_ context.Context, c transition.DrainCheck) (bool, error) { return c.Attempt == 4, nil },
		}, transition.WithMeterProvider(mp))
		require.NoError(t, err)
		require.NoError(t, d.Drain(context.Background(), 2))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.ErrorIs(t, d.Drain(ctx, 1), context.Canceled)

		r := newRouter(t, transition.RouterConfig{}, transition.Backend{Name: "a", Handler: named("a"), Weight: 1})
		inflight, err := transition.NewInFlightDrainer(r, transition.InFlightDrainerConfig{}, transition.WithMeterProvider(mp))
		require.NoError(t, err)
		require.Error(t, inflight.Drain(context.Background(), 3))

		got := collect(t, reader)
		drains := got["shadowscale.transition.drains"].(metricdata.Sum[int64])
		byOutcome := map[string]int64{}
		for _, dp := range drains.DataPoints {
			drainer, _ := dp.Attributes.Value(attribute.Key("drainer"))
			outcome, _ := dp.Attributes.Value(attribute.Key("outcome"))
			byOutcome[drainer.AsString()+"/"+outcome.AsString()] = dp.Value
		}
		assert.Equal(t, map[string]int64{"health/drained": 1, "health/canceled": 1, "inflight/error": 1}, byOutcome)

		replicas := got["shadowscale.transition.drained_replicas"].(metricdata.Sum[int64])
		require.Len(t, replicas.DataPoints, 1)
		assert.Equal(t, int64(2), replicas.DataPoints[0].Value)

		hist := got["shadowscale.transition.drain.duration"].(metricdata.Histogram[float64])
		sums := map[string]float64{}
		for _, dp := range hist.DataPoints {
			outcome, _ := dp.Attributes.Value(attribute.Key("outcome"))
			sums[outcome.AsString()] = dp.Sum
		}
		assert.Equal(t, map[string]float64{"drained": 3, "canceled": 0, "error": 0}, sums,
			"the drained drain took three poll intervals of 1s")
	})
}
