package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/drivers/k8s"
	"github.com/shadowscale/shadowscale/drivers/k8s/k8stest"
	"github.com/shadowscale/shadowscale/policy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var good = []string{"-deployment", "web", "-prometheus", "http://prometheus:9090", "-per-replica", "50"}

func with(extra ...string) []string { return append(append([]string{}, good...), extra...) }

func TestParseDefaults(t *testing.T) {
	o, err := parse(good, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "web", o.deployment)
	assert.Equal(t, "default", o.namespace)
	assert.Equal(t, k8s.Deployment, o.kind)
	assert.Equal(t, "http://prometheus:9090", o.prometheus.String())
	assert.Equal(t, defaultQuery, o.query)
	assert.InDelta(t, 50.0, o.perReplica, 0)
	assert.InDelta(t, 0.7, o.target, 0)
	assert.Equal(t, time.Minute, o.interval)
	assert.Equal(t, 10*time.Minute, o.leadTime)
	assert.Equal(t, 1, o.min)
	assert.Equal(t, 100, o.max)
	assert.False(t, o.dryRun)
	assert.Equal(t, 5*time.Minute, o.lookback, "Prometheus's default lookback delta")
	assert.True(t, o.scrapeTimes)
}

func TestParseAllFlags(t *testing.T) {
	o, err := parse(with("-namespace", "shop", "-kind", "StatefulSet", "-query", "sum(up)", "-interval", "30s",
		"-lead-time", "5m", "-min", "2", "-max", "20", "-dry-run", "-kubeconfig", "/tmp/kc", "-target-utilization", "0.6",
		"-query-timeout", "3s", "-prometheus-lookback", "10m", "-scrape-times=false"), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, options{
		kubeconfig: "/tmp/kc", namespace: "shop", deployment: "web", kind: k8s.StatefulSet,
		prometheus: o.prometheus, query: "sum(up)", queryTimeout: 3 * time.Second, lookback: 10 * time.Minute, perReplica: 50, target: 0.6,
		interval: 30 * time.Second, leadTime: 5 * time.Minute, min: 2, max: 20, dryRun: true,
	}, o)
}

func TestParseRejectsBadFlags(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-prometheus", "http://p:9090", "-per-replica", "5"}, "-deployment is required"},
		{[]string{"-deployment", "web", "-per-replica", "5"}, "-prometheus is required"},
		{with("-prometheus", "prometheus:9090"), `-prometheus "prometheus:9090": need an http or https URL`},
		{with("-prometheus", "ftp://p"), `-prometheus "ftp://p"`},
		{with("-per-replica", "0"), "-per-replica 0: must be a positive number"},
		{with("-per-replica", "NaN"), "-per-replica NaN"},
		{with("-per-replica", "-3"), "-per-replica -3"},
		{with("-interval", "0s"), "-interval 0s: must be positive"},
		{with("-lead-time", "-1m"), "-lead-time -1m0s: must not be negative"},
		{with("-min", "-1"), "-min -1: must not be negative"},
		{with("-min", "5", "-max", "3"), "-max 3: must be at least 1 and at least -min (5)"},
		{with("-max", "0", "-min", "0"), "-max 0"},
		{with("-query", ""), "-query must not be empty"},
		{with("-namespace", ""), "-namespace must not be empty"},
		{with("-kind", "DaemonSet"), `-kind "DaemonSet"`},
		{with("-target-utilization", "1.5"), "-target-utilization 1.5: must be in (0, 1]"},
		{with("-query-timeout", "-1s"), "-query-timeout -1s"},
		{with("-prometheus-lookback", "0s"), "-prometheus-lookback 0s: must be positive"},
		{with("-interval", "soon"), `invalid value "soon" for flag -interval`},
		{with("-bogus"), "flag provided but not defined: -bogus"},
		{with("extra"), `unexpected argument "extra"`},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			_, err := parse(c.args, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

func TestRunBadFlagsPrintsOneLineAndExits2(t *testing.T) {
	for _, args := range [][]string{with("-per-replica", "0"), with("-bogus"), nil} {
		var stderr bytes.Buffer
		assert.Equal(t, 2, run(args, io.Discard, &stderr))
		out := stderr.String()
		assert.True(t, strings.HasPrefix(out, "kubernetes: "), out)
		assert.Equal(t, 1, strings.Count(out, "\n"), "one line: %q", out)
	}
}

func TestRunHelpPrintsUsageOnStdoutAndExits0(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, 0, run([]string{arg}, &stdout, &stderr), arg)
		assert.True(t, strings.HasPrefix(stdout.String(), "usage: kubernetes "), "%s: %q", arg, stdout.String())
		assert.Contains(t, stdout.String(), "-per-replica")
		assert.Empty(t, stderr.String(), arg)
	}
}

