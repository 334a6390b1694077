package operator

import (
	"bytes"
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFlagsDefaults(t *testing.T) {
	o, err := ParseFlags([]string{"-identity", "pod-1", "-lease-namespace", "ops"}, nil)
	require.NoError(t, err)
	assert.Equal(t, ":8080", o.MetricsAddr)
	assert.Equal(t, ":8081", o.HealthAddr)
	assert.Equal(t, 8, o.Shards)
	assert.Equal(t, 15*time.Second, o.LeaseDuration)
	assert.Equal(t, 10*time.Second, o.RenewDeadline)
	assert.Equal(t, 2*time.Second, o.RetryPeriod)
	assert.Equal(t, 4, o.Workers)
	assert.Equal(t, float32(20), o.KubeAPIQPS)
	assert.Equal(t, 30, o.KubeAPIBurst)
	assert.Equal(t, "pod-1", o.Identity)
	assert.Equal(t, "ops", o.LeaseNamespace)
	assert.Empty(t, o.Namespace, "all namespaces")
	assert.NotNil(t, o.Logger)
}

func TestParseFlagsShortLease(t *testing.T) {
	o, err := ParseFlags([]string{"-lease-duration", "3s", "-prometheus", "http://prom:9090", "-shards", "2", "-workers", "1", "-namespace", "shop"}, nil)
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, o.RenewDeadline)
	assert.Equal(t, 400*time.Millisecond, o.RetryPeriod)
	assert.Equal(t, "http://prom:9090", o.Prometheus)
	assert.Equal(t, "shop", o.Namespace)

	o, err = ParseFlags([]string{"-kube-api-qps", "50.5", "-kube-api-burst", "80"}, nil)
	require.NoError(t, err)
	assert.Equal(t, float32(50.5), o.KubeAPIQPS)
	assert.Equal(t, 80, o.KubeAPIBurst)
	assert.NotEmpty(t, o.Identity, "the host name")
}

func TestParseFlagsErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-shards", "0"}, "-shards 0"},
		{[]string{"-workers", "0"}, "-workers 0"},
		{[]string{"-prometheus", "prom:9090"}, `-prometheus "prom:9090"`},
		{[]string{"-lease-duration", "-1s"}, "-lease-duration -1s"},
		{[]string{"-lease-duration", "1500ms"}, "-lease-duration 1.5s: must be a whole number of seconds"},
		{[]string{"-lease-duration", "3s", "-renew-deadline", "3s"}, "-renew-deadline 3s"},
		{[]string{"-lease-duration", "3s", "-renew-deadline", "2s", "-retry-period", "2s"}, "-retry-period 2s"},
		{[]string{"-kube-api-qps", "0"}, "-kube-api-qps 0: must be positive"},
		{[]string{"-kube-api-qps", "-3"}, "-kube-api-qps -3: must be positive"},
		{[]string{"-kube-api-burst", "0"}, "-kube-api-burst 0"},
		{[]string{"-kube-api-burst", "-1"}, "-kube-api-burst -1: must be at least 1"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-nope"}, "flag provided but not defined: -nope"},
	} {
		_, err := ParseFlags(tc.args, nil)
		assert.ErrorContains(t, err, tc.want, "%v", tc.args)
	}
	var help bytes.Buffer
	_, err := ParseFlags([]string{"-h"}, &help)
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Contains(t, help.String(), "-lease-duration")
}

func TestRunRefusesBadOptions(t *testing.T) {
	err := Run(t.Context(), Options{Shards: -1, Identity: "a"})
	assert.ErrorContains(t, err, "shards -1")
	err = Run(t.Context(), Options{Identity: "a", Kubeconfig: "/nonexistent/kubeconfig"})
	assert.ErrorContains(t, err, "kubeconfig")
}
