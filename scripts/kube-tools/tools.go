//go:build tools

// The import is behind the tools build tag: the build needs it pinned in
// go.mod, the module's own packages never compile it.

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
