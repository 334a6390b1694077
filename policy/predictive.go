package policy

import (
	"fmt"
	"time"

	"github.com/shadowscale/shadowscale/internal/defaults"

	"github.com/shadowscale/shadowscale/internal/enum"
)

// Rule selects the forecast rule at the heart of Predictive.
type Rule int

// Rules.
const (
	// RuleThreshold is the Threshold reference rule on the Quantile of the
	// forecast (Headroom): capacity follows the lead-window peak step by
	// step. It is the default: on the six evaluation traces it holds the
	// least capacity for its under-provisioning when capacity is counted
	// on ready replicas.
	RuleThreshold Rule = iota
	// RulePlanner is the Planner: it plans over the lead window and beyond
	// the way a bill counts capacity, with headroom from the forecast's
	// interval. It starts a fraction of Threshold's replicas; see the
	// README's results for where each rule wins.
	RulePlanner
)

// String returns the rule's name.
func (r Rule) String() string {
	return enum.Name(r, "rule", ruleNames)
}

var ruleNames = []string{RulePlanner: "planner", RuleThreshold: "threshold"}

// PredictiveConfig configures Predictive. The zero value of each field
// selects the default documented on it, so PredictiveConfig{} is
// DefaultPredictiveConfig(); where zero itself is a useful setting, a
// negative value selects it.
type PredictiveConfig struct {
	// Rule selects the forecast rule. Default RuleThreshold.
	Rule Rule
	// Planner configures RulePlanner. Default DefaultPlannerConfig; its
	// Quantile and Shadow default to the Quantile and Threshold fields
	// below.
	Planner PlannerConfig
	// Threshold configures the shadow rule of both rules and, with
	// RuleThreshold, the forecast rules. Default: DefaultThresholdConfig
	// with RelativeToTarget, CapacityThreshold 1 and DownscaleThreshold 0.95:
	// scale up as soon as the predicted peak needs more replicas at the
	// target utilization, scale down once it needs 5% less. The scale-in
	// band is narrow because the lead-window peak, the reactive floor and
	// NoScaleInOnForecast already keep the capacity the next lead time
	// needs; a wider band only holds capacity nobody uses. A shadow breach
	// is held for 15 minutes (ShadowHold). A Threshold with any field set
	// takes ThresholdConfig's defaults for the others.
	Threshold ThresholdConfig
	// Quantile is the forecast quantile provisioned for: by the Planner at
	// its MaxUtilization, by Threshold at the target (Headroom). Default
	// DefaultQuantile (P90); 0.5 provisions for the mean.
	Quantile float64
	// Reactive is the reactive floor and the fallback while the forecast
	// is not trusted. Nil means NewHPA(DefaultHPAConfig()).
	Reactive Policy
	// MinForecasts is how many passes with a forecast come before it is
	// trusted (MinHistory). Default 3. Negative means 0: trust the first.
	MinForecasts int
	// Trusted, if not nil, decides when the forecast is trusted instead of
	// MinForecasts.
	Trusted func(Input) bool
	// ForecastScaleIn lets the forecast scale in below what the observed
	// load needs (never below Reactive's ask). Default false: scale-in only
	// when the observed load allows it (NoScaleInOnForecast).
	ForecastScaleIn bool
	// ScaleDownStabilization, if positive, stabilizes scale-downs of the
	// whole stack over that window (Stabilize). Default 0: the lead-window
	// peak and the reactive floor already keep capacity.
	ScaleDownStabilization time.Duration
	// MaxCapacity sets the max-capacity breach behavior. Default HonorMax.
	MaxCapacity MaxCapacityConfig
	// DryRun makes the stack decide and report without ever asking for a
	// change; Predictive then returns a *DryRunPolicy.
	DryRun bool
	// Ramp configures the ramp guard (Ramp): a climbing load lifts the
	// forecast along its recent slope. The zero value selects Ramp's
	// defaults.
	Ramp RampConfig
	// DisableRamp leaves the ramp guard out.
	DisableRamp bool
}

