package mirror

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	sig := Sign(testKey, "GET", "/a%2Fb", now)
	assert.Regexp(t, `^t=1800000000,v1=[0-9a-f]{64}$`, sig)
	require.NoError(t, Verify(testKey, "GET", "/a%2Fb", sig, now.Add(time.Minute), time.Minute))
	for name, err := range map[string]error{
		"method":  Verify(testKey, "POST", "/a%2Fb", sig, now, time.Minute),
		"path":    Verify(testKey, "GET", "/a/b", sig, now, time.Minute),
		"key":     Verify([]byte("another-key-0123456"), "GET", "/a%2Fb", sig, now, time.Minute),
		"stale":   Verify(testKey, "GET", "/a%2Fb", sig, now.Add(2*time.Minute), time.Minute),
		"future":  Verify(testKey, "GET", "/a%2Fb", sig, now.Add(-2*time.Minute), time.Minute),
		"empty":   Verify(testKey, "GET", "/a%2Fb", "", now, time.Minute),
		"garbage": Verify(testKey, "GET", "/a%2Fb", "nonsense", now, time.Minute),
		"no ts":   Verify(testKey, "GET", "/a%2Fb", "v1=00", now, time.Minute),
		"bad mac": Verify(testKey, "GET", "/a%2Fb", "t=1800000000,v1=zz", now, time.Minute),
	} {
		assert.ErrorIs(t, err, ErrBadSignature, name)
	}
}

func TestVerifierMiddleware(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	var mirroredSeen bool
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mirroredSeen = IsMirrored(r.Context())
		_, _ = w.Write([]byte("ok"))
	})
	v, err := NewVerifier(VerifierConfig{Key: testKey}, WithClock(clock))
	require.NoError(t, err)
	h := v.Wrap(next)
	do := func(h http.Handler, mut func(*http.Request)) (int, bool) {
		mirroredSeen = false
		r := httptest.NewRequest(http.MethodGet, "/orders/1", nil)
		mut(r)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Code, mirroredSeen
	}
	signed := func(r *http.Request) {
		r.Header.Set(HeaderMarker, "1")
		r.Header.Set(HeaderSignature, Sign(testKey, r.Method, r.URL.EscapedPath(), now))
	}
	code, m := do(h, signed)
	assert.Equal(t, http.StatusOK, code)
	assert.True(t, m)
	code, m = do(h, func(*http.Request) {})
	assert.Equal(t, http.StatusOK, code, "direct traffic passes")
	assert.False(t, m)
	code, _ = do(h, func(r *http.Request) { r.Header.Set(HeaderMarker, "1") })
	assert.Equal(t, http.StatusForbidden, code, "unsigned mirror traffic")
	code, _ = do(h, func(r *http.Request) {
		r.Header.Set(HeaderMarker, "1")
		r.Header.Set(HeaderSignature, Sign(testKey, "GET", "/orders/1", now.Add(-time.Hour)))
	})
	assert.Equal(t, http.StatusForbidden, code, "stale signature")

	strict, err := NewVerifier(VerifierConfig{Key: testKey, MirrorOnly: true, OnReject: func(w http.ResponseWriter, _ *http.Request, err error) {
		assert.ErrorIs(t, err, ErrBadSignature)
		w.WriteHeader(http.StatusTeapot)
	}}, WithClock(clock))
	require.NoError(t, err)
	code, _ = do(strict.Wrap(next), func(*http.Request) {})
	assert.Equal(t, http.StatusTeapot, code)
	code, m = do(strict.Wrap(next), signed)
	assert.Equal(t, http.StatusOK, code)
	assert.True(t, m)

	assert.False(t, IsMirrored(context.Background()))
	_, err = NewVerifier(VerifierConfig{Key: []byte("x")})
	require.ErrorIs(t, err, ErrInvalidConfig)
	assert.Contains(t, err.Error(), "VerifierConfig.Key")
	_, err = NewVerifier(VerifierConfig{Key: testKey, MaxSkew: -1})
	require.ErrorIs(t, err, ErrInvalidConfig)
}
