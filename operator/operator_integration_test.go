//go:build integration

package operator_test

// The operator as a real binary against a real control plane (package
// kubetest) and a real Prometheus: scaling ahead of a ramp, ForecastOnly,
// the HPA refusal, the CRD's validation, sharding over two replicas, a
// leader killed mid-ramp, a restart that forecasts at once.
//
// The load follows a cycle in wall-clock time: low for rampAt of every
// period, then high. The test serves it for Prometheus to scrape every
// second, and writes the cycles before the test into Prometheus's storage
// with promtool, so the seasonal model has history from the first pass.

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/shadowscale/shadowscale/operator"
	"github.com/shadowscale/shadowscale/operator/api/v1alpha1"
	"github.com/shadowscale/shadowscale/operator/internal/kubetest"
	"github.com/shadowscale/shadowscale/shadow"
)

// The load cycle and the scaler's settings. With perReplica 10 at 100%
// utilization the low phase needs 1 replica and the high phase 6.
const (
	period     = 40 * time.Second
	rampAt     = 30 * time.Second // the high phase starts rampAt into each period
	lowLoad    = 10.0
	highLoad   = 60.0
	highNeed   = 6
	interval   = 2 * time.Second
	leadTime   = 6 * time.Second
	history    = 20 * period // backfilled
	loadMetric = "shadowscale_test_load"
	// burstMetric is cycle.burst: zero, then burstLoad (burstNeed
	// replicas of 10) in the high phase.
	burstMetric = "shadowscale_test_burst"
	burstLoad   = 48.0
	burstJitter = 1.0
	burstNeed   = 5
	// operatorNS holds the operator's ServiceAccount and its Leases.
	operatorNS = "shadowscale-system"
	// leaseDuration is the operator's -lease-duration in these tests.
	leaseDuration = 3 * time.Second
	// shards is the operator's default -shards.
	shards = 8
)

var (
	buildOnce   sync.Once
	operatorBin string
	buildErr    error
)

// operatorBinary builds cmd/shadowscale-operator once per test binary,
// into a directory of its own that TestMain removes (go build's own cache
// makes a rebuild of unchanged code quick): another test run, of another
// checkout, never runs this one's binary nor replaces it.
func operatorBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shadowscale-operator-")
		if err != nil {
			buildErr = err
			return
		}
		operatorBin = filepath.Join(dir, "shadowscale-operator")
		out, err := exec.Command("go", "build", "-o", operatorBin, "./cmd/shadowscale-operator").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/shadowscale-operator: %v: %s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return operatorBin
}

// TestMain removes the operator binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if operatorBin != "" {
		_ = os.RemoveAll(filepath.Dir(operatorBin))
	}
	os.Exit(code)
}

// cycle is the load in wall-clock time: lowLoad for the first rampAt of
// each period from t0, highLoad for the rest.
type cycle struct{ t0 time.Time }

func (c cycle) phase(t time.Time) time.Duration {
	p := t.Sub(c.t0) % period
	if p < 0 {
		p += period
	}
	return p
}

func (c cycle) at(t time.Time) float64 {
	if c.phase(t) >= rampAt {
		return highLoad
	}
	return lowLoad
}

// burst is the load of a service that has none in the low phase:
// zero, then burstLoad with a jitter of up to burstJitter (a request rate
// is seldom served twice bit for bit).
func (c cycle) burst(t time.Time) float64 {
	if c.phase(t) < rampAt {
		return 0
	}
	return burstLoad + burstJitter*float64(t.Unix()%5)/4
}

// nextRamp is the first start of a high phase after t.
func (c cycle) nextRamp(t time.Time) time.Time {
	start := t.Add(rampAt - c.phase(t))
	if !start.After(t) {
		start = start.Add(period)
	}
	return start
}

// fixture is a control plane with the CRD and the operator's RBAC applied,
// a Prometheus scraping the load, and clients.
type fixture struct {
	env     *kubetest.Env
	crd     client.WithWatch // administrator, with the operator's API types
	load    cycle
	prom    *kubetest.Prometheus
	promURL string
}

func repoFile(parts ...string) string { return filepath.Join(parts...) }

func setup(t *testing.T, readyDelay time.Duration) *fixture {
	t.Helper()
	operatorBinary(t) // before the cycle starts
	env := kubetest.Start(t, kubetest.Options{ReadyDelay: readyDelay})
	ctx := t.Context()
	_, err := env.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: operatorNS}}, metav1.CreateOptions{})
	require.NoError(t, err)
	rbac, err := filepath.Glob(repoFile("config", "rbac", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, rbac, "config/rbac has no manifests")
	require.NoError(t, env.Apply(ctx, append([]string{repoFile("config", "crd", "shadowscale.io_predictivescalers.yaml")}, rbac...)...))

	ctrllog.SetLogger(logr.Discard())
	scheme := runtime.NewScheme()
	require.NoError(t, clientgoscheme.AddToScheme(scheme))
	require.NoError(t, v1alpha1.AddToScheme(scheme))
	c, err := client.NewWithWatch(env.Config, client.Options{Scheme: scheme})
	require.NoError(t, err)

	// The cycle starts now, on the grid of the interval, so that the
	// first ramp comes rampAt after the operator starts.
	f := &fixture{env: env, crd: c, load: cycle{t0: time.Now().Truncate(interval)}}
	exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		now := time.Now()
		fmt.Fprintf(w, "# TYPE %s gauge\n%s %g\n", loadMetric, loadMetric, f.load.at(now))
		fmt.Fprintf(w, "# TYPE %s gauge\n%s %g\n", burstMetric, burstMetric, f.load.burst(now))
	}))
	t.Cleanup(exporter.Close)
	target := strings.TrimPrefix(exporter.URL, "http://")
	// The history carries the labels the scrape adds, so it is the same
	// series as the live samples.
	var om strings.Builder
	for _, m := range []struct {
		name string
		at   func(time.Time) float64
	}{{loadMetric, f.load.at}, {burstMetric, f.load.burst}} {
		fmt.Fprintf(&om, "# TYPE %s gauge\n", m.name)
		for ts := f.load.t0.Add(-history); ts.Before(f.load.t0); ts = ts.Add(interval) {
			fmt.Fprintf(&om, "%s{instance=%q,job=\"kubetest\"} %g %d\n", m.name, target, m.at(ts), ts.Unix())
		}
	}
	om.WriteString("# EOF\n")
	f.prom = kubetest.NewPrometheus(t, kubetest.PrometheusOptions{Backfill: om.String(), Targets: []string{target}, ScrapeInterval: interval})
	f.promURL = f.prom.URL
	// Until the first scrape, the last sample is the history's.
	pc, err := promapi.NewClient(promapi.Config{Address: f.promURL})
	require.NoError(t, err)
	prom := promv1.NewAPI(pc)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		v, _, _, err := prom.Query(context.Background(), "timestamp("+loadMetric+")", time.Time{})
		require.NoError(c, err)
		vec, ok := v.(model.Vector)
		require.True(c, ok && len(vec) == 1, "%v", v)
		assert.GreaterOrEqual(c, float64(vec[0].Value), float64(f.load.t0.Unix()))
	}, waitFor, 100*time.Millisecond)
	return f
}

