package operator

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/drivers/k8s"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/operator/api/v1alpha1"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func scaledReport() shadow.Report {
	return shadow.Report{
		Time:      t0,
		Load:      300,
		LoadValid: true,
		Sample:    shadow.Sample{Time: t0, Values: map[shadow.Metric]float64{"request_rate": 300, "cpu": 1.23456}},
		Forecast: forecast.Forecast{Start: t0.Add(time.Minute), Step: time.Minute,
			Mean: []float64{310, 420.12345, 380, 900}, Upper: []float64{350, 480, 420, 1000}, Lower: []float64{1, 1, 1, 1}, Model: "holt-winters"},
		LeadSteps: 3,
		State:     actuator.State{Desired: 4, Ready: 3},
		Decision:  policy.Decision{Action: policy.ScaleUp, Target: 9, Reason: "forecast peak 420 needs 9"},
		Actuated:  true,
		Plan:      shadow.Plan{Target: 9, Scale: true},
		Applied:   shadow.Applied{Scaled: true},
		Conditions: []shadow.Condition{
			{Type: shadow.AbleToScale, Status: true, Reason: shadow.ReasonSucceededRescale, Message: "scaled to 9"},
			{Type: shadow.ForecastTrusted, Status: true, Reason: shadow.ReasonForecastValid, Message: "ok"},
		},
	}
}

func TestApplyOutcomeWritesTheReport(t *testing.T) {
	var st v1alpha1.PredictiveScalerStatus
	applyOutcome(&st, passOutcome{gen: 3, leadTime: 3 * time.Minute, report: scaledReport()})
	assert.Equal(t, int64(3), st.ObservedGeneration)
	assert.Equal(t, int32(4), st.CurrentReplicas)
	assert.Equal(t, int32(3), st.ReadyReplicas)
	assert.Equal(t, int32(9), st.DesiredReplicas)
	assert.Equal(t, "420.123", st.ForecastPeak, "the peak of the first 3 steps (the lead time), not of all 4")
	assert.Equal(t, "480", st.ForecastUpper)
	assert.Equal(t, "holt-winters", st.Model)

	bounded := scaledReport()
	bounded.PeakUpper = 512.5
	applyOutcome(&st, passOutcome{gen: 3, leadTime: 3 * time.Minute, report: bounded})
	assert.Equal(t, "512.5", st.ForecastUpper, "the bound on the peak the policy provisioned for")
	assert.Zero(t, st.HeldZeros)
	held := scaledReport()
	held.HeldZeros = 42
	var hs v1alpha1.PredictiveScalerStatus
	applyOutcome(&hs, passOutcome{gen: 3, report: held})
	assert.Equal(t, int32(42), hs.HeldZeros, "the zero run the forecaster holds back")
	assert.Equal(t, &metav1.Duration{Duration: 3 * time.Minute}, st.LeadTime)
	assert.Equal(t, []v1alpha1.MetricStatus{{Name: "cpu", Current: "1.235"}, {Name: "request_rate", Current: "300"}}, st.Metrics)
	require.NotNil(t, st.LastScaleTime)
	assert.True(t, st.LastScaleTime.Time.Equal(t0))
	assert.True(t, st.LastPassTime.Time.Equal(t0))
	c := meta.FindStatusCondition(st.Conditions, "AbleToScale")
	require.NotNil(t, c)
	assert.Equal(t, metav1.ConditionTrue, c.Status)
	assert.Equal(t, "SucceededRescale", c.Reason)
	assert.Equal(t, int64(3), c.ObservedGeneration)
	c = meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady)
	require.NotNil(t, c)
	assert.Equal(t, v1alpha1.ReasonRunning, c.Reason)

	// A later pass that does not scale keeps the last scale time, and a
	// condition that does not change keeps its transition time.
	first := meta.FindStatusCondition(st.Conditions, "ForecastTrusted").LastTransitionTime
	r := scaledReport()
	r.Time = t0.Add(time.Minute)
	r.Applied.Scaled, r.Plan.Scale = false, false
	applyOutcome(&st, passOutcome{gen: 3, leadTime: 3 * time.Minute, report: r})
	assert.True(t, st.LastScaleTime.Time.Equal(t0))
	assert.True(t, st.LastPassTime.Time.Equal(t0.Add(time.Minute)))
	assert.Equal(t, first, meta.FindStatusCondition(st.Conditions, "ForecastTrusted").LastTransitionTime)
}

