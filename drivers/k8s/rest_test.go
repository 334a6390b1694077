package k8s

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/shadowscale/shadowscale/actuator"
)

// apiServer is a minimal Kubernetes API server holding one Deployment,
// shop/web, with its scale subresource, over real HTTP and JSON.
type apiServer struct {
	t        *testing.T
	mu       sync.Mutex
	replicas int32
	ready    int32
	rv       int
	puts     []autoscalingv1.Scale
	status   int // when set, every request fails with this status
	// statusWrites is how many updates of the scale conflict because the
	// workload's controller wrote its status (resourceVersion bumped,
	// spec unchanged) just before.
	statusWrites int
	// otherWriter, when set, conflicts the first update and sets
	// replicas to this value, as another writer would.
	otherWriter int32
	hpas        []autoscalingv2.HorizontalPodAutoscaler
}

func (s *apiServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	const base = "/apis/apps/v1/namespaces/shop/deployments/web"
	if s.status != 0 {
		s.fail(w, s.status, "refused by test")
		return
	}
	scale := func() autoscalingv1.Scale {
		return autoscalingv1.Scale{
			TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v1", Kind: "Scale"},
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", ResourceVersion: strconv.Itoa(s.rv)},
			Spec:       autoscalingv1.ScaleSpec{Replicas: s.replicas},
		}
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == base:
		n := s.replicas
		_ = json.NewEncoder(w).Encode(appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", ResourceVersion: strconv.Itoa(s.rv)},
			Spec:       appsv1.DeploymentSpec{Replicas: &n},
			Status:     appsv1.DeploymentStatus{ReadyReplicas: s.ready},
		})
	case r.Method == http.MethodGet && r.URL.Path == "/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers":
		_ = json.NewEncoder(w).Encode(autoscalingv2.HorizontalPodAutoscalerList{
			TypeMeta: metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscalerList"},
			Items:    s.hpas,
		})
	case r.Method == http.MethodGet && r.URL.Path == base+"/scale":
		_ = json.NewEncoder(w).Encode(scale())
	case r.Method == http.MethodPut && r.URL.Path == base+"/scale":
		var in autoscalingv1.Scale
		if !assert.NoError(s.t, json.NewDecoder(r.Body).Decode(&in)) {
			s.fail(w, http.StatusBadRequest, "bad body")
			return
		}
		s.puts = append(s.puts, in)
		switch {
		case s.statusWrites > 0:
			s.statusWrites--
			s.rv++
		case s.otherWriter != 0:
			s.replicas, s.otherWriter = s.otherWriter, 0
			s.rv++
		}
		if in.ResourceVersion != strconv.Itoa(s.rv) {
			s.fail(w, http.StatusConflict, "the object has been modified")
			return
		}
		s.replicas = in.Spec.Replicas
		s.rv++
		_ = json.NewEncoder(w).Encode(scale())
	default:
		s.fail(w, http.StatusNotFound, "not found: "+r.Method+" "+r.URL.Path)
	}
}

func (s *apiServer) fail(w http.ResponseWriter, code int, msg string) {
	reasons := map[int]metav1.StatusReason{
		http.StatusNotFound: metav1.StatusReasonNotFound, http.StatusConflict: metav1.StatusReasonConflict,
		http.StatusForbidden: metav1.StatusReasonForbidden, http.StatusUnprocessableEntity: metav1.StatusReasonInvalid,
		http.StatusTooManyRequests: metav1.StatusReasonTooManyRequests, http.StatusInternalServerError: metav1.StatusReasonInternalError,
	}
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(metav1.Status{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"},
		Status:   metav1.StatusFailure, Code: int32(code), Reason: reasons[code], Message: msg,
	})
}

func restClient(t *testing.T, s *apiServer) kubernetes.Interface {
	t.Helper()
	s.t = t
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	// JSON on the wire, so the stand-in can decode what the client sends.
	c, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL, ContentConfig: rest.ContentConfig{ContentType: "application/json"}})
	require.NoError(t, err)
	return c
}

