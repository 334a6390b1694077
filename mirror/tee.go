package mirror

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Tee sends every request to the primary handler and a sampled copy to each
// shadow target, asynchronously. The primary never waits for a shadow: a
// copy is queued without blocking after the primary handler returns, and a
// full queue, an oversized body, a spent memory budget, an open breaker or
// a closed Tee drops the copy (counted).
//
// A Tee is safe for concurrent use. It implements Mirror.
type Tee struct {
	cfg      Config
	now      func() time.Time
	log      *slog.Logger
	sampler  *sampler
	filter   *headerFilter
	lanes    []*lane
	inst     *instruments
	seed     maphash.Seed
	budget   budget
	global   *window // per-request drops (before the per-shadow queues)
	noise    *window // shadow-vs-shadow comparisons
	pairs    [][2]int
	rt       http.RoundTripper
	ownRT    *http.Transport
	proxyLog rateLog

	noncePrefix uint64
	nonceSeq    atomic.Uint64

	// gate orders enqueues before Close: enqueue holds it shared, Close
	// takes it exclusively to set closed, so that no copy enters a queue
	// after the workers were told to stop.
	gate    sync.RWMutex
	closed  atomic.Bool
	closing atomic.Bool // in-flight cancellations count as closed drops

	pending  atomic.Int64 // copies taken and not yet finished or dropped
	flushers atomic.Int32
	idleMu   sync.Mutex
	idleCh   chan struct{}

	base    context.Context
	cancel  context.CancelFunc
	quit    chan struct{}
	workers sync.WaitGroup
	done    chan struct{}
	proxyMu sync.Mutex
	proxies []*http.Transport
}

var _ Mirror = (*Tee)(nil)

// lane is one shadow target with its own queue, workers and breaker, so
// that a slow shadow cannot starve another.
type lane struct {
	idx       int
	name      string
	version   string
	target    *url.URL
	basePath  string // target path without a trailing slash
	baseRaw   string // escaped target path without a trailing slash
	nameValue []string
	queue     chan *copyReq
	win       *window
	br        *breaker

	// ctx is cancelled when the breaker opens, cancelling in-flight sends.
	ctxMu     sync.Mutex
	ctx       context.Context
	ctxCancel context.CancelFunc
}

func (l *lane) sendContext() context.Context {
	l.ctxMu.Lock()
	defer l.ctxMu.Unlock()
	return l.ctx
}

// cut cancels the lane's in-flight sends and starts a new context.
func (l *lane) cut(base context.Context) {
	l.ctxMu.Lock()
	defer l.ctxMu.Unlock()
	l.ctxCancel()
	l.ctx, l.ctxCancel = context.WithCancel(base)
}

// copyReq is the snapshot of a sampled request, taken on the primary path
// and shared read-only by the lanes (a single lane may change header).
type copyReq struct {
	method      string
	path        string
	rawPath     string
	rawQuery    string // redacted
	host        string
	header      http.Header // filtered; X-Forwarded-* rebuilt
	traceparent string      // the client's, if valid
	body        []byte
	reserved    int64      // budget held by this copy
	vals        [16]string // backing of header values, if enough

	digestOnce sync.Once
	digest     string

	compare bool
	pStatus int
	pHash   uint64
	pFull   bool // primary body fully hashed

	refs    atomic.Int32
	results []result
	tee     *Tee
}

// contentDigest computes the body's Content-Digest once for all lanes.
func (c *copyReq) contentDigest() string {
	if len(c.body) == 0 {
		return emptyDigest
	}
	c.digestOnce.Do(func() { c.digest = ContentDigest(c.body) })
	return c.digest
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
	base, cancel := context.WithCancel(context.Background())
	t := &Tee{
		cfg:     cfg,
		now:     o.now,
		log:     o.logger,
		sampler: newSampler(cfg, o.seed),
		filter:  newHeaderFilter(cfg),
		seed:    maphash.MakeSeed(),
		global:  newWindow(cfg.Window, cfg.WindowBuckets),
		noise:   newWindow(cfg.Window, cfg.WindowBuckets),
		base:    base,
		cancel:  cancel,
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	t.budget.limit = cfg.MemoryBudget
	var np [8]byte
	_, _ = rand.Read(np[:])
	t.noncePrefix = binary.LittleEndian.Uint64(np[:])
	for i, tg := range cfg.Shadows {
		u, _ := parseTarget(tg.URL) // validated above
		u.User = nil
		u.Fragment = ""
		u.RawQuery = ""
		l := &lane{
			idx: i, name: targetName(tg, u), version: tg.Version, target: u,
			basePath:  strings.TrimSuffix(u.Path, "/"),
			baseRaw:   strings.TrimSuffix(u.EscapedPath(), "/"),
			nameValue: []string{targetName(tg, u)},
			queue:     make(chan *copyReq, cfg.QueueSize),
			win:       newWindow(cfg.Window, cfg.WindowBuckets),
			br:        newBreaker(cfg.BreakerFailures, cfg.BreakerPause),
		}
		l.ctx, l.ctxCancel = context.WithCancel(base)
		t.lanes = append(t.lanes, l)
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
		cancel()
		return nil, err
	}
	t.inst = inst
	for _, l := range t.lanes {
		for range cfg.Workers {
			t.workers.Go(func() { t.work(l) })
		}
	}
	go func() { t.workers.Wait(); close(t.done) }()
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
		// The copy carries the client's Accept-Encoding, not one of ours.
		DisableCompression: true,
	}
}

