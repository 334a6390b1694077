package transition

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
)

// Backend is one destination of a Router.
type Backend struct {
	// Name identifies the backend in the Router; required and unique.
	Name string
	// Handler serves the backend's requests; required. NewBackendURL builds
	// one that proxies to a URL.
	Handler http.Handler
	// Weight is the backend's relative share of requests, >= 0; a backend at
	// weight 0 gets none.
	Weight float64
}

// NewBackendURL returns a Backend that proxies to target with an
// httputil.ReverseProxy (which sets the X-Forwarded headers).
func NewBackendURL(name string, target *url.URL, weight float64) (Backend, error) {
	if target == nil || target.Scheme == "" || target.Host == "" {
		return Backend{}, fmt.Errorf("%w: backend %q: target = %v, want an absolute URL", ErrInvalidBackend, name, target)
	}
	t := *target
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(&t)
		r.SetXForwarded()
	}}
	return Backend{Name: name, Handler: proxy, Weight: weight}, nil
}

// BackendState is a snapshot of one backend of a Router.
type BackendState struct {
	// Name identifies the backend.
	Name string
	// Weight is its relative share of requests.
	Weight float64
	// Draining is true when it gets no new requests.
	Draining bool
	// InFlight is how many of its requests are being served.
	InFlight int64
	// Served counts the requests it has been sent.
	Served int64
}

// Router is a reference weighted HTTP router: each request goes to one of
// its backends chosen by weight (see Balance), skipping backends that are
// draining or at weight 0. Backends, weights and draining marks can be
// changed at any time from any goroutine, while requests are served; the
// Router counts each backend's in-flight requests so that InFlightDrainer
// can wait for them.
type Router struct {
	cfg RouterConfig

	mu       sync.Mutex // guards backends and the balancing state
	backends []*backend // in the order they were added

	waiters atomic.Int32 // goroutines in waitIdle
	idleMu  sync.Mutex
	idle    chan struct{} // closed and replaced when an in-flight count drops to 0
}

type backend struct {
	name     string
	handler  http.Handler
	weight   float64 // guarded by Router.mu
	current  float64 // smooth round-robin state; guarded by Router.mu
	draining atomic.Bool
	inFlight atomic.Int64
	served   atomic.Int64
}

var _ http.Handler = (*Router)(nil)

// NewRouter returns a Router with no backends, configured by cfg, which it
// validates.
func NewRouter(cfg RouterConfig) (*Router, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Balance == WeightedRandom && cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	return &Router{cfg: cfg, idle: make(chan struct{})}, nil
}

// Add adds b to the Router; it gets new requests at once.
func (r *Router) Add(b Backend) error {
	if b.Name == "" {
		return fmt.Errorf("%w: Name is empty", ErrInvalidBackend)
	}
	if b.Handler == nil {
		return fmt.Errorf("%w: backend %q: Handler is nil", ErrInvalidBackend, b.Name)
	}
	if err := checkWeight(b.Name, b.Weight); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.find(b.Name) != nil {
		return fmt.Errorf("%w: %q", ErrDuplicateBackend, b.Name)
	}
	r.backends = append(r.backends, &backend{name: b.Name, handler: b.Handler, weight: b.Weight})
	r.resetRound()
	return nil
}

// Remove removes the named backend. Its requests in flight complete.
func (r *Router) Remove(name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := slices.IndexFunc(r.backends, func(b *backend) bool { return b.name == name })
	if i < 0 {
		return fmt.Errorf("%w: %q", ErrUnknownBackend, name)
	}
	r.backends = slices.Delete(r.backends, i, i+1)
	r.resetRound()
	return nil
}

// SetWeight sets the named backend's weight.
func (r *Router) SetWeight(name string, w float64) error {
	return r.SetWeights(map[string]float64{name: w})
}

// SetWeights sets the weights of the named backends all at once: no request
// sees some of them changed and others not. It changes nothing if a name is
// unknown or a weight invalid.
func (r *Router) SetWeights(weights map[string]float64) error {
	for name, w := range weights {
		if err := checkWeight(name, w); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for name := range weights {
		if r.find(name) == nil {
			return fmt.Errorf("%w: %q", ErrUnknownBackend, name)
		}
	}
	for name, w := range weights {
		r.find(name).weight = w
	}
	r.resetRound()
	return nil
}

// SetDraining marks the named backend draining (it gets no new requests) or
// serving again.
func (r *Router) SetDraining(name string, draining bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.find(name)
	if b == nil {
		return fmt.Errorf("%w: %q", ErrUnknownBackend, name)
	}
	b.draining.Store(draining)
	r.resetRound()
	return nil
}

// Backends returns a snapshot of the backends in the order they were added.
func (r *Router) Backends() []BackendState {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]BackendState, len(r.backends))
	for i, b := range r.backends {
		out[i] = b.state()
	}
	return out
}

// Backend returns a snapshot of the named backend, and false if the Router
// does not hold it.
func (r *Router) Backend(name string) (BackendState, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if b := r.find(name); b != nil {
		return b.state(), true
	}
	return BackendState{}, false
}

