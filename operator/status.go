package operator

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shadowscale/shadowscale/drivers/k8s"
	"github.com/shadowscale/shadowscale/operator/api/v1alpha1"
	"github.com/shadowscale/shadowscale/shadow"
)

// maxMessage bounds a condition message (the API allows 32768 bytes).
const maxMessage = 1024

// passOutcome is what one pass gives the status and the Events.
type passOutcome struct {
	gen int64
	// leadTime is the Controller's lead time after the pass (learned).
	leadTime time.Duration
	report   shadow.Report
	err      error
	// conflict names the HorizontalPodAutoscaler that targets the
	// workload; empty when there is none.
	conflict string
	// forecastOnly is the object's mode: it scales nothing, so a conflict
	// is reported but refuses nothing.
	forecastOnly bool
}

// applyOutcome writes a pass's outcome into st: the replicas, the forecast
// peak over the lead time, the metrics' values, the times, and one
// condition per Controller condition type plus Ready; an HPA conflict
// turns AbleToScale False with reason HPAConflict.
func applyOutcome(st *v1alpha1.PredictiveScalerStatus, o passOutcome) {
	r := o.report
	st.ObservedGeneration = o.gen
	// A pass that could not read the workload leaves the replicas as the
	// last one that could saw them, rather than zeros.
	able, ok := r.Condition(shadow.AbleToScale)
	read := !ok || able.Reason != shadow.ReasonFailedGetState
	if read {
		st.CurrentReplicas = int32(r.State.Desired)
		st.ReadyReplicas = int32(r.State.Ready)
		st.DesiredReplicas = int32(r.Plan.Target)
		if r.Applied.Limit != "" {
			st.DesiredReplicas = int32(r.Applied.LimitedTo)
		}
		if r.Plan.Target == 0 {
			// A pass that could not decide keeps what runs.
			st.DesiredReplicas = int32(r.State.Desired)
		}
	}
	st.ForecastPeak, st.ForecastUpper, st.Model = "", "", ""
	st.HeldZeros = int32(min(r.HeldZeros, math.MaxInt32))
	if r.Forecast.Len() > 0 {
		mean, upper := r.Forecast.Peak(r.LeadSteps)
		st.ForecastPeak, st.ForecastUpper = formatLoad(mean), formatLoad(max(upper, r.PeakUpper))
		st.Model = r.Forecast.Model
	}
	if o.leadTime > 0 {
		st.LeadTime = &metav1.Duration{Duration: o.leadTime.Round(time.Millisecond)}
	}
	st.Metrics = st.Metrics[:0]
	names := make([]string, 0, len(r.Sample.Values))
	for m := range r.Sample.Values {
		names = append(names, string(m))
	}
	slices.Sort(names)
	for _, n := range names {
		st.Metrics = append(st.Metrics, v1alpha1.MetricStatus{Name: n, Current: formatLoad(r.Sample.Values[shadow.Metric(n)])})
	}
	if !r.Time.IsZero() {
		t := metav1.NewTime(r.Time)
		st.LastPassTime = &t
		if r.Applied.Scaled {
			st.LastScaleTime = &t
		}
	}
	for _, c := range r.Conditions {
		msg := c.Message
		if c.Type == shadow.ScalingActive && !c.Status && c.Reason == shadow.ReasonMetricsUnavailable && read && r.State.Desired == 0 {
			msg += zeroNoData
		}
		setCondition(st, o.gen, string(c.Type), c.Status, c.Reason, msg)
	}
	switch {
	case o.conflict != "" && o.forecastOnly:
		setCondition(st, o.gen, string(shadow.AbleToScale), false, v1alpha1.ReasonHPAConflict,
			fmt.Sprintf("HorizontalPodAutoscaler %s targets the workload: in ForecastAndScale the operator would not scale it", o.conflict))
	case o.conflict != "":
		setCondition(st, o.gen, string(shadow.AbleToScale), false, v1alpha1.ReasonHPAConflict,
			fmt.Sprintf("HorizontalPodAutoscaler %s targets the workload: the operator will not scale it", o.conflict))
	case slices.ContainsFunc(r.Applied.Errors, isHPAConflict):
		setCondition(st, o.gen, string(shadow.AbleToScale), false, v1alpha1.ReasonHPAConflict,
			"a HorizontalPodAutoscaler targets the workload: the operator will not scale it")
	}
	msg := "the Controller runs its passes"
	if o.err != nil {
		msg = "last pass: " + o.err.Error()
	}
	setCondition(st, o.gen, v1alpha1.ConditionReady, true, v1alpha1.ReasonRunning, msg)
}

// zeroNoData ends the message of metrics unavailable at zero replicas,
// where a query whose series go with the pods has no data until one runs.
const zeroNoData = "; at zero replicas: a query whose series go with the workload's pods has no data until one runs, and the workload stays at zero (see minReplicas)"

