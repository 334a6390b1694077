// Package tools pins the Kubernetes control-plane binaries the integration
// tests start: kube-apiserver and kube-controller-manager, built by
// scripts/kube-binaries.sh from the Go module proxy.
package tools
