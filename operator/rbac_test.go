package operator

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/shadowscale/shadowscale/drivers/k8s"
	"github.com/shadowscale/shadowscale/drivers/k8s/k8stest"
	"github.com/shadowscale/shadowscale/operator/api/v1alpha1"
)

// permission is one verb on one resource ("deployments/scale") of a group.
type permission struct{ group, resource, verb string }

// manifests reads the ClusterRole and the Role of config/rbac/role.yaml.
func manifests(t *testing.T) (cluster rbacv1.ClusterRole, leases rbacv1.Role) {
	t.Helper()
	b, err := os.ReadFile("config/rbac/role.yaml")
	require.NoError(t, err)
	dec := utilyaml.NewDocumentDecoder(io.NopCloser(bytes.NewReader(b)))
	var roles, clusterRoles int
	for {
		buf := make([]byte, 1<<16)
		n, err := dec.Read(buf)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		var meta metav1.TypeMeta
		require.NoError(t, yaml.Unmarshal(buf[:n], &meta))
		switch meta.Kind {
		case "ClusterRole":
			require.NoError(t, yaml.Unmarshal(buf[:n], &cluster))
			clusterRoles++
		case "Role":
			require.NoError(t, yaml.Unmarshal(buf[:n], &leases))
			roles++
		}
	}
	require.Equal(t, 1, clusterRoles)
	require.Equal(t, 1, roles)
	return cluster, leases
}

func grants(rules []rbacv1.PolicyRule) map[permission]bool {
	out := map[permission]bool{}
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					out[permission{g, res, v}] = true
				}
			}
		}
	}
	return out
}

// recordCalls exercises every call the operator makes through its
// clientset — the state store, the workload driver for every kind, the
// Event's workload lookup, the shard election — and returns them as
// permissions.
func recordCalls(t *testing.T) map[permission]bool {
	ctx := context.Background()
	var objs []runtime.Object
	for _, kind := range []string{"Deployment", "StatefulSet", "ReplicaSet"} {
		meta := metav1.ObjectMeta{Namespace: "shop", Name: "w-" + kind, Generation: 1}
		switch kind {
		case "Deployment":
			objs = append(objs, &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1)},
				Status: appsv1.DeploymentStatus{ObservedGeneration: 1}})
		case "StatefulSet":
			objs = append(objs, &appsv1.StatefulSet{ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](1)},
				Status: appsv1.StatefulSetStatus{ObservedGeneration: 1}})
		case "ReplicaSet":
			objs = append(objs, &appsv1.ReplicaSet{ObjectMeta: meta, Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](1)},
				Status: appsv1.ReplicaSetStatus{ObservedGeneration: 1}})
		}
	}
	cs := fake.NewClientset(objs...)
	k8stest.ServeScale(cs)
	versioned(cs, "configmaps")
	versioned(cs, "leases")
	w := &writer{kube: cs}
	for _, kind := range []string{"Deployment", "StatefulSet", "ReplicaSet"} {
		k, err := k8s.ParseKind(kind)
		require.NoError(t, err)
		wl, err := k8s.NewWorkload(cs, k8s.Config{Namespace: "shop", Name: "w-" + kind, Kind: k})
		require.NoError(t, err)
		_, err = wl.Current(ctx)
		require.NoError(t, err)
		require.NoError(t, wl.Scale(ctx, 3))
		ref := w.workloadRef(ctx, "shop", v1alpha1.ScaleTargetRef{Kind: kind, Name: "w-" + kind})
		require.NotEmpty(t, ref.Name)
	}
	store, err := NewConfigMapStore(cs, "shop", "st", testOwner)
	require.NoError(t, err)
	_, _ = store.Load(ctx)
	require.NoError(t, store.Save(ctx, []byte("1")))
	require.NoError(t, store.Save(ctx, []byte("2")))

	synctest.Test(t, func(t *testing.T) {
		sink := &sinkRecorder{id: "a", j: &journal{}, held: map[int]bool{}}
		stop := startElect(cs, "a", 1, sink)
		time.Sleep(5 * time.Second)
		require.NoError(t, stop())
	})

	out := map[permission]bool{}
	for _, a := range cs.Actions() {
		res := a.GetResource().Resource
		if a.GetSubresource() != "" {
			res += "/" + a.GetSubresource()
		}
		verb := a.GetVerb()
		if _, ok := a.(k8stesting.UpdateAction); ok && a.GetSubresource() == "scale" {
			verb = "update"
		}
		out[permission{a.GetResource().Group, res, verb}] = true
	}
	return out
}

// TestRBACCoversEveryCall: the ClusterRole and the Role of config/rbac
// grant every call the operator makes, and nothing else.
func TestRBACCoversEveryCall(t *testing.T) {
	cluster, leaseRole := manifests(t)
	used := recordCalls(t)
	// The calls through controller-runtime: the informers of the cache
	// list and watch PredictiveScalers and HPAs, the status is patched,
	// and the Event recorder (events.k8s.io/v1) creates Events and
	// patches their series.
	for _, p := range []permission{
		{"shadowscale.io", "predictivescalers", "list"},
		{"shadowscale.io", "predictivescalers", "watch"},
		{"shadowscale.io", "predictivescalers/status", "patch"},
		{"autoscaling", "horizontalpodautoscalers", "list"},
		{"autoscaling", "horizontalpodautoscalers", "watch"},
		{"events.k8s.io", "events", "create"},
		{"events.k8s.io", "events", "patch"},
	} {
		used[p] = true
	}
	for _, want := range []permission{
		{"apps", "statefulsets/scale", "update"},
		{"", "configmaps", "create"},
		{"coordination.k8s.io", "leases", "update"},
	} {
		require.True(t, used[want], "the exercise made the call %v", want)
	}

	clusterGrants, leaseGrants := grants(cluster.Rules), grants(leaseRole.Rules)
	for p := range used {
		if p.group == "coordination.k8s.io" {
			assert.True(t, leaseGrants[p], "the leases Role grants %v", p)
			continue
		}
		assert.True(t, clusterGrants[p], "the ClusterRole grants %v", p)
	}
	// Least privilege: every grant is used, except get and update of the
	// status, which the API server's conventions pair with patch, and get
	// on predictivescalers (the cache's reads are list and watch; kubectl
	// auth can-i checks for it).
	spare := []permission{
		{"shadowscale.io", "predictivescalers/status", "get"},
		{"shadowscale.io", "predictivescalers/status", "update"},
		{"shadowscale.io", "predictivescalers", "get"},
	}
	for p := range clusterGrants {
		assert.True(t, used[p] || slices.Contains(spare, p), "the ClusterRole grants %v, which nothing calls", p)
	}
	for p := range leaseGrants {
		assert.True(t, used[p], "the leases Role grants %v, which nothing calls", p)
	}
}
