package mirror

import (
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Tee sends every request to the primary handler and a sampled copy to each
// shadow target, asynchronously. The primary never waits for a shadow: a
// copy is queued without blocking after the primary handler returns, and a
// full queue, an oversized body or a closed Tee drops the copy (counted).
//
// A Tee is safe for concurrent use. It implements Mirror.
type Tee struct {
	cfg     Config
	now     func() time.Time
	log     *slog.Logger
	sampler *sampler
	lanes   []*lane
	inst    *instruments
	seed    maphash.Seed
	strip   []string
	trace   []string
	rt      http.RoundTripper
	ownRT   *http.Transport
	global  *window // per-request drops (before the per-shadow queues)
	noise   *window // shadow-vs-shadow comparisons
	pairs   [][2]int

	closed  atomic.Bool
	pending atomic.Int64 // copies taken and not yet finished or dropped
	quit    chan struct{}
	cancel  context.CancelFunc
	group   *errgroup.Group
	done    chan struct{}
	proxyMu sync.Mutex
	proxies []*http.Transport
}

var _ Mirror = (*Tee)(nil)

// lane is one shadow target with its own queue and workers, so that a slow
// shadow cannot starve another.
type lane struct {
	idx     int
	name    string
	version string
	target  *url.URL
	// nameValue is the HeaderShadowName value, shared read-only by copies.
	nameValue []string
	queue     chan *copyReq
	win       *window

	// Breaker state: consecutive failures, the current pause and the end
	// of the pause (unix nanos of the Tee's clock).
	failures  atomic.Int64
	pause     atomic.Int64
	downUntil atomic.Int64
}

// open reports whether the lane's breaker is pausing it at now.
func (l *lane) open(now time.Time) bool { return now.UnixNano() < l.downUntil.Load() }

// observe updates the breaker after a send that ended with o at now.
func (t *Tee) observe(l *lane, o outcome, now time.Time) {
	if t.cfg.BreakerFailures < 0 {
		return
	}
	if o == outcomeOK || o == outcome5xx {
		l.failures.Store(0)
		l.pause.Store(0)
		return
	}
	if l.failures.Add(1) < int64(t.cfg.BreakerFailures) {
		return
	}
	l.failures.Store(0)
	p := l.pause.Load()
	switch {
	case p == 0:
		p = int64(t.cfg.BreakerPause)
	case p < int64(t.cfg.BreakerPause)*MaxBreakerPauseFactor:
		p *= 2
	}
	l.pause.Store(p)
	l.downUntil.Store(now.UnixNano() + p)
}

// copyReq is the snapshot of a sampled request, taken on the primary path
// and shared read-only by the lanes.
type copyReq struct {
	method   string
	path     string
	rawPath  string
	rawQuery string
	host     string
	clientIP string
	header   http.Header // cloned, credentials and markers removed
	body     *[]byte     // pooled; nil for no body

	compare bool
	pStatus int
	pHash   uint64
	pFull   bool // primary body fully hashed

	refs    atomic.Int32
	mu      sync.Mutex
	results []result
	tee     *Tee
}

type result struct {
	ok     bool
	status int
	hash   uint64
}

// New validates cfg, applies defaults and starts each shadow's workers.
// Close stops them.
func New(cfg Config, opts ...Option) (*Tee, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	o := buildOptions(opts)
	t := &Tee{
		cfg:     cfg,
		now:     o.now,
		log:     o.logger,
		sampler: newSampler(cfg, o.seed),
		seed:    maphash.MakeSeed(),
		strip:   canonical(append(append([]string{}, DefaultStripHeaders...), cfg.StripHeaders...)),
		trace:   canonical(cfg.TraceHeaders),
		global:  newWindow(cfg.Window, cfg.WindowBuckets),
		noise:   newWindow(cfg.Window, cfg.WindowBuckets),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	for i, tg := range cfg.Shadows {
		u, _ := parseTarget(tg.URL) // validated above
		t.lanes = append(t.lanes, &lane{
			idx: i, name: targetName(tg, u), version: tg.Version, target: u,
			nameValue: []string{targetName(tg, u)},
			queue:     make(chan *copyReq, cfg.QueueSize),
			win:       newWindow(cfg.Window, cfg.WindowBuckets),
		})
	}
	for i := range t.lanes {
		for j := i + 1; j < len(t.lanes); j++ {
			if t.lanes[i].version != "" && t.lanes[i].version == t.lanes[j].version {
				t.pairs = append(t.pairs, [2]int{i, j})
			}
		}
	}
	t.rt = cfg.Transport
	if t.rt == nil {
		t.ownRT = newShadowTransport(cfg)
		t.rt = t.ownRT
	}
	inst, err := newInstruments(o.mp, t)
	if err != nil {
		return nil, err
	}
	t.inst = inst

	ctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	t.group = &errgroup.Group{}
	for _, l := range t.lanes {
		for range cfg.Workers {
			t.group.Go(func() error { t.work(ctx, l); return nil })
		}
	}
	go func() { _ = t.group.Wait(); close(t.done) }()
	return t, nil
}

func newShadowTransport(cfg Config) *http.Transport {
	var tlsCfg = cfg.TLSClientConfig
	if tlsCfg != nil {
		tlsCfg = tlsCfg.Clone()
	}
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       tlsCfg,
		MaxIdleConns:          cfg.Workers * len(cfg.Shadows),
		MaxIdleConnsPerHost:   cfg.Workers,
		MaxConnsPerHost:       cfg.Workers,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   cfg.Timeout,
		ExpectContinueTimeout: time.Second,
	}
}

// Wrap returns next with mirroring in front of it. Any number of handlers
// may be wrapped by one Tee; they share its sampler, queues and stats.
func (t *Tee) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.serve(w, r, next) })
}

