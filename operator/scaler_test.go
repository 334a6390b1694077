package operator

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/shadowscale/shadowscale/drivers/k8s/k8stest"
	"github.com/shadowscale/shadowscale/internal/syncbuf"
	"github.com/shadowscale/shadowscale/operator/api/v1alpha1"
)

// recorded is one Event a fakeRecorder received.
type recorded struct {
	regarding, related  *corev1.ObjectReference
	typ, reason, action string
	note                string
}

type fakeRecorder struct {
	mu     sync.Mutex
	events []recorded
}

func (r *fakeRecorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := recorded{typ: eventtype, reason: reason, action: action, note: fmt.Sprintf(note, args...)}
	e.regarding, _ = regarding.(*corev1.ObjectReference)
	e.related, _ = related.(*corev1.ObjectReference)
	r.events = append(r.events, e)
}

func (r *fakeRecorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.events...)
}

// fakeProm answers instant queries with load and range queries with no
// history.
func fakeProm(t *testing.T, load float64) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/api/v1/query"):
			fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[%d,"%g"]}]}}`, time.Now().Unix(), load)
		case strings.HasSuffix(r.URL.Path, "/api/v1/query_range"):
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[]}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func testScheme(t *testing.T) *runtime.Scheme {
	s := runtime.NewScheme()
	require.NoError(t, clientgoscheme.AddToScheme(s))
	require.NoError(t, v1alpha1.AddToScheme(s))
	return s
}

func webDeployment(replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", UID: "dep-uid", Generation: 1},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr.To(replicas)},
		Status:     appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: replicas, ReadyReplicas: replicas},
	}
}

func webHPA() *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-hpa"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MaxReplicas:    5,
		},
	}
}

// passEnv is one PredictiveScaler on Deployment shop/web with 2 replicas,
// load 300 against 50 per replica at 70% (9 replicas' worth), and the
// clients a pass writes through.
type passEnv struct {
	kube *fake.Clientset
	cl   client.Client
	rec  *fakeRecorder
	f    *factory
	obj  *v1alpha1.PredictiveScaler
}

func newPassEnv(t *testing.T, mode v1alpha1.Mode, withHPA bool) *passEnv {
	noLeaks(t)
	prom := fakeProm(t, 300)
	kubeObjs := []runtime.Object{webDeployment(2)}
	var crObjs []client.Object
	if withHPA {
		kubeObjs = append(kubeObjs, webHPA())
		crObjs = append(crObjs, webHPA())
	}
	kube := fake.NewClientset(kubeObjs...)
	k8stest.ServeScale(kube)
	spec := minimalSpec()
	spec.Mode = mode
	spec.Interval = &metav1.Duration{Duration: time.Minute}
	spec.SeasonalPeriods = []metav1.Duration{}
	obj := &v1alpha1.PredictiveScaler{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-scaler", UID: "ps-uid", Generation: 2},
		Spec:       spec,
	}
	cl := crfake.NewClientBuilder().WithScheme(testScheme(t)).
		WithObjects(append(crObjs, obj.DeepCopy())...).
		WithStatusSubresource(&v1alpha1.PredictiveScaler{}).Build()
	rec := &fakeRecorder{}
	w := &writer{client: cl, kube: kube, recorder: rec, log: quietLog()}
	b := &builder{kube: kube, prometheus: prom.URL, log: quietLog()}
	return &passEnv{kube: kube, cl: cl, rec: rec, f: &factory{b: b, w: w}, obj: obj}
}

func (e *passEnv) replicas(t *testing.T) int32 {
	d, err := e.kube.AppsV1().Deployments("shop").Get(context.Background(), "web", metav1.GetOptions{})
	require.NoError(t, err)
	return *d.Spec.Replicas
}

func (e *passEnv) status(t *testing.T) v1alpha1.PredictiveScalerStatus {
	var got v1alpha1.PredictiveScaler
	require.NoError(t, e.cl.Get(context.Background(), types.NamespacedName{Namespace: "shop", Name: "web-scaler"}, &got))
	return got.Status
}

func TestPassForecastOnlyChangesNothing(t *testing.T) {
	e := newPassEnv(t, v1alpha1.ForecastOnly, false)
	sc, err := e.f.newScaler(e.obj)
	require.NoError(t, err)
	assert.Equal(t, time.Minute, sc.interval())
	sc.pass(context.Background(), time.Now())

	assert.Equal(t, int32(2), e.replicas(t), "ForecastOnly never scales")
	st := e.status(t)
	assert.Equal(t, int64(2), st.ObservedGeneration)
	assert.Equal(t, int32(2), st.CurrentReplicas)
	assert.Greater(t, st.DesiredReplicas, int32(2), "it reports what it would do")
	assert.Equal(t, []v1alpha1.MetricStatus{{Name: "request_rate", Current: "300"}}, st.Metrics)
	assert.Nil(t, st.LastScaleTime)
	assert.Equal(t, &metav1.Duration{Duration: 10 * time.Minute}, st.LeadTime)
	c := meta.FindStatusCondition(st.Conditions, "AbleToScale")
	require.NotNil(t, c)
	assert.Equal(t, "ForecastOnly", c.Reason)
	assert.Empty(t, e.rec.all(), "no Events: nothing scaled, nothing refused")

	_, err = e.kube.CoreV1().ConfigMaps("shop").Get(context.Background(), "shadowscale-state-web-scaler", metav1.GetOptions{})
	assert.NoError(t, err, "the state was saved")
}

func TestPassScalesAndRecordsAnEvent(t *testing.T) {
	e := newPassEnv(t, v1alpha1.ForecastAndScale, false)
	sc, err := e.f.newScaler(e.obj)
	require.NoError(t, err)
	sc.pass(context.Background(), time.Now())

	n := e.replicas(t)
	assert.Greater(t, n, int32(2), "the Deployment was scaled up")
	st := e.status(t)
	assert.Equal(t, n, st.DesiredReplicas)
	assert.NotNil(t, st.LastScaleTime)
	evs := e.rec.all()
	require.Len(t, evs, 1)
	assert.Equal(t, "SuccessfulRescale", evs[0].reason)
	assert.Contains(t, evs[0].note, fmt.Sprintf("New size: %d", n))
	assert.Equal(t, &corev1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web", UID: "dep-uid"},
		evs[0].regarding, "the Event is on the workload, with its UID")
	assert.Equal(t, "web-scaler", evs[0].related.Name)
}

func TestPassRefusesAWorkloadAnHPATargets(t *testing.T) {
	e := newPassEnv(t, v1alpha1.ForecastAndScale, true)
	sc, err := e.f.newScaler(e.obj)
	require.NoError(t, err)
	sc.pass(context.Background(), time.Now())

	assert.Equal(t, int32(2), e.replicas(t), "not scaled")
	c := meta.FindStatusCondition(e.status(t).Conditions, "AbleToScale")
	require.NotNil(t, c)
	assert.Equal(t, metav1.ConditionFalse, c.Status)
	assert.Equal(t, "HPAConflict", c.Reason)
	assert.Contains(t, c.Message, "web-hpa")
	evs := e.rec.all()
	require.Len(t, evs, 1)
	assert.Equal(t, "HPAConflict", evs[0].reason)
	assert.Equal(t, "Warning", evs[0].typ)
	assert.Equal(t, "web", evs[0].regarding.Name)
}

func TestPassAfterStopWritesNothing(t *testing.T) {
	e := newPassEnv(t, v1alpha1.ForecastAndScale, false)
	sc, err := e.f.newScaler(e.obj)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sc.pass(ctx, time.Now())
	assert.Equal(t, int32(2), e.replicas(t))
	assert.Empty(t, e.status(t).Conditions, "a stopped scaler does not write the status")
	assert.Empty(t, e.rec.all())
}

func TestFactoryFailReportsTheRefusal(t *testing.T) {
	e := newPassEnv(t, v1alpha1.ForecastAndScale, false)
	e.obj.Spec.MaxReplicas = 0
	_, err := e.f.newScaler(e.obj)
	require.ErrorIs(t, err, ErrInvalidSpec)
	e.f.fail(context.Background(), e.obj, err)
	c := meta.FindStatusCondition(e.status(t).Conditions, v1alpha1.ConditionReady)
	require.NotNil(t, c)
	assert.Equal(t, metav1.ConditionFalse, c.Status)
	assert.Equal(t, "InvalidSpec", c.Reason)
	assert.Contains(t, c.Message, "maxReplicas 0")
	evs := e.rec.all()
	require.Len(t, evs, 1)
	assert.Equal(t, "InvalidSpec", evs[0].reason)
	assert.Equal(t, "PredictiveScaler", evs[0].regarding.Kind)
}

func TestAPIGroup(t *testing.T) {
	assert.Equal(t, "apps", apiGroup("apps/v1"))
	assert.Equal(t, "", apiGroup("v1"))
	assert.Equal(t, "", apiGroup("a/b/c"))
}

func TestPassForecastOnlyReportsAnHPA(t *testing.T) {
	e := newPassEnv(t, v1alpha1.ForecastOnly, true)
	sc, err := e.f.newScaler(e.obj)
	require.NoError(t, err)
	sc.pass(context.Background(), time.Now())

	assert.Equal(t, int32(2), e.replicas(t), "ForecastOnly never scales")
	c := meta.FindStatusCondition(e.status(t).Conditions, "AbleToScale")
	require.NotNil(t, c)
	assert.Equal(t, metav1.ConditionFalse, c.Status)
	assert.Equal(t, "HPAConflict", c.Reason, "what ForecastAndScale would meet")
	assert.Contains(t, c.Message, "web-hpa")
	assert.Contains(t, c.Message, "in ForecastAndScale the operator would not scale it")
	assert.Empty(t, e.rec.all(), "no Event: ForecastOnly refuses nothing")
}

func TestPassLogsALastingHPAConflictOnce(t *testing.T) {
	e := newPassEnv(t, v1alpha1.ForecastAndScale, true)
	var buf syncBuffer
	e.f.b.log = slog.New(slog.NewTextHandler(&buf, nil))
	sc, err := e.f.newScaler(e.obj)
	require.NoError(t, err)
	for i := range 3 {
		sc.pass(context.Background(), time.Now().Add(time.Duration(i)*time.Minute))
	}
	warnings := 0
	for l := range strings.Lines(buf.String()) {
		if strings.Contains(l, `msg="dependency failed"`) && strings.Contains(l, "HorizontalPodAutoscaler") {
			warnings++
		}
	}
	assert.Equal(t, 1, warnings, "the driver's refusal, logged once over three passes:\n%s", buf.String())
	byReason := map[string]int{}
	for _, ev := range e.rec.all() {
		byReason[ev.reason]++
	}
	assert.Equal(t, 3, byReason["HPAConflict"], "the Event every pass stays (the recorder folds repeats into a series)")
	assert.Equal(t, 1, byReason["PredictiveScalerAlert"], "the third refusal in a row raises the actuation-failures alert")
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer = syncbuf.Buffer
