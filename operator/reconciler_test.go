package operator

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/shadowscale/shadowscale/operator/api/v1alpha1"
)

type sinkLog struct {
	upserts []string
	removes []string
}

func (s *sinkLog) upsert(obj *v1alpha1.PredictiveScaler) {
	s.upserts = append(s.upserts, obj.Namespace+"/"+obj.Name)
}
func (s *sinkLog) remove(key client.ObjectKey) { s.removes = append(s.removes, key.String()) }

func TestReconcilerHandsObjectsToTheFleet(t *testing.T) {
	live := &v1alpha1.PredictiveScaler{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}, Spec: minimalSpec()}
	dying := &v1alpha1.PredictiveScaler{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "old",
		DeletionTimestamp: &metav1.Time{Time: time.Now()}, Finalizers: []string{"example.com/hold"}}, Spec: minimalSpec()}
	cl := crfake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(live, dying).Build()
	sink := &sinkLog{}
	r := &reconciler{client: cl, sink: sink}
	ctx := context.Background()
	for _, name := range []string{"web", "old", "gone"} {
		res, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: "shop", Name: name}})
		require.NoError(t, err)
		assert.Zero(t, res)
	}
	assert.Equal(t, []string{"shop/web"}, sink.upserts)
	assert.Equal(t, []string{"shop/old", "shop/gone"}, sink.removes, "a deleted or deleting object is stopped")
}