// serviceAccount returns a kubeconfig authenticated as the ServiceAccount
// name in operatorNS; a name other than the manifests' gets the manifests'
// ClusterRole through a binding of its own.
func (f *fixture) serviceAccount(t *testing.T, name string) string {
	t.Helper()
	ctx := t.Context()
	sas, err := f.env.Client.CoreV1().ServiceAccounts(operatorNS).List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, sas.Items, "config/rbac makes no ServiceAccount in %s", operatorNS)
	if !slices.ContainsFunc(sas.Items, func(sa corev1.ServiceAccount) bool { return sa.Name == name }) {
		_, err := f.env.Client.CoreV1().ServiceAccounts(operatorNS).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		require.NoError(t, err)
		bindings, err := f.env.Client.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		var role *rbacv1.RoleRef
		for _, b := range bindings.Items {
			for _, s := range b.Subjects {
				if s.Kind == "ServiceAccount" && s.Namespace == operatorNS && s.Name == sas.Items[0].Name {
					role = &b.RoleRef
				}
			}
		}
		require.NotNil(t, role, "no ClusterRoleBinding of the manifests' ServiceAccount")
		_, err = f.env.Client.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    *role,
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: operatorNS}},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
		// Roles in the operator's namespace (the Leases) too.
		rbs, err := f.env.Client.RbacV1().RoleBindings(operatorNS).List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		for _, b := range rbs.Items {
			_, err = f.env.Client.RbacV1().RoleBindings(operatorNS).Create(ctx, &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: b.Name + "-" + name},
				RoleRef:    b.RoleRef,
				Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: operatorNS}},
			}, metav1.CreateOptions{})
			require.NoError(t, err)
		}
	}
	cfg, err := f.env.ServiceAccountConfig(ctx, operatorNS, name)
	require.NoError(t, err)
	path, err := f.env.WriteKubeconfig(cfg, name)
	require.NoError(t, err)
	return path
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// startOperator runs the operator binary as identity with kubeconfig and
// waits until it is ready; it stops gracefully in t's cleanup. It runs
// with the default shards (8) and API rate limits.
func (f *fixture) startOperator(t *testing.T, identity, kubeconfig string, extra ...string) *kubetest.Process {
	t.Helper()
	health := freeAddr(t)
	p, err := kubetest.Exec(operatorBinary(t), filepath.Join(f.env.Dir, "operator-"+identity+".log"), nil, append([]string{
		"-kubeconfig=" + kubeconfig,
		"-prometheus=" + f.promURL,
		"-metrics-addr=" + freeAddr(t),
		"-health-addr=" + health,
		"-identity=" + identity,
		"-lease-namespace=" + operatorNS,
		"-lease-duration=" + leaseDuration.String(),
	}, extra...)...)
	require.NoError(t, err)
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("operator %s (%s), last lines of its log:\n%s", identity, p.ExitReport(), p.Tail(60))
		}
	})
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		select {
		case <-p.Done():
			require.FailNow(c, "operator exited", "%s: %s", p.ExitReport(), p.Tail(20))
		default:
		}
		resp, err := http.Get("http://" + health + "/readyz")
		require.NoError(c, err)
		resp.Body.Close()
		assert.Equal(c, http.StatusOK, resp.StatusCode)
	}, waitFor, 50*time.Millisecond)
	http.DefaultClient.CloseIdleConnections()
	return p
}

// requireEarly fails the test when the operator started too late to see
// the ramp coming: its forecasts are trusted after three passes.
func (f *fixture) requireEarly(t *testing.T, ramp time.Time) {
	t.Helper()
	require.Greater(t, time.Until(ramp), leadTime+2*interval,
		"the operator was ready %v before the ramp: too late to forecast it (a slow machine?)", time.Until(ramp))
}

// scaler is a PredictiveScaler of the Deployment name on the test's load.
func scaler(ns, name string, mode v1alpha1.Mode) *v1alpha1.PredictiveScaler {
	return &v1alpha1.PredictiveScaler{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.PredictiveScalerSpec{
			ScaleTargetRef: v1alpha1.ScaleTargetRef{APIVersion: "apps/v1", Kind: v1alpha1.KindDeployment, Name: name},
			MinReplicas:    ptr.To[int32](1),
			MaxReplicas:    10,
			Metrics: []v1alpha1.MetricSpec{{
				Name: "load", Query: "max(" + loadMetric + ")",
				PerReplica: resource.MustParse(fmt.Sprint(highLoad / highNeed)), TargetUtilization: 100,
			}},
			Interval:        &metav1.Duration{Duration: interval},
			LeadTime:        &metav1.Duration{Duration: leadTime},
			SeasonalPeriods: []metav1.Duration{{Duration: period}},
			Mode:            mode,
		},
	}
}

// replicaChange is a change of a Deployment's spec.replicas seen by a watch.
type replicaChange struct {
	at       time.Time
	replicas int32
}

// watchReplicas records every change of the Deployment's spec.replicas
// until the test ends; the returned function gives those seen so far.
func watchReplicas(t *testing.T, client kubernetes.Interface, ns, name string) func() []replicaChange {
	t.Helper()
	w, err := client.AppsV1().Deployments(ns).Watch(t.Context(), metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()})
	require.NoError(t, err)
	var (
		mu      sync.Mutex
		changes []replicaChange
		done    = make(chan struct{})
	)
	go func() {
		defer close(done)
		last := int32(-1)
		for ev := range w.ResultChan() {
			d, ok := ev.Object.(*appsv1.Deployment)
			if !ok || ev.Type == watch.Deleted || d.Spec.Replicas == nil || *d.Spec.Replicas == last {
				continue
			}
			last = *d.Spec.Replicas
			mu.Lock()
			changes = append(changes, replicaChange{time.Now(), last})
			mu.Unlock()
		}
	}()
	t.Cleanup(func() { w.Stop(); <-done })
	return func() []replicaChange {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(changes)
	}
}

