package operator

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"go.opentelemetry.io/otel/metric"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/shadowscale/shadowscale/drivers/k8s"
	"github.com/shadowscale/shadowscale/drivers/prometheus"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/operator/api/v1alpha1"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
)

// ErrInvalidSpec reports a PredictiveScaler spec the operator refuses; the
// message names the field. The CRD's schema refuses most of these at the
// API server already.
var ErrInvalidSpec = errors.New("invalid spec")

// Defaults of the spec fields, as the CRD sets them.
const (
	defaultInterval = time.Minute
	defaultLeadTime = 10 * time.Minute
	defaultLookback = 5 * time.Minute // Prometheus's --query.lookback-delta
	defaultTarget   = 70
	defaultPeriod   = time.Minute
)

// settings is a validated spec in the Controller's terms.
type settings struct {
	kind         k8s.Kind
	target       string
	min, max     int
	metrics      []shadow.MetricTarget
	queries      map[shadow.Metric]string
	prometheus   string
	lookback     time.Duration
	scrapeTimes  bool
	interval     time.Duration
	leadTime     time.Duration
	periods      []int
	forecastOnly bool
	stabilize    policy.StabilizeConfig
	rate         policy.RateLimitConfig
	// floor is the reactive floor's HPA behavior (see floorRules).
	floor policy.HPAConfig
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidSpec, fmt.Sprintf(format, args...))
}

// parseSpec validates spec and converts it, with defaultProm as the
// Prometheus address when the spec names none. It applies the defaults
// the CRD applies, so that an object built in Go needs none of them.
func parseSpec(spec v1alpha1.PredictiveScalerSpec, defaultProm string) (settings, error) {
	var s settings
	ref := spec.ScaleTargetRef
	if ref.APIVersion != "" && ref.APIVersion != "apps/v1" {
		return s, invalid("scaleTargetRef.apiVersion %q: want apps/v1", ref.APIVersion)
	}
	k, err := k8s.ParseKind(ref.Kind)
	if err != nil || k.String() != ref.Kind {
		return s, invalid("scaleTargetRef.kind %q: want Deployment, StatefulSet or ReplicaSet", ref.Kind)
	}
	if ref.Name == "" {
		return s, invalid("scaleTargetRef.name: must not be empty")
	}
	s.kind, s.target = k, ref.Name
	s.min = 1
	if spec.MinReplicas != nil {
		s.min = int(*spec.MinReplicas)
	}
	s.max = int(spec.MaxReplicas)
	if s.min < 0 {
		return s, invalid("minReplicas %d: must not be negative", s.min)
	}
	if s.max < 1 {
		return s, invalid("maxReplicas %d: must be at least 1", s.max)
	}
	if s.max < s.min {
		return s, invalid("maxReplicas %d: must be at least minReplicas (%d)", s.max, s.min)
	}
	if n := len(spec.Metrics); n < 1 || n > 8 {
		return s, invalid("metrics: %d given, want 1 to 8", n)
	}
	s.queries = make(map[shadow.Metric]string, len(spec.Metrics))
	for i, m := range spec.Metrics {
		if m.Name == "" {
			return s, invalid("metrics[%d].name: must not be empty", i)
		}
		name := shadow.Metric(m.Name)
		if _, dup := s.queries[name]; dup {
			return s, invalid("metrics[%d].name %q: given twice", i, m.Name)
		}
		if m.Query == "" {
			return s, invalid("metrics[%d].query: must not be empty", i)
		}
		per := m.PerReplica.AsApproximateFloat64()
		if !(per > 0) || math.IsInf(per, 0) {
			return s, invalid("metrics[%d].perReplica %s: must be greater than 0", i, m.PerReplica.String())
		}
		t := m.TargetUtilization
		if t == 0 {
			t = defaultTarget
		}
		if t < 1 || t > 100 {
			return s, invalid("metrics[%d].targetUtilization %d: must be in [1, 100]", i, t)
		}
		s.queries[name] = m.Query
		s.metrics = append(s.metrics, shadow.MetricTarget{Metric: name, PerReplica: per, TargetUtilization: float64(t) / 100})
	}
	s.prometheus = defaultProm
	if spec.Prometheus != nil && spec.Prometheus.Address != "" {
		s.prometheus = spec.Prometheus.Address
	}
	if s.prometheus == "" {
		return s, invalid("prometheus.address: none given and the operator has no -prometheus default")
	}
	if err := checkURL(s.prometheus); err != nil {
		return s, invalid("prometheus.address %q: %v", s.prometheus, err)
	}
	s.lookback, s.scrapeTimes = defaultLookback, true
	if spec.Prometheus != nil {
		s.lookback = durationOr(spec.Prometheus.LookbackDelta, defaultLookback)
		if spec.Prometheus.ScrapeTimes != nil {
			s.scrapeTimes = *spec.Prometheus.ScrapeTimes
		}
	}
	if s.lookback <= 0 {
		return s, invalid("prometheus.lookbackDelta %s: must be positive", s.lookback)
	}
	s.interval = durationOr(spec.Interval, defaultInterval)
	if s.interval < time.Second {
		return s, invalid("interval %s: must be at least 1s", s.interval)
	}
	s.leadTime = durationOr(spec.LeadTime, defaultLeadTime)
	if s.leadTime < 0 {
		return s, invalid("leadTime %s: must not be negative", s.leadTime)
	}
	if spec.SeasonalPeriods == nil {
		s.periods = forecast.SeasonalPeriods(s.interval)
	} else if s.periods, err = periods(spec.SeasonalPeriods, s.interval); err != nil {
		return s, err
	}
	switch spec.Mode {
	case "", v1alpha1.ForecastOnly:
		s.forecastOnly = true
	case v1alpha1.ForecastAndScale:
	default:
		return s, invalid("mode %q: want ForecastOnly or ForecastAndScale", spec.Mode)
	}
	if b := spec.Behavior; b != nil {
		if s.stabilize.Up, s.rate.Up, err = rules(b.ScaleUp, "behavior.scaleUp"); err != nil {
			return s, err
		}
		if s.stabilize.Down, s.rate.Down, err = rules(b.ScaleDown, "behavior.scaleDown"); err != nil {
			return s, err
		}
		s.floor.ScaleUp = floorRules(b.ScaleUp)
		s.floor.ScaleDown = floorRules(b.ScaleDown)
	}
	return s, nil
}

