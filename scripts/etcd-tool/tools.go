//go:build tools

// Package tools pins etcd, the store behind the kube-apiserver the
// integration tests start, built by scripts/kube-binaries.sh.
package tools

import _ "go.etcd.io/etcd/server/v3"
