package kubetest

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// PrometheusOptions configure [StartPrometheus].
type PrometheusOptions struct {
	// Backfill is history in the OpenMetrics text format (ending with
	// "# EOF"), written into the server's storage with promtool tsdb
	// create-blocks-from openmetrics before it starts. Empty writes none.
	Backfill string
	// Targets are host:port addresses scraped at /metrics every
	// ScrapeInterval.
	Targets []string
	// ScrapeInterval is the time between scrapes. Default 1s.
	ScrapeInterval time.Duration
}

// PrometheusBinaries returns the paths of prometheus and promtool:
// $PROMETHEUS and $PROMTOOL, else from PATH (Debian: apt-get install
// prometheus).
func PrometheusBinaries() (prometheus, promtool string, err error) {
	find := func(env, name string) (string, error) {
		if p := os.Getenv(env); p != "" {
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("$%s: %w", env, err)
			}
			return p, nil
		}
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("%s not on PATH and $%s not set (apt-get install prometheus)", name, env)
		}
		return p, nil
	}
	prometheus, err1 := find("PROMETHEUS", "prometheus")
	promtool, err2 := find("PROMTOOL", "promtool")
	if err := errors.Join(err1, err2); err != nil {
		return "", "", fmt.Errorf("kubetest: %w", err)
	}
	return prometheus, promtool, nil
}

// StartPrometheus starts a Prometheus server on a free loopback port with
// its storage in a temporary directory, waits until it is ready, and
// returns its base URL. It stops in t's cleanup, showing the end of its log
// if t failed. Missing binaries fail t when CI=true and skip it otherwise.
func StartPrometheus(t testing.TB, o PrometheusOptions) string {
	t.Helper()
	return NewPrometheus(t, o).URL
}

// Prometheus is a Prometheus server started by [NewPrometheus], which a
// test can kill and start again on the same address and storage: a
// metrics backend's outage and restart.
type Prometheus struct {
	// URL is the server's base URL; it stays the same across restarts.
	URL string

	bin  string
	args []string
	log  string
	mu   sync.Mutex
	proc *Process
}

// NewPrometheus is [StartPrometheus] returning the server.
func NewPrometheus(t testing.TB, o PrometheusOptions) *Prometheus {
	t.Helper()
	promBin, toolBin, err := PrometheusBinaries()
	Require(t, err)
	if o.ScrapeInterval <= 0 {
		o.ScrapeInterval = time.Second
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if o.Backfill != "" {
		om := filepath.Join(dir, "backfill.om")
		if err := os.WriteFile(om, []byte(o.Backfill), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(toolBin, "tsdb", "create-blocks-from", "openmetrics", "-q", om, data).CombinedOutput(); err != nil {
			t.Fatalf("kubetest: promtool tsdb create-blocks-from openmetrics: %v: %s", err, out)
		}
	}
	targets := make([]string, len(o.Targets))
	for i, tg := range o.Targets {
		targets[i] = fmt.Sprintf("%q", tg)
	}
	cfg := fmt.Sprintf("global:\n  scrape_interval: %s\n  scrape_timeout: %s\nscrape_configs:\n  - job_name: kubetest\n    static_configs:\n      - targets: [%s]\n",
		o.ScrapeInterval, o.ScrapeInterval, strings.Join(targets, ", "))
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ports, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + ports[0]
	p := &Prometheus{
		URL: "http://" + addr,
		bin: promBin,
		args: []string{
			"--config.file=" + cfgFile,
			"--storage.tsdb.path=" + data,
			"--storage.tsdb.retention.time=30d",
			"--web.listen-address=" + addr,
		},
		log: filepath.Join(dir, "prometheus.log"),
	}
	t.Cleanup(func() {
		p.mu.Lock()
		proc := p.proc
		p.mu.Unlock()
		if proc == nil {
			return
		}
		proc.Stop()
		if t.Failed() {
			t.Logf("kubetest: prometheus (%s), last lines of its log:\n%s", proc.ExitReport(), proc.Tail(20))
		}
	})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

// Start starts the server again after [Prometheus.Kill], on the same
// address and storage, and waits until it is ready.
func (p *Prometheus) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil {
		select {
		case <-p.proc.Done():
		default:
			return errors.New("kubetest: prometheus is running")
		}
	}
	proc, err := Exec(p.bin, p.log, nil, p.args...)
	if err != nil {
		return err
	}
	p.proc = proc
	if err := waitReady(proc, http.DefaultClient, p.URL+"/-/ready", nil); err != nil {
		return fmt.Errorf("kubetest: %w", err)
	}
	return nil
}

// Kill stops the server with SIGKILL, as a crash or a lost node would:
// no clean shutdown, no staleness markers; its storage keeps what it had
// written (the write-ahead log).
func (p *Prometheus) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil {
		p.proc.Kill()
	}
}