// coreLeadTime is spec.leadTime as shadow.Config reads it: a zero
// leadTime (replicas serve as soon as they are asked for) is the Config's
// negative value, since its zero means the 10-minute default.
func coreLeadTime(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

func durationOr(d *metav1.Duration, def time.Duration) time.Duration {
	if d == nil {
		return def
	}
	return d.Duration
}

// periods converts seasonal periods to whole steps of interval.
func periods(ds []metav1.Duration, interval time.Duration) ([]int, error) {
	if len(ds) > 2 {
		return nil, invalid("seasonalPeriods: %d given, at most 2", len(ds))
	}
	out := make([]int, 0, len(ds))
	for i, d := range ds {
		if d.Duration <= 0 || d.Duration%interval != 0 || d.Duration/interval < 2 {
			return nil, invalid("seasonalPeriods[%d] %s: must be a whole number of at least 2 intervals of %s", i, d.Duration, interval)
		}
		n := int(d.Duration / interval)
		if i > 0 && n <= out[i-1] {
			return nil, invalid("seasonalPeriods[%d] %s: must be longer than seasonalPeriods[%d]", i, d.Duration, i-1)
		}
		out = append(out, n)
	}
	return out, nil
}

// rules converts one direction of the behavior.
func rules(r *v1alpha1.ScalingRules, field string) (time.Duration, policy.RateRules, error) {
	var rr policy.RateRules
	if r == nil {
		return 0, rr, nil
	}
	window := durationOr(r.StabilizationWindow, 0)
	if window < 0 {
		return 0, rr, invalid("%s.stabilizationWindow %s: must not be negative", field, window)
	}
	period := durationOr(r.Period, defaultPeriod)
	if period <= 0 {
		return 0, rr, invalid("%s.period %s: must be positive", field, period)
	}
	if p := r.MaxChangePercent; p != nil {
		if *p < 1 {
			return 0, rr, invalid("%s.maxChangePercent %d: must be at least 1", field, *p)
		}
		rr.Policies = append(rr.Policies, policy.ScalingPolicy{Kind: policy.Percent, Value: int(*p), Period: period})
	}
	if n := r.MaxChangeReplicas; n != nil {
		if *n < 1 {
			return 0, rr, invalid("%s.maxChangeReplicas %d: must be at least 1", field, *n)
		}
		rr.Policies = append(rr.Policies, policy.ScalingPolicy{Kind: policy.Pods, Value: int(*n), Period: period})
	}
	rr.Select = policy.SelectMax
	return window, rr, nil
}

// floorRules is one direction of the behavior, r (validated), as the
// reactive floor's HPA rules. What r leaves unset (r nil, no window, no
// limit) keeps the HPA's default there (a 5-minute window down, none up;
// 4 replicas or 100% per 15s up, 100% per 15s down); what it sets, the
// stabilization and rate limits around the whole stack apply, once, to
// the floor's asks too, so the floor has none of its own.
func floorRules(r *v1alpha1.ScalingRules) policy.HPARules {
	var out policy.HPARules
	if r == nil {
		return out
	}
	if r.StabilizationWindow != nil {
		out.StabilizationWindow = -1
	}
	if r.MaxChangePercent != nil || r.MaxChangeReplicas != nil {
		out.RateRules = policy.RateRules{Select: policy.SelectMax, Policies: []policy.ScalingPolicy{unlimited}}
	}
	return out
}

// unlimited is a rate policy no sync reaches (see policy.HPARules).
var unlimited = policy.ScalingPolicy{Kind: policy.Percent, Value: math.MaxInt32, Period: time.Second}

// buildPolicy is the predictive stack of examples/kubernetes (the
// reactive HPA rule as its floor and fallback, see floorRules), inside
// the behavior's stabilization and rate limits. It returns the level the
// Controller reads forecast intervals at: the one whose upper bound is
// the quantile the stack provisions for.
func buildPolicy(s settings) (policy.Policy, float64, error) {
	pcfg := policy.DefaultPredictiveConfig()
	floor, err := policy.NewHPA(s.floor)
	if err != nil {
		return nil, 0, fmt.Errorf("behavior: %w", err)
	}
	pcfg.Reactive = floor
	pol, err := policy.Predictive(pcfg)
	if err != nil {
		return nil, 0, fmt.Errorf("policy: %w", err)
	}
	if s.stabilize != (policy.StabilizeConfig{}) {
		if pol, err = policy.Stabilize(pol, s.stabilize); err != nil {
			return nil, 0, fmt.Errorf("behavior: %w", err)
		}
	}
	if len(s.rate.Up.Policies) > 0 || len(s.rate.Down.Policies) > 0 {
		if pol, err = policy.RateLimit(pol, s.rate); err != nil {
			return nil, 0, fmt.Errorf("behavior: %w", err)
		}
	}
	return pol, 2*pcfg.Quantile - 1, nil
}

// builder makes the Controller of a PredictiveScaler.
type builder struct {
	kube       kubernetes.Interface
	prometheus string // default address
	meters     metric.MeterProvider
	log        *slog.Logger

	mu      sync.Mutex
	clients map[string]prometheus.QueryAPI // by address
}

// promAPI returns the client of the Prometheus at address, made once.
func (b *builder) promAPI(address string) (prometheus.QueryAPI, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.clients[address]; ok {
		return c, nil
	}
	c, err := api.NewClient(api.Config{Address: address})
	if err != nil {
		return nil, fmt.Errorf("prometheus client %q: %w", address, err)
	}
	if b.clients == nil {
		b.clients = map[string]prometheus.QueryAPI{}
	}
	q := promv1.NewAPI(c)
	b.clients[address] = q
	return q, nil
}

// built is a PredictiveScaler's Controller and what its passes need.
type built struct {
	ctrl     *shadow.Controller
	settings settings
	workload *k8s.Workload
	// passes starts each pass of the object's log (see passLog).
	passes *passLogState
}

// build validates obj's spec and wires its Controller: a drivers/prometheus
// source with one query per metric (also the history backfill), a
// seasonal forecaster per metric, the predictive policy stack, the
// workload through drivers/k8s, and a ConfigMap state store owned by obj.
func (b *builder) build(obj *v1alpha1.PredictiveScaler) (*built, error) {
	s, err := parseSpec(obj.Spec, b.prometheus)
	if err != nil {
		return nil, err
	}
	w, err := k8s.NewWorkload(b.kube, k8s.Config{Namespace: obj.Namespace, Name: s.target, Kind: s.kind})
	if err != nil {
		return nil, invalid("scaleTargetRef: %v", err)
	}
	q, err := b.promAPI(s.prometheus)
	if err != nil {
		return nil, err
	}
	pl := newPassLog(b.log.Handler())
	log := slog.New(pl).With("predictivescaler", obj.Namespace+"/"+obj.Name)
	src, err := prometheus.NewSource(q, prometheus.Config{
		Queries:     s.queries,
		ScrapeTimes: s.scrapeTimes,
		OnWarnings: func(w prometheus.Warnings) {
			log.Warn("prometheus warnings", "metric", string(w.Metric), "query", w.Query, "warnings", w.Messages)
		},
	})
	if err != nil {
		return nil, invalid("metrics: %v", err)
	}
	fcs := make([]forecast.Forecaster, len(s.metrics))
	for i := range s.metrics {
		if fcs[i], err = forecast.NewAuto(forecast.AutoConfig{Step: s.interval, Periods: s.periods}); err != nil {
			return nil, invalid("seasonalPeriods: %v", err)
		}
	}
	pol, level, err := buildPolicy(s)
	if err != nil {
		return nil, invalid("%v", err)
	}
	store, err := NewConfigMapStore(b.kube, obj.Namespace, StateConfigMapName(obj.Name), ownerRef(obj))
	if err != nil {
		return nil, err
	}
	first := s.metrics[0]
	opts := []shadow.Option{
		shadow.WithLogger(log),
		shadow.WithStateStore(store, obj.Namespace+"/"+obj.Name),
	}
	if b.meters != nil {
		opts = append(opts, shadow.WithMeterProvider(scopedMeters(b.meters, obj.Namespace, obj.Name)))
	}
	for i, m := range s.metrics[1:] {
		opts = append(opts, shadow.WithMetric(m, fcs[i+1]))
	}
	ctrl, err := shadow.New(shadow.Config{
		Interval:          s.interval,
		LeadTime:          coreLeadTime(s.leadTime),
		Metric:            first.Metric,
		PerReplica:        first.PerReplica,
		TargetUtilization: first.TargetUtilization,
		MinReplicas:       s.min,
		MaxReplicas:       s.max,
		ForecastOnly:      s.forecastOnly,
		Level:             level,
		SourceLookback:    s.lookback,
	}, shadow.Deps{Source: src, Forecaster: fcs[0], Policy: pol, Production: w}, opts...)
	if err != nil {
		return nil, invalid("%v", err)
	}
	return &built{ctrl: ctrl, settings: s, workload: w, passes: pl.st}, nil
}

// ownerRef makes obj the owner of what the operator creates for it.
func ownerRef(obj *v1alpha1.PredictiveScaler) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion: v1alpha1.GroupVersion.String(),
		Kind:       "PredictiveScaler",
		Name:       obj.Name,
		UID:        obj.UID,
	}
}
