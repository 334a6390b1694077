package kubetest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Versions of the binaries scripts/kube-binaries.sh builds.
const (
	KubeVersion = "v1.37.2"
	EtcdVersion = "v3.6.7"
)

// startTimeout bounds the wait for each server to become ready.
const startTimeout = 60 * time.Second

// Options change what [Start] starts. The zero value is the default.
type Options struct {
	// ReadyDelay is how long the fake kubelet waits after binding a pod
	// before it marks the pod Running and Ready. Zero marks it at once.
	// [Kubelet.SetReadyDelay] changes it later.
	ReadyDelay time.Duration
	// NoKubelet leaves pods unbound and unready.
	NoKubelet bool
}

// Env is a running control plane.
type Env struct {
	// Config authenticates as an administrator (group system:masters).
	Config *rest.Config
	// Client is a clientset over Config.
	Client kubernetes.Interface
	// Kubelet is the fake kubelet, nil with Options.NoKubelet.
	Kubelet *Kubelet
	// StartTime is how long Start took from its call until the API server
	// answered /readyz and the controller manager ran.
	StartTime time.Duration
	// Dir is the temporary directory holding the servers' data and logs.
	Dir string

	host   string
	caFile string
	procs  []*Process
	// The API server's place in procs, and how it was started.
	api     int
	apiBin  string
	apiArgs []string
	// etcdReady and apiReady are how long etcd and then the API server
	// took to become ready.
	etcdReady, apiReady time.Duration
}

// Binaries returns the directory holding etcd, kube-apiserver and
// kube-controller-manager, or an error saying which is missing and how to
// build it.
func Binaries() (string, error) {
	dir := os.Getenv("KUBE_BIN_DIR")
	if dir == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("kubetest: no cache directory: %w", err)
			}
			cache = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(cache, "shadowscale", "kube-"+KubeVersion+"-etcd-"+EtcdVersion)
	}
	var missing []string
	for _, b := range []string{"etcd", "kube-apiserver", "kube-controller-manager"} {
		if fi, err := os.Stat(filepath.Join(dir, b)); err != nil || fi.Mode()&0o111 == 0 {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("kubetest: %s missing from %s (build them with scripts/kube-binaries.sh, or set KUBE_BIN_DIR)",
			strings.Join(missing, ", "), dir)
	}
	return dir, nil
}

// Require fails the test when CI=true and skips it otherwise, with reason,
// when err is not nil.
func Require(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v (CI=true: a missing server fails the run)", err)
	}
	t.Skipf("skipped: %v", err)
}

// Start starts etcd, kube-apiserver and kube-controller-manager (the
// deployment, replicaset and statefulset controllers) on free loopback
// ports, and the fake kubelet, and stops them all in t's cleanup.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	begin := time.Now()
	bin, err := Binaries()
	Require(t, err)

	e := &Env{Dir: t.TempDir()}
	t.Cleanup(func() { e.stop(t) })
	if err := e.start(bin); err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	if !opts.NoKubelet {
		k, err := startKubelet(e.Client, opts.ReadyDelay)
		if err != nil {
			t.Fatalf("kubetest: %v", err)
		}
		e.Kubelet = k
	}
	e.StartTime = time.Since(begin)
	t.Logf("kubetest: control plane %s (etcd %s) ready in %v (etcd %v, then kube-apiserver %v), logs in %s", KubeVersion, EtcdVersion,
		e.StartTime.Round(time.Millisecond), e.etcdReady.Round(time.Millisecond), e.apiReady.Round(time.Millisecond), e.Dir)
	return e
}

const (
	adminToken = "kubetest-admin-token"
	adminUser  = "kubetest-admin"
)

func (e *Env) start(bin string) error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	etcdURL := "http://127.0.0.1:" + ports[0]
	peerURL := "http://127.0.0.1:" + ports[1]
	e.host = "https://127.0.0.1:" + ports[2]

	etcd, err := e.run(bin, "etcd",
		"--name=kubetest",
		"--data-dir="+filepath.Join(e.Dir, "etcd"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=kubetest="+peerURL,
		"--unsafe-no-fsync",
		"--log-level=warn",
	)
	if err != nil {
		return err
	}
	began := time.Now()
	if err := waitReady(etcd, http.DefaultClient, etcdURL+"/health", nil); err != nil {
		return err
	}
	e.etcdReady = time.Since(began)
	began = time.Now()

	files, err := e.writeFiles()
	if err != nil {
		return err
	}
	e.apiBin, e.apiArgs = bin, []string{
		"--etcd-servers=" + etcdURL,
		"--secure-port=" + ports[2],
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + filepath.Join(e.Dir, "certs"),
		"--token-auth-file=" + files.tokens,
		"--authorization-mode=RBAC",
		"--service-account-key-file=" + files.saKey,
		"--service-account-signing-key-file=" + files.saKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=10.0.0.0/24",
		// Pods need no ServiceAccount object: no controller makes the
		// default one.
		"--disable-admission-plugins=ServiceAccount",
		"--enable-priority-and-fairness=false",
		"--audit-policy-file=" + files.auditPolicy,
		"--audit-log-path=" + e.auditLog(),
		"--audit-log-format=json",
	}
	e.api = len(e.procs)
	if err := e.startAPIServer(); err != nil {
		return err
	}
	e.apiReady = time.Since(began)
	e.caFile = filepath.Join(e.Dir, "certs", "apiserver.crt")
	e.Config = &rest.Config{
		Host:            e.host,
		BearerToken:     adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAFile: e.caFile},
		QPS:             200,
		Burst:           400,
	}
	if e.Client, err = kubernetes.NewForConfig(e.Config); err != nil {
		return err
	}
	kubeconfig, err := e.WriteKubeconfig(e.Config, "admin")
	if err != nil {
		return err
	}
	if _, err := e.run(bin, "kube-controller-manager",
		"--kubeconfig="+kubeconfig,
		"--controllers=deployment,replicaset,statefulset",
		"--leader-elect=false",
		"--secure-port=0",
		"--use-service-account-credentials=false",
		"--concurrent-deployment-syncs=5",
		"--concurrent-replicaset-syncs=5",
		"--v=1",
	); err != nil {
		return err
	}
	return nil
}