// ReverseProxy returns the reverse-proxy mode: an httputil.ReverseProxy to
// primary (with X-Forwarded-* headers and a pooled keep-alive transport)
// wrapped by the Tee. Close releases its idle connections.
func (t *Tee) ReverseProxy(primary *url.URL) (http.Handler, error) {
	if primary == nil {
		return nil, invalid("ReverseProxy primary URL is nil")
	}
	if _, err := parseTarget(primary.String()); err != nil {
		return nil, invalid("ReverseProxy primary URL %q: %v", primary, err)
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
	}
	t.proxyMu.Lock()
	t.proxies = append(t.proxies, tr)
	t.proxyMu.Unlock()
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(primary)
			pr.SetXForwarded()
		},
		Transport: tr,
	}
	return t.Wrap(rp), nil
}

// SetFraction sets the global sampling fraction; 0 stops all mirroring
// (the kill switch, which also overrides per-route rates).
func (t *Tee) SetFraction(f float64) error {
	if !validFraction(f) {
		return fmt.Errorf("%w: got %v", ErrFraction, f)
	}
	t.sampler.setFraction(f)
	return nil
}

// Fraction returns the global sampling fraction in force.
func (t *Tee) Fraction() float64 { return t.sampler.getFraction() }

// Mix returns the achieved sample by stratum (route and method) since the
// Tee started.
func (t *Tee) Mix() []StratumMix { return t.sampler.mix() }

func (t *Tee) dropAll(now time.Time, r DropReason) {
	t.global.drop(now, r)
	t.inst.dropped.Add(context.Background(), 1, t.inst.dropAttrs[0][r])
}

func (t *Tee) dropLane(l *lane, now time.Time, r DropReason) {
	l.win.drop(now, r)
	t.inst.dropped.Add(context.Background(), 1, t.inst.dropAttrs[l.idx+1][r])
}

func (t *Tee) allOpen(now time.Time) bool {
	for _, l := range t.lanes {
		if !l.open(now) {
			return false
		}
	}
	return true
}

