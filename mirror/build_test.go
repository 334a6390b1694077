package mirror

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCopyURLHostAndForwarding(t *testing.T) {
	rt := &recordingRT{}
	cfg := baseConfig()
	cfg.Shadows = []Target{{Name: "s", URL: "http://user:pw@shadow.internal:9000/base/"}}
	cfg.Transport = rt
	cfg.TraceHeaders = []string{"X-Trace"}
	tee := newTee(t, cfg)
	req := httptest.NewRequest(http.MethodGet, "http://orig.example/a%2Fb/c?x=1", nil)
	req.RemoteAddr = "203.0.113.9:4000"
	req.Header.Set("X-Forwarded-For", "198.51.100.1")
	req.Header.Set("Connection", "X-Hop")
	req.Header.Set("X-Hop", "1")
	req.Header.Set("X-Trace", "t")
	req.Header.Set("Traceparent", "not-a-valid-traceparent")
	tee.Wrap(okHandler).ServeHTTP(httptest.NewRecorder(), req)
	drain(t, tee)
	require.Len(t, rt.reqs, 1)
	r := rt.reqs[0]
	assert.Equal(t, "http://shadow.internal:9000/base/a%2Fb/c?x=1", r.URL.String())
	assert.Nil(t, r.URL.User, "no credentials from the target URL on the wire")
	assert.Equal(t, "orig.example", r.Host, "the client's Host is kept without RewriteHost")
	assert.Equal(t, "203.0.113.9", r.Header.Get("X-Forwarded-For"), "rebuilt from the peer, the client's value dropped")
	assert.Equal(t, "orig.example", r.Header.Get("X-Forwarded-Host"))
	assert.Equal(t, "http", r.Header.Get("X-Forwarded-Proto"))
	assert.Empty(t, r.Header.Get("X-Hop"), "Connection-listed headers removed")
	assert.Empty(t, r.Header.Get("Connection"))
	assert.Empty(t, r.Header.Get("X-Trace"), "configured trace headers removed")
	assert.Equal(t, "not-a-valid-traceparent", r.Header.Get("Traceparent"), "only configured trace headers are touched")
	assert.Empty(t, r.Header.Get(HeaderOriginTraceparent))
	assert.Equal(t, "s", r.Header.Get(HeaderShadowName))
	_, hasUA := r.Header["User-Agent"]
	assert.True(t, hasUA, "User-Agent present (nil) so Go adds none")
	assert.Empty(t, r.Header.Get("User-Agent"))
	// The shadow sees the request as sent: it verifies.
	v, err := NewVerifier(VerifierConfig{Key: testKey}, WithClock(clock.New()))
	require.NoError(t, err)
	in := httptest.NewRequest(r.Method, r.URL.RequestURI(), http.NoBody)
	in.Host = r.Host
	in.Header = r.Header.Clone()
	ok, err := v.Check(in)
	require.NoError(t, err)
	assert.True(t, ok)
}

func TestShadowHost(t *testing.T) {
	for in, want := range map[string]string{
		"api.example.com":      "api.example.com-shadow",
		"api.example.com:8080": "api.example.com-shadow:8080",
		"[::1]:80":             "[::1-shadow]:80",
	} {
		assert.Equal(t, want, shadowHost(in), in)
	}
}

func TestUpgradeRequestsAreNotMirrored(t *testing.T) {
	rt := &recordingRT{}
	cfg := baseConfig("http://shadow.internal")
	cfg.Transport = rt
	tee := newTee(t, cfg)
	req := httptest.NewRequest(http.MethodGet, "/ws", nil)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	tee.Wrap(okHandler).ServeHTTP(httptest.NewRecorder(), req)
	drain(t, tee)
	assert.Zero(t, rt.n.Load())
	rep, err := tee.Report(context.Background())
	require.NoError(t, err)
	assert.Zero(t, rep.Dropped)
}
