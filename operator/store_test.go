package operator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/shadowscale/shadowscale/shadow"
)

var testOwner = metav1.OwnerReference{APIVersion: "shadowscale.io/v1alpha1", Kind: "PredictiveScaler", Name: "web", UID: "uid-1"}

// versioned makes the fake clientset keep the resourceVersions of resource
// as an API server does: each write bumps it, and an update with a stale
// one is a Conflict.
func versioned(cs *fake.Clientset, resource string) {
	var mu sync.Mutex
	rv := 0
	cs.PrependReactor("*", resource, func(a k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		switch a.GetVerb() {
		case "create":
			m, _ := meta.Accessor(a.(k8stesting.CreateAction).GetObject())
			rv++
			m.SetResourceVersion(fmt.Sprint(rv))
		case "update":
			m, _ := meta.Accessor(a.(k8stesting.UpdateAction).GetObject())
			cur, err := cs.Tracker().Get(a.GetResource(), a.GetNamespace(), m.GetName())
			if err != nil {
				return true, nil, err
			}
			cm, _ := meta.Accessor(cur)
			if cm.GetResourceVersion() != m.GetResourceVersion() {
				return true, nil, apierrors.NewConflict(a.GetResource().GroupResource(), m.GetName(), errors.New("the object has been modified"))
			}
			rv++
			m.SetResourceVersion(fmt.Sprint(rv))
		}
		return false, nil, nil
	})
}

func TestConfigMapStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset()
	versioned(cs, "configmaps")
	s, err := NewConfigMapStore(cs, "shop", StateConfigMapName("web"), testOwner)
	require.NoError(t, err)

	_, err = s.Load(ctx)
	require.ErrorIs(t, err, shadow.ErrNoSnapshot, "no ConfigMap yet")

	require.NoError(t, s.Save(ctx, []byte(`{"v":1}`)))
	cm, err := cs.CoreV1().ConfigMaps("shop").Get(ctx, "shadowscale-state-web", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, `{"v":1}`, cm.Data[snapshotKey])
	assert.Equal(t, []metav1.OwnerReference{testOwner}, cm.OwnerReferences, "deleted with its PredictiveScaler")

	require.NoError(t, s.Save(ctx, []byte(`{"v":2}`)), "an update at the version it wrote")

	// A new store (a restarted operator) reads what the last one saved.
	s2, err := NewConfigMapStore(cs, "shop", StateConfigMapName("web"), testOwner)
	require.NoError(t, err)
	got, err := s2.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, `{"v":2}`, string(got))
	require.NoError(t, s2.Save(ctx, []byte(`{"v":3}`)))
}

func TestConfigMapStoreRefusesAnotherWritersSnapshot(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset()
	versioned(cs, "configmaps")
	a, _ := NewConfigMapStore(cs, "shop", "st", testOwner)
	b, _ := NewConfigMapStore(cs, "shop", "st", testOwner)
	_, err := a.Load(ctx)
	require.ErrorIs(t, err, shadow.ErrNoSnapshot)
	_, err = b.Load(ctx)
	require.ErrorIs(t, err, shadow.ErrNoSnapshot)
	require.NoError(t, a.Save(ctx, []byte("a1")))
	err = b.Save(ctx, []byte("b1"))
	require.ErrorIs(t, err, ErrStateConflict, "b would create over a's ConfigMap")

	_, err = b.Load(ctx)
	require.NoError(t, err)
	require.NoError(t, b.Save(ctx, []byte("b2")))
	err = a.Save(ctx, []byte("a2"))
	require.ErrorIs(t, err, ErrStateConflict, "a's snapshot was overwritten by b since a wrote")
	got, err := b.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, "b2", string(got), "a did not overwrite b")
}

func TestConfigMapStoreWritesOverAMetadataChange(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset()
	versioned(cs, "configmaps")
	s, _ := NewConfigMapStore(cs, "shop", "st", testOwner)
	_, _ = s.Load(ctx)
	require.NoError(t, s.Save(ctx, []byte("one")))
	cm, err := cs.CoreV1().ConfigMaps("shop").Get(ctx, "st", metav1.GetOptions{})
	require.NoError(t, err)
	cm.Labels["team"] = "shop"
	_, err = cs.CoreV1().ConfigMaps("shop").Update(ctx, cm, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.NoError(t, s.Save(ctx, []byte("two")), "a label added by someone else is no conflict")
	cm, err = cs.CoreV1().ConfigMaps("shop").Get(ctx, "st", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "two", cm.Data[snapshotKey])
	assert.Equal(t, "shop", cm.Labels["team"], "the label is kept")
}

func TestConfigMapStoreRetriesAConflictOnTheSameSnapshot(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset()
	versioned(cs, "configmaps")
	s, _ := NewConfigMapStore(cs, "shop", "st", testOwner)
	_, _ = s.Load(ctx)
	require.NoError(t, s.Save(ctx, []byte("one")))
	// The first update meets a Conflict (a write in between); the store
	// reads again and, the snapshot being its own, writes.
	conflicts := 1
	cs.PrependReactor("update", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if conflicts > 0 {
			conflicts--
			return true, nil, newConflict("st")
		}
		return false, nil, nil
	})
	require.NoError(t, s.Save(ctx, []byte("two")))
	got, err := s.Load(ctx)
	require.NoError(t, err)
	assert.Equal(t, "two", string(got))
}

func TestConfigMapStoreErrors(t *testing.T) {
	ctx := context.Background()
	_, err := NewConfigMapStore(nil, "ns", "n", testOwner)
	assert.Error(t, err)
	_, err = NewConfigMapStore(fake.NewClientset(), "", "n", testOwner)
	assert.ErrorContains(t, err, `namespace ""`)

	cs := fake.NewClientset()
	s, _ := NewConfigMapStore(cs, "ns", "st", testOwner)
	err = s.Save(ctx, []byte(strings.Repeat("x", maxSnapshot+1)))
	assert.ErrorContains(t, err, "exceeds")

	cs.PrependReactor("get", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("connection refused")
	})
	_, err = s.Load(ctx)
	assert.ErrorContains(t, err, "connection refused")
	assert.NotErrorIs(t, err, shadow.ErrNoSnapshot, "a failed read is not a missing snapshot")

	// A ConfigMap without the key holds no snapshot.
	cs2 := fake.NewClientset(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "st"}})
	s2, _ := NewConfigMapStore(cs2, "ns", "st", testOwner)
	_, err = s2.Load(ctx)
	assert.ErrorIs(t, err, shadow.ErrNoSnapshot)
}

func newConflict(name string) error {
	return apierrors.NewConflict(schema.GroupResource{Resource: "configmaps"}, name, errors.New("the object has been modified"))
}
