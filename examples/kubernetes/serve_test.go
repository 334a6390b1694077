package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
)

// kubeStub is a Kubernetes API server holding the Deployment default/web,
// speaking whatever encoding the client sends (protobuf by default) and
// answering in JSON. Each accepted scale update is sent on scaled.
type kubeStub struct {
	t        *testing.T
	mu       sync.Mutex
	replicas int32
	scaled   chan int32
}

func (k *kubeStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	defer k.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	const base = "/apis/apps/v1/namespaces/default/deployments/web"
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers":
		// No HPA scales the workload.
		fmt.Fprint(w, `{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscalerList","metadata":{"resourceVersion":"1"},"items":[]}`)
	case r.Method == http.MethodGet && r.URL.Path == base:
		n := k.replicas
		_ = json.NewEncoder(w).Encode(appsv1.Deployment{
			TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "1"},
			Spec:       appsv1.DeploymentSpec{Replicas: &n},
			Status:     appsv1.DeploymentStatus{Replicas: n, ReadyReplicas: n},
		})
	case r.Method == http.MethodGet && r.URL.Path == base+"/scale":
		_ = json.NewEncoder(w).Encode(autoscalingv1.Scale{
			TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v1", Kind: "Scale"},
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "1"},
			Spec:       autoscalingv1.ScaleSpec{Replicas: k.replicas},
		})
	case r.Method == http.MethodPut && r.URL.Path == base+"/scale":
		body, err := io.ReadAll(r.Body)
		require.NoError(k.t, err)
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, nil, nil)
		if !assert.NoError(k.t, err) {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s, ok := obj.(*autoscalingv1.Scale)
		if !assert.True(k.t, ok, "got %T", obj) {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		k.replicas = s.Spec.Replicas
		s.TypeMeta = metav1.TypeMeta{APIVersion: "autoscaling/v1", Kind: "Scale"}
		_ = json.NewEncoder(w).Encode(s)
		select {
		case k.scaled <- s.Spec.Replicas:
		default:
		}
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"apiVersion":"v1","kind":"Status","status":"Failure","reason":"NotFound","code":404,"message":"%s %s"}`, r.Method, r.URL.Path)
	}
}

func writeKubeconfig(t *testing.T, server string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: stub
  cluster: {server: %q}
users:
- name: stub
  user: {}
contexts:
- name: stub
  context: {cluster: stub, user: stub}
current-context: stub
`, server)
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// TestServeScalesThroughRealClients runs the binary's whole path — flags,
// kubeconfig, client-go and the Prometheus client over HTTP, the Controller
// loop — against local stand-ins, until the first pass scales the
// Deployment up.
func TestServeScalesThroughRealClients(t *testing.T) {
	kube := &kubeStub{t: t, replicas: 2, scaled: make(chan int32, 1)}
	kubeSrv := httptest.NewServer(kube)
	defer kubeSrv.Close()
	promSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/api/v1/query_range" { // the start-up backfill: no history yet
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[]}}`)
			return
		}
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[0,"1000"]}]}}`)
	}))
	defer promSrv.Close()

	// One pass now; the next would come an hour later.
	o, err := parse(with("-kubeconfig", writeKubeconfig(t, kubeSrv.URL), "-prometheus", promSrv.URL, "-interval", "1h"), io.Discard)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, o, slog.New(slog.NewTextHandler(io.Discard, nil))) }()

	select {
	case n := <-kube.scaled:
		assert.Greater(t, n, int32(2))
	case err := <-done:
		t.Fatalf("serve returned before scaling: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no scale update within 30s")
	}
	cancel()
	require.NoError(t, <-done)
}
