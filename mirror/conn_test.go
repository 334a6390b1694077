package mirror

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestShadowConnectionsAreReused: copies travel over pooled keep-alive
// connections, at most Workers of them, not one per request.
func TestShadowConnectionsAreReused(t *testing.T) {
	var conns, hits atomic.Int64
	shadow := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
	}))
	shadow.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	shadow.Start()
	defer shadow.Close()
	cfg := baseConfig(shadow.URL)
	cfg.Workers = 2
	tee := newTee(t, cfg)
	h := tee.Wrap(okHandler)
	const n = 200
	for range n {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	}
	drain(t, tee)
	assert.Equal(t, int64(n), hits.Load())
	assert.LessOrEqual(t, conns.Load(), int64(cfg.Workers))
	shadow.CloseClientConnections()
}