func TestApplyOutcomeLimitedAndUndecided(t *testing.T) {
	var st v1alpha1.PredictiveScalerStatus
	r := scaledReport()
	r.Applied.Limit, r.Applied.LimitedTo = "max", 7
	applyOutcome(&st, passOutcome{report: r})
	assert.Equal(t, int32(7), st.DesiredReplicas)

	r = shadow.Report{Time: t0, State: actuator.State{Desired: 5, Ready: 5}}
	applyOutcome(&st, passOutcome{report: r, err: errors.New("metrics: no data")})
	assert.Equal(t, int32(5), st.DesiredReplicas, "no plan: keeps what runs")
	assert.Empty(t, st.ForecastPeak)
	c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady)
	require.NotNil(t, c)
	assert.Contains(t, c.Message, "metrics: no data")
}

// Metrics unavailable at zero replicas say what a query whose series go
// with the pods does there; with replicas running they say nothing more.
func TestApplyOutcomeNoDataAtZero(t *testing.T) {
	for _, tc := range []struct {
		desired int
		hint    bool
	}{{0, true}, {3, false}} {
		var st v1alpha1.PredictiveScalerStatus
		r := shadow.Report{Time: t0, State: actuator.State{Desired: tc.desired, Ready: tc.desired}, Conditions: []shadow.Condition{
			{Type: shadow.ScalingActive, Status: false, Reason: shadow.ReasonMetricsUnavailable, Message: "metrics source failed: prometheus: query returned no data"},
		}}
		applyOutcome(&st, passOutcome{report: r})
		c := meta.FindStatusCondition(st.Conditions, string(shadow.ScalingActive))
		require.NotNil(t, c)
		assert.Equal(t, metav1.ConditionFalse, c.Status)
		assert.True(t, strings.HasPrefix(c.Message, "metrics source failed: prometheus: query returned no data"), c.Message)
		assert.Equal(t, tc.hint, strings.Contains(c.Message, "at zero replicas: a query whose series go with the workload's pods has no data"), "%d replicas: %s", tc.desired, c.Message)
	}
}

func TestApplyOutcomeHPAConflict(t *testing.T) {
	var st v1alpha1.PredictiveScalerStatus
	applyOutcome(&st, passOutcome{report: scaledReport(), conflict: "web-hpa"})
	c := meta.FindStatusCondition(st.Conditions, "AbleToScale")
	require.NotNil(t, c)
	assert.Equal(t, metav1.ConditionFalse, c.Status)
	assert.Equal(t, "HPAConflict", c.Reason)
	assert.Contains(t, c.Message, "web-hpa")

	// Found by the driver at scale time rather than by the pre-check.
	st = v1alpha1.PredictiveScalerStatus{}
	r := scaledReport()
	r.Applied = shadow.Applied{Errors: []error{fmt.Errorf("scale: %w", k8s.ErrHPAConflict)}}
	applyOutcome(&st, passOutcome{report: r})
	assert.Equal(t, "HPAConflict", meta.FindStatusCondition(st.Conditions, "AbleToScale").Reason)
}

func TestApplyFailure(t *testing.T) {
	var st v1alpha1.PredictiveScalerStatus
	applyFailure(&st, 4, invalid("maxReplicas 0: must be at least 1"))
	c := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady)
	require.NotNil(t, c)
	assert.Equal(t, metav1.ConditionFalse, c.Status)
	assert.Equal(t, "InvalidSpec", c.Reason)
	assert.Contains(t, c.Message, "maxReplicas 0")
	assert.Equal(t, int64(4), st.ObservedGeneration)
	applyFailure(&st, 5, errors.New("prometheus client: bad"))
	assert.Equal(t, "SetupFailed", meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionReady).Reason)
}

func TestSetConditionBoundsFields(t *testing.T) {
	var st v1alpha1.PredictiveScalerStatus
	long := make([]byte, 5000)
	for i := range long {
		long[i] = 'x'
	}
	setCondition(&st, 1, "Held", false, "", string(long))
	c := st.Conditions[0]
	assert.Equal(t, "Unknown", c.Reason, "the API server refuses an empty reason")
	assert.Len(t, c.Message, maxMessage)
}

