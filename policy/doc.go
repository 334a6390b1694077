// Package policy turns the Controller's view of production — observed load,
// a load forecast with its prediction interval, the shadow pool's signal —
// into a scaling Decision: an Action, a target replica count and a Reason
// that names the rule and its numbers.
//
// # Policies
//
// Threshold is the reference policy. With P the predicted load (the peak of
// the forecast over Input.LeadSteps steps, see PredictedLoad) and C the
// capacity Current × PerReplica, the first rule that matches decides:
//
//  1. shadow latency > LatencyThreshold or shadow error rate >
//     ErrorRateThreshold → scale up to P × ScaleFactor;
//  2. P > CapacityThreshold × C → scale up to P;
//  3. P < DownscaleThreshold × C → scale down to P;
//  4. otherwise no change.
//
// Load converts to replicas with Replicas at Input.TargetUtilization. The
// Controller mirrors traffic so that each shadow replica carries the load it
// was planned for (Shadow.LoadRatio near 1), so the shadow numbers are
// compared as they are; far from that plan (outside [MinShadowLoadRatio,
// MaxShadowLoadRatio]) rule 1 is skipped. Without a forecast Threshold falls
// back to the observed load and says so.
//
// HPA is the reactive baseline everything predictive is compared against:
// the Kubernetes autoscaling/v2 algorithm with its defaults (tolerance 0.1,
// unready replicas at zero on scale-up, no scaling on a missing metric,
// 300 s scale-down stabilization, scale-up {4 pods, 100%} per 15 s,
// scale-down 100% per 15 s), with time taken from Input.Now.
//
// # Wrappers
//
// Wrappers take a Policy and return one; each is usable alone and they
// compose in any order. Every wrapper validates the Input, repairs what its
// inner policy returns (bounds, action, empty reason) and adds its own
// reason to the Decision.
//
//   - Bounds narrows [Min, Max] below the Input's range.
//   - Stabilize keeps, over separate up and down windows, the lowest
//     (up) or highest (down) target the inner policy asked for (HPA's
//     stabilization windows).
//   - RateLimit limits changes to pods or percent per sliding period,
//     exactly as HPA's behavior policies.
//   - Cooldown holds the count for a while after each scaling action.
//   - Tolerance ignores changes within separate up and down bands.
//   - Headroom makes the inner policy provision for an upper quantile of the
//     forecast (P90 by default) instead of its mean, by rescaling the
//     prediction interval (QuantileForecast).
//   - Max asks for the largest target of several policies: predictive and
//     reactive combined, so a forecast never takes capacity below the
//     reactive ask.
//   - NoScaleInOnForecast lets a forecast scale in only when the reactive
//     rule or the observed load agrees (the clouds' default; wrap nothing to
//     allow predictive scale-in).
//   - MinHistory uses a fallback (reactive) policy until the forecast is
//     trusted — after N forecasts, or when a caller's function says so —
//     and records that in the reason.
//   - DryRun decides and reports but always returns NoChange; the would-be
//     decision is in the reason and in DryRunPolicy.Last.
//   - Ramp lifts the forecast along the recent slope of the observed load
//     when it climbs by more than MinRise over its window, along a slope
//     two standard errors clear of zero (noise and a load that swings
//     about its level fit slopes too): flat and
//     seasonal forecasters adapt one observation at a time, and a ramp
//     that outruns them is seen too late to add capacity. A one-pass jump
//     is taken for a step: the forecast is lifted to the level reached.
//   - MaxCapacity honors Max, or lets the forecast's capacity plus a buffer
//     exceed it (AWS's MaxCapacityBuffer).
//
// Planner is the alternative rule that counts capacity as a bill does (a
// replica is paid from its request, booting included): it keeps a replica
// the plan needs again within the lead time plus a boot, releases one only
// after the plan has not needed it for a while (Settle) and by more than a
// Tolerance, honors a minimum billed lifetime and a minimum interval
// between scale-downs, and takes headroom from the forecast's interval once
// (max of the mean at the target and the P90 at full utilization). It
// starts far fewer replicas than Threshold; Threshold holds less capacity
// for its under-provisioning on most traces.
//
// Predictive composes the recommended stack: the Ramp guard, Threshold with
// Headroom at P90 (or the Planner, with RulePlanner), no forecast scale-in,
// the HPA floor through Max, HPA as the fallback until the forecast is
// trusted, and the max-capacity behavior.
//
// # State and time
//
// Decisions read only their Input and perform no I/O: time comes in as
// Input.Now, never from the wall clock. Stateful policies (HPA, Planner, Stabilize, RateLimit,
// Cooldown, MinHistory) keep history keyed on Input.Now; a change they
// return counts in their rate limits and cooldowns only once the next
// Input.Current shows it carried out, so a dry run or a failed actuation
// leaves no trace; they forget their history when Now goes backwards (a
// replay restarted). They are not safe for concurrent use
// and must be called once per pass; do not share one stateful instance
// between two wrappers of the same stack unless only one of them calls it
// on a pass (as Predictive does with its reactive policy).
//
// Every stateful policy and every wrapper implements Stateful: a process
// that restarts saves MarshalState and restores it with UnmarshalState
// into a policy built alike, which then decides as the old one would have;
// a state of another version or shape is refused with ErrBadState and
// changes nothing.
//
// # Configuration
//
// In every configuration struct of this package, as in shadow.Config, the
// zero value of a field selects the default documented on it:
// ThresholdConfig{}, HPAConfig{}, PlannerConfig{} and PredictiveConfig{}
// behave as their Default… functions return. Where zero itself is a useful
// setting — no HPA tolerance or stabilization, a Threshold test disabled,
// no Planner tolerance, a forecast trusted at once — a negative value
// selects it, and the field's comment says so. A wrapper whose natural
// default is "none" (Stabilize, Cooldown, Tolerance, RateLimit, Bounds)
// documents that its zero value adds nothing.
//
// # Errors
//
// An invalid Input (see Input.Validate) gives an error wrapping
// ErrInvalidInput. Otherwise Decide never fails for the policies of this
// package, never panics, and returns a target within [Min, Max] (except
// DryRun, which returns Current, and MaxCapacity with IncreaseMax) and a
// non-empty Reason. Constructors validate their configuration and name
// the offending field and value.
package policy
