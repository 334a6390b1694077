//go:build integration

package operator_test

// The drivers/k8s Workload against a real kube-apiserver and
// kube-controller-manager (package kubetest): real pods, real readiness,
// real 409 Conflicts. They live in this module because the control plane
// harness does.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/drivers/k8s"
	"github.com/shadowscale/shadowscale/operator/internal/kubetest"
)

const waitFor = 30 * time.Second

// newHPA is a HorizontalPodAutoscaler of the Deployment name.
func newHPA(name string) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
			MinReplicas:    ptr.To[int32](1),
			MaxReplicas:    5,
		},
	}
}

// createWorkload creates a workload of kind with replicas and returns the
// driver for it.
func createWorkload(t *testing.T, client kubernetes.Interface, ns, name string, kind k8s.Kind, replicas int32) *k8s.Workload {
	t.Helper()
	ctx := t.Context()
	labels := map[string]string{"app": name}
	sel := &metav1.LabelSelector{MatchLabels: labels}
	var err error
	switch kind {
	case k8s.Deployment:
		_, err = client.AppsV1().Deployments(ns).Create(ctx, kubetest.Deployment(ns, name, replicas), metav1.CreateOptions{})
	case k8s.StatefulSet:
		_, err = client.AppsV1().StatefulSets(ns).Create(ctx, &appsv1.StatefulSet{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec: appsv1.StatefulSetSpec{
				Replicas: ptr.To(replicas), Selector: sel, Template: kubetest.PodTemplate(labels), ServiceName: name,
				PodManagementPolicy: appsv1.ParallelPodManagement,
			},
		}, metav1.CreateOptions{})
	case k8s.ReplicaSet:
		_, err = client.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:       appsv1.ReplicaSetSpec{Replicas: ptr.To(replicas), Selector: sel, Template: kubetest.PodTemplate(labels)},
		}, metav1.CreateOptions{})
	}
	require.NoError(t, err)
	w, err := k8s.NewWorkload(client, k8s.Config{Namespace: ns, Name: name, Kind: kind})
	require.NoError(t, err)
	return w
}

// waitState waits until Current reports want, and returns every distinct
// state it saw on the way (stale statuses, which Current refuses, left
// out).
func waitState(t *testing.T, w *k8s.Workload, want actuator.State) []actuator.State {
	t.Helper()
	var seen []actuator.State
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		st, err := w.Current(t.Context())
		if errors.Is(err, k8s.ErrStatusStale) {
			c.Errorf("stale: %v", err)
			return
		}
		require.NoError(c, err)
		if len(seen) == 0 || seen[len(seen)-1] != st {
			seen = append(seen, st)
		}
		assert.Equal(c, want, st)
	}, waitFor, 20*time.Millisecond)
	return seen
}

// TestIntegrationK8sDriver runs the driver's cases on one control plane.
func TestIntegrationK8sDriver(t *testing.T) {
	env := kubetest.Start(t, kubetest.Options{ReadyDelay: time.Second})
	t.Run("kinds", func(t *testing.T) { testDriverKinds(t, env) })
	t.Run("HPA", func(t *testing.T) { testDriverHPA(t, env) })
	t.Run("conflict", func(t *testing.T) { testDriverConflict(t, env) })
}

// testDriverKinds: each kind scales up and down through the scale
// subresource; Current follows spec.replicas at once and counts a pod
// ready only once the kubelet has marked it Ready (a second after binding).
func testDriverKinds(t *testing.T, env *kubetest.Env) {
	for _, kind := range []k8s.Kind{k8s.Deployment, k8s.StatefulSet, k8s.ReplicaSet} {
		t.Run(kind.String(), func(t *testing.T) {
			ns := env.Namespace(t, strings.ToLower(kind.String()))
			w := createWorkload(t, env.Client, ns, "app", kind, 1)
			waitState(t, w, actuator.State{Desired: 1, Ready: 1})

			require.NoError(t, w.Scale(t.Context(), 3))
			seen := waitState(t, w, actuator.State{Desired: 3, Ready: 3})
			// The new pods are Ready a second after binding: Current
			// saw the new spec with fewer ready first.
			assert.Equal(t, actuator.State{Desired: 3, Ready: 1}, seen[0], "states seen: %v", seen)

			require.NoError(t, w.Scale(t.Context(), 2))
			waitState(t, w, actuator.State{Desired: 2, Ready: 2})
			require.EventuallyWithT(t, func(c *assert.CollectT) {
				pods, err := env.Client.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{})
				require.NoError(c, err)
				assert.Len(c, pods.Items, 2)
			}, waitFor, 20*time.Millisecond)
		})
	}
}

