// Package k8stest helps test code that scales workloads with a fake
// clientset (k8s.io/client-go/kubernetes/fake).
//
// The fake's object tracker stores Deployments, StatefulSets and ReplicaSets
// but does not serve their scale subresource: GetScale fails and UpdateScale
// does not change spec.replicas. [ServeScale] adds reactors that do, with the
// API server's optimistic concurrency.
package k8stest
