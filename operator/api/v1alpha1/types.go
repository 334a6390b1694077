package v1alpha1

import (
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Mode says whether a PredictiveScaler only forecasts or also scales.
// +kubebuilder:validation:Enum=ForecastOnly;ForecastAndScale
type Mode string

// Modes.
const (
	// ForecastOnly observes, forecasts and decides every pass exactly as
	// a scaling PredictiveScaler would, and reports it in the status, but
	// never changes the workload (AWS predictive scaling's ForecastOnly).
	ForecastOnly Mode = "ForecastOnly"
	// ForecastAndScale also scales the workload to the decided replicas.
	ForecastAndScale Mode = "ForecastAndScale"
)

// Workload kinds a PredictiveScaler scales.
const (
	KindDeployment  = "Deployment"
	KindStatefulSet = "StatefulSet"
	KindReplicaSet  = "ReplicaSet"
)

// Condition types and reasons the operator sets besides the Controller's
// own (AbleToScale, ScalingActive, ScalingLimited, ForecastTrusted,
// ShadowSignal, Held, with the reason codes of package shadow).
const (
	// ConditionReady is True while a Controller runs passes for the
	// object; False with ReasonInvalidSpec or ReasonSetupFailed when it
	// cannot.
	ConditionReady = "Ready"
	// ReasonRunning: the Controller runs.
	ReasonRunning = "Running"
	// ReasonInvalidSpec: the spec is refused; the message names the field.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonSetupFailed: the Controller could not be built.
	ReasonSetupFailed = "SetupFailed"
	// ReasonHPAConflict (on AbleToScale=False): a HorizontalPodAutoscaler
	// targets the same workload, and the operator refuses to scale it.
	ReasonHPAConflict = "HPAConflict"
)

// ScaleTargetRef names the workload to scale, in the PredictiveScaler's
// namespace.
type ScaleTargetRef struct {
	// APIVersion of the workload.
	// +kubebuilder:validation:Enum=apps/v1
	// +kubebuilder:default="apps/v1"
	// +optional
	APIVersion string `json:"apiVersion,omitempty"`
	// Kind of the workload.
	// +kubebuilder:validation:Enum=Deployment;StatefulSet;ReplicaSet
	Kind string `json:"kind"`
	// Name of the workload.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// MetricSpec is one load signal: a PromQL query, the load one replica
// serves at 100% utilization and the utilization to aim for. The
// PredictiveScaler provisions for the metric that needs the most replicas.
// +kubebuilder:validation:XValidation:rule="quantity(string(self.perReplica)).isGreaterThan(quantity('0'))",message="perReplica must be greater than 0"
type MetricSpec struct {
	// Name of the metric (lower-case letters, digits and underscores), unique in the list.
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9_]*$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// Query is a PromQL query that yields one series: aggregate with
	// sum(), avg() or max().
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Query string `json:"query"`
	// PerReplica is the query's value one replica serves at 100%
	// utilization, in the query's unit; it must be greater than 0.
	PerReplica resource.Quantity `json:"perReplica"`
	// TargetUtilization is the utilization to aim for, in percent.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +kubebuilder:default=70
	// +optional
	TargetUtilization int32 `json:"targetUtilization,omitempty"`
}

// PrometheusSpec says where the metrics' queries run.
type PrometheusSpec struct {
	// Address is the base URL of the Prometheus HTTP API (or Thanos,
	// Mimir, VictoriaMetrics). Empty uses the operator's -prometheus flag.
	// +kubebuilder:validation:Pattern=`^https?://.+`
	// +optional
	Address string `json:"address,omitempty"`
	// LookbackDelta is the server's --query.lookback-delta: how long it
	// serves a sample again when the next scrapes are missing. A sample
	// more than ten times the recent load that the server serves again
	// within it is not taken for a step change
	// (shadow.Config.SourceLookback).
	// Default 5m, Prometheus's default.
	// +kubebuilder:default="5m"
	// +optional
	LookbackDelta *metav1.Duration `json:"lookbackDelta,omitempty"`
	// ScrapeTimes also asks timestamp(query) for each metric, so that a
	// sample the server serves again (its scrape missing) is told from a
	// new reading of the same value whatever its size, not only above
	// ten times the load (prometheus.Config.ScrapeTimes): one more query
	// per metric and pass. For a query that computes its value (a rate, a
	// sum) the timestamp is the evaluation time, which tells nothing
	// apart: the metric is read without one (a warning in the log, once).
	// Default true.
	// +kubebuilder:default=true
	// +optional
	ScrapeTimes *bool `json:"scrapeTimes,omitempty"`
}

// ScalingRules bound the changes in one direction.
type ScalingRules struct {
	// StabilizationWindow: a scale-up goes no higher than the lowest
	// target asked for within the window (scaleUp), a scale-down no lower
	// than the highest (scaleDown). Zero or unset disables it for the
	// decisions; unset keeps the reactive floor's default (see Behavior).
	// +optional
	StabilizationWindow *metav1.Duration `json:"stabilizationWindow,omitempty"`
	// MaxChangePercent limits the change within Period to this percentage
	// of the replicas at the start of the period.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	// +optional
	MaxChangePercent *int32 `json:"maxChangePercent,omitempty"`
	// MaxChangeReplicas limits the change within Period to this many
	// replicas. With MaxChangePercent as well, the limit that allows the
	// larger change applies (the HPA's selectPolicy Max).
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxChangeReplicas *int32 `json:"maxChangeReplicas,omitempty"`
	// Period is the sliding window of the change limits. Default 1m.
	// +optional
	Period *metav1.Duration `json:"period,omitempty"`
}

// Behavior configures stabilization and rate limits of scaling, like the
// HorizontalPodAutoscaler's behavior. The rules bound every decision,
// those of the reactive floor (the HPA rule the decisions never go below,
// and the fallback while the forecast is not trusted) among them, once.
// What they leave unset keeps the floor's HPA defaults, a 5-minute
// scale-down stabilization among them; scaleDown stabilizationWindow 0s
// releases replicas as soon as the forecast and the load allow.
type Behavior struct {
	// ScaleUp bounds scale-ups.
	// +optional
	ScaleUp *ScalingRules `json:"scaleUp,omitempty"`
	// ScaleDown bounds scale-downs.
	// +optional
	ScaleDown *ScalingRules `json:"scaleDown,omitempty"`
}

// PredictiveScalerSpec is the desired behavior of a PredictiveScaler.
// +kubebuilder:validation:XValidation:rule="!has(self.minReplicas) || self.minReplicas <= self.maxReplicas",message="minReplicas must be less than or equal to maxReplicas"
// +kubebuilder:validation:XValidation:rule="!has(self.interval) || duration(self.interval) >= duration('1s')",message="interval must be at least 1s"
// +kubebuilder:validation:XValidation:rule="!has(self.leadTime) || duration(self.leadTime) >= duration('0s')",message="leadTime must not be negative"
// +kubebuilder:validation:XValidation:rule="!has(self.seasonalPeriods) || self.seasonalPeriods.all(p, duration(p) > duration('0s'))",message="seasonalPeriods must be positive durations"
type PredictiveScalerSpec struct {
	// ScaleTargetRef names the workload to scale.
	ScaleTargetRef ScaleTargetRef `json:"scaleTargetRef"`
	// MinReplicas is the fewest replicas. Default 1. 0 lets the workload
	// scale to zero while the load is zero; the queries must then give
	// the load without any replica of the workload running (measured at
	// an ingress, a load balancer or a queue): a query whose series go
	// with the replicas returns no data at zero, a missing sample, and
	// the passes hold the workload there (ScalingActive=False,
	// MetricsUnavailable).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:default=1
	// +optional
	MinReplicas *int32 `json:"minReplicas,omitempty"`
	// MaxReplicas is the most replicas; at least minReplicas.
	// +kubebuilder:validation:Minimum=1
	MaxReplicas int32 `json:"maxReplicas"`
	// Metrics are the load signals, at least one; the first is the one
	// the forecast peak in the status is given in.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=8
	// +listType=map
	// +listMapKey=name
	Metrics []MetricSpec `json:"metrics"`
	// Prometheus is where the queries run; default the operator's
	// -prometheus flag.
	// +optional
	Prometheus *PrometheusSpec `json:"prometheus,omitempty"`
	// Interval is the time between passes and the step of the load
	// history. At least 1s; default 1m.
	// +kubebuilder:default="1m"
	// +optional
	Interval *metav1.Duration `json:"interval,omitempty"`
	// LeadTime is how long a new replica takes to serve, the forecast
	// horizon. It is the starting point; the operator learns the real
	// value from the workload. Default 10m; 0s: replicas serve as soon as
	// they are asked for.
	// +kubebuilder:default="10m"
	// +optional
	LeadTime *metav1.Duration `json:"leadTime,omitempty"`
	// SeasonalPeriods are the cycles the forecaster looks for, at most
	// two, shortest first, each a whole number of at least 2 intervals.
	// Default: a day and a week when the interval divides a day; a week
	// of more than 2016 intervals (an interval under 5m) is modeled as a
	// smooth weekly profile outside the forecaster's window.
	// +kubebuilder:validation:MaxItems=2
	// +optional
	SeasonalPeriods []metav1.Duration `json:"seasonalPeriods,omitempty"`
	// Mode is ForecastOnly (the default: decide and report, never scale)
	// or ForecastAndScale.
	// +kubebuilder:default=ForecastOnly
	// +optional
	Mode Mode `json:"mode,omitempty"`
	// Behavior bounds scaling: stabilization windows and rate limits.
	// +optional
	Behavior *Behavior `json:"behavior,omitempty"`
}

// MetricStatus is the last value of one metric.
type MetricStatus struct {
	// Name of the metric.
	Name string `json:"name"`
	// Current is the value the last pass read.
	Current string `json:"current"`
}

// PredictiveScalerStatus is the observed state of a PredictiveScaler.
type PredictiveScalerStatus struct {
	// ObservedGeneration is the spec generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// CurrentReplicas is the workload's replicas (spec.replicas) at the
	// last pass.
	// +optional
	CurrentReplicas int32 `json:"currentReplicas,omitempty"`
	// ReadyReplicas is the workload's ready replicas at the last pass,
	// surge pods of a rollout not counted.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`
	// DesiredReplicas is the replicas the last pass decided.
	// +optional
	DesiredReplicas int32 `json:"desiredReplicas,omitempty"`
	// ForecastPeak is the peak of the forecast load over the lead time,
	// in the unit of the first metric (empty while there is no forecast).
	// +optional
	ForecastPeak string `json:"forecastPeak,omitempty"`
	// ForecastUpper is the upper bound on the peak load over the lead
	// time that the policy provisions for: the forecaster's bound on the
	// peak when it gives one, else the forecast interval's upper bound at
	// the peak.
	// +optional
	ForecastUpper string `json:"forecastUpper,omitempty"`
	// Model names the forecasting model that made the forecast.
	// +optional
	Model string `json:"model,omitempty"`
	// HeldZeros is how many steps of zeros of the first metric the
	// forecaster holds back as a possible monitoring outage (its forecasts
	// continue from the last load it saw); absent when none.
	// +optional
	HeldZeros int32 `json:"heldZeros,omitempty"`
	// LeadTime is the provisioning lead time in use: spec.leadTime at
	// first, then as the operator learns it from the workload.
	// +optional
	LeadTime *metav1.Duration `json:"leadTime,omitempty"`
	// Metrics are the values of every metric at the last pass.
	// +optional
	// +listType=map
	// +listMapKey=name
	Metrics []MetricStatus `json:"metrics,omitempty"`
	// LastScaleTime is when the operator last scaled the workload.
	// +optional
	LastScaleTime *metav1.Time `json:"lastScaleTime,omitempty"`
	// LastPassTime is the time of the last pass.
	// +optional
	LastPassTime *metav1.Time `json:"lastPassTime,omitempty"`
	// Conditions: Ready, and the Controller's AbleToScale, ScalingActive,
	// ScalingLimited, ForecastTrusted, ShadowSignal and Held, each with a
	// reason code.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// PredictiveScaler scales one workload ahead of its forecast load.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=pscaler,categories=shadowscale
// +kubebuilder:printcolumn:name="Mode",type=string,JSONPath=`.spec.mode`
// +kubebuilder:printcolumn:name="Current",type=integer,JSONPath=`.status.currentReplicas`
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.status.desiredReplicas`
// +kubebuilder:printcolumn:name="ForecastPeak",type=string,JSONPath=`.status.forecastPeak`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type PredictiveScaler struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired behavior.
	Spec PredictiveScalerSpec `json:"spec"`
	// Status is the observed state, written by the operator.
	// +optional
	Status PredictiveScalerStatus `json:"status,omitempty"`
}

// PredictiveScalerList is a list of PredictiveScalers.
// +kubebuilder:object:root=true
type PredictiveScalerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the PredictiveScalers.
	Items []PredictiveScaler `json:"items"`
}