// startAPIServer starts kube-apiserver with the flags start chose and
// waits until it is ready.
func (e *Env) startAPIServer() error {
	apiserver, err := Exec(filepath.Join(e.apiBin, "kube-apiserver"), filepath.Join(e.Dir, "kube-apiserver.log"), nil, e.apiArgs...)
	if err != nil {
		return err
	}
	if e.api < len(e.procs) {
		e.procs[e.api] = apiserver
	} else {
		e.procs = append(e.procs, apiserver)
	}
	probe := &http.Client{Transport: &http.Transport{
		// Only the readiness probe skips verification: the serving
		// certificate is written by the server as it starts.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // probe of a loopback test server
	}}
	defer probe.CloseIdleConnections()
	return waitReady(apiserver, probe, e.host+"/readyz", map[string]string{"Authorization": "Bearer " + adminToken})
}

// KillAPIServer stops kube-apiserver with SIGKILL, as a crash or the
// restart of a control plane's upgrade would; etcd keeps the cluster's
// state.
func (e *Env) KillAPIServer() { e.procs[e.api].Kill() }

// StartAPIServer starts kube-apiserver again after KillAPIServer, with the
// same flags, port and certificates, and waits until it is ready.
func (e *Env) StartAPIServer() error {
	select {
	case <-e.procs[e.api].Done():
	default:
		return errors.New("kubetest: kube-apiserver is running")
	}
	return e.startAPIServer()
}

type files struct{ tokens, saKey, auditPolicy string }

// auditPolicy logs who wrote a workload's replicas: updates and patches of
// the scale subresources and of the workloads themselves.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  verbs: ["update", "patch"]
  resources:
  - group: apps
    resources: ["deployments", "deployments/scale", "statefulsets", "statefulsets/scale", "replicasets", "replicasets/scale"]
- level: None
`

func (e *Env) writeFiles() (files, error) {
	f := files{
		tokens:      filepath.Join(e.Dir, "tokens.csv"),
		saKey:       filepath.Join(e.Dir, "sa.key"),
		auditPolicy: filepath.Join(e.Dir, "audit-policy.yaml"),
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return f, err
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return f, err
	}
	err = errors.Join(
		os.WriteFile(f.tokens, []byte(adminToken+","+adminUser+",kubetest-admin-uid,\"system:masters\"\n"), 0o600),
		os.WriteFile(f.saKey, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600),
		os.WriteFile(f.auditPolicy, []byte(auditPolicy), 0o600),
	)
	return f, err
}

// ServiceAccountConfig returns a config authenticated as the ServiceAccount
// namespace/name (which must exist) with a one-hour token from the
// TokenRequest API: it can do exactly what RBAC grants the ServiceAccount.
func (e *Env) ServiceAccountConfig(ctx context.Context, namespace, name string) (*rest.Config, error) {
	exp := int64(3600)
	tr, err := e.Client.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("kubetest: token for ServiceAccount %s/%s: %w", namespace, name, err)
	}
	cfg := rest.CopyConfig(e.Config)
	cfg.BearerToken = tr.Status.Token
	return cfg, nil
}

// WriteKubeconfig writes a kubeconfig file for cfg (host, CA and bearer
// token) under the environment's directory and returns its path; name
// tells files apart.
func (e *Env) WriteKubeconfig(cfg *rest.Config, name string) (string, error) {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["kubetest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthority: cfg.CAFile}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts["kubetest"] = &clientcmdapi.Context{Cluster: "kubetest", AuthInfo: name}
	kc.CurrentContext = "kubetest"
	path := filepath.Join(e.Dir, name+".kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return "", fmt.Errorf("kubetest: write kubeconfig: %w", err)
	}
	return path, nil
}

// Namespace creates a namespace with a random name starting with prefix and
// returns the name.
func (e *Env) Namespace(t testing.TB, prefix string) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: prefix + "-" + hex.EncodeToString(b)}}
	if _, err := e.Client.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("kubetest: create namespace: %v", err)
	}
	return ns.Name
}

func (e *Env) stop(t testing.TB) {
	if e.Kubelet != nil {
		e.Kubelet.stop()
	}
	// The reverse of the start order: the controller manager, then the
	// API server, then etcd.
	for i := len(e.procs) - 1; i >= 0; i-- {
		e.procs[i].Stop()
	}
	if t.Failed() {
		for _, p := range e.procs {
			t.Logf("kubetest: %s (%s), last lines of its log:\n%s", p.Name, p.ExitReport(), p.Tail(15))
		}
	}
}

func freePorts(n int) ([]string, error) {
	var ports []string
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("kubetest: free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, fmt.Sprint(l.Addr().(*net.TCPAddr).Port))
	}
	return ports, nil
}

// waitReady polls url every 50 ms until it answers 200, the process exits,
// or startTimeout passes.
func waitReady(p *Process, client *http.Client, url string, header map[string]string) error {
	defer client.CloseIdleConnections()
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready (%s); last lines of its log:\n%s", p.Name, p.ExitReport(), p.Tail(15))
		case <-deadline.C:
			return fmt.Errorf("%s not ready after %v (last answer from %s: %s); last lines of its log:\n%s", p.Name, startTimeout, url, last, p.Tail(40))
		case <-tick.C:
		}
	}
}
