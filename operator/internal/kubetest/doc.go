// Package kubetest starts a real Kubernetes control plane for integration
// tests: etcd, kube-apiserver and kube-controller-manager on loopback, with
// a fake kubelet that binds the pods the workload controllers create to a
// fake Node and marks them Running and Ready after a configurable delay.
//
// The binaries are the ones scripts/kube-binaries.sh builds into its cache
// directory ($KUBE_BIN_DIR, else $XDG_CACHE_HOME or ~/.cache, then
// shadowscale/kube-v1.37.2-etcd-v3.6.7). When they are missing, [Start]
// fails the test if CI=true and skips it otherwise, saying why.
//
// Everything [Start] starts is stopped, and its files removed, in the test's
// cleanup. The servers write their logs to files in a temporary directory;
// a failed test shows the end of each.
//
// Identities: [Env.Config] is an administrator (a static token in the
// system:masters group). [Env.ServiceAccountConfig] returns a config
// authenticated as a ServiceAccount with a token from the TokenRequest API,
// so a test can prove that the RBAC it applied is enough. The API server
// writes an audit log of every write to a workload's scale and replicas;
// [Env.Writes] reads it.
package kubetest