// waitScaledTo waits until a change of spec.replicas reaches need, until
// some time after the ramp, and returns the first such change.
func waitScaledTo(t *testing.T, scaled func() []replicaChange, need int32, ramp time.Time) replicaChange {
	t.Helper()
	var up replicaChange
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		i := slices.IndexFunc(scaled(), func(r replicaChange) bool { return r.replicas >= need })
		require.GreaterOrEqual(c, i, 0, "spec.replicas changes: %v", scaled())
		up = scaled()[i]
	}, time.Until(ramp)+10*time.Second, 50*time.Millisecond)
	return up
}

// operatorScaleWrites returns the scale subresource writes by the
// operator's ServiceAccounts in ns that took effect.
func (f *fixture) operatorScaleWrites(t *testing.T, ns string) []kubetest.Write {
	t.Helper()
	writes, err := f.env.Writes(ns)
	require.NoError(t, err)
	var out []kubetest.Write
	for _, w := range writes {
		if w.Subresource == "scale" && w.Code == http.StatusOK && strings.HasPrefix(w.User, "system:serviceaccount:"+operatorNS+":") {
			out = append(out, w)
		}
	}
	return out
}

func (f *fixture) getScaler(t require.TestingT, ns, name string) *v1alpha1.PredictiveScaler {
	var ps v1alpha1.PredictiveScaler
	require.NoError(t, f.crd.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &ps))
	return &ps
}

func (f *fixture) createWorkloadAndScaler(t *testing.T, ns, name string, mode v1alpha1.Mode) {
	t.Helper()
	_, err := f.env.Client.AppsV1().Deployments(ns).Create(t.Context(), kubetest.Deployment(ns, name, 1), metav1.CreateOptions{})
	require.NoError(t, err)
	require.NoError(t, f.crd.Create(t.Context(), scaler(ns, name, mode)))
}

// events returns the Events on the Deployment name with reason.
func (f *fixture) events(t require.TestingT, ns, name, reason string) []eventsv1.Event {
	list, err := f.env.Client.EventsV1().Events(ns).List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Kind == "Deployment" && e.Regarding.Name == name && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}

