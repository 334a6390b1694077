// Package k8s is an [actuator.Actuator] for a Kubernetes workload: a
// Deployment, a StatefulSet or a ReplicaSet.
//
// [Workload] scales through the scale subresource (GetScale, then UpdateScale
// with the resourceVersion it read, so a concurrent writer makes the update
// fail with a Conflict rather than be overwritten) and reports its capacity
// from the object itself: Desired is spec.replicas, Ready is
// status.readyReplicas.
//
// The driver takes a [kubernetes.Interface], so tests pass
// k8s.io/client-go/kubernetes/fake; package k8stest makes that fake serve
// the scale subresource.
//
// Errors are classified for the core's retry logic: NotFound, Forbidden,
// Unauthorized, Invalid, BadRequest and MethodNotSupported are wrapped with
// [actuator.Permanent]; Conflict, TooManyRequests, timeouts, internal errors
// and unavailability, like network errors, stay transient.
//
// RBAC rules needed (namespace-scoped Role; shown for a Deployment):
//
//	rules:
//	  - apiGroups: ["apps"]
//	    resources: ["deployments"]
//	    verbs: ["get"]
//	  - apiGroups: ["apps"]
//	    resources: ["deployments/scale"]
//	    verbs: ["get", "update"]
//
// [kubernetes.Interface]: https://pkg.go.dev/k8s.io/client-go/kubernetes#Interface
package k8s
