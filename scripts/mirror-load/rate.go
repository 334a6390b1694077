//go:build ignore

// A fixed-rate HTTP GET load generator for cpu.sh: it sends -rate
// requests per second for -duration over at most -conns keep-alive
// connections, whatever the server's speed, so that two proxies can be
// compared at the same offered load. It prints "<requests> requests,
// <errors> errors, <late> late".
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	target := flag.String("url", "http://127.0.0.1:18080/", "URL to GET")
	rate := flag.Float64("rate", 2000, "requests per second")
	duration := flag.Duration("duration", 5*time.Second, "how long to send")
	conns := flag.Int("conns", 16, "concurrent connections")
	flag.Parse()
	if *rate <= 0 || *duration <= 0 || *conns <= 0 {
		fmt.Fprintln(os.Stderr, "rate: -rate, -duration and -conns must be > 0")
		os.Exit(2)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns}}
	work := make(chan struct{}, *conns*64)
	var ok, failed, late atomic.Int64
	var wg sync.WaitGroup
	for range *conns {
		wg.Go(func() {
			for range work {
				resp, err := client.Get(*target)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
					continue
				}
				ok.Add(1)
			}
		})
	}
	start := time.Now()
	n := int(*rate * duration.Seconds())
	interval := time.Duration(float64(time.Second) / *rate)
	for i := range n {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		select {
		case work <- struct{}{}:
		default:
			late.Add(1) // the proxy fell behind: counted, then queued anyway
			work <- struct{}{}
		}
	}
	close(work)
	wg.Wait()
	fmt.Printf("%d requests, %d errors, %d late\n", ok.Load(), failed.Load(), late.Load())
}
