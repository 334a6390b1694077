package mirror

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testNow = time.Unix(1_800_000_000, 0)

func TestSignFormatAndBadNonce(t *testing.T) {
	s := SignedRequest{Method: "GET", Host: "h", Path: "/a%2Fb", ContentDigest: emptyDigest, Time: testNow,
		Nonce: "0123456789abcdef0123456789abcdef"}
	sig, err := Sign(testKey, s)
	require.NoError(t, err)
	assert.Regexp(t, `^t=1800000000,n=0123456789abcdef0123456789abcdef,v2=[0-9a-f]{64}$`, sig)
	s.Nonce = "short"
	_, err = Sign(testKey, s)
	assert.ErrorContains(t, err, `nonce "short"`)
	assert.Equal(t, "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:", ContentDigest(nil), "RFC 9530 form")
}

// signedCopy returns a copy signed at testNow and a function that
// rebuilds it (same headers, same body) for replaying.
func signedCopy(t *testing.T, key []byte, method, target, body string) (*http.Request, func() *http.Request) {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	require.NoError(t, SignRequest(key, r, testNow))
	again := func() *http.Request {
		c := r.Clone(context.Background())
		c.Body = io.NopCloser(strings.NewReader(body))
		c.ContentLength = int64(len(body))
		return c
	}
	return again(), again
}

func newTestVerifier(t *testing.T, cfg VerifierConfig) http.Handler {
	t.Helper()
	if cfg.Key == nil {
		cfg.Key = testKey
	}
	v, err := NewVerifier(cfg, WithClock(newFakeClock(testNow.Add(time.Second))))
	require.NoError(t, err)
	return v.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if IsMirrored(r.Context()) {
			_, _ = io.WriteString(w, "copy:"+string(b))
			return
		}
		_, _ = io.WriteString(w, "direct")
	}))
}

func serveCode(h http.Handler, r *http.Request) (int, string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec.Code, rec.Body.String()
}

// TestVerifierRejectsReplayAndTampering: a signed copy is accepted once;
// the same copy again, or with another query, Host, body, method or path,
// is rejected with 403.
func TestVerifierRejectsReplayAndTampering(t *testing.T) {
	h := newTestVerifier(t, VerifierConfig{})
	first, again := signedCopy(t, testKey, http.MethodPost, "http://api.internal/pay?to=alice", "amount=10")
	code, body := serveCode(h, first)
	require.Equal(t, http.StatusOK, code, body)
	assert.Equal(t, "copy:amount=10", body, "the handler reads the verified body")

	tampered := map[string]func() *http.Request{
		"replayed as is": again,
		"query changed": func() *http.Request {
			r := again()
			r.URL.RawQuery = "to=alice&amount=1000000"
			return r
		},
		"query added to": func() *http.Request {
			r := again()
			r.URL.RawQuery += "&x=1"
			return r
		},
		"host changed": func() *http.Request {
			r := again()
			r.Host = "other.internal"
			return r
		},
		"body changed": func() *http.Request {
			r := again()
			r.Body = io.NopCloser(strings.NewReader("amount=999999&to=mallory"))
			return r
		},
		"body and digest changed": func() *http.Request {
			r := again()
			b := "amount=999999&to=mallory"
			r.Body = io.NopCloser(strings.NewReader(b))
			r.Header.Set(HeaderContentDigest, ContentDigest([]byte(b)))
			return r
		},
		"method changed": func() *http.Request {
			r := again()
			r.Method = http.MethodPut
			return r
		},
		"path changed": func() *http.Request {
			r := again()
			r.URL.Path = "/refund"
			return r
		},
		"digest removed": func() *http.Request {
			r := again()
			r.Header.Del(HeaderContentDigest)
			return r
		},
		"marker only": func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set(HeaderMarker, "1")
			return r
		},
	}
	for name, mk := range tampered {
		code, body := serveCode(h, mk())
		assert.Equal(t, http.StatusForbidden, code, "%s: %s", name, body)
	}
	code, body = serveCode(h, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "direct", body, "unmarked traffic passes without MirrorOnly")
}

