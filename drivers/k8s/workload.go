package k8s

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/shadowscale/shadowscale/actuator"
)

// Kind is the kind of workload a [Workload] scales.
type Kind int

// Kinds of workload.
const (
	// Deployment is an apps/v1 Deployment (the zero value).
	Deployment Kind = iota
	// StatefulSet is an apps/v1 StatefulSet.
	StatefulSet
	// ReplicaSet is an apps/v1 ReplicaSet.
	ReplicaSet
)

// String returns the Kubernetes kind name.
func (k Kind) String() string {
	switch k {
	case Deployment:
		return "Deployment"
	case StatefulSet:
		return "StatefulSet"
	case ReplicaSet:
		return "ReplicaSet"
	}
	return fmt.Sprintf("unknown kind: %d", int(k))
}

// ParseKind returns the Kind named s ("Deployment", "StatefulSet",
// "ReplicaSet", or their lower-case forms).
func ParseKind(s string) (Kind, error) {
	switch s {
	case "Deployment", "deployment":
		return Deployment, nil
	case "StatefulSet", "statefulset":
		return StatefulSet, nil
	case "ReplicaSet", "replicaset":
		return ReplicaSet, nil
	}
	return 0, fmt.Errorf("k8s: unknown workload kind %q (want Deployment, StatefulSet or ReplicaSet)", s)
}

// Config names one workload.
type Config struct {
	// Namespace is the workload's namespace. Empty means "default".
	Namespace string
	// Name is the workload's name. Required.
	Name string
	// Kind is the workload's kind. The zero value is Deployment.
	Kind Kind
}

// Validate reports the first missing or invalid field.
func (c Config) Validate() error {
	if c.Name == "" {
		return errors.New("k8s: Config.Name is empty")
	}
	if c.Kind < Deployment || c.Kind > ReplicaSet {
		return fmt.Errorf("k8s: Config.Kind %d is not Deployment, StatefulSet or ReplicaSet", int(c.Kind))
	}
	return nil
}

// String names the workload as kind namespace/name.
func (c Config) String() string { return c.Kind.String() + " " + c.Namespace + "/" + c.Name }

// scaler is the scale subresource of one kind's typed client.
type scaler interface {
	GetScale(ctx context.Context, name string, opts metav1.GetOptions) (*autoscalingv1.Scale, error)
	UpdateScale(ctx context.Context, name string, scale *autoscalingv1.Scale, opts metav1.UpdateOptions) (*autoscalingv1.Scale, error)
}

// Workload is an [actuator.Actuator] for one Deployment, StatefulSet or
// ReplicaSet. It holds no mutable state and is safe for concurrent use.
type Workload struct {
	client kubernetes.Interface
	cfg    Config
}

var _ actuator.Actuator = (*Workload)(nil)

