package shadow

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/shadowscale/shadowscale/internal/defaults"
	"github.com/shadowscale/shadowscale/internal/ring"
	"github.com/shadowscale/shadowscale/policy"
)

// InstanceType is one entry of a caller-supplied catalog of machine types
// shadows may run on.
type InstanceType struct {
	// Name is the provider's name of the type (e.g. "c6g.large").
	Name string
	// VCPU is the number of virtual CPUs.
	VCPU float64
	// MemoryGiB is the memory in GiB.
	MemoryGiB float64
	// HourlyPrice is the price of one instance-hour, in any currency.
	HourlyPrice float64
	// Spot marks a spot (preemptible) type.
	Spot bool
}

// PoolConfig tunes the shadow pool. The zero value of each field selects
// its default; where zero itself is a useful setting (no minimum load), a
// negative value selects it.
type PoolConfig struct {
	// Scale is the shadow capacity as a fraction of the production
	// replicas needed for the predicted peak load, in (0, 1]. Default 0.05.
	// The mirrored fraction is set so that each ready shadow receives
	// ProbeUtilization × PerReplica.
	Scale float64
	// MinReplicas and MaxReplicas bound the pool while it is active.
	// Defaults 1 and 10.
	MinReplicas, MaxReplicas int
	// MaxStepUp is how many shadow replicas may be added per pass, so the
	// pool grows gradually. Default 1.
	MaxStepUp int
	// MinHistory is how many observations the Controller needs before
	// shadows are provisioned. Default 30.
	MinHistory int
	// MaxForecastError is the largest rolling mean absolute percentage
	// error of one-step forecasts at which the load counts as predictable.
	// Default 0.5.
	MaxForecastError float64
	// MinLoad is the predicted load below which shadows are removed (too
	// little traffic to learn from). Default: half a replica's capacity,
	// 0.5 × Config.PerReplica. Negative means 0: no minimum.
	MinLoad float64
	// ProvisionAfter and DeprovisionAfter are how many passes in a row the
	// conditions must hold before the pool is created or removed; they
	// keep it from flapping. Defaults 3 and 10.
	ProvisionAfter, DeprovisionAfter int
	// Catalog lists the instance types shadows may use. Empty: cost is not
	// tracked.
	Catalog []InstanceType
	// MinVCPU and MinMemoryGiB are the smallest instance a shadow replica
	// needs.
	MinVCPU, MinMemoryGiB float64
	// AllowSpot lets the pool choose spot instances.
	AllowSpot bool
	// ProbeUtilization is the utilization each shadow replica is driven at:
	// the mirrored fraction is set so that a ready shadow receives
	// ProbeUtilization × Config.PerReplica of the predicted load. At a
	// moderate utilization latency is flat while a replica serves
	// PerReplica and climbs when it serves less (a slower release), so the
	// signal stays readable even when production runs hot. In (0, 1].
	// Default: Config.TargetUtilization, at most 0.7.
	ProbeUtilization float64
	// DivergenceFactor raises AlertShadowDivergence when shadow p95
	// latency exceeds this multiple of its baseline. Default 2.
	DivergenceFactor float64
}

func (p PoolConfig) withDefaults(perReplica, target float64) PoolConfig {
	p.ProbeUtilization = defaults.IfZero(p.ProbeUtilization, min(target, 0.7))
	p.Scale = defaults.IfZero(p.Scale, 0.05)
	p.MinReplicas = defaults.IfZero(p.MinReplicas, 1)
	p.MaxReplicas = defaults.IfZero(p.MaxReplicas, max(10, p.MinReplicas))
	p.MaxStepUp = defaults.IfZero(p.MaxStepUp, 1)
	p.MinHistory = defaults.IfZero(p.MinHistory, 30)
	p.MaxForecastError = defaults.IfZero(p.MaxForecastError, 0.5)
	p.MinLoad = defaults.Or(p.MinLoad, 0.5*perReplica)
	p.ProvisionAfter = defaults.IfZero(p.ProvisionAfter, 3)
	p.DeprovisionAfter = defaults.IfZero(p.DeprovisionAfter, 10)
	p.DivergenceFactor = defaults.IfZero(p.DivergenceFactor, 2)
	return p
}