// Wrap returns next with mirroring in front of it. Any number of handlers
// may be wrapped by one Tee; they share its sampler, queues, budget and
// stats.
func (t *Tee) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { t.serve(w, r, next) })
}

// ReverseProxy returns the reverse-proxy mode: an httputil.ReverseProxy to
// primary (with X-Forwarded-* headers and a pooled keep-alive transport)
// wrapped by the Tee. A failed primary request is answered 502; such
// errors are logged to the WithLogger logger at most once per second, with
// the number of lines suppressed since the last one. Close releases its
// idle connections.
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
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			t.proxyLog.log(t.log, t.now(), "mirror: proxy error", "method", r.Method, "path", r.URL.Path, "err", err)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	return t.Wrap(rp), nil
}

// rateLog logs at most one line per second and counts the rest.
type rateLog struct {
	last       atomic.Int64 // unix nanos of the last line
	suppressed atomic.Int64
}

func (l *rateLog) log(lg *slog.Logger, now time.Time, msg string, args ...any) {
	last := l.last.Load()
	if now.UnixNano()-last < int64(time.Second) || !l.last.CompareAndSwap(last, now.UnixNano()) {
		l.suppressed.Add(1)
		return
	}
	lg.Error(msg, append(args, "suppressed", l.suppressed.Swap(0))...)
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
	t.inst.dropped.Add(context.Background(), 1, t.inst.dropAttrs[0][r]...)
}

func (t *Tee) dropLane(l *lane, now time.Time, r DropReason) {
	l.win.drop(now, r)
	t.inst.dropped.Add(context.Background(), 1, t.inst.dropAttrs[l.idx+1][r]...)
}

func (t *Tee) allRefuse(now time.Time) bool {
	for _, l := range t.lanes {
		if !l.br.refuses(now) {
			return false
		}
	}
	return true
}

// copyOverhead approximates the fixed bytes of one copy (snapshot struct,
// header map, per-shadow request) charged to the budget besides the
// header text and the body.
const copyOverhead = 1024

