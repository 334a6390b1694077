package operator

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/shadowscale/shadowscale/drivers/k8s"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/operator/api/v1alpha1"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
)

func minimalSpec() v1alpha1.PredictiveScalerSpec {
	return v1alpha1.PredictiveScalerSpec{
		ScaleTargetRef: v1alpha1.ScaleTargetRef{Kind: "Deployment", Name: "web"},
		MaxReplicas:    10,
		Metrics: []v1alpha1.MetricSpec{{
			Name: "request_rate", Query: "sum(rate(http_requests_total[1m]))",
			PerReplica: resource.MustParse("50"),
		}},
	}
}

func TestParseSpecDefaults(t *testing.T) {
	s, err := parseSpec(minimalSpec(), "http://prom:9090")
	require.NoError(t, err)
	assert.Equal(t, k8s.Deployment, s.kind)
	assert.Equal(t, "web", s.target)
	assert.Equal(t, 1, s.min)
	assert.Equal(t, 10, s.max)
	assert.Equal(t, time.Minute, s.interval)
	assert.Equal(t, 10*time.Minute, s.leadTime)
	assert.Equal(t, forecast.SeasonalPeriods(time.Minute), s.periods)
	assert.True(t, s.forecastOnly, "ForecastOnly is the default mode")
	assert.Equal(t, "http://prom:9090", s.prometheus)
	assert.Equal(t, 5*time.Minute, s.lookback, "Prometheus's lookback delta")
	assert.True(t, s.scrapeTimes, "scrape times asked by default")
	assert.Equal(t, []shadow.MetricTarget{{Metric: "request_rate", PerReplica: 50, TargetUtilization: 0.7}}, s.metrics)
	assert.Equal(t, map[shadow.Metric]string{"request_rate": "sum(rate(http_requests_total[1m]))"}, s.queries)
	assert.Zero(t, s.stabilize)
	assert.Empty(t, s.rate.Up.Policies)
}

// TestParseSpecScaleToZero: minReplicas 0 is the Controller's MinReplicas 0.
func TestParseSpecScaleToZero(t *testing.T) {
	spec := minimalSpec()
	spec.MinReplicas = ptr.To[int32](0)
	s, err := parseSpec(spec, "http://prom:9090")
	require.NoError(t, err)
	assert.Equal(t, 0, s.min)
	assert.Equal(t, 10, s.max)
}

func TestParseSpecFull(t *testing.T) {
	spec := minimalSpec()
	spec.ScaleTargetRef = v1alpha1.ScaleTargetRef{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "db"}
	spec.MinReplicas = ptr.To[int32](3)
	spec.Metrics = append(spec.Metrics, v1alpha1.MetricSpec{Name: "cpu", Query: "sum(cpu)", PerReplica: resource.MustParse("500m"), TargetUtilization: 60})
	spec.Prometheus = &v1alpha1.PrometheusSpec{Address: "https://thanos:10902", LookbackDelta: &metav1.Duration{Duration: 10 * time.Minute}, ScrapeTimes: ptr.To(false)}
	spec.Interval = &metav1.Duration{Duration: 2 * time.Second}
	spec.LeadTime = &metav1.Duration{Duration: 30 * time.Second}
	spec.SeasonalPeriods = []metav1.Duration{{Duration: 2 * time.Minute}, {Duration: 10 * time.Minute}}
	spec.Mode = v1alpha1.ForecastAndScale
	spec.Behavior = &v1alpha1.Behavior{
		ScaleUp:   &v1alpha1.ScalingRules{MaxChangePercent: ptr.To[int32](100), MaxChangeReplicas: ptr.To[int32](4), Period: &metav1.Duration{Duration: 15 * time.Second}},
		ScaleDown: &v1alpha1.ScalingRules{StabilizationWindow: &metav1.Duration{Duration: 5 * time.Minute}, MaxChangePercent: ptr.To[int32](10)},
	}
	s, err := parseSpec(spec, "")
	require.NoError(t, err)
	assert.Equal(t, k8s.StatefulSet, s.kind)
	assert.Equal(t, 3, s.min)
	assert.Equal(t, "https://thanos:10902", s.prometheus)
	assert.Equal(t, 10*time.Minute, s.lookback)
	assert.False(t, s.scrapeTimes)
	assert.Equal(t, []int{60, 300}, s.periods, "periods in steps of the 2s interval")
	assert.False(t, s.forecastOnly)
	assert.Equal(t, shadow.MetricTarget{Metric: "cpu", PerReplica: 0.5, TargetUtilization: 0.6}, s.metrics[1])
	assert.Equal(t, policy.StabilizeConfig{Down: 5 * time.Minute}, s.stabilize)
	assert.Equal(t, policy.RateRules{Select: policy.SelectMax, Policies: []policy.ScalingPolicy{
		{Kind: policy.Percent, Value: 100, Period: 15 * time.Second},
		{Kind: policy.Pods, Value: 4, Period: 15 * time.Second},
	}}, s.rate.Up)
	assert.Equal(t, []policy.ScalingPolicy{{Kind: policy.Percent, Value: 10, Period: time.Minute}}, s.rate.Down.Policies,
		"period defaults to 1m")
	// What the behavior sets applies to the floor's asks from outside:
	// the floor keeps its own defaults only where the behavior is silent
	// (scaleUp's window).
	unlimited := policy.RateRules{Select: policy.SelectMax, Policies: []policy.ScalingPolicy{{Kind: policy.Percent, Value: math.MaxInt32, Period: time.Second}}}
	assert.Equal(t, policy.HPARules{RateRules: unlimited}, s.floor.ScaleUp)
	assert.Equal(t, policy.HPARules{StabilizationWindow: -1, RateRules: unlimited}, s.floor.ScaleDown)
	pol, level, err := buildPolicy(s)
	require.NoError(t, err)
	assert.NotNil(t, pol)
	assert.InDelta(t, 2*policy.DefaultPredictiveConfig().Quantile-1, level, 1e-12)
}

