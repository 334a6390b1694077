//go:build ignore

// Openloop measures the primary's latency through the tee at a fixed request
// rate (open loop: requests are sent on schedule whether or not earlier ones
// have answered), with a healthy, a slow (2 s) and a refusing shadow, and
// without mirroring. Unlike wrk, which drives the proxy to saturation, a
// fixed rate below capacity shows what the shadows do to a production that
// is not overloaded. Traffic stays on 127.0.0.1; every run is bounded.
//
//	go run scripts/mirror-load/openloop.go [-rate 1000] [-duration 5s] [-rounds 3] [-sample 0.1]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/shadowscale/shadowscale/mirror"
)

func main() {
	rate := flag.Int("rate", 1000, "requests per second")
	dur := flag.Duration("duration", 5*time.Second, "length of each run")
	rounds := flag.Int("rounds", 3, "rounds; scenarios are interleaved")
	sample := flag.Float64("sample", 0.1, "mirrored fraction")
	flag.Parse()
	if *rate < 1 || *rate > 20000 || *dur <= 0 || *dur > time.Minute || *rounds < 1 || *rounds > 20 {
		fmt.Fprintln(os.Stderr, "openloop: -rate in [1, 20000], -duration in (0, 1m], -rounds in [1, 20]")
		os.Exit(2)
	}
	primary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer primary.Close()
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer healthy.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "openloop:", err)
		os.Exit(1)
	}
	refusing := "http://" + l.Addr().String()
	l.Close() // nothing listens there now

	scenarios := []struct{ name, shadow string }{
		{"no mirroring", ""},
		{"healthy shadow", healthy.URL},
		{"slow shadow (2 s)", slow.URL},
		{"refusing shadow", refusing},
	}
	p99s := map[string][]float64{}
	errs := map[string]int{}
	for r := 0; r < *rounds; r++ {
		for _, sc := range scenarios {
			p99, n, e := run(primary.URL, sc.shadow, *sample, *rate, *dur)
			p99s[sc.name] = append(p99s[sc.name], p99)
			errs[sc.name] += e
			fmt.Printf("round %d  %-18s %6d requests  p99 %7.2f ms  errors %d\n", r+1, sc.name, n, p99, e)
		}
	}
	base := median(p99s["healthy shadow"])
	fmt.Printf("\nmedian p99 over %d rounds at %d req/s, %.0f%% mirrored (ratio to the healthy-shadow case):\n", *rounds, *rate, 100**sample)
	for _, sc := range scenarios {
		m := median(p99s[sc.name])
		fmt.Printf("%-18s p99 %7.2f ms  x%.3f  primary errors %d\n", sc.name, m, m/base, errs[sc.name])
	}
}

// run serves the primary through a tee (or a plain proxy when shadow is
// empty) and sends requests at rate for dur; it returns the p99 latency in
// ms, the request count and the primary errors.
func run(primaryURL, shadow string, sample float64, rate int, dur time.Duration) (float64, int, int) {
	u, _ := url.Parse(primaryURL)
	var h http.Handler = httputil.NewSingleHostReverseProxy(u)
	var tee *mirror.Tee
	if shadow != "" {
		var err error
		tee, err = mirror.New(mirror.Config{
			Shadows:    []mirror.Target{{Name: "shadow", URL: shadow}},
			Fraction:   sample,
			SigningKey: []byte("openloop-load-test-key-0123456789"),
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "openloop:", err)
			os.Exit(1)
		}
		h = tee.Wrap(h)
	}
	front := httptest.NewServer(h)
	defer front.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 10 * time.Second}
	n := int(dur.Seconds() * float64(rate))
	lat := make([]float64, n)
	var mu sync.Mutex
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * time.Second / time.Duration(rate))
		time.Sleep(time.Until(at))
		wg.Add(1)
		go func(i int, at time.Time) {
			defer wg.Done()
			resp, err := client.Get(front.URL + "/")
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			// Latency from the scheduled send time: a late send counts.
			lat[i] = float64(time.Since(at)) / 1e6
			if err != nil || resp.StatusCode != http.StatusOK {
				mu.Lock()
				errs++
				mu.Unlock()
			}
		}(i, at)
	}
	wg.Wait()
	if tee != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		tee.Close(ctx)
		cancel()
	}
	client.CloseIdleConnections()
	slices.Sort(lat)
	return lat[(len(lat)*99)/100], n, errs
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