func (t *Tee) estimate(r *http.Request) int64 {
	n := copyOverhead + len(r.URL.Path) + len(r.URL.RawQuery) + len(r.Host)
	for k, vv := range r.Header {
		n += len(k) + 48
		for _, v := range vv {
			n += len(v) + 16
		}
	}
	return int64(n * len(t.lanes))
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
	reason, ok := t.admit(r, now)
	if !ok {
		if reason == DropShadowDown {
			for _, l := range t.lanes {
				t.dropLane(l, now, DropShadowDown)
			}
		} else {
			t.dropAll(now, reason)
		}
		next.ServeHTTP(w, r)
		return
	}
	est := t.estimate(r)
	if !t.budget.take(est) {
		t.dropAll(now, DropMemoryBudget)
		next.ServeHTTP(w, r)
		return
	}
	var bt *bodyTee
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		bt = newBodyTee(r.Body, t.cfg.MaxBodyBytes, r.ContentLength, &t.budget)
		if bt == nil {
			t.budget.give(est)
			t.dropAll(now, DropMemoryBudget)
			next.ServeHTTP(w, r)
			return
		}
		r.Body = bt
	}
	t.pending.Add(1)
	c := t.snapshot(r)
	c.reserved = est
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
				_, res, _, _ := bt.seal()
				t.budget.give(res)
			}
			t.finish(c)
		}
	}()
	next.ServeHTTP(w, r)
	finished = true
	if bt != nil {
		buf, res, reason, ok := bt.seal()
		if !ok {
			t.dropAll(now, reason)
			t.finish(c)
			return
		}
		c.body = buf
		c.reserved += res
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

// admit checks what can refuse a copy before anything is copied.
func (t *Tee) admit(r *http.Request, now time.Time) (DropReason, bool) {
	switch {
	case t.closed.Load():
		return DropClosed, false
	case t.allRefuse(now): // every shadow paused: do not even take a snapshot
		return DropShadowDown, false
	case r.ContentLength > t.cfg.MaxBodyBytes:
		return DropBodyTooLarge, false
	}
	return 0, true
}

// snapshot copies what the copy needs from r. Credentials, forwarding and
// trace headers are removed and the query redacted here, so that secrets
// never sit in a queue.
func (t *Tee) snapshot(r *http.Request) *copyReq {
	c := &copyReq{
		method: r.Method, path: r.URL.Path, rawPath: r.URL.RawPath,
		rawQuery: t.filter.redactQuery(r.URL.RawQuery), host: r.Host, tee: t,
	}
	h, tp, spare := t.filter.filter(r.Header, 3, c.vals[:])
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	if ip != "" {
		spare[0] = ip
		h["X-Forwarded-For"] = spare[0:1:1]
	}
	if r.Host != "" {
		spare[1] = r.Host
		h["X-Forwarded-Host"] = spare[1:2:2]
	}
	spare[2] = proto
	h["X-Forwarded-Proto"] = spare[2:3:3]
	if ref := h["Referer"]; len(ref) == 1 { // a URL whose query may carry a token
		if red := t.filter.redactURL(ref[0]); red != ref[0] {
			h["Referer"] = []string{red}
		}
	}
	if _, has := h["User-Agent"]; !has {
		h["User-Agent"] = nil // do not add Go's default: the copy mirrors the client
	}
	c.header, c.traceparent = h, tp
	return c
}

func (t *Tee) enqueue(c *copyReq, now time.Time) {
	t.gate.RLock()
	defer t.gate.RUnlock()
	if t.closed.Load() {
		t.dropAll(now, DropClosed)
		t.finish(c)
		return
	}
	if len(t.pairs) > 0 && c.compare {
		c.results = make([]result, len(t.lanes))
	}
	c.refs.Store(int32(len(t.lanes)))
	for _, l := range t.lanes {
		if l.br.refuses(now) {
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

// release is called once per lane; the last one compares shadows of the
// same version and finishes the copy.
func (c *copyReq) release() {
	if c.refs.Add(-1) != 0 {
		return
	}
	t := c.tee
	if c.results != nil {
		now := t.now()
		for _, p := range t.pairs {
			a, b := c.results[p[0]], c.results[p[1]]
			if a.ok && b.ok {
				t.noise.compare(now, a.status != b.status, a.hash != b.hash)
			}
		}
	}
	t.finish(c)
}

// finish returns the copy's budget and wakes Flush when nothing is pending.
func (t *Tee) finish(c *copyReq) {
	c.body = nil
	t.budget.give(c.reserved)
	c.reserved = 0
	if t.pending.Add(-1) == 0 && t.flushers.Load() > 0 {
		t.idleMu.Lock()
		if t.idleCh != nil {
			close(t.idleCh)
			t.idleCh = nil
		}
		t.idleMu.Unlock()
	}
}

// Flush waits until every copy taken so far has been sent or dropped, so
// that Stats and Report count it, or until ctx ends (then it returns
// ctx.Err()). Under continuous traffic it returns at a moment when no copy
// is pending.
func (t *Tee) Flush(ctx context.Context) error {
	t.flushers.Add(1)
	defer t.flushers.Add(-1)
	for {
		t.idleMu.Lock()
		if t.pending.Load() == 0 {
			t.idleMu.Unlock()
			return nil
		}
		if t.idleCh == nil {
			t.idleCh = make(chan struct{})
		}
		ch := t.idleCh
		t.idleMu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close stops taking copies, lets the queued and in-flight ones finish for
// up to Config.DrainTimeout, then cancels what is left (counted as closed
// drops) and waits for the workers. If ctx ends first, Close returns
// ctx.Err() wrapped (a transport that ignores its context can keep a worker
// until it returns). The wrapped handlers keep serving the primary after
// Close. A second Close returns ErrClosed.
func (t *Tee) Close(ctx context.Context) error {
	t.gate.Lock()
	if t.closed.Load() {
		t.gate.Unlock()
		return ErrClosed
	}
	t.closed.Store(true)
	t.gate.Unlock()
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
	if t.cfg.DrainTimeout > 0 {
		dctx, cancel := context.WithTimeout(ctx, t.cfg.DrainTimeout)
		_ = t.Flush(dctx)
		cancel()
	}
	t.closing.Store(true)
	close(t.quit)
	t.cancel()
	var err error
	select {
	case <-t.done:
	case <-ctx.Done():
		err = fmt.Errorf("mirror: close: workers still sending: %w", ctx.Err())
	}
	now := t.now()
	for _, l := range t.lanes {
		t.purge(l, now, DropClosed)
	}
	return err
}

// purge drops every copy queued for l.
func (t *Tee) purge(l *lane, now time.Time, r DropReason) {
	for {
		select {
		case c := <-l.queue:
			t.dropLane(l, now, r)
			c.release()
		default:
			return
		}
	}
}
