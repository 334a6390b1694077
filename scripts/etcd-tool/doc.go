// Package tools pins etcd, the store behind the kube-apiserver the
// integration tests start, built by scripts/kube-binaries.sh.
package tools
