package k8s

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/drivers/k8s/k8stest"
)

func deployment(ns, name string, replicas *int32, ready int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, ResourceVersion: "1"},
		Spec:       appsv1.DeploymentSpec{Replicas: replicas},
		Status:     appsv1.DeploymentStatus{Replicas: 4, ReadyReplicas: ready},
	}
}

func ptr(n int32) *int32 { return &n }

func TestNewWorkloadValidates(t *testing.T) {
	_, err := NewWorkload(nil, Config{Name: "web"})
	require.ErrorContains(t, err, "client is nil")
	_, err = NewWorkload(fake.NewClientset(), Config{})
	require.ErrorContains(t, err, "Config.Name is empty")
	_, err = NewWorkload(fake.NewClientset(), Config{Name: "web", Kind: Kind(9)})
	require.ErrorContains(t, err, "Config.Kind 9")
	w, err := NewWorkload(fake.NewClientset(), Config{Name: "web"})
	require.NoError(t, err)
	assert.Equal(t, "default", w.Config().Namespace)
	assert.Equal(t, "Deployment default/web", w.Config().String())
}

func TestKindStringAndParse(t *testing.T) {
	for _, k := range []Kind{Deployment, StatefulSet, ReplicaSet} {
		got, err := ParseKind(k.String())
		require.NoError(t, err)
		assert.Equal(t, k, got)
	}
	assert.Equal(t, "unknown kind: 7", Kind(7).String())
	_, err := ParseKind("DaemonSet")
	require.ErrorContains(t, err, `unknown workload kind "DaemonSet"`)
}

func TestDeploymentCurrent(t *testing.T) {
	c := fake.NewClientset(deployment("shop", "web", ptr(4), 3))
	w, err := NewWorkload(c, Config{Namespace: "shop", Name: "web"})
	require.NoError(t, err)
	st, err := w.Current(context.Background())
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 4, Ready: 3}, st)
}

func TestCurrentDefaultsUnsetReplicasToOne(t *testing.T) {
	c := fake.NewClientset(deployment("shop", "web", nil, 0))
	w, err := NewWorkload(c, Config{Namespace: "shop", Name: "web"})
	require.NoError(t, err)
	st, err := w.Current(context.Background())
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 1, Ready: 0}, st)
}

func TestStatefulSetAndReplicaSetCurrent(t *testing.T) {
	c := fake.NewClientset(
		&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop"},
			Spec: appsv1.StatefulSetSpec{Replicas: ptr(3)}, Status: appsv1.StatefulSetStatus{ReadyReplicas: 2}},
		&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "rs", Namespace: "shop"},
			Spec: appsv1.ReplicaSetSpec{Replicas: ptr(5)}, Status: appsv1.ReplicaSetStatus{ReadyReplicas: 5}},
	)
	sts, err := NewWorkload(c, Config{Namespace: "shop", Name: "db", Kind: StatefulSet})
	require.NoError(t, err)
	st, err := sts.Current(context.Background())
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 3, Ready: 2}, st)

	rs, err := NewWorkload(c, Config{Namespace: "shop", Name: "rs", Kind: ReplicaSet})
	require.NoError(t, err)
	st, err = rs.Current(context.Background())
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 5, Ready: 5}, st)
}

func TestScaleUpdatesScaleSubresource(t *testing.T) {
	c := fake.NewClientset(deployment("shop", "web", ptr(2), 2))
	k8stest.ServeScale(c)
	w, err := NewWorkload(c, Config{Namespace: "shop", Name: "web"})
	require.NoError(t, err)
	ctx := context.Background()

	require.NoError(t, w.Scale(ctx, 6))
	st, err := w.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, 6, st.Desired)

	var updates []k8stesting.UpdateAction
	for _, a := range c.Actions() {
		if u, ok := a.(k8stesting.UpdateAction); ok {
			updates = append(updates, u)
		}
	}
	require.Len(t, updates, 1)
	assert.Equal(t, "scale", updates[0].GetSubresource())
	assert.Equal(t, "shop", updates[0].GetNamespace())
	s := updates[0].GetObject().(*autoscalingv1.Scale)
	assert.Equal(t, int32(6), s.Spec.Replicas)
	assert.Equal(t, "1", s.ResourceVersion, "the update must carry the resourceVersion it read")

	// Idempotent: already at 6, no second update.
	c.ClearActions()
	require.NoError(t, w.Scale(ctx, 6))
	for _, a := range c.Actions() {
		assert.NotEqual(t, "update", a.GetVerb())
	}
}