// TestVerifierKeyRotation: copies signed with the previous key verify
// while it is configured; a key that was never configured does not.
func TestVerifierKeyRotation(t *testing.T) {
	oldKey, newKey := []byte("old-key-0123456789abcdef"), []byte("new-key-0123456789abcdef")
	h := newTestVerifier(t, VerifierConfig{Key: newKey, PreviousKey: oldKey})
	for name, k := range map[string][]byte{"new": newKey, "previous": oldKey} {
		r, _ := signedCopy(t, k, http.MethodGet, "/x?q=1", "")
		code, body := serveCode(h, r)
		assert.Equal(t, http.StatusOK, code, "%s key: %s", name, body)
	}
	r, _ := signedCopy(t, []byte("never-configured-0123456"), http.MethodGet, "/x", "")
	code, _ := serveCode(h, r)
	assert.Equal(t, http.StatusForbidden, code)

	onlyNew := newTestVerifier(t, VerifierConfig{Key: newKey})
	r, _ = signedCopy(t, oldKey, http.MethodGet, "/x", "")
	code, _ = serveCode(onlyNew, r)
	assert.Equal(t, http.StatusForbidden, code, "previous key dropped after rotation")
}

func TestVerifierFreshnessAndLimits(t *testing.T) {
	h := newTestVerifier(t, VerifierConfig{MaxSkew: time.Minute, MaxBodyBytes: 8})
	stale := httptest.NewRequest(http.MethodGet, "/", nil)
	require.NoError(t, SignRequest(testKey, stale, testNow.Add(-2*time.Minute)))
	code, body := serveCode(h, stale)
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "more than 1m0s")
	future := httptest.NewRequest(http.MethodGet, "/", nil)
	require.NoError(t, SignRequest(testKey, future, testNow.Add(2*time.Minute)))
	code, _ = serveCode(h, future)
	assert.Equal(t, http.StatusForbidden, code)
	big, _ := signedCopy(t, testKey, http.MethodPost, "/", "0123456789")
	code, body = serveCode(h, big)
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "MaxBodyBytes 8")
	for name, sig := range map[string]string{
		"garbage":  "nonsense",
		"no ts":    "n=0123456789abcdef0123456789abcdef,v2=00",
		"bad mac":  "t=1800000000,n=0123456789abcdef0123456789abcdef,v2=zz",
		"no nonce": "t=1800000000,v2=" + strings.Repeat("0", 64),
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(HeaderSignature, sig)
		r.Header.Set(HeaderContentDigest, emptyDigest)
		code, _ := serveCode(h, r)
		assert.Equal(t, http.StatusForbidden, code, name)
	}
}

// TestReplayCacheBounded: when full the cache refuses new copies (fail
// closed) until older nonces expire; it never forgets a nonce early.
func TestReplayCacheBounded(t *testing.T) {
	c := newReplayCache(2)
	n := func(b byte) [16]byte { return [16]byte{b} }
	assert.Equal(t, replayNew, c.add(n(1), 100, 50))
	assert.Equal(t, replayNew, c.add(n(2), 130, 60))
	assert.Equal(t, replayFull, c.add(n(3), 130, 70))
	assert.Equal(t, replaySeen, c.add(n(1), 100, 100), "kept until its expiry")
	assert.Equal(t, replayNew, c.add(n(3), 160, 101), "first nonce expired, room again")
	assert.Equal(t, replaySeen, c.add(n(2), 130, 101))
}

func TestVerifierMiddlewareOptions(t *testing.T) {
	strict, err := NewVerifier(VerifierConfig{Key: testKey, MirrorOnly: true, OnReject: func(w http.ResponseWriter, _ *http.Request, err error) {
		assert.ErrorIs(t, err, ErrBadSignature)
		w.WriteHeader(http.StatusTeapot)
	}}, WithClock(newFakeClock(testNow)))
	require.NoError(t, err)
	h := strict.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	code, _ := serveCode(h, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusTeapot, code)
	r, _ := signedCopy(t, testKey, http.MethodGet, "/", "")
	code, _ = serveCode(h, r)
	assert.Equal(t, http.StatusOK, code)

	assert.False(t, IsMirrored(context.Background()))
	for name, cfg := range map[string]VerifierConfig{
		"VerifierConfig.Key has 1 bytes":         {Key: []byte("x")},
		"VerifierConfig.PreviousKey has 3 bytes": {Key: testKey, PreviousKey: []byte("old")},
		"VerifierConfig.MaxSkew -1ns":            {Key: testKey, MaxSkew: -1},
		"VerifierConfig.MaxBodyBytes -1":         {Key: testKey, MaxBodyBytes: -1},
		"VerifierConfig.ReplayCacheSize -1 must": {Key: testKey, ReplayCacheSize: -1},
	} {
		_, err := NewVerifier(cfg)
		require.ErrorIs(t, err, ErrInvalidConfig, name)
		assert.Contains(t, err.Error(), name)
	}
}