// ApplyWeight is a StepsConfig.SetWeight hook that drives the Router: the
// c.Plan.To - c.Plan.From most recently added backends that are not draining
// are the new replicas and get weight c.Weight; the other backends that are
// not draining get weight 1. It fails with ErrNotEnoughBackends if the
// Router holds fewer serving backends than new replicas.
func (r *Router) ApplyWeight(_ context.Context, c WeightChange) error {
	if err := checkWeight("new replicas", c.Weight); err != nil {
		return err
	}
	newN := c.Plan.To - c.Plan.From
	r.mu.Lock()
	defer r.mu.Unlock()
	serving := make([]*backend, 0, len(r.backends))
	for _, b := range r.backends {
		if !b.draining.Load() {
			serving = append(serving, b)
		}
	}
	if newN > len(serving) {
		return fmt.Errorf("%w: %d new replicas, %d serving backends", ErrNotEnoughBackends, newN, len(serving))
	}
	for i, b := range serving {
		if i >= len(serving)-newN {
			b.weight = c.Weight
		} else {
			b.weight = 1
		}
	}
	r.resetRound()
	return nil
}

// ServeHTTP sends req to a backend chosen by weight, or to
// RouterConfig.NoBackend when none may take it.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b := r.pick()
	if b == nil {
		if r.cfg.NoBackend != nil {
			r.cfg.NoBackend.ServeHTTP(w, req)
			return
		}
		http.Error(w, "no backend available", http.StatusServiceUnavailable)
		return
	}
	defer r.done(b)
	b.handler.ServeHTTP(w, req)
}

// pick chooses a backend and counts the request in flight on it, both under
// r.mu so that a backend marked draining gets no request after the mark.
func (r *Router) pick() *backend {
	r.mu.Lock()
	defer r.mu.Unlock()
	var chosen *backend
	switch r.cfg.Balance {
	case WeightedRandom:
		total := 0.0
		for _, b := range r.backends {
			if b.eligible() {
				total += b.weight
			}
		}
		if total == 0 {
			return nil
		}
		x := r.cfg.Rand() * total
		for _, b := range r.backends {
			if !b.eligible() {
				continue
			}
			chosen = b // the last eligible absorbs rounding
			if x < b.weight {
				break
			}
			x -= b.weight
		}
	default:
		// nginx's smooth weighted round-robin: every eligible backend gains
		// its weight, the richest is chosen and pays the total.
		total := 0.0
		for _, b := range r.backends {
			if !b.eligible() {
				continue
			}
			b.current += b.weight
			total += b.weight
			if chosen == nil || b.current > chosen.current {
				chosen = b
			}
		}
		if chosen == nil {
			return nil
		}
		chosen.current -= total
	}
	chosen.inFlight.Add(1)
	chosen.served.Add(1)
	return chosen
}

func (r *Router) done(b *backend) {
	if b.inFlight.Add(-1) == 0 && r.waiters.Load() > 0 {
		r.idleMu.Lock()
		close(r.idle)
		r.idle = make(chan struct{})
		r.idleMu.Unlock()
	}
}

// WaitIdle waits until none of the named backends has a request in flight,
// or ctx ends (then it returns ctx's error). Backends removed while it
// waits are still waited for.
func (r *Router) WaitIdle(ctx context.Context, names ...string) error {
	r.mu.Lock()
	bs := make([]*backend, 0, len(names))
	for _, name := range names {
		b := r.find(name)
		if b == nil {
			r.mu.Unlock()
			return fmt.Errorf("%w: %q", ErrUnknownBackend, name)
		}
		bs = append(bs, b)
	}
	r.mu.Unlock()
	return r.waitIdle(ctx, bs)
}

func (r *Router) waitIdle(ctx context.Context, bs []*backend) error {
	// Registering as a waiter before reading the counts makes done see the
	// waiter whenever this goroutine could miss its decrement.
	r.waiters.Add(1)
	defer r.waiters.Add(-1)
	for {
		r.idleMu.Lock()
		idle := r.idle
		r.idleMu.Unlock()
		if !slices.ContainsFunc(bs, func(b *backend) bool { return b.inFlight.Load() > 0 }) {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// resetRound restarts smooth round-robin after a change of the eligible
// set or weights, so that the new weights hold exactly from the next
// request on; r.mu must be held.
func (r *Router) resetRound() {
	for _, b := range r.backends {
		b.current = 0
	}
}

// find returns the named backend or nil; r.mu must be held.
func (r *Router) find(name string) *backend {
	for _, b := range r.backends {
		if b.name == name {
			return b
		}
	}
	return nil
}

func (b *backend) eligible() bool { return b.weight > 0 && !b.draining.Load() }

// state returns a snapshot of b; Router.mu must be held.
func (b *backend) state() BackendState {
	return BackendState{
		Name:     b.name,
		Weight:   b.weight,
		Draining: b.draining.Load(),
		InFlight: b.inFlight.Load(),
		Served:   b.served.Load(),
	}
}

func checkWeight(name string, w float64) error {
	if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
		return fmt.Errorf("%w: backend %q: Weight = %v, want a finite value >= 0", ErrInvalidBackend, name, w)
	}
	return nil
}