func TestScaleRejectsInvalidTarget(t *testing.T) {
	c := fake.NewClientset(deployment("shop", "web", ptr(2), 2))
	w, err := NewWorkload(c, Config{Namespace: "shop", Name: "web"})
	require.NoError(t, err)
	err = w.Scale(context.Background(), -1)
	require.ErrorIs(t, err, actuator.ErrInvalidTarget)
	assert.True(t, actuator.IsPermanent(err))
	assert.Empty(t, c.Actions())
}

func TestScaleConflictIsTransient(t *testing.T) {
	c := fake.NewClientset(deployment("shop", "web", ptr(2), 2))
	k8stest.ServeScale(c)
	// Another writer changed the Deployment after our read: the scale we
	// read carries a stale resourceVersion, so the update must conflict.
	c.PrependReactor("get", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		return true, &autoscalingv1.Scale{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", ResourceVersion: "0"},
			Spec:       autoscalingv1.ScaleSpec{Replicas: 2},
		}, nil
	})
	w, err := NewWorkload(c, Config{Namespace: "shop", Name: "web"})
	require.NoError(t, err)
	err = w.Scale(context.Background(), 5)
	require.Error(t, err)
	assert.True(t, apierrors.IsConflict(err))
	assert.False(t, actuator.IsPermanent(err))
	assert.Contains(t, err.Error(), "k8s: scale Deployment shop/web to 5: update scale: ")
	st, err := w.Current(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, st.Desired, "a conflicting update must not change the Deployment")
}

func TestNotFoundIsPermanent(t *testing.T) {
	c := fake.NewClientset()
	k8stest.ServeScale(c)
	w, err := NewWorkload(c, Config{Namespace: "shop", Name: "gone"})
	require.NoError(t, err)
	err = w.Scale(context.Background(), 3)
	require.Error(t, err)
	assert.True(t, apierrors.IsNotFound(err))
	assert.True(t, actuator.IsPermanent(err))

	_, err = w.Current(context.Background())
	require.Error(t, err)
	assert.True(t, apierrors.IsNotFound(err))
	assert.True(t, actuator.IsPermanent(err))
	assert.Contains(t, err.Error(), "k8s: read Deployment shop/gone: ")
}

func TestClassify(t *testing.T) {
	gr := schema.GroupResource{Group: "apps", Resource: "deployments"}
	cases := []struct {
		name      string
		err       error
		permanent bool
	}{
		{"not found", apierrors.NewNotFound(gr, "web"), true},
		{"forbidden", apierrors.NewForbidden(gr, "web", errors.New("rbac")), true},
		{"unauthorized", apierrors.NewUnauthorized("token expired"), true},
		{"invalid", apierrors.NewInvalid(schema.GroupKind{Group: "autoscaling", Kind: "Scale"}, "web",
			field.ErrorList{field.Invalid(field.NewPath("spec", "replicas"), -1, "must be >= 0")}), true},
		{"bad request", apierrors.NewBadRequest("nope"), true},
		{"conflict", apierrors.NewConflict(gr, "web", errors.New("modified")), false},
		{"too many requests", apierrors.NewTooManyRequests("slow down", 1), false},
		{"server timeout", apierrors.NewServerTimeout(gr, "update", 1), false},
		{"internal", apierrors.NewInternalError(errors.New("etcd")), false},
		{"unavailable", apierrors.NewServiceUnavailable("apiserver"), false},
		{"network", errors.New("dial tcp: connection refused"), false},
		{"canceled", context.Canceled, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := classify(fmt.Errorf("wrapped: %w", c.err))
			assert.Equal(t, c.permanent, actuator.IsPermanent(got))
			assert.ErrorIs(t, got, c.err)
		})
	}
	assert.NoError(t, classify(nil))
}

