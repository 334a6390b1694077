package mirror

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"time"
)

// A worker sending to an http:// shadow through the Tee's own transport
// owns one keep-alive HTTP/1.1 connection and writes and reads it itself
// (Request.Write, http.ReadResponse), instead of handing each copy to
// http.Transport's per-connection read and write goroutines. A copy then
// wakes one goroutine instead of three, which is most of what a copy costs
// on an otherwise idle path. Each worker holds at most one connection, so
// a shadow sees at most Workers connections from the Tee, as with the
// transport's MaxConnsPerHost. https shadows and a Config.Transport keep
// going through their http.RoundTripper.

// directConn is a worker's connection to its lane's shadow.
type directConn struct {
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
}

// aLongTimeAgo is a deadline in the past: it unblocks a pending Read or
// Write at once.
var aLongTimeAgo = time.Unix(1, 0)

// watch makes the cancellation of ctx (timeout, breaker opening, Close)
// interrupt the worker's connection. It runs once per context, not per
// send: the worker reuses its context from send to send.
func (w *worker) watch(ctx context.Context) {
	if w.stopWatch != nil {
		w.stopWatch()
	}
	w.stopWatch = context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.ctx == ctx && w.dc.conn != nil {
			_ = w.dc.conn.SetDeadline(aLongTimeAgo)
		}
	})
}

// closeConn drops the worker's connection.
func (w *worker) closeConn() {
	w.mu.Lock()
	c := w.dc.conn
	w.dc.conn = nil
	w.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
}

// directRoundTrip sends req over the worker's connection, dialling one if
// there is none. A request that gets no byte back on a reused connection
// (the shadow closed it, say at its idle timeout) is sent once more on a
// new connection if its method is idempotent, as http.Transport does.
func (t *Tee) directRoundTrip(ctx context.Context, l *lane, w *worker, req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		reused := w.dc.conn != nil
		if !reused {
			c, err := t.ownRT.DialContext(ctx, "tcp", l.target.Host)
			if err != nil {
				return nil, err
			}
			w.mu.Lock()
			w.dc.conn = c
			w.mu.Unlock()
			if w.dc.br == nil {
				w.dc.br = bufio.NewReader(c)
				w.dc.bw = bufio.NewWriter(c)
			} else {
				w.dc.br.Reset(c)
				w.dc.bw.Reset(c)
			}
			if ctx.Err() != nil { // cancelled while dialling: the watcher may have missed c
				w.closeConn()
				return nil, ctx.Err()
			}
		}
		err := req.Write(w.dc.bw)
		if err == nil {
			err = w.dc.bw.Flush()
		}
		answered := false
		if err == nil {
			// The first byte tells a connection the shadow had closed
			// (nothing comes back) from a failed answer.
			if _, err = w.dc.br.Peek(1); err == nil {
				answered = true
			}
		}
		var resp *http.Response
		if err == nil {
			resp, err = readFinalResponse(w.dc.br, req)
		}
		if err == nil {
			return resp, nil
		}
		w.closeConn()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !reused || answered || attempt > 0 || !idempotent(req.Method) {
			return nil, err
		}
		if req.ContentLength > 0 { // the body reader was consumed: rewind it
			if s, ok := req.Body.(io.Seeker); ok {
				if _, serr := s.Seek(0, io.SeekStart); serr != nil {
					return nil, err
				}
			} else {
				return nil, err
			}
		}
	}
}

// readFinalResponse reads a response, skipping 1xx interim ones (a copy
// may carry the client's Expect: 100-continue).
func readFinalResponse(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	for {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode < 100 || resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, nil
		}
	}
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}
