//go:build integration

package kubetest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/shadowscale/shadowscale/operator/internal/kubetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// klog's flush daemon, started by client-go's init.
		goleak.IgnoreTopFunction("k8s.io/klog/v2.(*flushDaemon).run.func1"),
	)
}

// TestIntegrationControlPlane: a Deployment gets real pods from the
// controller manager, bound and made Ready by the fake kubelet no sooner
// than its delay; a scale to zero deletes them; the audit log names who
// wrote the scale; a ServiceAccount can do only what RBAC grants it.
func TestIntegrationControlPlane(t *testing.T) {
	const delay = 2 * time.Second
	env := kubetest.Start(t, kubetest.Options{ReadyDelay: delay})
	ctx := t.Context()
	ns := env.Namespace(t, "harness")
	deps := env.Client.AppsV1().Deployments(ns)

	created := time.Now()
	_, err := deps.Create(ctx, kubetest.Deployment(ns, "web", 2), metav1.CreateOptions{})
	require.NoError(t, err)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		d, err := deps.Get(ctx, "web", metav1.GetOptions{})
		require.NoError(c, err)
		assert.EqualValues(c, 2, d.Status.ReadyReplicas)
	}, 30*time.Second, 50*time.Millisecond)
	took := time.Since(created)
	assert.GreaterOrEqual(t, took, delay, "pods became Ready before the kubelet's delay")
	t.Logf("Deployment of 2 replicas Ready %v after its creation (kubelet delay %v)", took.Round(time.Millisecond), delay)

	pods, err := env.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	require.Len(t, pods.Items, 2)
	for _, p := range pods.Items {
		assert.Equal(t, kubetest.NodeName, p.Spec.NodeName)
		assert.Equal(t, corev1.PodRunning, p.Status.Phase)
	}

	env.Kubelet.SetReadyDelay(0)
	s, err := deps.GetScale(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err)
	s.Spec.Replicas = 0
	_, err = deps.UpdateScale(ctx, "web", s, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		pods, err := env.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		require.NoError(c, err)
		assert.Empty(c, pods.Items, "pods of a Deployment scaled to 0")
	}, 30*time.Second, 50*time.Millisecond)

	writes, err := env.Writes(ns)
	require.NoError(t, err)
	var scaleWrites []kubetest.Write
	for _, w := range writes {
		if w.Subresource == "scale" {
			scaleWrites = append(scaleWrites, w)
		}
	}
	require.Len(t, scaleWrites, 1, "%+v", writes)
	assert.Equal(t, kubetest.Write{
		User: "kubetest-admin", UserAgent: scaleWrites[0].UserAgent, Verb: "update",
		Resource: "deployments", Subresource: "scale", Namespace: ns, Name: "web", Code: 200, Time: scaleWrites[0].Time,
	}, scaleWrites[0])

	// A ServiceAccount with no binding is refused; with a Role it may.
	_, err = env.Client.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "reader"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	cfg, err := env.ServiceAccountConfig(ctx, ns, "reader")
	require.NoError(t, err)
	sa, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	_, err = sa.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	assert.True(t, apierrors.IsForbidden(err), "list without RBAC: %v", err)
	_, err = env.Client.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "read-deployments"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"list"}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = env.Client.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "read-deployments"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "reader", Namespace: ns}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		list, err := sa.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		require.NoError(c, err)
		assert.Len(c, list.Items, 1)
	}, 10*time.Second, 50*time.Millisecond)
	_, err = sa.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	assert.True(t, apierrors.IsForbidden(err), "get is not granted: %v", err)
}
