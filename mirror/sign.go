package mirror

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers carried by every copy.
const (
	// HeaderMarker marks a mirrored request; its value is "1". A marker
	// (or signature) sent by a client is stripped before the primary and
	// the copy see the request.
	HeaderMarker = "X-Shadow-Request"
	// HeaderSignature carries "t=<unix seconds>,v1=<hex HMAC-SHA256>" over
	// method, escaped path and timestamp (see Sign).
	HeaderSignature = "X-Shadow-Signature"
	// HeaderOriginTraceparent holds the primary's W3C traceparent on the
	// copy, whose own traceparent starts a new trace.
	HeaderOriginTraceparent = "X-Shadow-Origin-Traceparent"
	// HeaderShadowName names the target a copy was sent to.
	HeaderShadowName = "X-Shadow-Target"
)

// Sign returns the HeaderSignature value for a request with the given
// method and escaped path at time t. The MAC covers
// method + "\n" + path + "\n" + unix seconds.
func Sign(key []byte, method, path string, t time.Time) string {
	return newSigner(key).sign(method, path, t)
}

func mac(key []byte, method, path, ts string) []byte {
	return newSigner(key).mac(method, path, ts)
}

// markerValue is the HeaderMarker value, shared read-only by copies.
var markerValue = []string{"1"}

// signer reuses one HMAC state; each worker owns one (not safe for
// concurrent use).
type signer struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

func newSigner(key []byte) *signer {
	return &signer{h: hmac.New(sha256.New, key), buf: make([]byte, 0, 128)}
}

func (s *signer) mac(method, path, ts string) []byte {
	s.h.Reset()
	s.buf = append(append(append(append(append(s.buf[:0], method...), '\n'), path...), '\n'), ts...)
	s.h.Write(s.buf)
	return s.h.Sum(s.sum[:0])
}

func (s *signer) sign(method, path string, t time.Time) string {
	var tsb [20]byte
	ts := strconv.AppendInt(tsb[:0], t.Unix(), 10)
	m := s.mac(method, path, string(ts))
	out := make([]byte, 0, 2+len(ts)+4+hex.EncodedLen(len(m)))
	out = append(append(append(out, "t="...), ts...), ",v1="...)
	out = hex.AppendEncode(out, m)
	return string(out)
}

// Verify checks a HeaderSignature value for method and path against key at
// now, accepting timestamps within maxSkew either side. Errors wrap
// ErrBadSignature.
func Verify(key []byte, method, path, sig string, now time.Time, maxSkew time.Duration) error {
	if sig == "" {
		return fmt.Errorf("%w: missing %s", ErrBadSignature, HeaderSignature)
	}
	var ts, v1 string
	for part := range strings.SplitSeq(sig, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("%w: malformed part %q", ErrBadSignature, part)
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q is not unix seconds", ErrBadSignature, ts)
	}
	got, err := hex.DecodeString(v1)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: v1 %q is not a hex SHA-256 MAC", ErrBadSignature, v1)
	}
	if skew := now.Sub(time.Unix(sec, 0)); skew > maxSkew || skew < -maxSkew {
		return fmt.Errorf("%w: timestamp %d is %s from now, more than %s", ErrBadSignature, sec, skew.Round(time.Second), maxSkew)
	}
	if !hmac.Equal(got, mac(key, method, path, ts)) {
		return fmt.Errorf("%w: MAC does not match", ErrBadSignature)
	}
	return nil
}

// DefaultMaxSkew is the signature timestamp tolerance of a Verifier.
const DefaultMaxSkew = 5 * time.Minute

// VerifierConfig tunes a Verifier.
type VerifierConfig struct {
	// Key is the HMAC key shared with the Tee. Required, at least
	// MinSigningKeyBytes bytes.
	Key []byte
	// MaxSkew is the accepted clock difference. 0 means DefaultMaxSkew.
	MaxSkew time.Duration
	// MirrorOnly rejects every request that is not a validly signed copy
	// (for shadows that must never take direct traffic). False lets
	// unmarked requests through with IsMirrored false.
	MirrorOnly bool
	// OnReject, if non-nil, answers rejected requests; err wraps
	// ErrBadSignature. Nil means 403 Forbidden with a short text body.
	OnReject func(w http.ResponseWriter, r *http.Request, err error)
}

// Verifier is middleware for shadow services: it checks the signature of
// every request marked with HeaderMarker, rejects marked requests with a
// missing, stale or wrong signature, and tells handlers whether a request
// is a copy through IsMirrored, so that they can suppress side effects.
type Verifier struct {
	cfg VerifierConfig
	now func() time.Time
}

// NewVerifier validates cfg and returns a Verifier. Only WithClock is used
// among the options.
func NewVerifier(cfg VerifierConfig, opts ...Option) (*Verifier, error) {
	if len(cfg.Key) < MinSigningKeyBytes {
		return nil, invalid("VerifierConfig.Key has %d bytes, need at least %d", len(cfg.Key), MinSigningKeyBytes)
	}
	if cfg.MaxSkew < 0 {
		return nil, invalid("VerifierConfig.MaxSkew %s must be >= 0", cfg.MaxSkew)
	}
	if cfg.MaxSkew == 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	o := buildOptions(opts)
	return &Verifier{cfg: cfg, now: o.now}, nil
}

type mirroredKey struct{}

// IsMirrored reports whether ctx belongs to a request that a Verifier
// accepted as a signed copy.
func IsMirrored(ctx context.Context) bool {
	v, _ := ctx.Value(mirroredKey{}).(bool)
	return v
}

// Check verifies r and reports whether it is a signed copy. It returns an
// error wrapping ErrBadSignature for a marked request with a bad signature,
// or for an unmarked one when MirrorOnly is set.
func (v *Verifier) Check(r *http.Request) (bool, error) {
	sig := r.Header.Get(HeaderSignature)
	if r.Header.Get(HeaderMarker) == "" && sig == "" {
		if v.cfg.MirrorOnly {
			return false, fmt.Errorf("%w: request is not mirrored and MirrorOnly is set", ErrBadSignature)
		}
		return false, nil
	}
	if err := Verify(v.cfg.Key, r.Method, r.URL.EscapedPath(), sig, v.now(), v.cfg.MaxSkew); err != nil {
		return false, err
	}
	return true, nil
}

// Wrap returns next behind the verifier.
func (v *Verifier) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, err := v.Check(r)
		if err != nil {
			if v.cfg.OnReject != nil {
				v.cfg.OnReject(w, r, err)
				return
			}
			http.Error(w, "forbidden: "+err.Error(), http.StatusForbidden)
			return
		}
		if ok {
			r = r.WithContext(context.WithValue(r.Context(), mirroredKey{}, true))
		}
		next.ServeHTTP(w, r)
	})
}
