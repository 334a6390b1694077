package operator

import (
	"context"
	"errors"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/shadowscale/shadowscale/shadow"
)

// snapshotKey is the ConfigMap key that holds the Controller's snapshot.
const snapshotKey = "snapshot.json"

// maxSnapshot keeps a snapshot well inside the API server's 1 MiB limit on
// an object.
const maxSnapshot = 900 << 10

// ErrStateConflict reports a state ConfigMap that another writer changed
// since this store last read or wrote it.
var ErrStateConflict = errors.New("operator: state ConfigMap changed by another writer")

// StateConfigMapName is the name of the ConfigMap that keeps the state of
// the PredictiveScaler named scaler.
func StateConfigMapName(scaler string) string {
	return "shadowscale-state-" + scaler
}

// ConfigMapStore is a shadow.StateStore that keeps a Controller's snapshot
// in one ConfigMap, owned by its PredictiveScaler so that it is deleted
// with it. Writes are optimistic: each Save carries the resourceVersion the
// store last read or wrote, and a ConfigMap whose snapshot another writer
// changed in between is not overwritten (ErrStateConflict). A change of
// metadata only (a label, an annotation) is written over. It is safe for
// concurrent use.
type ConfigMapStore struct {
	client    kubernetes.Interface
	namespace string
	name      string
	owner     metav1.OwnerReference

	mu   sync.Mutex
	rv   string // resourceVersion last read or written; empty: none
	last []byte // snapshot last read or written
}

var _ shadow.StateStore = (*ConfigMapStore)(nil)

// NewConfigMapStore returns a store for the ConfigMap namespace/name,
// created with owner as its owner reference.
func NewConfigMapStore(client kubernetes.Interface, namespace, name string, owner metav1.OwnerReference) (*ConfigMapStore, error) {
	if client == nil {
		return nil, errors.New("operator: state store: nil client")
	}
	if namespace == "" || name == "" {
		return nil, fmt.Errorf("operator: state store: namespace %q and name %q must not be empty", namespace, name)
	}
	return &ConfigMapStore{client: client, namespace: namespace, name: name, owner: owner}, nil
}

// Load returns the snapshot, or shadow.ErrNoSnapshot when the ConfigMap or
// its key does not exist.
func (s *ConfigMapStore) Load(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cm, err := s.client.CoreV1().ConfigMaps(s.namespace).Get(ctx, s.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		s.rv, s.last = "", nil
		return nil, shadow.ErrNoSnapshot
	}
	if err != nil {
		return nil, fmt.Errorf("operator: read state ConfigMap %s/%s: %w", s.namespace, s.name, err)
	}
	s.rv = cm.ResourceVersion
	data, ok := cm.Data[snapshotKey]
	if !ok {
		s.last = nil
		return nil, shadow.ErrNoSnapshot
	}
	s.last = []byte(data)
	return []byte(data), nil
}

// Save writes data: it creates the ConfigMap when the store has seen none,
// else updates it at the resourceVersion it last saw.
func (s *ConfigMapStore) Save(ctx context.Context, data []byte) error {
	if len(data) > maxSnapshot {
		return fmt.Errorf("operator: state snapshot of %d bytes exceeds the %d a ConfigMap can hold here", len(data), maxSnapshot)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cms := s.client.CoreV1().ConfigMaps(s.namespace)
	if s.rv == "" {
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{
				Name: s.name, Namespace: s.namespace,
				Labels:          map[string]string{"app.kubernetes.io/managed-by": "shadowscale-operator"},
				OwnerReferences: []metav1.OwnerReference{s.owner},
			},
			Data: map[string]string{snapshotKey: string(data)},
		}
		got, err := cms.Create(ctx, cm, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("%w: %s/%s was created since it was read", ErrStateConflict, s.namespace, s.name)
		}
		if err != nil {
			return fmt.Errorf("operator: create state ConfigMap %s/%s: %w", s.namespace, s.name, err)
		}
		s.rv, s.last = got.ResourceVersion, data
		return nil
	}
	for range 3 {
		cm, err := cms.Get(ctx, s.name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			s.rv = ""
			return fmt.Errorf("%w: %s/%s was deleted", ErrStateConflict, s.namespace, s.name)
		}
		if err != nil {
			return fmt.Errorf("operator: read state ConfigMap %s/%s: %w", s.namespace, s.name, err)
		}
		if cm.ResourceVersion != s.rv && cm.Data[snapshotKey] != string(s.last) {
			return fmt.Errorf("%w: %s/%s", ErrStateConflict, s.namespace, s.name)
		}
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		cm.Data[snapshotKey] = string(data)
		// The update carries the resourceVersion just read: a write in
		// between is a Conflict, and the loop looks again.
		got, err := cms.Update(ctx, cm, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("operator: update state ConfigMap %s/%s: %w", s.namespace, s.name, err)
		}
		s.rv, s.last = got.ResourceVersion, data
		return nil
	}
	return fmt.Errorf("%w: %s/%s kept changing", ErrStateConflict, s.namespace, s.name)
}
