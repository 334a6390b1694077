// Package operator is the shadowscale Kubernetes operator: it runs one
// predictive shadow.Controller per PredictiveScaler object
// (shadowscale.io/v1alpha1, package api/v1alpha1).
//
// For each object the operator validates the spec (a refused one gets
// Ready=False with reason InvalidSpec and a Warning Event) and wires a
// Controller: drivers/prometheus reads one PromQL query per metric (and
// backfills their history on the first pass), a seasonal forecaster per
// metric, the predictive policy stack with the reactive HPA rule as its
// floor, the behavior's stabilization windows and rate limits around it,
// and the workload (Deployment, StatefulSet or ReplicaSet) through
// drivers/k8s, which scales it through the scale subresource, counts only
// ready replicas of the current spec (surge pods of a rollout are not
// capacity) and refuses to scale a workload an HPA targets. ForecastOnly
// objects decide and report every pass but never scale. The Controller's
// state (learned lead time, statistics) lives in a ConfigMap
// shadowscale-state-<name> owned by the object, so that a restarted or
// moved operator resumes where it was.
//
// Passes run on a ticker per object, phase-shifted by a random jitter, on
// a bounded number of workers. Each pass writes the object's status
// (replicas, forecast peak over the lead time, conditions with reason
// codes) and Events on the workload for every scale, every refusal and
// every alert (Warning, reason PredictiveScalerAlert; load anomalies one
// an hour at most).
//
// Objects are sharded: object namespace/name belongs to shard
// fnv32a("namespace/name") % shards, and each shard has a Lease
// shadowscale-shard-<i> that client-go leader election hands to one
// replica at a time. A replica runs only the objects of the shards it
// holds; it stops them before its Lease can expire when renewals fail, and
// before it releases the Lease on a graceful stop or a rebalance.
//
// The replicas balance the shards among themselves. Each renews a
// membership Lease shadowscale-replica-<identity> and watches all the
// Leases of the lease namespace; it holds at most its fair share,
// ceil(shards / live replicas), releasing its highest shards above it and
// reaching for free ones below it. A released shard is taken as soon as
// the watch shows the release (tens of milliseconds), not at the next
// poll; an expired one is taken over when client-go's election sees it
// expire (about the lease duration), whatever the share, and the balance
// evens out afterwards. A replica that stops gracefully deletes its
// membership first, so that the others count it out before its shards
// come free; the membership Leases of killed replicas are deleted a lease
// duration after they expire.
//
// The Leases have a client and a rate limiter of their own, so that their
// renewals never wait behind the passes' calls, which share the limiter of
// Options.KubeAPIQPS and Options.KubeAPIBurst.
//
// Run serves /metrics (the Controllers' OpenTelemetry instruments through
// the OpenTelemetry Prometheus exporter, each Controller's series labelled
// with the object's namespace and name as scope attributes), /healthz and
// /readyz (ready once the caches have synced).
package operator
