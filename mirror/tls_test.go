package mirror

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestTLSShadowWithCallerConfig: the caller's *tls.Config (here trusting
// the test server's certificate and presenting a client certificate for
// mTLS) is used for https shadows.
func TestTLSShadowWithCallerConfig(t *testing.T) {
	got := make(chan int, 1)
	shadow := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- len(r.TLS.PeerCertificates)
	}))
	shadow.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	shadow.StartTLS()
	defer shadow.Close()

	pool := x509.NewCertPool()
	pool.AddCert(shadow.Certificate())
	clientCert := shadow.TLS.Certificates[0] // any certificate will do for RequireAnyClientCert
	cfg := baseConfig(shadow.URL)
	cfg.TLSClientConfig = &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{clientCert}}
	tee := newTee(t, cfg)
	rec := httptest.NewRecorder()
	tee.Wrap(okHandler).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/secure", nil))
	assert.Equal(t, "primary", rec.Body.String())
	select {
	case n := <-got:
		assert.Equal(t, 1, n, "client certificate presented")
	case <-time.After(10 * time.Second):
		t.Fatal("TLS shadow received no copy")
	}
	drain(t, tee)
	shadow.CloseClientConnections()
}