// DefaultPredictiveConfig returns the defaults documented on each field.
func DefaultPredictiveConfig() PredictiveConfig {
	th := DefaultThresholdConfig()
	th.RelativeToTarget = true
	th.CapacityThreshold = 1
	th.DownscaleThreshold = 0.95
	th.ShadowHold = 15 * time.Minute
	return PredictiveConfig{Planner: DefaultPlannerConfig(), Threshold: th, Quantile: DefaultQuantile, MinForecasts: 3}
}

// Predictive returns the predictive stack, from the outside in:
//
//	DryRun (if set)
//	  Ramp (unless DisableRamp)           a climbing load lifts the forecast along its slope
//	  Headroom(Quantile)                  RuleThreshold only: the forecast's upper quantile stands in for its mean
//	    MaxCapacity                       honor Max, or allow a buffer above it
//	      Stabilize(ScaleDownStabilization) (if set)
//	        MinHistory(…, Reactive)       Reactive until the forecast is trusted
//	          Max(
//	            NoScaleInOnForecast(rule) (unless ForecastScaleIn)
//	            Reactive)                 never below the reactive ask
//
// The rule is Threshold (RuleThreshold, the default) or the Planner
// (RulePlanner). The Planner reads the forecast's interval itself, once,
// and keeps the replicas the plan needs again within the lead time plus
// a boot (see Planner). With Input.LeadSteps covering the provisioning lead
// time, Threshold asks
// for the replicas that serve the peak of the quantile forecast over the
// lead window: capacity is added one lead time before the load arrives and
// is released only when no step within the lead window needs it, since
// removal is immediate but re-adding takes the lead time. Reactive is called
// once per pass. The returned policy is not safe for concurrent use.
func Predictive(cfg PredictiveConfig) (Policy, error) {
	d := DefaultPredictiveConfig()
	cfg.Quantile = defaults.IfZero(cfg.Quantile, d.Quantile)
	if cfg.Threshold == (ThresholdConfig{}) {
		cfg.Threshold = d.Threshold
	}
	cfg.MinForecasts = defaults.Or(cfg.MinForecasts, d.MinForecasts)
	th, err := NewThreshold(cfg.Threshold)
	if err != nil {
		return nil, fmt.Errorf("policy: Predictive: %w", err)
	}
	var rule Policy
	switch cfg.Rule {
	case RuleThreshold:
		rule = th
	case RulePlanner:
		pc := cfg.Planner
		pc.Quantile = defaults.IfZero(pc.Quantile, cfg.Quantile)
		if pc.Shadow == (ThresholdConfig{}) {
			pc.Shadow = cfg.Threshold
		}
		if rule, err = NewPlanner(pc); err != nil {
			return nil, fmt.Errorf("policy: Predictive: %w", err)
		}
	default:
		return nil, fmt.Errorf("policy: Predictive: Rule (%d) must be RuleThreshold or RulePlanner", int(cfg.Rule))
	}
	reactive := cfg.Reactive
	if reactive == nil {
		if reactive, err = NewHPA(DefaultHPAConfig()); err != nil {
			return nil, err
		}
	}
	forecastPolicy := rule
	if !cfg.ForecastScaleIn {
		if forecastPolicy, err = NoScaleInOnForecast(rule, nil); err != nil {
			return nil, err
		}
	}
	p, err := Max(forecastPolicy, reactive)
	if err != nil {
		return nil, err
	}
	if p, err = MinHistory(p, reactive, MinHistoryConfig{Forecasts: cfg.MinForecasts, Trusted: cfg.Trusted}); err != nil {
		return nil, err
	}
	if cfg.ScaleDownStabilization > 0 {
		if p, err = Stabilize(p, StabilizeConfig{Down: cfg.ScaleDownStabilization}); err != nil {
			return nil, err
		}
	}
	if p, err = MaxCapacity(p, cfg.MaxCapacity); err != nil {
		return nil, err
	}
	if cfg.Rule == RuleThreshold {
		if p, err = Headroom(p, HeadroomConfig{Quantile: cfg.Quantile}); err != nil {
			return nil, err
		}
	}
	if !cfg.DisableRamp {
		if p, err = Ramp(p, cfg.Ramp); err != nil {
			return nil, err
		}
	}
	if cfg.DryRun {
		return DryRun(p)
	}
	return p, nil
}