// TestIntegrationOperatorBadSpec: the CRD's schema and CEL rules refuse bad
// specs in the API server, with messages that name the problem.
func TestIntegrationOperatorBadSpec(t *testing.T) {
	env := kubetest.Start(t, kubetest.Options{NoKubelet: true})
	require.NoError(t, env.Apply(t.Context(), repoFile("config", "crd", "shadowscale.io_predictivescalers.yaml")))
	ctrllog.SetLogger(logr.Discard())
	scheme := runtime.NewScheme()
	require.NoError(t, v1alpha1.AddToScheme(scheme))
	c, err := client.New(env.Config, client.Options{Scheme: scheme})
	require.NoError(t, err)
	ns := env.Namespace(t, "badspec")

	for _, tc := range []struct {
		name   string
		change func(*v1alpha1.PredictiveScaler)
		want   []string
	}{
		{"min above max", func(p *v1alpha1.PredictiveScaler) { p.Spec.MinReplicas = ptr.To[int32](5); p.Spec.MaxReplicas = 2 },
			[]string{"minReplicas must be less than or equal to maxReplicas"}},
		{"zero per replica", func(p *v1alpha1.PredictiveScaler) { p.Spec.Metrics[0].PerReplica = resource.MustParse("0") },
			[]string{"perReplica must be greater than 0"}},
		{"kind", func(p *v1alpha1.PredictiveScaler) { p.Spec.ScaleTargetRef.Kind = "Pod" },
			[]string{"spec.scaleTargetRef.kind", `"Deployment"`}},
		{"interval", func(p *v1alpha1.PredictiveScaler) {
			p.Spec.Interval = &metav1.Duration{Duration: 500 * time.Millisecond}
		},
			[]string{"interval must be at least 1s"}},
		{"no metric", func(p *v1alpha1.PredictiveScaler) { p.Spec.Metrics = nil },
			[]string{"spec.metrics"}},
		{"utilization", func(p *v1alpha1.PredictiveScaler) { p.Spec.Metrics[0].TargetUtilization = 150 },
			[]string{"spec.metrics[0].targetUtilization", "100"}},
		{"mode", func(p *v1alpha1.PredictiveScaler) { p.Spec.Mode = "Scale" },
			[]string{"spec.mode", `"ForecastOnly"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := scaler(ns, strings.ReplaceAll(tc.name, " ", "-"), v1alpha1.ForecastOnly)
			tc.change(p)
			err := c.Create(t.Context(), p)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			t.Logf("refused: %v", err)
		})
	}
	// The defaults: ForecastOnly, 1m, 10m, min 1, utilization 70.
	p := scaler(ns, "defaults", "")
	p.Spec.Interval, p.Spec.LeadTime, p.Spec.MinReplicas, p.Spec.Metrics[0].TargetUtilization = nil, nil, nil, 0
	require.NoError(t, c.Create(t.Context(), p))
	assert.Equal(t, v1alpha1.ForecastOnly, p.Spec.Mode)
	assert.Equal(t, time.Minute, p.Spec.Interval.Duration)
	assert.Equal(t, 10*time.Minute, p.Spec.LeadTime.Duration)
	assert.EqualValues(t, 1, *p.Spec.MinReplicas)
	assert.EqualValues(t, 70, p.Spec.Metrics[0].TargetUtilization)
}

// TestIntegrationOperatorScalesAhead: ForecastAndScale on a Deployment
// scales it up to what the high phase needs one lead time before the ramp,
// and the pods are Ready when the ramp starts. A ForecastOnly scaler of
// another Deployment on the same load decides the same and changes
// nothing.
func TestIntegrationOperatorScalesAhead(t *testing.T) {
	f := setup(t, 500*time.Millisecond)
	ns := f.env.Namespace(t, "ahead")
	ramp := f.load.nextRamp(time.Now())
	scaled := watchReplicas(t, f.env.Client, ns, "web")
	f.createWorkloadAndScaler(t, ns, "web", v1alpha1.ForecastAndScale)
	f.createWorkloadAndScaler(t, ns, "observed", v1alpha1.ForecastOnly)
	f.startOperator(t, "op-a", f.serviceAccount(t, "shadowscale-operator"))
	f.requireEarly(t, ramp)

	// The operator forecasts the ramp before it comes.
	up := waitScaledTo(t, scaled, highNeed, ramp)
	t.Logf("ramp at %s; web scaled to %d %v before it; changes: %v", ramp.Format(time.StampMilli), up.replicas, ramp.Sub(up.at).Round(time.Millisecond), scaled())
	assert.True(t, up.at.Before(ramp), "scaled up %v after the ramp", up.at.Sub(ramp))
	// One lead time ahead, and earlier by at most one interval for each
	// of: the forecast's horizon, whole intervals rounded up; the pass's
	// phase on the grid (a jitter in [0, interval)); the history's grid
	// times, on which a sample counts at the start of its interval.
	assert.LessOrEqual(t, ramp.Sub(up.at), leadTime+3*interval, "scaled up earlier than one lead time before the ramp")

	ps := f.getScaler(t, ns, "web")
	t.Logf("status: %+v", ps.Status)
	assert.NotEmpty(t, ps.Status.Model)
	assert.NotEmpty(t, ps.Status.ForecastPeak)
	assert.NotNil(t, ps.Status.LastScaleTime)
	assert.NotEmpty(t, f.events(t, ns, "web", operator.EventSuccessfulRescale), "a SuccessfulRescale Event on the Deployment")

	// ForecastOnly: the same decision, reported, never applied.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		ps := f.getScaler(c, ns, "observed")
		assert.GreaterOrEqual(c, ps.Status.DesiredReplicas, int32(highNeed))
	}, waitFor, 100*time.Millisecond)
	d, err := f.env.Client.AppsV1().Deployments(ns).Get(t.Context(), "observed", metav1.GetOptions{})
	require.NoError(t, err)
	assert.EqualValues(t, 1, *d.Spec.Replicas, "ForecastOnly changed the Deployment")
	for _, w := range f.operatorScaleWrites(t, ns) {
		assert.NotEqual(t, "observed", w.Name, "ForecastOnly wrote the scale: %+v", w)
	}
	assert.Empty(t, f.events(t, ns, "observed", operator.EventSuccessfulRescale))
}

// TestIntegrationOperatorScaleToZero: with minReplicas 0 and a load that
// is zero in the low phase (cycle.burst), ForecastAndScale
// takes the Deployment to zero replicas while the load is zero and back to
// what the high phase needs before the ramp, sized from the forecast.
func TestIntegrationOperatorScaleToZero(t *testing.T) {
	f := setup(t, 500*time.Millisecond)
	ns := f.env.Namespace(t, "zero")
	scaled := watchReplicas(t, f.env.Client, ns, "idle")
	_, err := f.env.Client.AppsV1().Deployments(ns).Create(t.Context(), kubetest.Deployment(ns, "idle", 1), metav1.CreateOptions{})
	require.NoError(t, err)
	const need = burstNeed
	ps := scaler(ns, "idle", v1alpha1.ForecastAndScale)
	ps.Spec.MinReplicas = ptr.To[int32](0)
	ps.Spec.Metrics[0].Query = "max(" + burstMetric + ")"
	ps.Spec.Metrics[0].PerReplica = resource.MustParse("10")
	// Released as soon as the forecast allows: the reactive floor's
	// default 5-minute stabilization would hold through the 30s low phase.
	ps.Spec.Behavior = &v1alpha1.Behavior{ScaleDown: &v1alpha1.ScalingRules{StabilizationWindow: &metav1.Duration{}}}
	require.NoError(t, f.crd.Create(t.Context(), ps))
	// A Deployment at zero whose query has no data (its series would go
	// with the pods): held there, and the status says why.
	_, err = f.env.Client.AppsV1().Deployments(ns).Create(t.Context(), kubetest.Deployment(ns, "dark", 0), metav1.CreateOptions{})
	require.NoError(t, err)
	dark := scaler(ns, "dark", v1alpha1.ForecastAndScale)
	dark.Spec.MinReplicas = ptr.To[int32](0)
	dark.Spec.Metrics[0].Query = "max(shadowscale_test_absent)"
	require.NoError(t, f.crd.Create(t.Context(), dark))
	f.startOperator(t, "op-a", f.serviceAccount(t, "shadowscale-operator"))

	// Down to zero in a low phase, with the status saying so.
	var zero replicaChange
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		i := slices.IndexFunc(scaled(), func(r replicaChange) bool { return r.replicas == 0 })
		require.GreaterOrEqual(c, i, 0, "spec.replicas changes: %v; status: %+v", scaled(), f.getScaler(c, ns, "idle").Status)
		zero = scaled()[i]
	}, 2*period, 50*time.Millisecond)
	assert.Less(t, f.load.phase(zero.at), rampAt, "scaled to zero at %v into the period, in the high phase", f.load.phase(zero.at))
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		st := f.getScaler(c, ns, "idle").Status
		assert.Zero(c, st.CurrentReplicas)
		assert.Zero(c, st.ReadyReplicas)
		assert.Zero(c, st.DesiredReplicas)
	}, waitFor, 100*time.Millisecond)

	// Back up before the next ramp, to what it needs.
	ramp := f.load.nextRamp(zero.at)
	var up replicaChange
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		changes := scaled()
		i := slices.IndexFunc(changes, func(r replicaChange) bool { return r.at.After(zero.at) && r.replicas >= need })
		require.GreaterOrEqual(c, i, 0, "spec.replicas changes: %v", changes)
		up = changes[i]
	}, time.Until(ramp)+10*time.Second, 50*time.Millisecond)
	t.Logf("ramp at %s; zero at %v into the period; back to %d %v before the ramp; changes: %v",
		ramp.Format(time.StampMilli), f.load.phase(zero.at).Round(time.Millisecond), up.replicas, ramp.Sub(up.at).Round(time.Millisecond), scaled())
	assert.True(t, up.at.Before(ramp), "back from zero %v after the ramp", up.at.Sub(ramp))
	// At zero through the idle phase, once the forecast is trusted too:
	// the next change after zero is the scale-up ahead of the ramp (the
	// forecast's upper bound at the idle phase kept a replica up).
	changes := scaled()
	i := slices.Index(changes, zero)
	require.Less(t, i+1, len(changes))
	assert.Equal(t, up, changes[i+1], "changes between zero and the scale-up ahead of the ramp: %v", changes)
	assert.Greater(t, up.at.Sub(zero.at), 3*interval, "scaled back up too soon after zero to show the trusted forecast holding zero")
	assert.LessOrEqual(t, ramp.Sub(up.at), leadTime+3*interval, "back from zero earlier than one lead time before the ramp")
	assert.LessOrEqual(t, up.replicas, int32(need+2), "back from zero to %d, %d needed", up.replicas, need)

	st := f.getScaler(t, ns, "dark").Status
	c := meta.FindStatusCondition(st.Conditions, string(shadow.ScalingActive))
	require.NotNil(t, c, "conditions: %+v", st.Conditions)
	assert.Equal(t, metav1.ConditionFalse, c.Status)
	assert.Equal(t, shadow.ReasonMetricsUnavailable, c.Reason)
	assert.Contains(t, c.Message, "no data")
	assert.Contains(t, c.Message, "at zero replicas: a query whose series go with the workload's pods has no data")
	d, err := f.env.Client.AppsV1().Deployments(ns).Get(t.Context(), "dark", metav1.GetOptions{})
	require.NoError(t, err)
	assert.EqualValues(t, 0, *d.Spec.Replicas, "held at zero")
}

// TestIntegrationOperatorHPAConflict: a ForecastAndScale scaler of a
// Deployment that an HPA also targets refuses: AbleToScale=False with
// reason HPAConflict, a Warning Event on the Deployment, no write. A
// ForecastOnly scaler of another such Deployment reports the same
// condition, with no Event.
func TestIntegrationOperatorHPAConflict(t *testing.T) {
	f := setup(t, 0)
	ns := f.env.Namespace(t, "hpa")
	ctx := t.Context()
	for _, n := range []string{"web", "observed"} {
		_, err := f.env.Client.AppsV1().Deployments(ns).Create(ctx, kubetest.Deployment(ns, n, 1), metav1.CreateOptions{})
		require.NoError(t, err)
		_, err = f.env.Client.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, newHPA(n), metav1.CreateOptions{})
		require.NoError(t, err)
	}
	require.NoError(t, f.crd.Create(ctx, scaler(ns, "web", v1alpha1.ForecastAndScale)))
	require.NoError(t, f.crd.Create(ctx, scaler(ns, "observed", v1alpha1.ForecastOnly)))
	f.startOperator(t, "op-a", f.serviceAccount(t, "shadowscale-operator"))

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		ps := f.getScaler(c, ns, "web")
		cond := meta.FindStatusCondition(ps.Status.Conditions, "AbleToScale")
		require.NotNil(c, cond, "conditions: %+v", ps.Status.Conditions)
		assert.Equal(c, metav1.ConditionFalse, cond.Status)
		assert.Equal(c, v1alpha1.ReasonHPAConflict, cond.Reason)
		assert.Contains(c, cond.Message, "HorizontalPodAutoscaler")
		evs := f.events(c, ns, "web", operator.EventHPAConflict)
		require.NotEmpty(c, evs)
		assert.Equal(c, corev1.EventTypeWarning, evs[0].Type)
	}, waitFor, 100*time.Millisecond)
	// Past the ramp, still nothing written.
	ramp := f.load.nextRamp(f.load.t0)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		ps := f.getScaler(c, ns, "web")
		require.NotNil(c, ps.Status.LastPassTime)
		assert.True(c, ps.Status.LastPassTime.After(ramp.Add(interval)))
	}, time.Until(ramp)+waitFor, 100*time.Millisecond)
	assert.Empty(t, f.operatorScaleWrites(t, ns))
	d, err := f.env.Client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err)
	assert.EqualValues(t, 1, *d.Spec.Replicas)

	ps := f.getScaler(t, ns, "observed")
	cond := meta.FindStatusCondition(ps.Status.Conditions, "AbleToScale")
	require.NotNil(t, cond, "conditions: %+v", ps.Status.Conditions)
	assert.Equal(t, metav1.ConditionFalse, cond.Status)
	assert.Equal(t, v1alpha1.ReasonHPAConflict, cond.Reason, "ForecastOnly reports the HPA it would meet")
	assert.Empty(t, f.events(t, ns, "observed", operator.EventHPAConflict), "ForecastOnly refuses nothing: no Event")
}

// leaseHolders returns the holder of every shard Lease.
func (f *fixture) leaseHolders(t require.TestingT) map[string]string {
	list, err := f.env.Client.CoordinationV1().Leases(operatorNS).List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	out := map[string]string{}
	for _, l := range list.Items {
		if strings.HasPrefix(l.Name, "shadowscale-shard-") && l.Spec.HolderIdentity != nil {
			out[l.Name] = *l.Spec.HolderIdentity
		}
	}
	return out
}

// holderChange waits until the Lease name is held by someone other than
// from (and not released), and returns when a watch saw it.
func (f *fixture) holderChange(t *testing.T, name, from string, within time.Duration) (time.Time, string) {
	t.Helper()
	_, took, holder := f.handover(t, name, from, within)
	return took, holder
}

// handover waits until the Lease name is held by someone other than from
// (and not released), and returns when a watch saw the Lease released
// (zero if it never was: it expired) and when it saw the new holder.
func (f *fixture) handover(t *testing.T, name, from string, within time.Duration) (released, took time.Time, holder string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), within)
	defer cancel()
	w, err := f.env.Client.CoordinationV1().Leases(operatorNS).Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String()})
	require.NoError(t, err)
	defer w.Stop()
	for ev := range w.ResultChan() {
		l, ok := ev.Object.(*coordinationv1.Lease)
		if !ok {
			continue
		}
		h := ptr.Deref(l.Spec.HolderIdentity, "")
		switch {
		case h == "" && released.IsZero():
			released = time.Now()
		case h != "" && h != from:
			return released, time.Now(), h
		}
	}
	require.FailNow(t, "no new holder", "Lease %s still held by %s after %v", name, from, within)
	return
}

// waitSplit waits until the shard Leases are held by exactly the
// identities given, each holding its fair share, and returns how long
// that took and the holders.
func (f *fixture) waitSplit(t *testing.T, within time.Duration, identities ...string) (time.Duration, map[string]string) {
	t.Helper()
	start := time.Now()
	share := (shards + len(identities) - 1) / len(identities)
	var holders map[string]string
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		holders = f.leaseHolders(c)
		count := map[string]int{}
		for _, h := range holders {
			count[h]++
		}
		require.Len(c, holders, shards, "holders: %v", holders)
		for _, id := range identities {
			assert.GreaterOrEqual(c, count[id], shards-share*(len(identities)-1), "%s's shards; holders: %v", id, holders)
			assert.LessOrEqual(c, count[id], share, "%s's shards; holders: %v", id, holders)
		}
		assert.Len(c, count, len(identities), "holders: %v", holders)
	}, within, 20*time.Millisecond)
	return time.Since(start), holders
}

// TestIntegrationOperatorTwoReplicas: two replicas started together split
// the 8 shards 4/4 by themselves, and each workload (one in each of four
// shards) is written by exactly one of them, the holder of its shard (the
// audit log names the writer).
func TestIntegrationOperatorTwoReplicas(t *testing.T) {
	f := setup(t, 0)
	ns := f.env.Namespace(t, "two")
	// One workload in each of shards 0, 3, 4 and 7: whichever way the
	// replicas split, both are likely to drive some.
	want := []int{0, 3, 4, 7}
	names := map[int]string{}
	for i := 0; len(names) < len(want); i++ {
		n := fmt.Sprintf("app-%d", i)
		if s := operator.ShardOf(ns, n, shards); slices.Contains(want, s) && names[s] == "" {
			names[s] = n
		}
	}
	for _, n := range names {
		f.createWorkloadAndScaler(t, ns, n, v1alpha1.ForecastAndScale)
	}
	kcA, kcB := f.serviceAccount(t, "shadowscale-operator"), f.serviceAccount(t, "shadowscale-operator-b")
	var wg sync.WaitGroup
	wg.Go(func() { f.startOperator(t, "op-a", kcA) })
	wg.Go(func() { f.startOperator(t, "op-b", kcB) })
	wg.Wait()
	took, holders := f.waitSplit(t, 10*time.Second, "op-a", "op-b")
	t.Logf("shards split %v after both replicas were ready: %v", took.Round(time.Millisecond), holders)

	ramp := f.load.nextRamp(f.load.t0)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		for _, n := range names {
			d, err := f.env.Client.AppsV1().Deployments(ns).Get(context.Background(), n, metav1.GetOptions{})
			require.NoError(c, err)
			assert.GreaterOrEqual(c, *d.Spec.Replicas, int32(highNeed), n)
		}
	}, time.Until(ramp)+waitFor, 100*time.Millisecond)

	writers := map[string]map[string]int{}
	for _, w := range f.operatorScaleWrites(t, ns) {
		if writers[w.Name] == nil {
			writers[w.Name] = map[string]int{}
		}
		writers[w.Name][w.User]++
	}
	t.Logf("scale writes by workload and writer: %v", writers)
	sa := map[string]string{
		"op-a": "system:serviceaccount:" + operatorNS + ":shadowscale-operator",
		"op-b": "system:serviceaccount:" + operatorNS + ":shadowscale-operator-b",
	}
	final := f.leaseHolders(t)
	assert.Equal(t, holders, final, "no shard changed hands after the split")
	for s, n := range names {
		holder := final[operator.LeaseName(s)]
		assert.Equal(t, map[string]int{sa[holder]: writers[n][sa[holder]]}, writers[n], "%s (shard %d) written only by %s, the holder of its shard", n, s, holder)
		assert.Positive(t, writers[n][sa[holder]], "%s scaled", n)
	}
}

// seasonalModel matches the names of the forecasting models that use the
// seasonal periods.
var seasonalModel = regexp.MustCompile(`(^|:)(hw-|dshw-|seasonal-naive)`)

// TestIntegrationOperatorFailover: two replicas split the shards; the
// holder of the Deployment's shard scales it up ahead of the ramp and is
// killed (SIGKILL) in the high phase; the other takes the shard over within
// the 3 s lease, runs the object's passes from there, and neither loses
// the scale-up nor applies it again. Then, three times, a new replica
// joins, takes its share, and the holder of the Deployment's shard stops
// gracefully: the shard moves at once (under 0.5 s).
func TestIntegrationOperatorFailover(t *testing.T) {
	f := setup(t, 500*time.Millisecond)
	ns := f.env.Namespace(t, "failover")
	scaled := watchReplicas(t, f.env.Client, ns, "web")
	lease := operator.LeaseName(operator.ShardOf(ns, "web", shards))
	kc := map[string]string{
		"op-a": f.serviceAccount(t, "shadowscale-operator"),
		"op-b": f.serviceAccount(t, "shadowscale-operator-b"),
	}
	sa := map[string]string{
		"op-a": "system:serviceaccount:" + operatorNS + ":shadowscale-operator",
		"op-b": "system:serviceaccount:" + operatorNS + ":shadowscale-operator-b",
	}
	procs := map[string]*kubetest.Process{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, id := range []string{"op-a", "op-b"} {
		wg.Go(func() {
			p := f.startOperator(t, id, kc[id])
			mu.Lock()
			procs[id] = p
			mu.Unlock()
		})
	}
	wg.Wait()
	split, holders := f.waitSplit(t, 10*time.Second, "op-a", "op-b")
	leader := holders[lease]
	other := map[string]string{"op-a": "op-b", "op-b": "op-a"}[leader]
	t.Logf("shards split %v after both were ready; %s holds %s", split.Round(time.Millisecond), leader, lease)
	// The object comes once its shard has its holder for good.
	f.createWorkloadAndScaler(t, ns, "web", v1alpha1.ForecastAndScale)

	ramp := f.load.nextRamp(time.Now())
	if time.Until(ramp) <= leadTime+3*interval {
		ramp = ramp.Add(period)
	}
	rampEnd := ramp.Add(period - rampAt)
	f.requireEarly(t, ramp)
	up := waitScaledTo(t, scaled, highNeed, ramp)
	require.True(t, time.Now().Before(rampEnd.Add(-2*leaseDuration)), "too late in the high phase to kill the leader")

	killed := time.Now()
	procs[leader].Kill()
	took, holder := f.holderChange(t, lease, leader, 3*leaseDuration)
	replaced := took.Sub(killed)
	t.Logf("leader %s SIGKILLed after its scale-up, %v before the load's ramp; %s holds %s %v later", leader, ramp.Sub(killed).Round(time.Millisecond), holder, lease, replaced.Round(time.Millisecond))
	assert.Equal(t, other, holder)
	assert.Less(t, replaced, 5*time.Second, "takeover after SIGKILL")

	// The survivor runs the object's passes through the rest of the high
	// phase.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		ps := f.getScaler(c, ns, "web")
		require.NotNil(c, ps.Status.LastPassTime)
		assert.True(c, ps.Status.LastPassTime.After(rampEnd.Add(-interval)), "last pass %v", ps.Status.LastPassTime)
	}, time.Until(rampEnd)+waitFor, 100*time.Millisecond)
	// Not lost: the new leader keeps at least what the first scaled to
	// through the high phase. Not applied twice: each scale write of the
	// new leader changed spec.replicas (a write of the value already in
	// force would change nothing).
	var after []replicaChange
	for _, c := range scaled() {
		if c.at.After(killed) && c.at.Before(rampEnd) {
			after = append(after, c)
			assert.GreaterOrEqual(t, c.replicas, up.replicas, "spec.replicas fell in the high phase after the takeover: %v", scaled())
		}
	}
	var byFirst, byNew int
	for _, w := range f.operatorScaleWrites(t, ns) {
		switch {
		case !w.Time.Before(rampEnd):
		case w.User == sa[leader]:
			byFirst++
		default:
			byNew++
		}
	}
	t.Logf("scale writes in the high phase: %d by the first leader, %d by the new one; spec.replicas changes after the kill: %v", byFirst, byNew, after)
	assert.Positive(t, byFirst, "the first leader's scale writes")
	assert.Equal(t, len(after), byNew, "the new leader wrote a scale that changed nothing")

	// Graceful handovers: a replica joins and takes its share; the holder
	// of web's shard stops, having stopped its Controllers and released
	// its Leases, and the other replica takes the shard as soon as its
	// watch shows the release.
	live := map[string]*kubetest.Process{other: procs[other]}
	for round := range 3 {
		joiner := fmt.Sprintf("op-%d", round+2)
		live[joiner] = f.startOperator(t, joiner, kc["op-a"])
		split, holders := f.waitSplit(t, 10*time.Second, slices.Collect(maps.Keys(live))...)
		from := holders[lease]
		stopped := time.Now()
		done := make(chan struct{})
		go func() { live[from].Stop(); close(done) }()
		released, took, holder := f.handover(t, lease, from, 3*leaseDuration)
		<-done
		delete(live, from)
		require.False(t, released.IsZero(), "%s released %s", from, lease)
		t.Logf("handover %d: shards split %v after %s joined; %s sent SIGTERM; %s released %v later, %s held it %v after the release (%v after the SIGTERM)",
			round+1, split.Round(time.Millisecond), joiner, from, lease, released.Sub(stopped).Round(time.Millisecond),
			holder, took.Sub(released).Round(time.Millisecond), took.Sub(stopped).Round(time.Millisecond))
		assert.NotEqual(t, from, holder)
		assert.Less(t, took.Sub(released), 500*time.Millisecond, "a released Lease is taken at once")
		assert.Less(t, took.Sub(stopped), time.Second, "from SIGTERM to the new holder")
	}
}

// TestIntegrationOperatorRestart: an operator that ran passes is stopped
// and started again; the first pass of the new process forecasts with a
// seasonal model, from the state the first left in its ConfigMap and the
// history in Prometheus.
func TestIntegrationOperatorRestart(t *testing.T) {
	f := setup(t, 0)
	ns := f.env.Namespace(t, "restart")
	f.createWorkloadAndScaler(t, ns, "web", v1alpha1.ForecastOnly)
	kc := f.serviceAccount(t, "shadowscale-operator")
	op := f.startOperator(t, "op-a", kc)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		ps := f.getScaler(c, ns, "web")
		assert.Regexp(c, seasonalModel, ps.Status.Model)
		_, err := f.env.Client.CoreV1().ConfigMaps(ns).Get(context.Background(), operator.StateConfigMapName("web"), metav1.GetOptions{})
		assert.NoError(c, err, "state ConfigMap")
	}, waitFor, 100*time.Millisecond)
	op.Stop()
	// Pass times are in whole seconds: a pass after this one is the new
	// process's.
	last := f.getScaler(t, ns, "web").Status.LastPassTime
	require.NotNil(t, last)

	// The first status the new process writes.
	restarted := time.Now()
	var ps v1alpha1.PredictiveScaler
	ctx, cancel := context.WithTimeout(t.Context(), waitFor)
	defer cancel()
	w, err := f.crd.Watch(ctx, &v1alpha1.PredictiveScalerList{}, client.InNamespace(ns))
	require.NoError(t, err)
	defer w.Stop()
	f.startOperator(t, "op-a", kc)
	for ev := range w.ResultChan() {
		p, ok := ev.Object.(*v1alpha1.PredictiveScaler)
		if ok && p.Status.LastPassTime != nil && p.Status.LastPassTime.After(last.Time) {
			ps = *p
			break
		}
	}
	require.NotNil(t, ps.Status.LastPassTime, "no pass after the restart within %v", waitFor)
	t.Logf("first status of the restarted operator seen %v after its start: model %s, forecast peak %s, desired %d",
		time.Since(restarted).Round(time.Millisecond), ps.Status.Model, ps.Status.ForecastPeak, ps.Status.DesiredReplicas)
	assert.Regexp(t, seasonalModel, ps.Status.Model)
	assert.NotEmpty(t, ps.Status.ForecastPeak)
}

// ahead is the start of the outage scenarios (see scaledAhead).
type ahead struct {
	f      *fixture
	ns     string
	scaled func() []replicaChange // the changes of web's replicas
	ramp   time.Time
	up     replicaChange // the scale-up ahead of ramp
	op     *kubetest.Process
}

// scaledAhead starts the outage scenarios: a ForecastAndScale scaler of
// the Deployment web in a new namespace named from prefix, and one
// operator replica. It returns once the operator has scaled web up to the
// high phase's need ahead of a ramp.
func scaledAhead(t *testing.T, prefix string) ahead {
	t.Helper()
	f := setup(t, 0)
	a := ahead{f: f, ns: f.env.Namespace(t, prefix)}
	a.scaled = watchReplicas(t, f.env.Client, a.ns, "web")
	f.createWorkloadAndScaler(t, a.ns, "web", v1alpha1.ForecastAndScale)
	a.ramp = f.load.nextRamp(time.Now())
	if time.Until(a.ramp) <= leadTime+3*interval {
		a.ramp = a.ramp.Add(period)
	}
	a.op = f.startOperator(t, "op-a", f.serviceAccount(t, "shadowscale-operator"))
	f.requireEarly(t, a.ramp)
	a.up = waitScaledTo(t, a.scaled, highNeed, a.ramp)
	return a
}

// inForceAt is the replica count in force at t: the last of changes at or
// before t, or initial when none.
func inForceAt(changes []replicaChange, t time.Time, initial int32) int32 {
	n := initial
	for _, c := range changes {
		if !c.at.After(t) {
			n = c.replicas
		}
	}
	return n
}

// TestIntegrationOperatorMetricsOutage: Prometheus, the operator's only
// source of load, is killed (SIGKILL) after the scale-up ahead of a ramp
// and started again (same storage) a period later, shortly before the
// next ramp. While it is down the operator holds production (a missing
// metric is not a low load) and says so in the scaler's status. Its range
// queries then serve the last sample before the kill again for every
// point of the outage (its lookback delta, 5m): the operator leaves those
// copies out as gaps, which the forecaster fills, instead of laying a flat
// low line over the high phase it did not see; so its forecast still has
// the next ramp, and production is at what the high phase needs when it
// comes. (Read as load, the copies hid the ramp: the first pass after the
// restart scaled down to 2, and the ramp came with 2.)
func TestIntegrationOperatorMetricsOutage(t *testing.T) {
	a := scaledAhead(t, "outage")
	f, ns, scaled, ramp, up, op := a.f, a.ns, a.scaled, a.ramp, a.up, a.op
	require.True(t, time.Now().Before(ramp), "scaled up at the ramp, too late to kill Prometheus before it")

	f.prom.Kill()
	killed := time.Now()
	next := ramp.Add(period)
	restartAt := next.Add(-5 * interval) // a lead time and more before the next ramp
	t.Logf("prometheus killed %v after the scale-up to %d, %v before the ramp; to be started again %v before the next", killed.Sub(up.at).Round(time.Millisecond), up.replicas, ramp.Sub(killed).Round(time.Millisecond), next.Sub(restartAt))
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		ps := f.getScaler(c, ns, "web")
		require.NotNil(c, ps.Status.LastPassTime)
		active := meta.FindStatusCondition(ps.Status.Conditions, string(shadow.ScalingActive))
		require.NotNil(c, active)
		assert.Equal(c, metav1.ConditionFalse, active.Status, "ScalingActive while the metrics are down: %+v", active)
		assert.Equal(c, shadow.ReasonMetricsUnavailable, active.Reason)
		assert.False(c, ps.Status.LastPassTime.Time.Before(restartAt.Add(-interval)), "last pass %v", ps.Status.LastPassTime)
	}, time.Until(restartAt)+waitFor, 100*time.Millisecond)
	require.NoError(t, f.prom.Start())
	restarted := time.Now()
	require.True(t, restarted.Before(next.Add(-leadTime)), "Prometheus ready again %v before the next ramp: too late to forecast it", next.Sub(restarted))
	t.Logf("prometheus ready again %v after the kill, %v before the next ramp; spec.replicas changes so far: %v",
		restarted.Sub(killed).Round(time.Millisecond), next.Sub(restarted).Round(time.Millisecond), scaled())
	for _, c := range scaled() {
		if c.at.After(killed) {
			assert.GreaterOrEqual(t, c.replicas, up.replicas, "scaled down while the metrics were down: %v", scaled())
		}
	}

	// Through the next high phase: its need in force from its start.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		ps := f.getScaler(c, ns, "web")
		require.NotNil(c, ps.Status.LastPassTime)
		assert.True(c, ps.Status.LastPassTime.After(next.Add(period-rampAt)), "last pass %v", ps.Status.LastPassTime)
		active := meta.FindStatusCondition(ps.Status.Conditions, string(shadow.ScalingActive))
		require.NotNil(c, active)
		assert.Equal(c, metav1.ConditionTrue, active.Status, "ScalingActive after the restart: %+v", active)
	}, time.Until(next)+waitFor, 100*time.Millisecond)
	inForce := inForceAt(scaled(), next, up.replicas)
	t.Logf("at the next ramp production was at %d; spec.replicas changes: %v", inForce, scaled())
	assert.GreaterOrEqual(t, inForce, int32(highNeed), "production when the first ramp after the outage came")
	for _, c := range scaled() {
		if c.at.After(next) && c.at.Before(next.Add(period-rampAt)) {
			assert.GreaterOrEqual(t, c.replicas, int32(highNeed), "scaled down in the high phase: %v", scaled())
		}
	}
	log, err := os.ReadFile(op.LogFile)
	require.NoError(t, err)
	assert.Contains(t, string(log), "left out as gaps: the source's copies", "the operator's log names the copies it left out")
}

// TestIntegrationOperatorAPIServerRestart: kube-apiserver is killed
// (SIGKILL) after the operator's scale-up ahead of a ramp, as a crash or a
// control plane's upgrade would, and started again (etcd keeps the
// cluster's state) once the operator has stopped its shards, their Leases
// not renewed in time. The operator process survives it; once the API
// server is back its passes resume (its shards' Leases taken again, the
// Controller's state read back), and production is at what the high phase
// needs when the next ramp comes.
func TestIntegrationOperatorAPIServerRestart(t *testing.T) {
	a := scaledAhead(t, "apiserver")
	f, ns, up, op := a.f, a.ns, a.up, a.op

	f.env.KillAPIServer()
	killed := time.Now()
	// The API server stays down until the operator has stopped its
	// shards, their Leases not renewed in time.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		log, err := os.ReadFile(op.LogFile)
		require.NoError(c, err)
		assert.Contains(c, string(log), "shard lost")
	}, waitFor, 100*time.Millisecond)
	require.NoError(t, f.env.StartAPIServer())
	restarted := time.Now()
	select {
	case <-op.Done():
		require.FailNow(t, "the operator exited while the API server was down", "%s: %s", op.ExitReport(), op.Tail(30))
	default:
	}
	t.Logf("kube-apiserver killed %v after the scale-up to %d, started again %v later", killed.Sub(up.at).Round(time.Millisecond), up.replicas, restarted.Sub(killed).Round(time.Millisecond))

	// The passes resume.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		ps := f.getScaler(c, ns, "web")
		require.NotNil(c, ps.Status.LastPassTime)
		assert.True(c, ps.Status.LastPassTime.After(restarted), "last pass %v", ps.Status.LastPassTime)
	}, waitFor, 100*time.Millisecond)
	resumed := time.Now()
	t.Logf("passes resumed %v after the restart", resumed.Sub(restarted).Round(time.Millisecond))

	// The first ramp the operator can see coming after that.
	scaledAfter := watchReplicas(t, f.env.Client, ns, "web")
	d, err := f.env.Client.AppsV1().Deployments(ns).Get(t.Context(), "web", metav1.GetOptions{})
	require.NoError(t, err)
	next := f.load.nextRamp(time.Now().Add(leadTime + 2*interval))
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		ps := f.getScaler(c, ns, "web")
		require.NotNil(c, ps.Status.LastPassTime)
		assert.True(c, ps.Status.LastPassTime.After(next.Add(period-rampAt)), "last pass %v", ps.Status.LastPassTime)
	}, time.Until(next)+waitFor, 100*time.Millisecond)
	inForce := inForceAt(scaledAfter(), next, *d.Spec.Replicas)
	t.Logf("replicas %d when the passes resumed; at the next ramp, %v later, %d; changes since: %v", *d.Spec.Replicas, next.Sub(resumed).Round(time.Millisecond), inForce, scaledAfter())
	assert.GreaterOrEqual(t, inForce, int32(highNeed), "production when the first ramp after the restart came")
	select {
	case <-op.Done():
		assert.Fail(t, "the operator exited", "%s: %s", op.ExitReport(), op.Tail(30))
	default:
	}
}
