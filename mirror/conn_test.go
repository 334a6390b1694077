package mirror

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingConn reports its Close once.
type countingConn struct {
	net.Conn
	once    sync.Once
	onClose func()
}

func (c *countingConn) Close() error {
	c.once.Do(c.onClose)
	return c.Conn.Close()
}

// TestShadowConnectionsAreReused: copies travel over the Tee's pooled
// keep-alive transport, never more than Workers connections open at once,
// and far fewer dials than copies. Connections are counted at the dialer
// (the client side), where MaxConnsPerHost holds exactly; the server's view
// lags behind closes.
func TestShadowConnectionsAreReused(t *testing.T) {
	var hits atomic.Int64
	shadow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer shadow.Close()
	cfg := baseConfig(shadow.URL)
	cfg.Workers = 2
	tee := newTee(t, cfg)
	require.NotNil(t, tee.ownRT)
	var mu sync.Mutex
	var dials, open, maxOpen int
	dial := tee.ownRT.DialContext
	tee.ownRT.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		dials++
		open++
		maxOpen = max(maxOpen, open)
		mu.Unlock()
		return &countingConn{Conn: c, onClose: func() { mu.Lock(); open--; mu.Unlock() }}, nil
	}
	h := tee.Wrap(okHandler)
	const n = 200
	for range n {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	}
	drain(t, tee)
	assert.Equal(t, int64(n), hits.Load())
	mu.Lock()
	defer mu.Unlock()
	assert.LessOrEqual(t, maxOpen, cfg.Workers, "connections open at once")
	assert.Less(t, dials, n/2, "connections are reused")
	shadow.CloseClientConnections()
}

// rawShadow is a loopback HTTP/1.1 server written on raw TCP, to act as a
// shadow that misbehaves at the connection level. Each connection is given
// to serve; the number of connections accepted is counted.
type rawShadow struct {
	ln    net.Listener
	conns atomic.Int64
	wg    sync.WaitGroup
}

func newRawShadow(t *testing.T, serve func(c net.Conn)) *rawShadow {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &rawShadow{ln: ln}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			s.wg.Go(func() { defer c.Close(); serve(c) })
		}
	})
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *rawShadow) url() string { return "http://" + s.ln.Addr().String() }

// newOneAnswerShadow starts a rawShadow that answers one request per
// connection and then closes it without saying so; served counts the
// requests answered.
func newOneAnswerShadow(t *testing.T) (shadow *rawShadow, served *atomic.Int64) {
	served = new(atomic.Int64)
	shadow = newRawShadow(t, func(c net.Conn) {
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		served.Add(1)
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	return shadow, served
}

// TestDirectConnRetriesWhenShadowClosedIdleConn: a shadow that closes
// every connection after one answer, without saying so, makes each reused
// connection fail before any answer; an idempotent copy is sent again on a
// new connection and arrives.
func TestDirectConnRetriesWhenShadowClosedIdleConn(t *testing.T) {
	shadow, served := newOneAnswerShadow(t)
	cfg := baseConfig(shadow.url())
	cfg.Workers = 1
	tee := newTee(t, cfg)
	h := tee.Wrap(okHandler)
	const n = 5
	for range n {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		waitIdle(tee) // one at a time: each finds the previous, closed connection
	}
	st, err := tee.Stats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(n), st.Requests)
	assert.Zero(t, st.Errors)
	assert.Equal(t, int64(n), served.Load())
	assert.Equal(t, int64(n), shadow.conns.Load(), "one connection per copy")
}

// TestDirectConnNotRetriedForPost: a POST copy that meets a connection the
// shadow closed is counted as a transport error, never sent twice.
func TestDirectConnNotRetriedForPost(t *testing.T) {
	shadow, served := newOneAnswerShadow(t)
	cfg := baseConfig(shadow.url())
	cfg.Workers = 1
	cfg.Methods = []string{http.MethodPost}
	cfg.BreakerFailures = -1
	tee := newTee(t, cfg)
	h := tee.Wrap(okHandler)
	for range 2 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", stringsReader("a=1")))
		waitIdle(tee)
	}
	st, err := tee.Stats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(2), st.Requests)
	assert.Equal(t, int64(1), st.Errors, "the second copy met the closed connection")
	assert.Equal(t, int64(1), served.Load())
}

// TestDirectConnOversizedAnswerIsNotDrained: an answer longer than
// MaxResponseBytes is read up to the limit and its connection closed, not
// drained; the next copy dials again.
func TestDirectConnOversizedAnswerIsNotDrained(t *testing.T) {
	const big = 8 << 20
	var written atomic.Int64
	shadow := newRawShadow(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			if _, err := http.ReadRequest(br); err != nil {
				return
			}
			_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", big)
			chunk := make([]byte, 64<<10)
			for range big / len(chunk) {
				m, err := c.Write(chunk)
				written.Add(int64(m))
				if err != nil {
					return
				}
			}
		}
	})
	cfg := baseConfig(shadow.url())
	cfg.Workers = 1
	cfg.MaxResponseBytes = 1 << 10
	tee := newTee(t, cfg)
	h := tee.Wrap(okHandler)
	for range 2 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		waitIdle(tee)
	}
	st, err := tee.Stats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(2), st.Requests)
	assert.Zero(t, st.Errors)
	assert.Equal(t, int64(2), shadow.conns.Load(), "the connection of an oversized answer is not reused")
	require.NoError(t, tee.Close(context.Background()))
	shadow.ln.Close()
	shadow.wg.Wait()
	assert.Less(t, written.Load(), int64(2*big), "the answers were not read to their end")
}

// TestDirectConnBreakerCancelsInFlightSend: a copy hanging on its own
// connection is interrupted when another copy opens the breaker, and
// counted as a shadow_down drop.
func TestDirectConnBreakerCancelsInFlightSend(t *testing.T) {
	entered := make(chan string, 2)
	shadow := newRawShadow(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		entered <- req.URL.Path
		if req.URL.Path == "/hang" {
			_, _ = br.ReadByte() // until the Tee closes the connection
		}
		// "/fail": closed without an answer, a transport error.
	})
	cfg := baseConfig(shadow.url())
	cfg.Workers = 2
	cfg.BreakerFailures = 1
	cfg.Window = time.Hour
	tee := newTee(t, cfg)
	h := tee.Wrap(okHandler)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/hang", nil))
	assert.Equal(t, "/hang", <-entered)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/fail", nil))
	assert.Equal(t, "/fail", <-entered)
	waitIdle(tee)
	rep, err := tee.Report(context.Background())
	require.NoError(t, err)
	s := rep.Shadows[0]
	assert.Equal(t, int64(1), s.TransportErrors)
	assert.Equal(t, int64(1), s.Drops["shadow_down"], "the hanging send was cancelled")
	assert.Equal(t, BreakerOpen, s.Breaker)
}