// applyFailure records that the object's Controller could not be built.
func applyFailure(st *v1alpha1.PredictiveScalerStatus, gen int64, err error) {
	st.ObservedGeneration = gen
	reason := v1alpha1.ReasonSetupFailed
	if errors.Is(err, ErrInvalidSpec) {
		reason = v1alpha1.ReasonInvalidSpec
	}
	setCondition(st, gen, v1alpha1.ConditionReady, false, reason, err.Error())
}

func setCondition(st *v1alpha1.PredictiveScalerStatus, gen int64, typ string, status bool, reason, msg string) {
	s := metav1.ConditionFalse
	if status {
		s = metav1.ConditionTrue
	}
	if reason == "" {
		reason = "Unknown"
	}
	if len(msg) > maxMessage {
		msg = msg[:maxMessage]
	}
	meta.SetStatusCondition(&st.Conditions, metav1.Condition{
		Type: typ, Status: s, Reason: reason, Message: msg, ObservedGeneration: gen,
	})
}

// formatLoad prints a load with at most three decimals.
func formatLoad(v float64) string {
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}

// event is one Kubernetes Event about the workload.
type event struct {
	typ, reason, action, note string
}

// Event reasons on the workload.
const (
	EventSuccessfulRescale = "SuccessfulRescale"
	EventFailedRescale     = "FailedRescale"
	EventHPAConflict       = v1alpha1.ReasonHPAConflict
	EventInvalidSpec       = v1alpha1.ReasonInvalidSpec
	EventSetupFailed       = v1alpha1.ReasonSetupFailed
	// EventAlert is the reason of the Warning Event each alert of a pass
	// (shadow.Alert) makes; its note starts with the alert's kind.
	EventAlert = "PredictiveScalerAlert"
)

// eventsFor returns the Events a pass's outcome makes on the workload:
// one for a scale carried out, one for each refusal — an HPA conflict,
// a scale the workload refused — and a Warning for each alert the pass
// raised (a load anomaly, a suspect sample, a run of zeros taken for a
// monitoring outage, ...).
func eventsFor(o passOutcome) []event {
	var out []event
	r := o.report
	if r.Applied.Scaled {
		to := r.Plan.Target
		note := fmt.Sprintf("New size: %d; reason: %s", to, r.Decision.Reason)
		if r.Applied.Limit != "" {
			to = r.Applied.LimitedTo
			note = fmt.Sprintf("New size: %d (asked %d, limited: %s); reason: %s", to, r.Plan.Target, r.Applied.Limit, r.Decision.Reason)
		}
		out = append(out, event{corev1.EventTypeNormal, EventSuccessfulRescale, "Scale", note})
	}
	if o.conflict != "" && !o.forecastOnly {
		out = append(out, event{corev1.EventTypeWarning, EventHPAConflict, "Refuse",
			fmt.Sprintf("refusing to scale: HorizontalPodAutoscaler %s targets this workload", o.conflict)})
	}
	for _, err := range r.Applied.Errors {
		if isHPAConflict(err) {
			if o.conflict == "" {
				out = append(out, event{corev1.EventTypeWarning, EventHPAConflict, "Refuse", "refusing to scale: " + err.Error()})
			}
			continue
		}
		if r.Plan.Scale {
			out = append(out, event{corev1.EventTypeWarning, EventFailedRescale, "Scale",
				fmt.Sprintf("scale to %d failed: %v", r.Plan.Target, err)})
		}
	}
	for _, a := range r.Alerts {
		out = append(out, event{corev1.EventTypeWarning, EventAlert, "Alert", a.Kind.String() + ": " + a.Message})
	}
	return out
}

// anomalyEventEvery is the least time between two Events of load-anomaly
// alerts on one workload: a load outside its forecast's 99% band is
// alerted several times a day on ordinary traffic; an Event an hour at
// most is enough to be seen.
const anomalyEventEvery = time.Hour

// anomalyEvents throttles the Events of load-anomaly alerts
// (shadow.AlertAnomaly) to one per anomalyEventEvery; the next one says how
// many it stood for. Other alerts always make their Event.
type anomalyEvents struct {
	last    time.Time // of the last Event made
	skipped int       // anomaly alerts without an Event since
}

// throttle returns the alerts of a pass at now that make an Event: without
// the anomalies due before now is anomalyEventEvery past the last one that
// made one, which it counts, and with that count added to the message of
// the next one.
func (a *anomalyEvents) throttle(alerts []shadow.Alert, now time.Time) []shadow.Alert {
	var out []shadow.Alert
	for _, al := range alerts {
		if al.Kind != shadow.AlertAnomaly {
			out = append(out, al)
			continue
		}
		// A pass time before the last Event (a clock stepped back)
		// starts over.
		if !a.last.IsZero() && !now.Before(a.last) && now.Sub(a.last) < anomalyEventEvery {
			a.skipped++
			continue
		}
		if a.skipped > 0 {
			al.Message += fmt.Sprintf(" (and %d more since %s)", a.skipped, a.last.UTC().Format(time.RFC3339))
		}
		a.last, a.skipped = now, 0
		out = append(out, al)
	}
	return out
}

func isHPAConflict(err error) bool { return errors.Is(err, k8s.ErrHPAConflict) }
