package mirror

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

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
