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
	"strings"
)

func (t *Tee) work(ctx context.Context, l *lane) {
	sg := newSigner(t.cfg.SigningKey)
	for {
		select {
		case <-t.quit:
			// Drop what is still queued; in-flight sends already finished.
			for {
				select {
				case c := <-l.queue:
					l.win.drop(t.now(), DropClosed)
					t.inst.dropped.Add(context.Background(), 1, t.inst.dropAttrs[l.idx+1][DropClosed])
					c.release()
				default:
					return
				}
			}
		case c := <-l.queue:
			t.send(ctx, l, c, sg)
		}
	}
}

// send delivers one copy to one shadow. Every failure stays here: a panic
// in the transport or the Redact hook is recovered and counted.
func (t *Tee) send(base context.Context, l *lane, c *copyReq, sg *signer) {
	defer c.release()
	ctx, cancel := context.WithTimeout(base, t.cfg.Timeout)
	defer cancel()
	req, ok := t.build(ctx, l, c, sg)
	if !ok {
		l.win.drop(t.now(), DropRedactPanic)
		t.inst.dropped.Add(ctx, 1, t.inst.dropAttrs[l.idx+1][DropRedactPanic])
		return
	}
	start := t.now()
	res, o := t.roundTrip(ctx, req, c.compare)
	end := t.now()
	d := end.Sub(start)
	l.win.record(end, o, d)
	t.observe(l, o, end)
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
func (t *Tee) build(ctx context.Context, l *lane, c *copyReq, sg *signer) (req *http.Request, ok bool) {
	h := c.header.Clone()
	removeHopHeaders(h)
	t.separateTrace(h)
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
		rawQuery = red.Query.Encode()
		for _, k := range t.strip { // the hook must not bring credentials back
			delete(h, k)
		}
	}
	u := *l.target
	u.User = nil
	base := strings.TrimSuffix(l.target.Path, "/")
	u.Path = base + c.path
	if c.rawPath != "" {
		u.RawPath = strings.TrimSuffix(l.target.EscapedPath(), "/") + c.rawPath
	} else {
		u.RawPath = ""
	}
	u.RawQuery = rawQuery
	u.Fragment = ""

	var body io.ReadCloser = http.NoBody
	var n int64
	if c.body != nil && len(*c.body) > 0 {
		body = io.NopCloser(bytes.NewReader(*c.body))
		n = int64(len(*c.body))
	}
	req = (&http.Request{
		Method:        c.method,
		URL:           &u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          body,
		ContentLength: n,
		Host:          c.host,
	}).WithContext(ctx)
	if req.Host == "" {
		req.Host = u.Host
	}
	if t.cfg.RewriteHost {
		req.Host = shadowHost(req.Host)
	}
	if c.clientIP != "" {
		if prior := h.Values("X-Forwarded-For"); len(prior) > 0 {
			h.Set("X-Forwarded-For", strings.Join(prior, ", ")+", "+c.clientIP)
		} else {
			h.Set("X-Forwarded-For", c.clientIP)
		}
	}
	if _, has := h["User-Agent"]; !has {
		h["User-Agent"] = nil // do not add Go's default: the copy mirrors the client
	}
	h[HeaderMarker] = markerValue
	h[HeaderShadowName] = l.nameValue
	h[HeaderSignature] = []string{sg.sign(c.method, u.EscapedPath(), t.now())}
	return req, true
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