func hpa(name, kind, target string) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: kind, Name: target},
		},
	}
}

func TestScaleRefusesWhenAnHPATargetsTheWorkload(t *testing.T) {
	cases := []struct {
		name    string
		hpa     *autoscalingv2.HorizontalPodAutoscaler
		refused bool
	}{
		{"same deployment", hpa("web", "Deployment", "web"), true},
		{"other deployment", hpa("api", "Deployment", "api"), false},
		{"same name, other kind", hpa("web", "StatefulSet", "web"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cs := fake.NewClientset(deployment("shop", "web", ptr(2), 2), c.hpa)
			k8stest.ServeScale(cs)
			w, err := NewWorkload(cs, Config{Namespace: "shop", Name: "web"})
			require.NoError(t, err)
			err = w.Scale(context.Background(), 5)
			st, cerr := w.Current(context.Background())
			require.NoError(t, cerr)
			if !c.refused {
				require.NoError(t, err)
				assert.Equal(t, 5, st.Desired)
				return
			}
			require.ErrorIs(t, err, ErrHPAConflict)
			assert.True(t, actuator.IsPermanent(err))
			assert.Contains(t, err.Error(), "k8s: scale Deployment shop/web to 5: ")
			assert.Equal(t, 2, st.Desired, "left alone")
		})
	}
}

func TestCurrentCapsSurgePods(t *testing.T) {
	d := deployment("shop", "web", ptr(4), 6) // a rollout with maxSurge 2
	c := fake.NewClientset(d)
	w, err := NewWorkload(c, Config{Namespace: "shop", Name: "web"})
	require.NoError(t, err)
	st, err := w.Current(context.Background())
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 4, Ready: 4}, st)
}

func TestCurrentRefusesAStaleStatus(t *testing.T) {
	d := deployment("shop", "web", ptr(8), 4)
	d.Generation, d.Status.ObservedGeneration = 5, 4
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop", Generation: 2},
		Spec: appsv1.StatefulSetSpec{Replicas: ptr(3)}, Status: appsv1.StatefulSetStatus{ReadyReplicas: 3, ObservedGeneration: 1}}
	c := fake.NewClientset(d, sts)
	for _, cfg := range []Config{{Namespace: "shop", Name: "web"}, {Namespace: "shop", Name: "db", Kind: StatefulSet}} {
		w, err := NewWorkload(c, cfg)
		require.NoError(t, err)
		_, err = w.Current(context.Background())
		require.ErrorIs(t, err, ErrStatusStale)
		assert.False(t, actuator.IsPermanent(err))
	}
	d.Status.ObservedGeneration = 5
	c = fake.NewClientset(d)
	w, err := NewWorkload(c, Config{Namespace: "shop", Name: "web"})
	require.NoError(t, err)
	st, err := w.Current(context.Background())
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 8, Ready: 4}, st)
}

func TestScaleWithoutPermissionToListHPAsIsPermanent(t *testing.T) {
	c := fake.NewClientset(deployment("shop", "web", ptr(2), 2))
	k8stest.ServeScale(c)
	c.PrependReactor("list", "horizontalpodautoscalers", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "autoscaling", Resource: "horizontalpodautoscalers"}, "", errors.New("RBAC: no list"))
	})
	w, err := NewWorkload(c, Config{Namespace: "shop", Name: "web"})
	require.NoError(t, err)
	err = w.Scale(context.Background(), 5)
	require.Error(t, err)
	assert.True(t, apierrors.IsForbidden(err))
	assert.True(t, actuator.IsPermanent(err))
	assert.Contains(t, err.Error(), "k8s: scale Deployment shop/web to 5: list horizontal pod autoscalers: ")
	st, err := w.Current(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, st.Desired, "left alone")
}
