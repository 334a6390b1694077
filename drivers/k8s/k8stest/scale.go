package k8stest

import (
	"errors"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// scalable is one kind whose scale subresource ServeScale serves.
type scalable struct {
	resource string
	// replicas returns a pointer to the object's spec.replicas (nil when
	// unset) and its status.replicas.
	replicas func(runtime.Object) (spec **int32, status int32, meta *metav1.ObjectMeta, ok bool)
}

var scalables = []scalable{
	{"deployments", func(o runtime.Object) (**int32, int32, *metav1.ObjectMeta, bool) {
		d, ok := o.(*appsv1.Deployment)
		if !ok {
			return nil, 0, nil, false
		}
		return &d.Spec.Replicas, d.Status.Replicas, &d.ObjectMeta, true
	}},
	{"statefulsets", func(o runtime.Object) (**int32, int32, *metav1.ObjectMeta, bool) {
		s, ok := o.(*appsv1.StatefulSet)
		if !ok {
			return nil, 0, nil, false
		}
		return &s.Spec.Replicas, s.Status.Replicas, &s.ObjectMeta, true
	}},
	{"replicasets", func(o runtime.Object) (**int32, int32, *metav1.ObjectMeta, bool) {
		r, ok := o.(*appsv1.ReplicaSet)
		if !ok {
			return nil, 0, nil, false
		}
		return &r.Spec.Replicas, r.Status.Replicas, &r.ObjectMeta, true
	}},
}

// ServeScale makes c serve the scale subresource of apps/v1 Deployments,
// StatefulSets and ReplicaSets from the objects in its tracker:
//
//   - GetScale returns spec.replicas (1 when unset), status.replicas and
//     the object's resourceVersion;
//   - UpdateScale writes spec.replicas back, fails with a Conflict when the
//     Scale's resourceVersion is set and differs from the object's, and
//     bumps the resourceVersion;
//   - a missing object gives NotFound; a negative replica count gives
//     Invalid.
//
// Reactors added to c afterwards with PrependReactor run before these.
func ServeScale(c *fake.Clientset) {
	for _, sc := range scalables {
		gvr := appsv1.SchemeGroupVersion.WithResource(sc.resource)
		c.PrependReactor("get", sc.resource, func(a k8stesting.Action) (bool, runtime.Object, error) {
			if a.GetSubresource() != "scale" {
				return false, nil, nil
			}
			get, ok := a.(k8stesting.GetAction)
			if !ok {
				return false, nil, nil
			}
			obj, err := c.Tracker().Get(gvr, a.GetNamespace(), get.GetName())
			if err != nil {
				return true, nil, err
			}
			spec, status, meta, ok := sc.replicas(obj)
			if !ok {
				return true, nil, fmt.Errorf("k8stest: unexpected %T in %s", obj, sc.resource)
			}
			want := int32(1)
			if *spec != nil {
				want = **spec
			}
			return true, &autoscalingv1.Scale{
				ObjectMeta: metav1.ObjectMeta{Name: meta.Name, Namespace: meta.Namespace, ResourceVersion: meta.ResourceVersion},
				Spec:       autoscalingv1.ScaleSpec{Replicas: want},
				Status:     autoscalingv1.ScaleStatus{Replicas: status},
			}, nil
		})
		c.PrependReactor("update", sc.resource, func(a k8stesting.Action) (bool, runtime.Object, error) {
			if a.GetSubresource() != "scale" {
				return false, nil, nil
			}
			upd, ok := a.(k8stesting.UpdateAction)
			if !ok {
				return false, nil, nil
			}
			s, ok := upd.GetObject().(*autoscalingv1.Scale)
			if !ok {
				return true, nil, apierrors.NewBadRequest(fmt.Sprintf("k8stest: scale update with %T", upd.GetObject()))
			}
			if s.Spec.Replicas < 0 {
				return true, nil, apierrors.NewInvalid(autoscalingv1.SchemeGroupVersion.WithKind("Scale").GroupKind(), s.Name,
					field.ErrorList{field.Invalid(field.NewPath("spec", "replicas"), s.Spec.Replicas, "must be greater than or equal to 0")})
			}
			obj, err := c.Tracker().Get(gvr, a.GetNamespace(), s.Name)
			if err != nil {
				return true, nil, err
			}
			obj = obj.DeepCopyObject()
			spec, _, meta, ok := sc.replicas(obj)
			if !ok {
				return true, nil, fmt.Errorf("k8stest: unexpected %T in %s", obj, sc.resource)
			}
			if s.ResourceVersion != "" && s.ResourceVersion != meta.ResourceVersion {
				return true, nil, apierrors.NewConflict(gvr.GroupResource(), s.Name,
					errors.New("the object has been modified; please apply your changes to the latest version and try again"))
			}
			n := s.Spec.Replicas
			*spec = &n
			rv, _ := strconv.Atoi(meta.ResourceVersion)
			meta.ResourceVersion = strconv.Itoa(rv + 1)
			if err := c.Tracker().Update(gvr, obj, a.GetNamespace()); err != nil {
				return true, nil, err
			}
			out := s.DeepCopy()
			out.ResourceVersion = meta.ResourceVersion
			return true, out, nil
		})
	}
}