// Validate reports the first invalid field, naming it and its value.
func (p PoolConfig) Validate() error {
	switch {
	case !(p.Scale > 0 && p.Scale <= 1):
		return fmt.Errorf("shadow: PoolConfig.Scale (%v) must be in (0, 1]", p.Scale)
	case p.MinReplicas < 1:
		return fmt.Errorf("shadow: PoolConfig.MinReplicas (%d) must be at least 1", p.MinReplicas)
	case p.MinReplicas > p.MaxReplicas:
		return fmt.Errorf("shadow: PoolConfig.MinReplicas (%d) must not exceed MaxReplicas (%d)", p.MinReplicas, p.MaxReplicas)
	case p.MaxStepUp < 1:
		return fmt.Errorf("shadow: PoolConfig.MaxStepUp (%d) must be at least 1", p.MaxStepUp)
	case p.MinHistory < 0:
		return fmt.Errorf("shadow: PoolConfig.MinHistory (%d) must not be negative", p.MinHistory)
	case !(p.MaxForecastError > 0) || math.IsInf(p.MaxForecastError, 0):
		return fmt.Errorf("shadow: PoolConfig.MaxForecastError (%v) must be positive", p.MaxForecastError)
	case !(p.MinLoad >= 0) || math.IsInf(p.MinLoad, 0):
		return fmt.Errorf("shadow: PoolConfig.MinLoad (%v) must be a non-negative number", p.MinLoad)
	case p.ProvisionAfter < 1 || p.DeprovisionAfter < 1:
		return fmt.Errorf("shadow: PoolConfig.ProvisionAfter (%d) and DeprovisionAfter (%d) must be at least 1", p.ProvisionAfter, p.DeprovisionAfter)
	case !(p.ProbeUtilization > 0 && p.ProbeUtilization <= 1):
		return fmt.Errorf("shadow: PoolConfig.ProbeUtilization (%v) must be in (0, 1]", p.ProbeUtilization)
	case !(p.DivergenceFactor > 1):
		return fmt.Errorf("shadow: PoolConfig.DivergenceFactor (%v) must be greater than 1", p.DivergenceFactor)
	case p.MinVCPU < 0 || p.MinMemoryGiB < 0:
		return fmt.Errorf("shadow: PoolConfig.MinVCPU (%v) and MinMemoryGiB (%v) must not be negative", p.MinVCPU, p.MinMemoryGiB)
	}
	for i, t := range p.Catalog {
		if t.Name == "" || !(t.HourlyPrice >= 0) || t.VCPU < 0 || t.MemoryGiB < 0 {
			return fmt.Errorf("shadow: PoolConfig.Catalog[%d] (%+v) needs a name and non-negative size and price", i, t)
		}
	}
	if len(p.Catalog) > 0 {
		if _, err := CheapestInstance(p.Catalog, p.MinVCPU, p.MinMemoryGiB, p.AllowSpot); err != nil {
			return err
		}
	}
	return nil
}

// ErrNoInstanceType reports a catalog with no type large enough.
var ErrNoInstanceType = errors.New("shadow: no instance type satisfies the minimum size")

// CheapestInstance returns the cheapest type in catalog with at least
// minVCPU and minMemGiB, skipping spot types unless allowSpot. Ties go to
// the smaller, then the first listed type.
func CheapestInstance(catalog []InstanceType, minVCPU, minMemGiB float64, allowSpot bool) (InstanceType, error) {
	var fit []InstanceType
	for _, t := range catalog {
		if t.VCPU >= minVCPU && t.MemoryGiB >= minMemGiB && (allowSpot || !t.Spot) {
			fit = append(fit, t)
		}
	}
	if len(fit) == 0 {
		return InstanceType{}, fmt.Errorf("%w: need %v vCPU and %v GiB (spot allowed: %v) among %d types", ErrNoInstanceType, minVCPU, minMemGiB, allowSpot, len(catalog))
	}
	sort.SliceStable(fit, func(i, j int) bool {
		if fit[i].HourlyPrice != fit[j].HourlyPrice {
			return fit[i].HourlyPrice < fit[j].HourlyPrice
		}
		return fit[i].VCPU < fit[j].VCPU
	})
	return fit[0], nil
}

// PoolStatus is the shadow pool after a pass.
type PoolStatus struct {
	// Enabled is true when the Controller has a shadow pool.
	Enabled bool
	// Active is true while shadows are provisioned.
	Active bool
	// Reason says why the pool is (not) active, with the numbers.
	Reason string
	// Desired and Ready are the shadow replicas requested and serving.
	Desired, Ready int
	// Fraction is the mirrored fraction of production traffic: ready
	// shadows × PerReplica × ProbeUtilization / the predicted load of the
	// next interval, at most 1.
	Fraction float64
	// InstanceType is the catalog type chosen, if any.
	InstanceType string
	// CostPerHour is Desired × the chosen type's hourly price.
	CostPerHour float64
	// ForecastError is the rolling one-step forecast error the decision
	// used.
	ForecastError float64
	// Triggered counts scale-ups the shadow signal caused so far.
	Triggered int
}

// pool sizes the shadow replicas and the mirrored fraction. desired and
// ready are observed each pass; fraction is the one in force (set once the
// mirror accepted it).
type pool struct {
	cfg      PoolConfig
	itype    InstanceType
	hasType  bool
	active   bool
	want     int // consecutive passes the pool was wanted
	unwanted int // consecutive passes the pool was not wanted
	desired  int
	fraction float64
	ready    int
	baseline float64 // EWMA of shadow p95 latency in seconds, 0 = unknown
	trig     int
}