func TestRunUnreachableClusterExits1(t *testing.T) {
	var stderr bytes.Buffer
	args := with("-kubeconfig", t.TempDir()+"/missing")
	assert.Equal(t, 1, run(args, io.Discard, &stderr))
	assert.Contains(t, stderr.String(), "kubernetes: k8s: kubeconfig:")
}

// promAt serves a constant request rate for every instant query (and, for
// its timestamp, the evaluation time, as Prometheus does for a computed
// query).
func promAt(t *testing.T, rate float64) promv1.API {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !assert.NoError(t, r.ParseForm()) {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		q := r.Form.Get("query")
		stamp := q == "timestamp("+defaultQuery+")"
		if !stamp {
			assert.Equal(t, defaultQuery, q)
		}
		value := func(ts float64) string {
			if stamp {
				return fmt.Sprintf("%.3f", ts)
			}
			return fmt.Sprintf("%g", rate)
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/query":
			at, _ := strconv.ParseFloat(r.Form.Get("time"), 64)
			fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[%.3f,%q]}]}}`, at, value(at))
		case "/api/v1/query_range": // the backfill: the same rate all along
			start, _ := strconv.ParseFloat(r.Form.Get("start"), 64)
			end, _ := strconv.ParseFloat(r.Form.Get("end"), 64)
			step, _ := strconv.ParseFloat(r.Form.Get("step"), 64)
			var pts []string
			for ts := start; step > 0 && ts <= end; ts += step {
				pts = append(pts, fmt.Sprintf(`[%.3f,%q]`, ts, value(ts)))
			}
			fmt.Fprintf(w, `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[%s]}]}}`, strings.Join(pts, ","))
		default:
			t.Errorf("unexpected request %s", r.URL.Path)
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(api.Config{Address: srv.URL, Client: srv.Client()})
	require.NoError(t, err)
	return promv1.NewAPI(c)
}

func cluster(replicas int32) *fake.Clientset {
	c := fake.NewClientset(&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "1"},
		Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
		Status:     appsv1.DeploymentStatus{Replicas: replicas, ReadyReplicas: replicas},
	})
	k8stest.ServeScale(c)
	return c
}

func replicasOf(t *testing.T, c *fake.Clientset) int32 {
	t.Helper()
	d, err := c.AppsV1().Deployments("default").Get(context.Background(), "web", metav1.GetOptions{})
	require.NoError(t, err)
	return *d.Spec.Replicas
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestPassScalesDeploymentUnderLoad(t *testing.T) {
	o, err := parse(good, io.Discard)
	require.NoError(t, err)
	c := cluster(2)
	// 2 replicas × 50 req/s at 100%; 1000 req/s needs far more.
	a, err := build(o, c, promAt(t, 1000), quiet)
	require.NoError(t, err)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	require.NoError(t, a.check(context.Background(), now, quiet))

	rep, err := a.ctrl.Step(context.Background(), now)
	require.NoError(t, err)
	assert.InDelta(t, 1000.0, rep.Load, 0)
	assert.True(t, rep.Actuated, "decision: %s", rep.Decision)
	got := replicasOf(t, c)
	assert.Greater(t, got, int32(2))
	assert.LessOrEqual(t, got, int32(o.max))
	assert.Equal(t, int(got), rep.Decision.Target)
}

func TestDryRunNeverScales(t *testing.T) {
	o, err := parse(with("-dry-run"), io.Discard)
	require.NoError(t, err)
	c := cluster(2)
	a, err := build(o, c, promAt(t, 1000), quiet)
	require.NoError(t, err)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for i := range 3 {
		rep, err := a.ctrl.Step(context.Background(), now.Add(time.Duration(i)*o.interval))
		require.NoError(t, err)
		assert.False(t, rep.Actuated)
		assert.True(t, rep.Plan.ForecastOnly)
		// Every pass decides from the observed two replicas, as a live
		// controller would: no pass assumes the previous one scaled.
		assert.Equal(t, policy.ScaleUp, rep.Decision.Action, rep.Decision.Reason)
	}
	assert.Equal(t, int32(2), replicasOf(t, c))
}

func TestCheckFailsOnMissingDeployment(t *testing.T) {
	o, err := parse(with("-deployment", "gone"), io.Discard)
	require.NoError(t, err)
	a, err := build(o, cluster(2), promAt(t, 10), quiet)
	require.NoError(t, err)
	err = a.check(context.Background(), time.Now(), quiet)
	require.Error(t, err)
	assert.True(t, actuator.IsPermanent(err))
	assert.Contains(t, err.Error(), "Deployment default/gone")
}
