package k8s_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/drivers/k8s"
)

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://HOST:6443
contexts:
- name: ctx
  context:
    cluster: c
    user: u
current-context: ctx
users:
- name: u
  user:
    token: secret
`

func writeKubeconfig(t *testing.T, host string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(p, []byte(strings.ReplaceAll(kubeconfig, "HOST", host)), 0o600))
	return p
}

func TestRESTConfigExplicitPath(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBECONFIG", writeKubeconfig(t, "from-env"))
	cfg, err := k8s.RESTConfig(writeKubeconfig(t, "explicit"))
	require.NoError(t, err)
	assert.Equal(t, "https://explicit:6443", cfg.Host, "an explicit path wins over $KUBECONFIG")
	assert.Equal(t, "secret", cfg.BearerToken)
}

func TestRESTConfigFallsBackToKUBECONFIG(t *testing.T) {
	// Outside a pod (no KUBERNETES_SERVICE_HOST) and no path: $KUBECONFIG.
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBECONFIG", writeKubeconfig(t, "from-env"))
	cfg, err := k8s.RESTConfig("")
	require.NoError(t, err)
	assert.Equal(t, "https://from-env:6443", cfg.Host)
}

func TestRESTConfigErrorsNameTheSource(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	_, err := k8s.RESTConfig(filepath.Join(t.TempDir(), "missing"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "k8s: kubeconfig:")
	assert.Contains(t, err.Error(), "missing")

	// In a pod whose service account files are absent: the in-cluster
	// error, not a silent fall-through to a local kubeconfig.
	t.Setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
	t.Setenv("KUBERNETES_SERVICE_PORT", "443")
	t.Setenv("KUBECONFIG", writeKubeconfig(t, "from-env"))
	cfg, err := k8s.RESTConfig("")
	if _, statErr := os.Stat("/var/run/secrets/kubernetes.io/serviceaccount/token"); statErr == nil {
		// Running in a pod: the in-cluster configuration is the one loaded.
		require.NoError(t, err)
		assert.Equal(t, "https://10.0.0.1:443", cfg.Host)
		return
	}
	require.Error(t, err)
	assert.Contains(t, err.Error(), "k8s: in-cluster config:")
}