func TestEventsFor(t *testing.T) {
	assert.Equal(t, []event{{"Normal", "SuccessfulRescale", "Scale", "New size: 9; reason: forecast peak 420 needs 9"}},
		eventsFor(passOutcome{report: scaledReport()}))

	r := scaledReport()
	r.Applied.Limit, r.Applied.LimitedTo = "group max 7", 7
	assert.Equal(t, []event{{"Normal", "SuccessfulRescale", "Scale", "New size: 7 (asked 9, limited: group max 7); reason: forecast peak 420 needs 9"}},
		eventsFor(passOutcome{report: r}))

	r = scaledReport()
	r.Applied = shadow.Applied{Errors: []error{fmt.Errorf("production: %w", k8s.ErrHPAConflict)}}
	evs := eventsFor(passOutcome{report: r, conflict: "web-hpa"})
	require.Len(t, evs, 1, "one refusal, not two, when the pre-check and the driver both see the HPA")
	assert.Equal(t, "HPAConflict", evs[0].reason)
	assert.Equal(t, "Warning", evs[0].typ)
	assert.Contains(t, evs[0].note, "web-hpa")

	evs = eventsFor(passOutcome{report: r})
	require.Len(t, evs, 1)
	assert.Equal(t, "HPAConflict", evs[0].reason, "found by the driver alone")

	r.Applied = shadow.Applied{Errors: []error{errors.New("forbidden")}}
	evs = eventsFor(passOutcome{report: r})
	require.Len(t, evs, 1)
	assert.Equal(t, event{"Warning", "FailedRescale", "Scale", "scale to 9 failed: forbidden"}, evs[0])

	r = scaledReport()
	r.Applied, r.Plan.Scale, r.Plan.ForecastOnly = shadow.Applied{}, true, true
	assert.Empty(t, eventsFor(passOutcome{report: r}), "ForecastOnly: nothing scaled, nothing refused")

	r.Alerts = []shadow.Alert{{Kind: shadow.AlertZeroRun, Time: t0, Message: "request_rate = 0 at ... holds the zeros back"}}
	assert.Equal(t, []event{{"Warning", "PredictiveScalerAlert", "Alert", "zero_run: request_rate = 0 at ... holds the zeros back"}},
		eventsFor(passOutcome{report: r}), "an alert is a Warning Event, in ForecastOnly mode too")
}

// Load-anomaly alerts make an Event an hour at most, the next one counting
// those left out; other alerts always make theirs.
func TestAnomalyEventsThrottled(t *testing.T) {
	var a anomalyEvents
	alert := func(k shadow.AlertKind, msg string) shadow.Alert { return shadow.Alert{Kind: k, Message: msg} }
	// notes are the notes of the Events the alerts throttle lets through
	// make.
	notes := func(alerts []shadow.Alert) []string {
		var out []string
		for _, e := range eventsFor(passOutcome{report: shadow.Report{Alerts: alerts}}) {
			out = append(out, e.note)
		}
		return out
	}
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	assert.Equal(t, []string{"anomaly: a"}, notes(a.throttle([]shadow.Alert{alert(shadow.AlertAnomaly, "a")}, at(0))))
	assert.Empty(t, a.throttle([]shadow.Alert{alert(shadow.AlertAnomaly, "b"), alert(shadow.AlertAnomaly, "c")}, at(0)), "a second one in the same pass")
	assert.Equal(t, []string{"zero_run: d"}, notes(a.throttle([]shadow.Alert{alert(shadow.AlertAnomaly, "x"), alert(shadow.AlertZeroRun, "d")}, at(30))),
		"other kinds pass")
	assert.Equal(t, []string{"anomaly: e (and 3 more since " + t0.Format(time.RFC3339) + ")"}, notes(a.throttle([]shadow.Alert{alert(shadow.AlertAnomaly, "e")}, at(60))))
	assert.Empty(t, a.throttle([]shadow.Alert{alert(shadow.AlertAnomaly, "f")}, at(61)))
	assert.Equal(t, []string{"anomaly: g (and 1 more since " + at(60).Format(time.RFC3339) + ")"}, notes(a.throttle([]shadow.Alert{alert(shadow.AlertAnomaly, "g")}, at(50))),
		"a clock stepped back starts over")
	ok := []shadow.Alert{alert(shadow.AlertSuspectSample, "h")}
	assert.Equal(t, ok, a.throttle(ok, at(51)), "other kinds pass unchanged")
}

func TestApplyOutcomeKeepsReplicasWhenTheWorkloadWasUnreadable(t *testing.T) {
	var st v1alpha1.PredictiveScalerStatus
	applyOutcome(&st, passOutcome{report: scaledReport()})
	r := shadow.Report{Time: t0.Add(time.Minute), Conditions: []shadow.Condition{
		{Type: shadow.AbleToScale, Status: false, Reason: shadow.ReasonFailedGetState, Message: "status not yet observed"},
	}}
	applyOutcome(&st, passOutcome{report: r, err: errors.New("actuator: stale")})
	assert.Equal(t, int32(4), st.CurrentReplicas, "not zeroed")
	assert.Equal(t, int32(3), st.ReadyReplicas)
	assert.Equal(t, int32(9), st.DesiredReplicas)
	assert.Equal(t, "FailedGetState", meta.FindStatusCondition(st.Conditions, "AbleToScale").Reason)
	assert.True(t, st.LastPassTime.Time.Equal(t0.Add(time.Minute)))
}
