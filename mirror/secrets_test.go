package mirror

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// captureShadow is a real loopback shadow that keeps what it receives.
func captureShadow(t *testing.T) (string, chan *http.Request) {
	t.Helper()
	got := make(chan *http.Request, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got <- r
	}))
	t.Cleanup(func() { srv.CloseClientConnections(); srv.Close() })
	return srv.URL, got
}

// secretHeaders lists one header per kind of credential, each with a
// distinct secret value.
func secretHeaders() map[string]string {
	names := slices.Clone(DefaultStripHeaders)
	names = append(names,
		// prefixes
		"X-Goog-Api-Key", "X-Goog-Iap-Jwt-Assertion", "X-Goog-Authenticated-User-Email",
		"X-Amzn-Oidc-Data", "X-Amzn-Oidc-Accesstoken", "Cf-Access-Jwt-Assertion", "Cf-Access-Client-Secret",
		"X-Auth-Request-Access-Token", "X-Ms-Token-Aad-Id-Token",
		// name pattern
		"X-My-Secret", "X-Custom-Token", "X-Service-Key", "X-Session", "X-Internal-Auth",
		"X-Db-Password", "X-Client-Credentials", "X-Request-Signature", "X-Jwt", "X-Mtls-Cert",
		"Idempotency-Key",
	)
	m := map[string]string{}
	for i, n := range names {
		m[n] = fmt.Sprintf("s3cr3t-h%03d", i)
	}
	return m
}

func secretQuery() url.Values {
	q := url.Values{}
	for i, n := range DefaultRedactQuery {
		q.Set(n, fmt.Sprintf("s3cr3t-q%03d", i))
	}
	q.Set("ACCESS_TOKEN", "s3cr3t-upper")      // case ignored
	q.Set("customer_pin", "s3cr3t-configured") // Config.RedactQuery
	q.Set("q", "kept")
	return q
}

// TestNoSecretReachesShadowByDefault sends a request carrying every kind
// of credential header and query parameter, plus a client-forged
// X-Forwarded-For, through a Tee to a real shadow: none of the secret
// values arrives, the innocuous headers and parameters do, and the
// forwarding headers are the Tee's own.
func TestNoSecretReachesShadowByDefault(t *testing.T) {
	shadowURL, got := captureShadow(t)
	cfg := baseConfig(shadowURL)
	cfg.RedactQuery = []string{"Customer_PIN"}
	cfg.StripHeaders = []string{"X-Tenant-Plan"}
	tee := newTee(t, cfg)
	var primary *http.Request
	h := tee.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { primary = r }))

	req := httptest.NewRequest(http.MethodGet, "http://api.example.com/v1/items?"+secretQuery().Encode(), nil)
	req.RemoteAddr = "192.0.2.7:5555"
	secrets := secretHeaders()
	for k, v := range secrets {
		req.Header.Set(k, v)
	}
	req.Header.Set("X-Tenant-Plan", "s3cr3t-configured-header")
	req.Header.Set("X-Forwarded-For", "s3cr3t-forged-xff")
	req.Header.Set("Forwarded", "for=s3cr3t-forged")
	req.Header.Set("X-Real-Ip", "s3cr3t-forged-ip")
	req.Header.Set("X-Request-Id", "req-1")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Referer", "https://app.example.com/cb?code=1&access_token=s3cr3t-referer#top")
	h.ServeHTTP(httptest.NewRecorder(), req)
	drain(t, tee)
	r := <-got

	for k, v := range secrets {
		assert.Equal(t, v, primary.Header.Get(k), "the primary keeps %s", k)
	}
	var wire strings.Builder
	fmt.Fprintln(&wire, r.URL.String())
	for k, vv := range r.Header {
		fmt.Fprintln(&wire, k+": "+strings.Join(vv, ","))
	}
	assert.NotContains(t, wire.String(), "s3cr3t", "a secret reached the shadow:\n%s", wire.String())
	for k := range secrets {
		assert.Empty(t, r.Header.Values(k), k)
	}
	q := r.URL.Query()
	for _, n := range DefaultRedactQuery {
		assert.Equal(t, RedactedValue, q.Get(n), "query %s", n)
	}
	assert.Equal(t, RedactedValue, q.Get("customer_pin"))
	assert.Equal(t, "kept", q.Get("q"))
	assert.Equal(t, "https://app.example.com/cb?code=1&access_token=REDACTED#top", r.Header.Get("Referer"))
	assert.Equal(t, "req-1", r.Header.Get("X-Request-Id"))
	assert.Equal(t, "application/json", r.Header.Get("Accept"))
	assert.Equal(t, "192.0.2.7", r.Header.Get("X-Forwarded-For"), "rebuilt from the peer")
	assert.Empty(t, r.Header.Get("Forwarded"))
	assert.Equal(t, "api.example.com", r.Header.Get("X-Forwarded-Host"))
	assert.Empty(t, r.Header.Get("Accept-Encoding"), "no encoding added that the client did not send")
}

