package mirror

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzVerifierCheck: whatever a marked request carries in its signature
// and digest headers and its body, Check never panics, rejects it with an
// error wrapping ErrBadSignature unless it accepts it, accepts the copy
// as it was signed, and accepts nothing whose body or digest differs from
// the signed ones (the MAC covers the digest, the digest the body).
func FuzzVerifierCheck(f *testing.F) {
	const target, body = "http://shadow.example/a%2Fb?q=1", "signed body"
	signed := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if err := SignRequest(testKey, signed, testNow); err != nil {
		f.Fatal(err)
	}
	wantSig, wantDigest := signed.Header.Get(HeaderSignature), signed.Header.Get(HeaderContentDigest)
	f.Add(wantSig, wantDigest, body)
	f.Add(wantSig, wantDigest, body+"!")
	f.Add(" "+strings.ReplaceAll(wantSig, ",", " , "), wantDigest, body)
	f.Add(wantSig, ContentDigest([]byte("other")), "other")
	f.Add("t=1800000000,n=0123456789abcdef0123456789abcdef,v2=00", wantDigest, body)
	f.Add("t=,n=,v2=,,=", "sha-256=:not base64:", "")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, sig, digest, b string) {
		v, err := NewVerifier(VerifierConfig{Key: testKey}, WithClock(newFakeClock(testNow.Add(time.Second))))
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(b))
		r.Header.Set(HeaderMarker, "1")
		r.Header.Set(HeaderSignature, sig)
		r.Header.Set(HeaderContentDigest, digest)
		ok, err := v.Check(r)
		switch {
		case ok && err != nil:
			t.Fatalf("accepted with an error: %v", err)
		case !ok && !errors.Is(err, ErrBadSignature):
			t.Fatalf("a marked request rejected without ErrBadSignature: %v", err)
		case ok && (b != body || digest != wantDigest):
			t.Fatalf("accepted body %q with digest %q; signed were %q and %q", b, digest, body, wantDigest)
		case !ok && sig == wantSig && digest == wantDigest && b == body:
			t.Fatalf("the signed copy was rejected: %v", err)
		}
	})
}

// FuzzHeaderFilter: whatever headers a client sends, the copy never
// carries a credential or forwarding header, nor one of the X-Shadow-*
// headers the Tee sets itself, nor a header the client did not send, and
// the traceparent kept for linking is valid.
func FuzzHeaderFilter(f *testing.F) {
	f.Add("Authorization", "Bearer s3cr3t", "X-Keep", "kept")
	f.Add("cookie", "a=b", "X-Forwarded-For", "203.0.113.9")
	f.Add("X-Api-Key", "k", "Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	f.Add("X-Shadow-Signature", "t=1", "Proxy-Authorization", "Basic x")
	f.Add("X-Shadow-Request", "1", "X-Shadow-Origin-Traceparent", "00-")
	f.Add("X-Shadow-Target", "canary", "Content-Digest", "sha-256=:x:")
	f.Add("Connection", "X-Hop", "X-Hop", "1")
	f.Add("X-Session-Token", "t", "Accept", "*/*")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		if !utf8.ValidString(k1 + k2) {
			return
		}
		in := http.Header{}
		in.Add(k1, v1)
		in.Add(k2, v2)
		out, traceparent, _ := newHeaderFilter(Config{}).filter(in, 0, nil)
		for k := range out {
			switch {
			case credentialHeader(k):
				t.Fatalf("credential header %q copied", k)
			case k == HeaderMarker || k == HeaderSignature || k == HeaderShadowName ||
				k == HeaderOriginTraceparent || k == HeaderContentDigest:
				t.Fatalf("%q copied: the Tee sets its own headers, never forwards a client's", k)
			case strings.EqualFold(k, "X-Forwarded-For") || strings.EqualFold(k, "Forwarded"):
				t.Fatalf("forwarding header %q copied", k)
			case in[k] == nil:
				t.Fatalf("header %q was not sent by the client", k)
			}
		}
		if traceparent != "" && !validTraceparent(traceparent) {
			t.Fatalf("invalid traceparent %q kept", traceparent)
		}
	})
}