func (t *Tee) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	// A marker or signature from a client is never trusted nor forwarded.
	if _, ok := r.Header[HeaderMarker]; ok {
		r.Header.Del(HeaderMarker)
	}
	if _, ok := r.Header[HeaderSignature]; ok {
		r.Header.Del(HeaderSignature)
	}
	switch t.sampler.decide(r, t.now) {
	case skip:
		next.ServeHTTP(w, r)
		return
	case limited:
		t.dropAll(t.now(), DropRateLimited)
		next.ServeHTTP(w, r)
		return
	}
	t.inst.sampled.Add(r.Context(), 1)
	now := t.now()
	if t.closed.Load() {
		t.dropAll(now, DropClosed)
		next.ServeHTTP(w, r)
		return
	}
	if t.allOpen(now) { // every shadow paused: do not even take a snapshot
		for _, l := range t.lanes {
			t.dropLane(l, now, DropShadowDown)
		}
		next.ServeHTTP(w, r)
		return
	}
	t.pending.Add(1)
	c := t.snapshot(r)
	var bt *bodyTee
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		if r.ContentLength > t.cfg.MaxBodyBytes {
			t.dropAll(now, DropBodyTooLarge)
			t.pending.Add(-1)
			next.ServeHTTP(w, r)
			return
		}
		bt = newBodyTee(r.Body, t.cfg.MaxBodyBytes, r.ContentLength)
		r.Body = bt
	}
	var cw *captureWriter
	if t.cfg.Compare {
		cw = &captureWriter{ResponseWriter: w, limit: t.cfg.MaxResponseBytes}
		cw.h.SetSeed(t.seed)
		w = cw
	}
	finished := false
	defer func() {
		if !finished { // the primary panicked: release the copy
			if bt != nil {
				if buf, _, ok := bt.seal(); ok {
					putBuf(buf)
				}
			}
			t.pending.Add(-1)
		}
	}()
	next.ServeHTTP(w, r)
	finished = true
	if bt != nil {
		buf, reason, ok := bt.seal()
		if !ok {
			t.dropAll(now, reason)
			t.pending.Add(-1)
			return
		}
		c.body = buf
	}
	if cw != nil {
		c.compare = true
		c.pStatus = cw.status
		if c.pStatus == 0 {
			c.pStatus = http.StatusOK
		}
		c.pHash = cw.h.Sum64()
		c.pFull = !cw.over
	}
	t.enqueue(c, now)
}

// snapshot clones what the copy needs from r. Credentials are removed here,
// so that they never sit in a queue.
func (t *Tee) snapshot(r *http.Request) *copyReq {
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	for _, k := range t.strip {
		delete(h, k)
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	return &copyReq{
		method: r.Method, path: r.URL.Path, rawPath: r.URL.RawPath, rawQuery: r.URL.RawQuery,
		host: r.Host, clientIP: ip, header: h, tee: t,
	}
}

func (t *Tee) enqueue(c *copyReq, now time.Time) {
	if t.closed.Load() {
		putBuf(c.body)
		t.dropAll(now, DropClosed)
		t.pending.Add(-1)
		return
	}
	if len(t.pairs) > 0 && c.compare {
		c.results = make([]result, len(t.lanes))
	}
	c.refs.Store(int32(len(t.lanes)))
	for _, l := range t.lanes {
		if l.open(now) {
			t.dropLane(l, now, DropShadowDown)
			c.release()
			continue
		}
		select {
		case l.queue <- c:
		default:
			t.dropLane(l, now, DropQueueFull)
			c.release()
		}
	}
}

// release is called once per lane; the last one recycles the body and
// compares shadows of the same version.
func (c *copyReq) release() {
	if c.refs.Add(-1) != 0 {
		return
	}
	putBuf(c.body)
	c.body = nil
	t := c.tee
	defer t.pending.Add(-1)
	if c.results == nil {
		return
	}
	now := t.now()
	for _, p := range t.pairs {
		a, b := c.results[p[0]], c.results[p[1]]
		if a.ok && b.ok {
			t.noise.compare(now, a.status != b.status, a.hash != b.hash)
		}
	}
}

// Close stops accepting copies, drops the queued ones, and waits for the
// workers to finish their in-flight sends. If ctx ends first, in-flight
// sends are cancelled and Close returns ctx.Err() (a transport that ignores
// its context can keep a worker until it returns). The wrapped handlers keep
// serving the primary after Close. A second Close returns ErrClosed.
func (t *Tee) Close(ctx context.Context) error {
	if !t.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	close(t.quit)
	defer func() {
		_ = t.inst.reg.Unregister()
		if t.ownRT != nil {
			t.ownRT.CloseIdleConnections()
		}
		t.proxyMu.Lock()
		for _, tr := range t.proxies {
			tr.CloseIdleConnections()
		}
		t.proxyMu.Unlock()
	}()
	select {
	case <-t.done:
		t.cancel()
		return nil
	case <-ctx.Done():
		t.cancel()
		return fmt.Errorf("mirror: close: workers still sending: %w", ctx.Err())
	}
}
