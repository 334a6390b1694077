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
)

func (t *Tee) work(l *lane) {
	sg := newSigner(t.cfg.SigningKey)
	for {
		select {
		case <-t.quit:
			return
		case c := <-l.queue:
			t.send(l, c, sg)
		}
	}
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
func (t *Tee) send(l *lane, c *copyReq, sg *signer) {
	defer c.release()
	gen, ok := l.br.admit(t.now())
	if !ok {
		t.dropLane(l, t.now(), DropShadowDown)
		return
	}
	lctx := l.sendContext()
	ctx, cancel := context.WithTimeout(lctx, t.cfg.Timeout)
	defer cancel()
	req, ok := t.build(ctx, l, c, sg)
	if !ok {
		l.br.unadmit(gen)
		t.dropLane(l, t.now(), DropRedactPanic)
		return
	}
	start := t.now()
	res, o := t.roundTrip(ctx, req, c.compare)
	end := t.now()
	if o != outcomeOK && o != outcome5xx && lctx.Err() != nil {
		// Cancelled because the breaker opened or the Tee is closing: the
		// copy was not answered, and its failure says nothing new.
		reason := DropShadowDown
		if t.closing.Load() {
			reason = DropClosed
		}
		t.dropLane(l, end, reason)
		return
	}
	d := end.Sub(start)
	l.win.record(end, o, d)
	t.inst.requests.Add(context.Background(), 1, t.inst.outcomeAttrs[l.idx][o])
	if o == outcomeOK || o == outcome5xx {
		t.inst.duration.Record(context.Background(), d.Seconds(), t.inst.shadowAttrs[l.idx])
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

func (t *Tee) roundTrip(ctx context.Context, req *http.Request, compare bool) (res result, o outcome) {
	defer func() {
		if p := recover(); p != nil {
			t.log.Error("mirror: shadow transport panicked", "panic", p, "url", req.URL.String())
			res, o = result{}, outcomePanic
		}
	}()
	resp, err := t.rt.RoundTrip(req)
	if err != nil {
		return result{}, classify(ctx, err)
	}
	defer resp.Body.Close()
	res.status = resp.StatusCode
	var h maphash.Hash
	var dst io.Writer = io.Discard
	if compare {
		h.SetSeed(t.seed)
		dst = &h
	}
	n, err := io.Copy(dst, io.LimitReader(resp.Body, t.cfg.MaxResponseBytes+1))
	if err != nil {
		if o := classify(ctx, err); o == outcomeTimeout {
			return res, o
		}
		return res, outcomeTransport
	}
	res.ok = n <= t.cfg.MaxResponseBytes
	res.hash = h.Sum64()
	if resp.StatusCode >= 500 {
		return res, outcome5xx
	}
	return res, outcomeOK
}

func classify(ctx context.Context, err error) outcome {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
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
	if c.traceparent != "" {
		s.vals[0] = newTraceparent(c.traceparent)
		h["Traceparent"] = s.vals[0:1:1]
		s.vals[1] = c.traceparent
		h[HeaderOriginTraceparent] = s.vals[1:2:2]
	}
	sr := SignedRequest{
		Method: c.method, Host: host, Path: s.u.EscapedPath(), Query: rawQuery,
		ContentDigest: c.contentDigest(), Time: t.now(),
	}
	var nonce [32]byte
	t.nonce(&nonce)
	s.vals[2] = sr.ContentDigest
	s.vals[3] = sg.signNonce(&sr, nonce[:])
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