// NewWorkload returns an actuator for the workload cfg names, called through
// client (usually kubernetes.NewForConfig(restConfig)).
func NewWorkload(client kubernetes.Interface, cfg Config) (*Workload, error) {
	if client == nil {
		return nil, errors.New("k8s: NewWorkload: client is nil")
	}
	if cfg.Namespace == "" {
		cfg.Namespace = metav1.NamespaceDefault
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Workload{client: client, cfg: cfg}, nil
}

// Config returns the workload's configuration, defaults applied.
func (w *Workload) Config() Config { return w.cfg }

func (w *Workload) scaler() scaler {
	apps := w.client.AppsV1()
	switch w.cfg.Kind {
	case StatefulSet:
		return apps.StatefulSets(w.cfg.Namespace)
	case ReplicaSet:
		return apps.ReplicaSets(w.cfg.Namespace)
	}
	return apps.Deployments(w.cfg.Namespace)
}

// conflictRetries bounds the immediate re-reads after a 409 Conflict.
const conflictRetries = 3

// Scale sets the workload's replicas to target through the scale
// subresource:
//
//  1. A HorizontalPodAutoscaler in the namespace whose scaleTargetRef names
//     the workload makes Scale refuse with a permanent [ErrHPAConflict]: the
//     two would overwrite each other's replicas every few seconds.
//  2. A workload whose scale already asks for target is left alone.
//  3. The update carries the resourceVersion read just before. On a 409
//     Conflict the scale is read again: if spec.replicas is what it was (the
//     conflict came from a status write, which real API servers make often
//     while the workload's controller works), the update is retried at once
//     with the new resourceVersion, up to three times; if someone else
//     changed spec.replicas, the Conflict is returned (transient) instead of
//     overwriting their change.
func (w *Workload) Scale(ctx context.Context, target int) error {
	if target < 0 || target > math.MaxInt32 {
		return actuator.Permanent(fmt.Errorf("k8s: scale %s to %d: %w", w.cfg, target, actuator.ErrInvalidTarget))
	}
	if err := w.checkHPA(ctx); err != nil {
		return fmt.Errorf("k8s: scale %s to %d: %w", w.cfg, target, err)
	}
	s := w.scaler()
	cur, err := s.GetScale(ctx, w.cfg.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("k8s: scale %s to %d: get scale: %w", w.cfg, target, classify(err))
	}
	if int(cur.Spec.Replicas) == target {
		return nil
	}
	read := cur.Spec.Replicas
	for attempt := 0; ; attempt++ {
		next := cur.DeepCopy()
		next.Spec.Replicas = int32(target)
		_, err := s.UpdateScale(ctx, w.cfg.Name, next, metav1.UpdateOptions{})
		if err == nil {
			return nil
		}
		if !apierrors.IsConflict(err) || attempt == conflictRetries {
			return fmt.Errorf("k8s: scale %s to %d: update scale: %w", w.cfg, target, classify(err))
		}
		cur, err = s.GetScale(ctx, w.cfg.Name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("k8s: scale %s to %d: get scale after a conflict: %w", w.cfg, target, classify(err))
		}
		switch {
		case int(cur.Spec.Replicas) == target:
			return nil // someone else asked for the same
		case cur.Spec.Replicas != read:
			return fmt.Errorf("k8s: scale %s to %d: replicas changed from %d to %d by another writer: %w",
				w.cfg, target, read, cur.Spec.Replicas, ErrReplicasChanged)
		}
	}
}

// checkHPA returns a permanent ErrHPAConflict when a HorizontalPodAutoscaler
// targets the workload.
func (w *Workload) checkHPA(ctx context.Context) error {
	list, err := w.client.AutoscalingV2().HorizontalPodAutoscalers(w.cfg.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list horizontal pod autoscalers: %w", classify(err))
	}
	for _, h := range list.Items {
		ref := h.Spec.ScaleTargetRef
		if ref.Kind == w.cfg.Kind.String() && ref.Name == w.cfg.Name && refIsApps(ref.APIVersion) {
			return actuator.Permanent(fmt.Errorf("%w: HorizontalPodAutoscaler %s/%s targets it", ErrHPAConflict, h.Namespace, h.Name))
		}
	}
	return nil
}

// refIsApps reports whether a scaleTargetRef's apiVersion is the apps group
// (or unset, which the HPA controller does not accept but a reader should
// not ignore).
func refIsApps(apiVersion string) bool {
	return apiVersion == "" || strings.HasPrefix(apiVersion, "apps/")
}

// Current reports spec.replicas (1 when unset, as the API server defaults it)
// and status.readyReplicas of the workload, capped at spec.replicas: during
// a rolling update a Deployment runs up to maxSurge extra pods, and counting
// them would make new capacity look ready before it is. A status the
// workload's controller has not yet brought up to date with the spec
// (status.observedGeneration below metadata.generation) describes an older
// spec; Current returns the transient [ErrStatusStale] instead of numbers
// that do not belong together.
func (w *Workload) Current(ctx context.Context) (actuator.State, error) {
	var (
		replicas             *int32
		ready                int32
		generation, observed int64
		err                  error
	)
	apps := w.client.AppsV1()
	switch w.cfg.Kind {
	case StatefulSet:
		o, e := apps.StatefulSets(w.cfg.Namespace).Get(ctx, w.cfg.Name, metav1.GetOptions{})
		if err = e; e == nil {
			replicas, ready = o.Spec.Replicas, o.Status.ReadyReplicas
			generation, observed = o.Generation, o.Status.ObservedGeneration
		}
	case ReplicaSet:
		o, e := apps.ReplicaSets(w.cfg.Namespace).Get(ctx, w.cfg.Name, metav1.GetOptions{})
		if err = e; e == nil {
			replicas, ready = o.Spec.Replicas, o.Status.ReadyReplicas
			generation, observed = o.Generation, o.Status.ObservedGeneration
		}
	default:
		o, e := apps.Deployments(w.cfg.Namespace).Get(ctx, w.cfg.Name, metav1.GetOptions{})
		if err = e; e == nil {
			replicas, ready = o.Spec.Replicas, o.Status.ReadyReplicas
			generation, observed = o.Generation, o.Status.ObservedGeneration
		}
	}
	if err != nil {
		return actuator.State{}, fmt.Errorf("k8s: read %s: %w", w.cfg, classify(err))
	}
	if observed < generation {
		return actuator.State{}, fmt.Errorf("k8s: read %s: %w: generation %d, observed %d", w.cfg, ErrStatusStale, generation, observed)
	}
	desired := 1
	if replicas != nil {
		desired = int(*replicas)
	}
	return actuator.State{Desired: desired, Ready: min(int(ready), desired)}, nil
}
