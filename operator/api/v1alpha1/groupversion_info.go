// Package v1alpha1 is the shadowscale.io/v1alpha1 API: the PredictiveScaler,
// a declarative predictive autoscaler for one Deployment, StatefulSet or
// ReplicaSet, in the spirit of the HorizontalPodAutoscaler v2.
//
// The CRD (config/crd/shadowscale.io_predictivescalers.yaml) and
// zz_generated.deepcopy.go are generated from the markers in this package
// by controller-gen: run `make -C operator generate` after changing it.
//
// +kubebuilder:object:generate=true
// +groupName=shadowscale.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GroupVersion is the API group and version of the types in this package.
var GroupVersion = schema.GroupVersion{Group: "shadowscale.io", Version: "v1alpha1"}

var (
	// SchemeBuilder registers the types of this package.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme adds the types of this package to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &PredictiveScaler{}, &PredictiveScalerList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
