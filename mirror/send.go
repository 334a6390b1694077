package mirror

import (
	"bytes"
	"context"
	"errors"
	"hash/maphash"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

func (t *Tee) work(l *lane) {
	w := newWorker(t.cfg.SigningKey, t.cfg.MaxResponseBytes)
	w.direct = t.ownRT != nil && l.target.Scheme == "http"
	defer w.stop()
	for {
		select {
		case <-t.quit:
			return
		case c := <-l.queue:
			t.send(l, c, w)
		}
	}
}

// worker is one sending goroutine's reusable state. Its timeout context is
// reused from send to send and replaced only once cancelled, so that a
// send costs no context or timer allocation.
type worker struct {
	sg    *signer
	buf   []byte // response reads
	timer *time.Timer
	fired chan struct{}

	mu     sync.Mutex // guards cancel and dc.conn against the timer's and the watcher's goroutines
	parent context.Context
	ctx    context.Context
	cancel context.CancelFunc

	direct    bool       // sends over dc, not through the transport
	dc        directConn // see conn.go
	stopWatch func() bool
}

func newWorker(key []byte, maxResponse int64) *worker {
	w := &worker{sg: newSigner(key), buf: make([]byte, min(32<<10, maxResponse+1)), fired: make(chan struct{}, 1)}
	w.timer = time.AfterFunc(time.Hour, func() {
		w.mu.Lock()
		w.cancel()
		w.mu.Unlock()
		w.fired <- struct{}{}
	})
	w.timer.Stop()
	return w
}

// arm returns the context of one send, derived from the lane's current
// context and cancelled after timeout.
func (w *worker) arm(lctx context.Context, timeout time.Duration) context.Context {
	w.mu.Lock()
	if w.ctx == nil || w.parent != lctx || w.ctx.Err() != nil {
		if w.cancel != nil {
			w.cancel()
		}
		w.parent = lctx
		w.ctx, w.cancel = context.WithCancel(lctx)
		if w.direct {
			w.watch(w.ctx)
		}
	}
	ctx := w.ctx
	w.mu.Unlock()
	w.timer.Reset(timeout)
	return ctx
}

// disarm stops the send's timer and reports whether it fired. A fired
// timer's function has finished when disarm returns.
func (w *worker) disarm() (timedOut bool) {
	if w.timer.Stop() {
		return false
	}
	<-w.fired
	return true
}

func (w *worker) stop() {
	w.timer.Stop()
	w.mu.Lock()
	if w.stopWatch != nil {
		w.stopWatch()
	}
	if w.cancel != nil {
		w.cancel()
	}
	w.mu.Unlock()
	w.closeConn()
}

// sendState holds what one outgoing copy needs beyond the request itself,
// in one allocation.
type sendState struct {
	u    url.URL
	vals [4]string
	br   bytes.Reader
	body readCloser
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// send delivers one copy to one shadow. Every failure stays here: a panic
// in the transport or the Redact hook is recovered and counted.
func (t *Tee) send(l *lane, c *copyReq, w *worker) {
	defer c.release()
	gen, ok := l.br.admit(t.now())
	if !ok {
		t.dropLane(l, t.now(), DropShadowDown)
		return
	}
	lctx := l.sendContext()
	ctx := w.arm(lctx, t.cfg.Timeout)
	req, ok := t.build(ctx, l, c, w.sg)
	if !ok {
		w.disarm()
		l.br.unadmit(gen)
		t.dropLane(l, t.now(), DropRedactPanic)
		return
	}
	start := t.now()
	res, o := t.roundTrip(ctx, l, w, req, c.compare)
	timedOut := w.disarm()
	end := t.now()
	if o != outcomeOK && o != outcome5xx {
		switch {
		case timedOut:
			o = outcomeTimeout
		case lctx.Err() != nil:
			// Cancelled because the breaker opened or the Tee is closing:
			// the copy was not answered, and its failure says nothing new.
			reason := DropShadowDown
			if t.closing.Load() {
				reason = DropClosed
			}
			t.dropLane(l, end, reason)
			return
		}
	}
	d := end.Sub(start)
	l.win.record(end, o, d)
	t.inst.requests.Add(context.Background(), 1, t.inst.outcomeAttrs[l.idx][o]...)
	if o == outcomeOK || o == outcome5xx {
		t.inst.duration.Record(context.Background(), d.Seconds(), t.inst.shadowRecord[l.idx]...)
	}
	if c.compare && res.status != 0 {
		statusDiff := res.status != c.pStatus
		bodyDiff := res.ok && c.pFull && res.hash != c.pHash
		l.win.compare(end, statusDiff, bodyDiff)
		if statusDiff {
			t.inst.mismatches.Add(context.Background(), 1, t.inst.shadowAttrs[l.idx], kindStatus)
		}
		if bodyDiff {
			t.inst.mismatches.Add(context.Background(), 1, t.inst.shadowAttrs[l.idx], kindBody)
		}
		if c.results != nil {
			c.results[l.idx] = res // each lane writes only its own index
		}
	}
	if l.br.done(gen, o == outcomeOK || o == outcome5xx, end) {
		// Opened: cancel the lane's other in-flight sends and purge its
		// queue; both are counted as shadow_down drops.
		l.cut(t.base)
		t.purge(l, end, DropShadowDown)
	}
}

// roundTrip sends req and reads (and, to compare, hashes) up to
// MaxResponseBytes of the answer into the worker's buffer.
func (t *Tee) roundTrip(ctx context.Context, l *lane, w *worker, req *http.Request, compare bool) (res result, o outcome) {
	defer func() {
		if p := recover(); p != nil {
			t.log.Error("mirror: shadow transport panicked", "panic", p, "url", req.URL.String())
			res, o = result{}, outcomePanic
		}
	}()
	var resp *http.Response
	var err error
	if w.direct {
		resp, err = t.directRoundTrip(ctx, l, w, req)
	} else {
		resp, err = t.rt.RoundTrip(req)
	}
	if err != nil {
		return result{}, classify(err)
	}
	res, o, clean := t.readAnswer(resp, compare, w.buf)
	if w.direct && (!clean || resp.Close) {
		// Not at a message boundary (or the shadow asked): the connection
		// cannot carry another copy, and closing it first keeps Body.Close
		// from draining an oversized answer.
		w.closeConn()
	}
	resp.Body.Close()
	return res, o
}

// readAnswer reads up to MaxResponseBytes of resp's body; clean reports
// that it was read to its end.
func (t *Tee) readAnswer(resp *http.Response, compare bool, buf []byte) (res result, o outcome, clean bool) {
	res.status = resp.StatusCode
	var h maphash.Hash
	if compare {
		h.SetSeed(t.seed)
	}
	var n int64
	for n <= t.cfg.MaxResponseBytes {
		m, err := resp.Body.Read(buf[:min(int64(len(buf)), t.cfg.MaxResponseBytes+1-n)])
		if compare && m > 0 {
			_, _ = h.Write(buf[:m])
		}
		n += int64(m)
		if err == io.EOF {
			clean = n <= t.cfg.MaxResponseBytes
			break
		}
		if err != nil {
			return res, classify(err), false
		}
	}
	res.ok = n <= t.cfg.MaxResponseBytes
	res.hash = h.Sum64()
	if resp.StatusCode >= 500 {
		return res, outcome5xx, clean
	}
	return res, outcomeOK, clean
}

func classify(err error) outcome {
	if errors.Is(err, context.DeadlineExceeded) {
		return outcomeTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return outcomeTimeout
	}
	return outcomeTransport
}

// build makes the outgoing copy for one lane; false means Redact panicked.
func (t *Tee) build(ctx context.Context, l *lane, c *copyReq, sg *signer) (*http.Request, bool) {
	h := c.header
	if len(t.lanes) > 1 {
		h = h.Clone() // lanes add their own headers
	}
	rawQuery := c.rawQuery
	if t.cfg.Redact != nil {
		q, _ := url.ParseQuery(rawQuery)
		red := &Redaction{Method: c.method, Path: c.path, Header: h, Query: q}
		if !t.redact(red) {
			return nil, false
		}
		h = red.Header
		if h == nil {
			h = http.Header{}
		}
		t.filter.refilter(h) // the hook must not bring credentials back
		rawQuery = t.filter.redactQuery(red.Query.Encode())
	}
	s := &sendState{u: *l.target}
	s.u.Path = c.path
	if l.basePath != "" {
		s.u.Path = l.basePath + c.path
	}
	s.u.RawPath = ""
	if c.rawPath != "" {
		s.u.RawPath = l.baseRaw + c.rawPath
	}
	s.u.RawQuery = rawQuery

	var body io.ReadCloser = http.NoBody
	if len(c.body) > 0 {
		s.br.Reset(c.body)
		s.body = readCloser{&s.br}
		body = s.body
	}
	host := c.host
	if host == "" {
		host = s.u.Host
	}
	if t.cfg.RewriteHost {
		host = shadowHost(host)
	}
	sr := SignedRequest{
		Method: c.method, Host: host, Path: s.u.EscapedPath(), Query: rawQuery,
		ContentDigest: c.contentDigest(), Time: t.now(),
	}
	var nonce [32]byte
	t.nonce(&nonce)
	// One string holds the new traceparent and the signature.
	var scratch [256]byte
	b := scratch[:0]
	if c.traceparent != "" {
		b = appendTraceparent(b, c.traceparent)
	}
	mark := len(b)
	all := string(sg.appendSign(b, &sr, nonce[:]))
	if c.traceparent != "" {
		s.vals[0] = all[:mark]
		h["Traceparent"] = s.vals[0:1:1]
		s.vals[1] = c.traceparent
		h[HeaderOriginTraceparent] = s.vals[1:2:2]
	}
	s.vals[2] = sr.ContentDigest
	s.vals[3] = all[mark:]
	h[HeaderContentDigest] = s.vals[2:3:3]
	h[HeaderSignature] = s.vals[3:4:4]
	h[HeaderMarker] = markerValue
	h[HeaderShadowName] = l.nameValue
	req := (&http.Request{
		Method:        c.method,
		URL:           &s.u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          body,
		ContentLength: int64(len(c.body)),
		Host:          host,
	}).WithContext(ctx)
	return req, true
}

// nonce writes a unique nonce: the Tee's random prefix and a counter, in
// hex. Uniqueness is what replay protection needs; the MAC makes it
// unforgeable.
func (t *Tee) nonce(dst *[32]byte) {
	const digits = "0123456789abcdef"
	p, n := t.noncePrefix, t.nonceSeq.Add(1)
	for i := range 16 {
		dst[15-i] = digits[p&0xf]
		p >>= 4
		dst[31-i] = digits[n&0xf]
		n >>= 4
	}
}

func (t *Tee) redact(r *Redaction) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			t.log.Error("mirror: Redact hook panicked; copy dropped", "panic", p, "path", r.Path)
			ok = false
		}
	}()
	t.cfg.Redact(r)
	return true
}