func newPool(cfg PoolConfig) *pool {
	p := &pool{cfg: cfg}
	if len(cfg.Catalog) > 0 {
		p.itype, _ = CheapestInstance(cfg.Catalog, cfg.MinVCPU, cfg.MinMemoryGiB, cfg.AllowSpot)
		p.hasType = true
	}
	return p
}

// poolInput is what the pool looks at each pass.
type poolInput struct {
	history     int
	fcErr       float64 // rolling MAPE of one-step forecasts; NaN when unknown
	predicted   float64 // predicted peak load over the lead time
	predictedOK bool
	next        float64 // predicted load for the next interval (or the observed load)
	perReplica  float64
	target      float64
}

// wanted decides whether there is signal worth provisioning shadows for.
func (p *pool) wanted(in poolInput) (bool, string) {
	switch {
	case in.history < p.cfg.MinHistory:
		return false, fmt.Sprintf("history %d < %d observations", in.history, p.cfg.MinHistory)
	case !in.predictedOK:
		return false, "no forecast"
	case math.IsNaN(in.fcErr) || in.fcErr > p.cfg.MaxForecastError:
		return false, fmt.Sprintf("forecast error %.2f > %.2f: load unpredictable", in.fcErr, p.cfg.MaxForecastError)
	case in.predicted < p.cfg.MinLoad:
		return false, fmt.Sprintf("predicted load %.4g < minimum %.4g", in.predicted, p.cfg.MinLoad)
	}
	return true, fmt.Sprintf("predicted load %.4g, forecast error %.2f", in.predicted, in.fcErr)
}

// plan updates whether the pool is active and returns the shadow replicas
// and the mirrored fraction it wants, with its status.
func (p *pool) plan(in poolInput) (int, float64, PoolStatus) {
	ok, why := p.wanted(in)
	if ok {
		p.want++
		p.unwanted = 0
	} else {
		p.unwanted++
		p.want = 0
	}
	switch {
	case !p.active && p.want >= p.cfg.ProvisionAfter:
		p.active = true
	case p.active && p.unwanted >= p.cfg.DeprovisionAfter:
		p.active = false
	}
	target := 0
	predReplicas := 0
	if in.predictedOK {
		predReplicas = max(1, policy.Replicas(in.predicted, in.perReplica, in.target))
	}
	if p.active {
		target = policy.Clamp(int(math.Ceil(float64(predReplicas)*p.cfg.Scale)), p.cfg.MinReplicas, p.cfg.MaxReplicas)
		target = min(target, p.desired+p.cfg.MaxStepUp)
	}
	// Mirror only to serving shadows, so that each receives the probe
	// load: its latency is then a replica's latency at the probe
	// utilization, and a rise means a replica serves less than PerReplica
	// (a slower release), not that the forecast missed.
	frac := 0.0
	if p.active && p.ready > 0 {
		frac = 1
		if in.next > 0 {
			frac = math.Min(1, float64(p.ready)*in.perReplica*p.cfg.ProbeUtilization/in.next)
		}
	}
	// Desired, Fraction, cost and Triggered are the ones in force after
	// the pass: the Controller fills them in once the plan is applied.
	s := PoolStatus{Enabled: true, Active: p.active, Reason: why, Ready: p.ready, ForecastError: in.fcErr}
	if p.hasType {
		s.InstanceType = p.itype.Name
	}
	return target, frac, s
}

// loadRatio is the shadows' per-replica load, given the mean mirrored load
// over the stats window, relative to the probe load.
func (p *pool) loadRatio(mirrored, perReplica float64) float64 {
	if p.ready <= 0 || !(perReplica > 0) {
		return 0
	}
	return mirrored / (float64(p.ready) * perReplica * p.cfg.ProbeUtilization)
}

// windowSize is how many values a window keeps.
const windowSize = 64

// window keeps the last windowSize values for short moving averages. The
// zero value is empty.
type window struct {
	vals ring.Ring[float64]
}

func (w *window) push(v float64) {
	if w.vals.Cap() == 0 {
		w.vals = ring.New[float64](windowSize)
	}
	w.vals.Push(v)
}

// values returns the values held, oldest first.
func (w *window) values() []float64 { return w.vals.AppendTo(nil) }

// mean averages the last k values (fewer when fewer were pushed).
func (w *window) mean(k int) float64 {
	k = min(k, w.vals.Len())
	if k <= 0 {
		return 0
	}
	sum := 0.0
	for i := range k {
		sum += w.vals.Last(i)
	}
	return sum / float64(k)
}

// divergence updates the latency baseline and reports whether p95 departs
// from it by more than the configured factor.
func (p *pool) divergence(p95 time.Duration) (bool, float64) {
	s := p95.Seconds()
	if s <= 0 {
		return false, p.baseline
	}
	if p.baseline == 0 {
		p.baseline = s
		return false, s
	}
	base := p.baseline
	if s > p.cfg.DivergenceFactor*base {
		return true, base
	}
	p.baseline = 0.9*p.baseline + 0.1*s
	return false, base
}
