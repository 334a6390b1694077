// Package k8s is an [actuator.Actuator] for a Kubernetes workload: a
// Deployment, a StatefulSet or a ReplicaSet.
//
// [Workload] scales through the scale subresource (GetScale, then UpdateScale
// with the resourceVersion it read; a Conflict from a status write is retried
// at once, a change by another writer is not overwritten) and reports its
// capacity from the object itself: Desired is spec.replicas, Ready is
// status.readyReplicas capped at spec.replicas (surge pods of a rollout do
// not count). It refuses to scale a workload a HorizontalPodAutoscaler
// targets ([ErrHPAConflict]) and to report a status its controller has not
// yet observed ([ErrStatusStale]).
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
//	  - apiGroups: ["autoscaling"]
//	    resources: ["horizontalpodautoscalers"]
//	    verbs: ["list"]
//
// [kubernetes.Interface]: https://pkg.go.dev/k8s.io/client-go/kubernetes#Interface
package k8s