func TestRESTRoundTrip(t *testing.T) {
	s := &apiServer{replicas: 3, ready: 2, rv: 1}
	w, err := NewWorkload(restClient(t, s), Config{Namespace: "shop", Name: "web"})
	require.NoError(t, err)
	ctx := context.Background()

	st, err := w.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, actuator.State{Desired: 3, Ready: 2}, st)

	require.NoError(t, w.Scale(ctx, 5))
	st, err = w.Current(ctx)
	require.NoError(t, err)
	assert.Equal(t, 5, st.Desired)

	s.mu.Lock()
	defer s.mu.Unlock()
	require.Len(t, s.puts, 1)
	assert.Equal(t, int32(5), s.puts[0].Spec.Replicas)
	assert.Equal(t, "1", s.puts[0].ResourceVersion)
}

func TestRESTErrorsAreClassified(t *testing.T) {
	cases := []struct {
		status    int
		permanent bool
		is        func(error) bool
	}{
		{http.StatusNotFound, true, apierrors.IsNotFound},
		{http.StatusForbidden, true, apierrors.IsForbidden},
		{http.StatusUnprocessableEntity, true, apierrors.IsInvalid},
		{http.StatusConflict, false, apierrors.IsConflict},
		{http.StatusTooManyRequests, false, apierrors.IsTooManyRequests},
		{http.StatusInternalServerError, false, apierrors.IsInternalError},
	}
	for _, c := range cases {
		t.Run(http.StatusText(c.status), func(t *testing.T) {
			s := &apiServer{replicas: 3, status: c.status}
			w, err := NewWorkload(restClient(t, s), Config{Namespace: "shop", Name: "web"})
			require.NoError(t, err)
			_, err = w.Current(context.Background())
			require.Error(t, err)
			assert.True(t, c.is(err), "got %v", err)
			assert.Equal(t, c.permanent, actuator.IsPermanent(err))
		})
	}
}

func TestRESTConflictFromAStatusWriteIsRetriedAtOnce(t *testing.T) {
	s := &apiServer{replicas: 3, ready: 3, rv: 1, statusWrites: 2}
	w, err := NewWorkload(restClient(t, s), Config{Namespace: "shop", Name: "web"})
	require.NoError(t, err)
	require.NoError(t, w.Scale(context.Background(), 5))
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Equal(t, int32(5), s.replicas)
	require.Len(t, s.puts, 3, "two conflicts, then the update")
	assert.Equal(t, []string{"1", "2", "3"}, []string{s.puts[0].ResourceVersion, s.puts[1].ResourceVersion, s.puts[2].ResourceVersion})
}

func TestRESTConflictRetriesAreBounded(t *testing.T) {
	s := &apiServer{replicas: 3, ready: 3, rv: 1, statusWrites: 100}
	w, err := NewWorkload(restClient(t, s), Config{Namespace: "shop", Name: "web"})
	require.NoError(t, err)
	err = w.Scale(context.Background(), 5)
	require.Error(t, err)
	assert.True(t, apierrors.IsConflict(err))
	assert.False(t, actuator.IsPermanent(err))
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Len(t, s.puts, 1+conflictRetries)
	assert.Equal(t, int32(3), s.replicas)
}

func TestRESTConflictFromAnotherWriterIsNotOverwritten(t *testing.T) {
	s := &apiServer{replicas: 3, ready: 3, rv: 1, otherWriter: 7}
	w, err := NewWorkload(restClient(t, s), Config{Namespace: "shop", Name: "web"})
	require.NoError(t, err)
	err = w.Scale(context.Background(), 5)
	require.ErrorIs(t, err, ErrReplicasChanged)
	assert.False(t, actuator.IsPermanent(err))
	assert.Contains(t, err.Error(), "replicas changed from 3 to 7")
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Equal(t, int32(7), s.replicas, "the other writer's change stands")
	assert.Len(t, s.puts, 1)
}

func TestRESTRefusesAWorkloadAnHPAScales(t *testing.T) {
	s := &apiServer{replicas: 3, ready: 3, rv: 1, hpas: []autoscalingv2.HorizontalPodAutoscaler{{
		ObjectMeta: metav1.ObjectMeta{Name: "web-hpa", Namespace: "shop"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MaxReplicas:    10,
		},
	}}}
	w, err := NewWorkload(restClient(t, s), Config{Namespace: "shop", Name: "web"})
	require.NoError(t, err)
	err = w.Scale(context.Background(), 5)
	require.ErrorIs(t, err, ErrHPAConflict)
	assert.True(t, actuator.IsPermanent(err))
	assert.Contains(t, err.Error(), "HorizontalPodAutoscaler shop/web-hpa targets it")
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Empty(t, s.puts)
}