// testDriverHPA: with a HorizontalPodAutoscaler on the Deployment, Scale
// refuses with a permanent ErrHPAConflict and writes nothing; an HPA on
// another Deployment does not matter.
func testDriverHPA(t *testing.T, env *kubetest.Env) {
	ctx := t.Context()
	ns := env.Namespace(t, "hpa")
	w := createWorkload(t, env.Client, ns, "web", k8s.Deployment, 1)
	other := createWorkload(t, env.Client, ns, "other", k8s.Deployment, 1)
	_, err := env.Client.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, newHPA("web"), metav1.CreateOptions{})
	require.NoError(t, err)

	err = w.Scale(ctx, 4)
	require.ErrorIs(t, err, k8s.ErrHPAConflict)
	assert.True(t, actuator.IsPermanent(err), "%v", err)
	assert.Contains(t, err.Error(), "HorizontalPodAutoscaler "+ns+"/web")
	d, err := env.Client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err)
	assert.EqualValues(t, 1, *d.Spec.Replicas)

	require.NoError(t, other.Scale(ctx, 2))
	waitState(t, other, actuator.State{Desired: 2, Ready: 2})
}

// interferer wraps a client's transport: once armed, right after the
// client reads a scale subresource it runs write (with another client),
// so the update that follows carries a stale resourceVersion and the real
// API server answers 409 Conflict.
type interferer struct {
	rt    http.RoundTripper
	armed atomic.Int32 // how many more GETs of a scale to interfere with
	write func(ctx context.Context) error
	errs  chan error
}

func (i *interferer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := i.rt.RoundTrip(req)
	if err == nil && req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/scale") && i.armed.Add(-1) >= 0 {
		if werr := i.write(req.Context()); werr != nil {
			i.errs <- werr
		}
	}
	return resp, err
}

func interferingClient(t *testing.T, env *kubetest.Env, write func(ctx context.Context) error) (kubernetes.Interface, *interferer) {
	t.Helper()
	i := &interferer{write: write, errs: make(chan error, 16)}
	cfg := rest.CopyConfig(env.Config)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { i.rt = rt; return i })
	client, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	return client, i
}

// scaleUpdates returns the codes of the updates of the Deployment's scale
// subresource in the audit log, in order.
func scaleUpdates(t *testing.T, env *kubetest.Env, ns, name string) []int {
	t.Helper()
	writes, err := env.Writes(ns)
	require.NoError(t, err)
	var codes []int
	for _, w := range writes {
		if w.Resource == "deployments" && w.Subresource == "scale" && w.Name == name {
			codes = append(codes, w.Code)
		}
	}
	return codes
}

// testDriverConflict: a status write between the driver's read and its
// update makes the real API server answer 409; the driver reads again,
// sees spec.replicas unchanged and retries at once. When another writer
// changed spec.replicas instead, it returns ErrReplicasChanged and leaves
// their value.
func testDriverConflict(t *testing.T, env *kubetest.Env) {
	ctx := t.Context()
	ns := env.Namespace(t, "conflict")
	deps := env.Client.AppsV1().Deployments(ns)
	w0 := createWorkload(t, env.Client, ns, "web", k8s.Deployment, 1)
	waitState(t, w0, actuator.State{Desired: 1, Ready: 1})

	t.Run("status write", func(t *testing.T) {
		// What the deployment controller does: write the status, which
		// bumps the resourceVersion and leaves spec.replicas alone.
		var n atomic.Int32
		client, i := interferingClient(t, env, func(ctx context.Context) error {
			patch := fmt.Appendf(nil, `{"status":{"conditions":[{"type":"KubetestWrite","status":"True","reason":"Write%d"}]}}`, n.Add(1))
			_, err := deps.Patch(ctx, "web", types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
			return err
		})
		w, err := k8s.NewWorkload(client, k8s.Config{Namespace: ns, Name: "web"})
		require.NoError(t, err)
		i.armed.Store(2) // the first read and the read after the first 409
		require.NoError(t, w.Scale(ctx, 3))
		assert.Empty(t, i.errs)
		d, err := deps.Get(ctx, "web", metav1.GetOptions{})
		require.NoError(t, err)
		assert.EqualValues(t, 3, *d.Spec.Replicas)
		assert.Equal(t, []int{409, 409, 200}, scaleUpdates(t, env, ns, "web"),
			"two real Conflicts, then the update with the fresh resourceVersion")
	})

	t.Run("replicas changed", func(t *testing.T) {
		// The pods of the scale to 3 come up; the deployment controller
		// writes the status as they do.
		waitState(t, w0, actuator.State{Desired: 3, Ready: 3})
		client, i := interferingClient(t, env, func(ctx context.Context) error {
			return retry.RetryOnConflict(retry.DefaultRetry, func() error {
				s, err := deps.GetScale(ctx, "web", metav1.GetOptions{})
				if err != nil {
					return err
				}
				s.Spec.Replicas = 7
				_, err = deps.UpdateScale(ctx, "web", s, metav1.UpdateOptions{})
				return err
			})
		})
		w, err := k8s.NewWorkload(client, k8s.Config{Namespace: ns, Name: "web"})
		require.NoError(t, err)
		i.armed.Store(1)
		err = w.Scale(ctx, 5)
		require.ErrorIs(t, err, k8s.ErrReplicasChanged)
		assert.False(t, actuator.IsPermanent(err))
		assert.Empty(t, i.errs)
		d, err := deps.Get(ctx, "web", metav1.GetOptions{})
		require.NoError(t, err)
		assert.EqualValues(t, 7, *d.Spec.Replicas, "the other writer's value stays")
	})
}
