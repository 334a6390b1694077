package mirror

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchClient is a keep-alive client sized for the parallel benchmarks.
func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
}

func get(c *http.Client, u string) bool {
	resp, err := c.Get(u)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// proxyPair starts a primary, a shadow (or an in-memory shadow transport)
// and two fronts on loopback: a plain httputil.ReverseProxy and the Tee's
// reverse proxy at the given fraction.
func proxyPair(b *testing.B, fraction float64, realShadow bool) (plain, tee string, t *Tee, cleanup func()) {
	b.Helper()
	payload := make([]byte, 512)
	primary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(payload) }))
	shadow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(payload) }))
	pu, _ := url.Parse(primary.URL)
	rp := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(pu); pr.SetXForwarded() },
		Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024},
	}
	cfg := baseConfig(shadow.URL)
	cfg.Fraction = fraction
	if !realShadow {
		cfg.Transport = funcRT(func(r *http.Request) (*http.Response, error) { return okResponse(r, 200, "ok"), nil })
	}
	tt, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	h, err := tt.ReverseProxy(pu)
	if err != nil {
		b.Fatal(err)
	}
	fp := httptest.NewServer(rp)
	ft := httptest.NewServer(h)
	return fp.URL, ft.URL, tt, func() {
		_ = tt.Close(context.Background())
		fp.Close()
		ft.Close()
		primary.Close()
		shadow.Close()
		rp.Transport.(*http.Transport).CloseIdleConnections()
	}
}

// runChunk sends n GETs to u from `workers` goroutines and returns the
// elapsed time and failures.
func runChunk(c *http.Client, u string, n, workers int) (time.Duration, int64) {
	var next, fails atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if !get(c, u) {
					fails.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), fails.Load()
}

// BenchmarkTeeVsReverseProxy measures, in the same run, throughput through
// a plain httputil.ReverseProxy and through the Tee at 10% mirroring,
// alternating chunks so that machine noise hits both alike. It reports
// both rates and their ratio (tee/plain, the target is >= 0.90).
//
//   - shadow=loopback: the shadow is a real server on this machine, so its
//     CPU competes with the primary's (a pessimistic setup);
//   - shadow=memory: the copy is answered in memory, isolating the tee.
func BenchmarkTeeVsReverseProxy(b *testing.B) {
	for _, tc := range []struct {
		name string
		real bool
	}{{"shadow=loopback", true}, {"shadow=memory", false}} {
		b.Run(tc.name, func(b *testing.B) {
			plainURL, teeURL, tee, cleanup := proxyPair(b, 0.1, tc.real)
			defer cleanup()
			c := benchClient()
			defer c.CloseIdleConnections()
			workers := 4 * runtime.GOMAXPROCS(0)
			const chunk = 100
			runChunk(c, plainURL, chunk, workers) // warm up connections
			runChunk(c, teeURL, chunk, workers)
			var tPlain, tTee time.Duration
			var fails int64
			b.ResetTimer()
			for done := 0; done < b.N; done += chunk {
				d, f := runChunk(c, plainURL, chunk, workers)
				tPlain += d
				fails += f
				d, f = runChunk(c, teeURL, chunk, workers)
				tTee += d
				fails += f
			}
			b.StopTimer()
			if fails > 0 {
				b.Fatalf("%d failed requests", fails)
			}
			reqs := float64((b.N + chunk - 1) / chunk * chunk)
			b.ReportMetric(reqs/tPlain.Seconds(), "plain-req/s")
			b.ReportMetric(reqs/tTee.Seconds(), "tee-req/s")
			b.ReportMetric(tPlain.Seconds()/tTee.Seconds(), "tee/plain")
			waitIdle(tee)
			rep, _ := tee.Report(context.Background())
			b.ReportMetric(float64(rep.Requests)/reqs, "mirrored-share")
		})
	}
}

// BenchmarkHandler measures the tee in-process (no network): the wrapped
// handler at 0%, 10% and 100% against the bare handler, with allocations.
// At 100% every request is mirrored, so allocs/op there is the cost of one
// mirrored request (primary side plus the worker's send, minus the bare
// handler's allocations).
func BenchmarkHandler(b *testing.B) {
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	run := func(b *testing.B, h http.Handler) {
		req := httptest.NewRequest(http.MethodGet, "/api/items?id=7", nil)
		req.Header.Set("User-Agent", "bench")
		req.Header.Set("Accept", "application/json")
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(discardWriter{}, req)
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, bare) })
	for _, f := range []float64{0, 0.1, 1} {
		name := map[float64]string{0: "tee=0%", 0.1: "tee=10%", 1: "tee=100%"}[f]
		b.Run(name, func(b *testing.B) {
			cfg := baseConfig("http://shadow.internal")
			cfg.Fraction = f
			cfg.QueueSize = 1 << 16
			cfg.Transport = funcRT(func(r *http.Request) (*http.Response, error) { return okResponse(r, 200, "ok"), nil })
			tee, err := New(cfg, WithSeed(1))
			if err != nil {
				b.Fatal(err)
			}
			defer tee.Close(context.Background())
			run(b, tee.Wrap(bare))
			b.StopTimer()
			waitIdle(tee) // count the workers' allocations inside the run
			rep, _ := tee.Report(context.Background())
			b.ReportMetric(float64(rep.Dropped), "dropped")
		})
	}
}

// BenchmarkDeadShadowHeap sends b.N mirrored requests to a refusing
// shadow and reports the peak live heap.
func BenchmarkDeadShadowHeap(b *testing.B) {
	cfg := baseConfig("http://127.0.0.1:1")
	cfg.Fraction = 1
	cfg.QueueSize = 1024
	cfg.Transport = funcRT(func(r *http.Request) (*http.Response, error) { return nil, errRefused })
	tee, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer tee.Close(context.Background())
	h := tee.Wrap(okHandler)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	var ms runtime.MemStats
	var peak uint64
	i := 0
	for b.Loop() {
		h.ServeHTTP(discardWriter{}, req)
		if i++; i%100_000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(max(peak, ms.HeapAlloc))/(1<<20), "peak-heap-MiB")
}

// BenchmarkMirroredRequest serves one request mirrored to an in-memory
// shadow per iteration and waits until the copy is sent, so that B/op and
// allocs/op are the whole cost of one mirrored request (primary side plus
// worker side), bare handler included (1 alloc, 2 B).
func BenchmarkMirroredRequest(b *testing.B) {
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	cfg := baseConfig("http://shadow.internal")
	resp := okResponse(httptest.NewRequest(http.MethodGet, "/", nil), 200, "")
	cfg.Transport = funcRT(func(r *http.Request) (*http.Response, error) {
		resp.Body = http.NoBody
		return resp, nil
	})
	tee, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer tee.Close(context.Background())
	h := tee.Wrap(bare)
	req := httptest.NewRequest(http.MethodGet, "/api/items?id=7", nil)
	req.Header.Set("User-Agent", "bench")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(discardWriter{}, req)
		for tee.pending.Load() > 0 { // spin: Flush's own channel would count
			runtime.Gosched()
		}
	}
}
