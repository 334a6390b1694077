package operator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/shadowscale/shadowscale/drivers/k8s"
	"github.com/shadowscale/shadowscale/operator/api/v1alpha1"
	"github.com/shadowscale/shadowscale/shadow"
)

// EventRecorder records Kubernetes Events (events.k8s.io/v1), as
// k8s.io/client-go/tools/events.EventRecorder does.
type EventRecorder interface {
	Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any)
}

// stepper runs a Controller pass and reports the lead time it learned;
// *shadow.Controller is one.
type stepper interface {
	Step(ctx context.Context, now time.Time) (shadow.Report, error)
	LeadTime() time.Duration
}

// writer writes what passes give: the PredictiveScaler's status, and Events
// on its workload.
type writer struct {
	client   client.Client // reads PredictiveScalers and HPAs (cached), patches status
	kube     kubernetes.Interface
	recorder EventRecorder
	log      *slog.Logger
}

// objScaler is the scaler of one PredictiveScaler generation.
type objScaler struct {
	key     types.NamespacedName
	gen     int64
	ref     v1alpha1.ScaleTargetRef
	every   time.Duration
	scaleOn bool // ForecastAndScale
	ctrl    stepper
	w       *writer
	passes  *passLogState // nil: no per-pass log
	// anomalies throttles the Events of load-anomaly alerts.
	anomalies anomalyEvents
}

func (s *objScaler) interval() time.Duration { return s.every }

// pass looks for an HPA on the workload, runs the Controller's pass, and
// writes the status and the Events — unless ctx ended meanwhile: then the
// shard may be another replica's, and it writes nothing. A ForecastOnly
// object reports an HPA too (its condition says what ForecastAndScale
// would meet), with no Event: it refuses nothing.
func (s *objScaler) pass(ctx context.Context, now time.Time) {
	// Prometheus stamps samples at millisecond precision: a pass time of
	// the same precision puts the history read back from it and the live
	// samples on one grid (a backfilled point a fraction of a millisecond
	// before the pass would otherwise take the pass's own grid slot).
	now = now.Truncate(time.Millisecond)
	if s.passes != nil {
		s.passes.nextPass()
	}
	o := passOutcome{gen: s.gen, forecastOnly: !s.scaleOn}
	o.conflict = s.w.hpaConflict(ctx, s.key.Namespace, s.ref)
	o.report, o.err = s.ctrl.Step(ctx, now)
	o.leadTime = s.ctrl.LeadTime()
	if ctx.Err() != nil {
		return
	}
	if err := s.w.writeStatus(ctx, s.key, func(st *v1alpha1.PredictiveScalerStatus) { applyOutcome(st, o) }); err != nil {
		s.w.log.Warn("status not written", "predictivescaler", s.key.String(), "error", err.Error())
	}
	o.report.Alerts = s.anomalies.throttle(o.report.Alerts, now)
	evs := eventsFor(o)
	if len(evs) == 0 {
		return
	}
	regarding := s.w.workloadRef(ctx, s.key.Namespace, s.ref)
	related := &corev1.ObjectReference{
		APIVersion: v1alpha1.GroupVersion.String(), Kind: "PredictiveScaler",
		Namespace: s.key.Namespace, Name: s.key.Name,
	}
	for _, e := range evs {
		s.w.recorder.Eventf(regarding, related, e.typ, e.reason, e.action, "%s", e.note)
	}
}

// hpaConflict names the first HorizontalPodAutoscaler in namespace whose
// scaleTargetRef is ref's workload, or returns "" (also when HPAs cannot
// be listed: the driver checks again before it scales).
func (w *writer) hpaConflict(ctx context.Context, namespace string, ref v1alpha1.ScaleTargetRef) string {
	var hpas autoscalingv2.HorizontalPodAutoscalerList
	if err := w.client.List(ctx, &hpas, client.InNamespace(namespace)); err != nil {
		return ""
	}
	for _, h := range hpas.Items {
		t := h.Spec.ScaleTargetRef
		if t.Kind == ref.Kind && t.Name == ref.Name && apiGroup(t.APIVersion) == "apps" {
			return h.Name
		}
	}
	return ""
}

