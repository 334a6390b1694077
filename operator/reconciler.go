package operator

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/shadowscale/shadowscale/operator/api/v1alpha1"
)

// objectSink is what the reconciler tells about PredictiveScalers: the
// fleet.
type objectSink interface {
	upsert(obj *v1alpha1.PredictiveScaler)
	remove(key client.ObjectKey)
}

// reconciler hands every PredictiveScaler the cache sees to the fleet, on
// every replica: each replica knows every object, and runs those of the
// shards it holds.
type reconciler struct {
	client client.Client
	sink   objectSink
}

var _ reconcile.Reconciler = (*reconciler)(nil)

func (r *reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var obj v1alpha1.PredictiveScaler
	if err := r.client.Get(ctx, req.NamespacedName, &obj); err != nil {
		if apierrors.IsNotFound(err) {
			r.sink.remove(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !obj.DeletionTimestamp.IsZero() {
		r.sink.remove(req.NamespacedName)
		return ctrl.Result{}, nil
	}
	r.sink.upsert(&obj)
	return ctrl.Result{}, nil
}
