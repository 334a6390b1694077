package k8stest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestServeScaleStatefulSetAndReplicaSet(t *testing.T) {
	c := fake.NewClientset(
		&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "ns"}, Status: appsv1.StatefulSetStatus{Replicas: 1}},
		&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "rs", Namespace: "ns", ResourceVersion: "7"}},
	)
	ServeScale(c)
	ctx := context.Background()

	sts := c.AppsV1().StatefulSets("ns")
	s, err := sts.GetScale(ctx, "db", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, int32(1), s.Spec.Replicas, "unset spec.replicas reads as 1")
	assert.Equal(t, int32(1), s.Status.Replicas)
	s.Spec.Replicas = 3
	_, err = sts.UpdateScale(ctx, "db", s, metav1.UpdateOptions{})
	require.NoError(t, err)
	got, err := sts.Get(ctx, "db", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, int32(3), *got.Spec.Replicas)

	rs := c.AppsV1().ReplicaSets("ns")
	s, err = rs.GetScale(ctx, "rs", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "7", s.ResourceVersion)
	s.Spec.Replicas = -1
	_, err = rs.UpdateScale(ctx, "rs", s, metav1.UpdateOptions{})
	assert.True(t, apierrors.IsInvalid(err), "got %v", err)
}

func TestServeScaleNotFoundAndUnconditionalUpdate(t *testing.T) {
	c := fake.NewClientset(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", ResourceVersion: "3"}})
	ServeScale(c)
	ctx := context.Background()
	deps := c.AppsV1().Deployments("ns")

	_, err := deps.GetScale(ctx, "nope", metav1.GetOptions{})
	assert.True(t, apierrors.IsNotFound(err), "got %v", err)

	s, err := deps.GetScale(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err)
	s.ResourceVersion = "" // no precondition: always applies
	s.Spec.Replicas = 4
	out, err := deps.UpdateScale(ctx, "web", s, metav1.UpdateOptions{})
	require.NoError(t, err)
	assert.Equal(t, "4", out.ResourceVersion)
	d, err := deps.Get(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, int32(4), *d.Spec.Replicas)
}