// apiGroup is the group of an apiVersion ("apps/v1" → "apps").
func apiGroup(apiVersion string) string {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return ""
	}
	return gv.Group
}

// workloadRef is the object reference Events about the workload carry; its
// UID (so that kubectl describe lists them) is read from the API server,
// and left out when it cannot be.
func (w *writer) workloadRef(ctx context.Context, namespace string, ref v1alpha1.ScaleTargetRef) *corev1.ObjectReference {
	out := &corev1.ObjectReference{APIVersion: "apps/v1", Kind: ref.Kind, Namespace: namespace, Name: ref.Name}
	var meta metav1.Object
	var err error
	apps := w.kube.AppsV1()
	switch ref.Kind {
	case k8s.StatefulSet.String():
		meta, err = apps.StatefulSets(namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	case k8s.ReplicaSet.String():
		meta, err = apps.ReplicaSets(namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	default:
		meta, err = apps.Deployments(namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	}
	if err == nil {
		out.UID = meta.GetUID()
	}
	return out
}

// writeStatus applies mutate to the PredictiveScaler's status and patches
// it (a merge patch of the status subresource: no resourceVersion
// conflicts with spec edits). A deleted object is left alone.
func (w *writer) writeStatus(ctx context.Context, key types.NamespacedName, mutate func(*v1alpha1.PredictiveScalerStatus)) error {
	var obj v1alpha1.PredictiveScaler
	if err := w.client.Get(ctx, key, &obj); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("operator: read %s: %w", key, err)
	}
	orig := obj.DeepCopy()
	mutate(&obj.Status)
	if err := w.client.Status().Patch(ctx, &obj, client.MergeFrom(orig)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("operator: write status of %s: %w", key, err)
	}
	return nil
}

// factory makes the scalers of the fleet.
type factory struct {
	b *builder
	w *writer
}

var _ scalerFactory = (*factory)(nil)

func (f *factory) newScaler(obj *v1alpha1.PredictiveScaler) (scaler, error) {
	b, err := f.b.build(obj)
	if err != nil {
		return nil, err
	}
	return &objScaler{
		key:     types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name},
		gen:     obj.Generation,
		ref:     obj.Spec.ScaleTargetRef,
		every:   b.settings.interval,
		scaleOn: !b.settings.forecastOnly,
		ctrl:    b.ctrl,
		w:       f.w,
		passes:  b.passes,
	}, nil
}

// fail reports a spec the operator refuses, or a Controller it could not
// build: Ready=False with the reason in the status, and a Warning Event
// on the PredictiveScaler.
func (f *factory) fail(ctx context.Context, obj *v1alpha1.PredictiveScaler, err error) {
	key := types.NamespacedName{Namespace: obj.Namespace, Name: obj.Name}
	f.w.log.Warn("predictivescaler refused", "predictivescaler", key.String(), "error", err.Error())
	if werr := f.w.writeStatus(ctx, key, func(st *v1alpha1.PredictiveScalerStatus) { applyFailure(st, obj.Generation, err) }); werr != nil {
		f.w.log.Warn("status not written", "predictivescaler", key.String(), "error", werr.Error())
	}
	if ctx.Err() != nil {
		return
	}
	reason := EventSetupFailed
	if errors.Is(err, ErrInvalidSpec) {
		reason = EventInvalidSpec
	}
	regarding := &corev1.ObjectReference{
		APIVersion: v1alpha1.GroupVersion.String(), Kind: "PredictiveScaler",
		Namespace: obj.Namespace, Name: obj.Name, UID: obj.UID,
	}
	f.w.recorder.Eventf(regarding, nil, corev1.EventTypeWarning, reason, "Refuse", "%s", err.Error())
}
