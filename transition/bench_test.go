package transition_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shadowscale/shadowscale/transition"
)

// discard is a ResponseWriter that keeps nothing, so that benchmarks
// measure routing rather than recording.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header       { return d.h }
func (*discard) Write(p []byte) (int, error) { return len(p), nil }
func (*discard) WriteHeader(int)             {}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })

// BenchmarkHandlerDirect is the baseline: the backend handler called
// without a Router.
func BenchmarkHandlerDirect(b *testing.B) {
	w, req := &discard{h: http.Header{}}, httptest.NewRequest(http.MethodGet, "/", nil)
	for b.Loop() {
		okHandler.ServeHTTP(w, req)
	}
}

func BenchmarkRouterServeHTTP(b *testing.B) {
	for _, balance := range []transition.Balance{transition.SmoothRoundRobin, transition.WeightedRandom} {
		for _, n := range []int{4, 64} {
			b.Run(fmt.Sprintf("%s/backends=%d", balance, n), func(b *testing.B) {
				r := benchRouter(b, balance, n)
				w, req := &discard{h: http.Header{}}, httptest.NewRequest(http.MethodGet, "/", nil)
				for b.Loop() {
					r.ServeHTTP(w, req)
				}
			})
		}
	}
}

func BenchmarkRouterServeHTTPParallel(b *testing.B) {
	r := benchRouter(b, transition.SmoothRoundRobin, 4)
	b.RunParallel(func(pb *testing.PB) {
		w, req := &discard{h: http.Header{}}, httptest.NewRequest(http.MethodGet, "/", nil)
		for pb.Next() {
			r.ServeHTTP(w, req)
		}
	})
}

func BenchmarkStepsAdvance(b *testing.B) {
	s, err := transition.NewSteps(transition.StepsConfig{Dwell: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	p := transition.Plan{From: 1, To: 2, Started: t0}
	ctx := context.Background()
	now := t0
	for b.Loop() {
		now = now.Add(time.Second)
		if _, err := s.Advance(ctx, now, p); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRouter(b *testing.B, balance transition.Balance, n int) *transition.Router {
	cfg := transition.RouterConfig{Balance: balance}
	if balance == transition.WeightedRandom {
		cfg.Rand = rand.New(rand.NewPCG(1, 1)).Float64
	}
	r, err := transition.NewRouter(cfg)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if err := r.Add(transition.Backend{Name: fmt.Sprint("b", i), Handler: okHandler, Weight: float64(1 + i%3)}); err != nil {
			b.Fatal(err)
		}
	}
	return r
}