// TestQueryRedactionKeepsInnocuousQueryExact: without a listed parameter
// the raw query is passed byte for byte; escaped names are matched.
func TestQueryRedactionKeepsInnocuousQueryExact(t *testing.T) {
	f := newHeaderFilter(Config{RedactQuery: []string{"pin"}})
	for raw, want := range map[string]string{
		"":                          "",
		"a=1&b=%2F&c":               "a=1&b=%2F&c",
		"api%5Fkey=x&b=2":           "api%5Fkey=REDACTED&b=2",
		"Token=abc&token=def&z":     "Token=REDACTED&token=REDACTED&z",
		"X-Amz-Signature=ff&x=1":    "X-Amz-Signature=REDACTED&x=1",
		"key&pin=1234":              "key=REDACTED&pin=REDACTED",
		"keyboard=1&monkey=2&sig=3": "keyboard=1&monkey=2&sig=REDACTED",
	} {
		assert.Equal(t, want, f.redactQuery(raw), raw)
	}
}

// TestAllowListPassesOnlyNamedHeaders: with ForwardHeaders only the named
// headers cross, plus those the Tee sets itself.
func TestAllowListPassesOnlyNamedHeaders(t *testing.T) {
	shadowURL, got := captureShadow(t)
	cfg := baseConfig(shadowURL)
	cfg.ForwardHeaders = []string{"accept", "X-Request-Id", "Idempotency-Key"}
	tee := newTee(t, cfg)
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	for k, v := range secretHeaders() {
		req.Header.Set(k, v)
	}
	req.Header.Set("Accept", "text/plain")
	req.Header.Set("X-Request-Id", "req-2")
	req.Header.Set("Idempotency-Key", "idem-1")
	req.Header.Set("X-Unlisted", "u")
	req.Header.Set("User-Agent", "client/1")
	req.Header.Set("Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	tee.Wrap(okHandler).ServeHTTP(httptest.NewRecorder(), req)
	drain(t, tee)
	r := <-got
	var names []string
	for k := range r.Header {
		names = append(names, k)
	}
	own := []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Traceparent",
		HeaderOriginTraceparent, HeaderMarker, HeaderSignature, HeaderShadowName, HeaderContentDigest}
	assert.ElementsMatch(t, append([]string{"Accept", "X-Request-Id", "Idempotency-Key"}, own...), names)
	assert.Equal(t, "idem-1", r.Header.Get("Idempotency-Key"), "named explicitly, so forwarded")

	for _, bad := range []string{"Authorization", "x-goog-api-key", "Cookie"} {
		c := baseConfig(shadowURL)
		c.ForwardHeaders = []string{"Accept", bad}
		err := c.Validate()
		require.ErrorIs(t, err, ErrInvalidConfig, bad)
		assert.Contains(t, err.Error(), fmt.Sprintf("ForwardHeaders[1] %q is a credential header", bad))
	}
	c := baseConfig(shadowURL)
	c.ForwardHeaders = []string{"Bad Name"}
	assert.ErrorContains(t, c.Validate(), `ForwardHeaders[0] "Bad Name" is not a header name`)
}

func TestSensitiveNames(t *testing.T) {
	for _, n := range []string{"X-Api-Key", "x-my-SECRET", "X-Session-Id", "Authorization", "X-Goog-User-Project", "X-Amz-Security-Token"} {
		k := textproto.CanonicalMIMEHeaderKey(n)
		assert.True(t, credentialHeader(k) || sensitiveName(k), n)
	}
	for _, n := range []string{"Accept", "Content-Type", "X-Request-Id", "Keep-Alive", "User-Agent", "X-Forwarded-Proto"} {
		assert.False(t, sensitiveName(n), n)
	}
}