// TestBuildPolicyFloorBehavior: the reactive floor, which decides while
// the forecast is not trusted, scales down as behavior.scaleDown says,
// once. By default (no behavior, or scaleDown without a window) it keeps
// the HPA's 5-minute stabilization: a load gone to zero is followed after
// five minutes; with stabilizationWindow 0s at the next pass, with 2m
// after two minutes. Before, the floor kept its 5 minutes whatever the
// behavior (and a window of 2m would have held for five).
func TestBuildPolicyFloorBehavior(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		scaleDown *v1alpha1.ScalingRules
		zeroAfter time.Duration // first pass at zero replicas, from the load's drop
	}{
		{"no behavior", nil, 5 * time.Minute},
		{"scaleDown without a window", &v1alpha1.ScalingRules{MaxChangePercent: ptr.To[int32](100)}, 5 * time.Minute},
		{"window 0s", &v1alpha1.ScalingRules{StabilizationWindow: &metav1.Duration{}}, time.Minute},
		{"window 2m", &v1alpha1.ScalingRules{StabilizationWindow: &metav1.Duration{Duration: 2 * time.Minute}}, 2 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := minimalSpec()
			spec.MinReplicas = ptr.To[int32](0)
			if tc.scaleDown != nil {
				spec.Behavior = &v1alpha1.Behavior{ScaleDown: tc.scaleDown}
			}
			s, err := parseSpec(spec, "http://prom:9090")
			require.NoError(t, err)
			pol, _, err := buildPolicy(s)
			require.NoError(t, err)
			in := policy.Input{Min: 0, Max: s.max, PerReplica: 50, TargetUtilization: 0.7, LoadValid: true}
			current := 6
			// Ten minutes at 200 req/s (6 replicas at 70%), then none.
			var at time.Duration
			for i := 0; i <= 30; i++ {
				in.Now, in.Current, in.Ready, in.Load = t0.Add(time.Duration(i)*time.Minute), current, current, 200
				if i > 10 {
					in.Load = 0
				}
				d, err := pol.Decide(in)
				require.NoError(t, err)
				current = d.Target
				if i > 10 && current == 0 && at == 0 {
					at = time.Duration(i-10) * time.Minute
				}
			}
			assert.Equal(t, tc.zeroAfter, at, "zero replicas this long after the load dropped to zero")
		})
	}
}

func TestParseSpecRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*v1alpha1.PredictiveScalerSpec)
		want   string
	}{
		{"kind", func(s *v1alpha1.PredictiveScalerSpec) { s.ScaleTargetRef.Kind = "DaemonSet" }, `scaleTargetRef.kind "DaemonSet"`},
		{"lower-case kind", func(s *v1alpha1.PredictiveScalerSpec) { s.ScaleTargetRef.Kind = "deployment" }, `scaleTargetRef.kind "deployment"`},
		{"apiVersion", func(s *v1alpha1.PredictiveScalerSpec) { s.ScaleTargetRef.APIVersion = "extensions/v1beta1" }, "scaleTargetRef.apiVersion"},
		{"name", func(s *v1alpha1.PredictiveScalerSpec) { s.ScaleTargetRef.Name = "" }, "scaleTargetRef.name"},
		{"negative min", func(s *v1alpha1.PredictiveScalerSpec) { s.MinReplicas = ptr.To[int32](-1) }, "minReplicas -1: must not be negative"},
		{"zero max", func(s *v1alpha1.PredictiveScalerSpec) { s.MinReplicas, s.MaxReplicas = ptr.To[int32](0), 0 }, "maxReplicas 0: must be at least 1"},
		{"min above max", func(s *v1alpha1.PredictiveScalerSpec) { s.MinReplicas = ptr.To[int32](11) }, "maxReplicas 10: must be at least minReplicas (11)"},
		{"no metrics", func(s *v1alpha1.PredictiveScalerSpec) { s.Metrics = nil }, "metrics: 0 given"},
		{"metric twice", func(s *v1alpha1.PredictiveScalerSpec) { s.Metrics = append(s.Metrics, s.Metrics[0]) }, `metrics[1].name "request_rate": given twice`},
		{"empty query", func(s *v1alpha1.PredictiveScalerSpec) { s.Metrics[0].Query = "" }, "metrics[0].query"},
		{"zero perReplica", func(s *v1alpha1.PredictiveScalerSpec) { s.Metrics[0].PerReplica = resource.MustParse("0") }, "metrics[0].perReplica 0"},
		{"negative perReplica", func(s *v1alpha1.PredictiveScalerSpec) { s.Metrics[0].PerReplica = resource.MustParse("-5") }, "metrics[0].perReplica -5"},
		{"target", func(s *v1alpha1.PredictiveScalerSpec) { s.Metrics[0].TargetUtilization = 101 }, "metrics[0].targetUtilization 101"},
		{"no prometheus", func(s *v1alpha1.PredictiveScalerSpec) {}, "prometheus.address: none given"},
		{"bad prometheus", func(s *v1alpha1.PredictiveScalerSpec) {
			s.Prometheus = &v1alpha1.PrometheusSpec{Address: "prom:9090"}
		}, `prometheus.address "prom:9090"`},
		{"lookback", func(s *v1alpha1.PredictiveScalerSpec) {
			s.Prometheus = &v1alpha1.PrometheusSpec{LookbackDelta: &metav1.Duration{Duration: 0}}
		}, "prometheus.lookbackDelta 0s"},
		{"interval", func(s *v1alpha1.PredictiveScalerSpec) {
			s.Interval = &metav1.Duration{Duration: 500 * time.Millisecond}
		}, "interval 500ms"},
		{"lead time", func(s *v1alpha1.PredictiveScalerSpec) { s.LeadTime = &metav1.Duration{Duration: -time.Second} }, "leadTime -1s"},
		{"period not whole", func(s *v1alpha1.PredictiveScalerSpec) {
			s.SeasonalPeriods = []metav1.Duration{{Duration: 90 * time.Second}}
		}, "seasonalPeriods[0] 1m30s"},
		{"periods not increasing", func(s *v1alpha1.PredictiveScalerSpec) {
			s.SeasonalPeriods = []metav1.Duration{{Duration: time.Hour}, {Duration: time.Hour}}
		}, "seasonalPeriods[1] 1h0m0s: must be longer"},
		{"mode", func(s *v1alpha1.PredictiveScalerSpec) { s.Mode = "Scale" }, `mode "Scale"`},
		{"percent", func(s *v1alpha1.PredictiveScalerSpec) {
			s.Behavior = &v1alpha1.Behavior{ScaleUp: &v1alpha1.ScalingRules{MaxChangePercent: ptr.To[int32](0)}}
		}, "behavior.scaleUp.maxChangePercent 0"},
		{"window", func(s *v1alpha1.PredictiveScalerSpec) {
			s.Behavior = &v1alpha1.Behavior{ScaleDown: &v1alpha1.ScalingRules{StabilizationWindow: &metav1.Duration{Duration: -time.Second}}}
		}, "behavior.scaleDown.stabilizationWindow -1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := minimalSpec()
			tc.mutate(&spec)
			prom := "http://prom:9090"
			if tc.name == "no prometheus" {
				prom = ""
			}
			_, err := parseSpec(spec, prom)
			require.ErrorIs(t, err, ErrInvalidSpec)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestBuildWiresTheController(t *testing.T) {
	b := &builder{kube: fake.NewClientset(), prometheus: "http://prom:9090", log: quietLog()}
	obj := &v1alpha1.PredictiveScaler{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", UID: "u1"}, Spec: minimalSpec()}
	obj.Spec.Metrics = append(obj.Spec.Metrics, v1alpha1.MetricSpec{Name: "cpu", Query: "q", PerReplica: resource.MustParse("2")})
	got, err := b.build(obj)
	require.NoError(t, err)
	cfg := got.ctrl.Config()
	assert.True(t, cfg.ForecastOnly)
	assert.Equal(t, shadow.Metric("request_rate"), cfg.Metric)
	assert.Equal(t, 50.0, cfg.PerReplica)
	assert.Equal(t, 1, cfg.MinReplicas)
	assert.Equal(t, 10, cfg.MaxReplicas)
	assert.Equal(t, k8s.Config{Namespace: "shop", Name: "web", Kind: k8s.Deployment}, got.workload.Config())

	assert.Equal(t, 10*time.Minute, cfg.LeadTime, "the default")

	// leadTime 0s: replicas serve at once, not the 10-minute default.
	zero := obj.DeepCopy()
	zero.Spec.LeadTime = &metav1.Duration{}
	got0, err := b.build(zero)
	require.NoError(t, err)
	assert.Zero(t, got0.ctrl.Config().LeadTime, "none")
	assert.Zero(t, got0.ctrl.LeadTime())

	again, err := b.promAPI("http://prom:9090")
	require.NoError(t, err)
	first, _ := b.promAPI("http://prom:9090")
	assert.Same(t, first, again, "one client per Prometheus")

	obj.Spec.Mode = "bogus"
	_, err = b.build(obj)
	assert.ErrorIs(t, err, ErrInvalidSpec)
}
