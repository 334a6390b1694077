package mirror

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Headers carried by every copy.
const (
	// HeaderMarker marks a mirrored request; its value is "1". A marker
	// (or signature) sent by a client is stripped before the primary and
	// the copy see the request.
	HeaderMarker = "X-Shadow-Request"
	// HeaderSignature carries "t=<unix seconds>,n=<nonce>,v2=<hex
	// HMAC-SHA256>"; the MAC binds the copy (see SignedRequest).
	HeaderSignature = "X-Shadow-Signature"
	// HeaderContentDigest is the RFC 9530 digest of the copy's body,
	// "sha-256=:<base64>:", covered by the signature.
	HeaderContentDigest = "Content-Digest"
	// HeaderOriginTraceparent holds the primary's W3C traceparent on the
	// copy, whose own traceparent starts a new trace.
	HeaderOriginTraceparent = "X-Shadow-Origin-Traceparent"
	// HeaderShadowName names the target a copy was sent to.
	HeaderShadowName = "X-Shadow-Target"
)

// SignedRequest is what a copy's signature covers. Every field is bound:
// changing any of them, or the body behind ContentDigest, invalidates the
// signature.
type SignedRequest struct {
	// Method is the request method.
	Method string
	// Host is the Host header as sent to the shadow.
	Host string
	// Path is the escaped path (url.URL.EscapedPath).
	Path string
	// Query is the raw query, without "?".
	Query string
	// ContentDigest is the HeaderContentDigest value (see ContentDigest).
	ContentDigest string
	// Time is when the copy was signed (second resolution).
	Time time.Time
	// Nonce is unique per copy: 32 lower-case hex digits.
	Nonce string
}

// ContentDigest returns the RFC 9530 Content-Digest value of body with
// sha-256: "sha-256=:<base64 of the SHA-256>:".
func ContentDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
}

// emptyDigest is the Content-Digest of an empty body.
var emptyDigest = ContentDigest(nil)

// Sign returns the HeaderSignature value of s under key:
// "t=<unix seconds>,n=<nonce>,v2=<hex HMAC-SHA256>". It returns an error
// for a nonce that is not 32 hex digits.
func Sign(key []byte, s SignedRequest) (string, error) {
	if _, ok := parseNonce(s.Nonce); !ok {
		return "", fmt.Errorf("mirror: sign: nonce %q is not 32 hex digits", s.Nonce)
	}
	return newSigner(key).sign(&s), nil
}

// SignRequest signs r as a copy at now, the way a Tee does: it reads and
// restores r.Body, sets HeaderContentDigest, HeaderMarker and
// HeaderSignature with a fresh random nonce. The signature covers r.Host
// (or r.URL.Host if empty), the escaped path and raw query as they will be
// sent. Errors come from reading the body.
func SignRequest(key []byte, r *http.Request, now time.Time) error {
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			return fmt.Errorf("mirror: sign request: read body: %w", err)
		}
		body = b
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
	}
	var n [16]byte
	_, _ = rand.Read(n[:])
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	s := SignedRequest{
		Method: r.Method, Host: host, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		ContentDigest: ContentDigest(body), Time: now, Nonce: hex.EncodeToString(n[:]),
	}
	r.Header.Set(HeaderContentDigest, s.ContentDigest)
	r.Header.Set(HeaderMarker, "1")
	r.Header.Set(HeaderSignature, newSigner(key).sign(&s))
	return nil
}

// markerValue is the HeaderMarker value, shared read-only by copies.
var markerValue = []string{"1"}

// signer reuses one HMAC state; not safe for concurrent use.
type signer struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

func newSigner(key []byte) *signer {
	return &signer{h: hmac.New(sha256.New, key), buf: make([]byte, 0, 256)}
}

const macVersion = "shadowscale-mirror-v2"

// mac is HMAC-SHA256 over the fields joined by newlines (none of them can
// contain one), prefixed by the scheme version. nonce replaces r.Nonce.
func (s *signer) mac(r *SignedRequest, ts, nonce []byte) []byte {
	b := append(s.buf[:0], macVersion...)
	for _, f := range [...]string{r.Method, r.Host, r.Path, r.Query, r.ContentDigest} {
		b = append(append(b, '\n'), f...)
	}
	b = append(append(b, '\n'), ts...)
	b = append(append(b, '\n'), nonce...)
	s.buf = b
	s.h.Reset()
	s.h.Write(b)
	return s.h.Sum(s.sum[:0])
}

func (s *signer) sign(r *SignedRequest) string {
	var out [160]byte
	return string(s.appendSign(out[:0], r, []byte(r.Nonce)))
}

// appendSign appends the HeaderSignature value of r with nonce to b.
func (s *signer) appendSign(b []byte, r *SignedRequest, nonce []byte) []byte {
	var tsb [20]byte
	ts := strconv.AppendInt(tsb[:0], r.Time.Unix(), 10)
	m := s.mac(r, ts, nonce)
	b = append(append(b, "t="...), ts...)
	b = append(append(b, ",n="...), nonce...)
	b = append(b, ",v2="...)
	return hex.AppendEncode(b, m)
}

func parseNonce(n string) ([16]byte, bool) {
	var k [16]byte
	if len(n) != 32 {
		return k, false
	}
	_, err := hex.Decode(k[:], []byte(n))
	return k, err == nil && strings.ToLower(n) == n
}

// DefaultMaxSkew is the freshness window of a Verifier: a signature is
// accepted within this much of the shadow's clock, either side.
const DefaultMaxSkew = 30 * time.Second

// DefaultReplayCacheSize bounds the nonces a Verifier remembers. At the
// default MaxSkew it serves about 4,000 copies per second.
const DefaultReplayCacheSize = 1 << 18

// VerifierConfig tunes a Verifier.
type VerifierConfig struct {
	// Key is the HMAC key shared with the Tee. Required, at least
	// MinSigningKeyBytes bytes.
	Key []byte
	// PreviousKey, if set, is accepted as well as Key, so that keys can be
	// rotated: deploy the new Key with the old one here, switch the Tee,
	// then drop PreviousKey. At least MinSigningKeyBytes bytes.
	PreviousKey []byte
	// MaxSkew is the freshness window. 0 means DefaultMaxSkew.
	MaxSkew time.Duration
	// MaxBodyBytes bounds the body read to check its digest; a larger
	// body is rejected. 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// ReplayCacheSize bounds the nonces remembered for the freshness
	// window. When it is full, copies are rejected (fail closed) until
	// older nonces expire; size it to copies per second × 2 × MaxSkew.
	// 0 means DefaultReplayCacheSize.
	ReplayCacheSize int
	// MirrorOnly rejects every request that is not a validly signed copy
	// (for shadows that must never take direct traffic). False lets
	// unmarked requests through with IsMirrored false.
	MirrorOnly bool
	// OnReject, if non-nil, answers rejected requests; err wraps
	// ErrBadSignature. Nil means 403 Forbidden with a short text body.
	OnReject func(w http.ResponseWriter, r *http.Request, err error)
}

// Verifier is middleware for shadow services: it checks every request
// marked with HeaderMarker or carrying HeaderSignature, rejects a missing,
// stale, wrong or replayed signature and a body that does not match its
// digest, and tells handlers whether a request is a copy through
// IsMirrored, so that they can suppress side effects. Safe for concurrent
// use.
type Verifier struct {
	cfg    VerifierConfig
	now    func() time.Time
	keys   [][]byte
	replay *replayCache
}

// NewVerifier validates cfg and returns a Verifier. Only WithClock is used
// among the options.
func NewVerifier(cfg VerifierConfig, opts ...Option) (*Verifier, error) {
	if len(cfg.Key) < MinSigningKeyBytes {
		return nil, invalid("VerifierConfig.Key has %d bytes, need at least %d", len(cfg.Key), MinSigningKeyBytes)
	}
	if cfg.PreviousKey != nil && len(cfg.PreviousKey) < MinSigningKeyBytes {
		return nil, invalid("VerifierConfig.PreviousKey has %d bytes, need at least %d", len(cfg.PreviousKey), MinSigningKeyBytes)
	}
	if cfg.MaxSkew < 0 {
		return nil, invalid("VerifierConfig.MaxSkew %s must be >= 0", cfg.MaxSkew)
	}
	if cfg.MaxBodyBytes < 0 {
		return nil, invalid("VerifierConfig.MaxBodyBytes %d must be >= 0", cfg.MaxBodyBytes)
	}
	if cfg.ReplayCacheSize < 0 {
		return nil, invalid("VerifierConfig.ReplayCacheSize %d must be >= 0", cfg.ReplayCacheSize)
	}
	if cfg.MaxSkew == 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.ReplayCacheSize == 0 {
		cfg.ReplayCacheSize = DefaultReplayCacheSize
	}
	o := buildOptions(opts)
	v := &Verifier{cfg: cfg, now: o.now, keys: [][]byte{cfg.Key}, replay: newReplayCache(cfg.ReplayCacheSize)}
	if cfg.PreviousKey != nil {
		v.keys = append(v.keys, cfg.PreviousKey)
	}
	return v, nil
}

type mirroredKey struct{}

// IsMirrored reports whether ctx belongs to a request that a Verifier
// accepted as a signed copy.
func IsMirrored(ctx context.Context) bool {
	v, _ := ctx.Value(mirroredKey{}).(bool)
	return v
}

func badSig(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadSignature}, args...)...)
}

// Check verifies r and reports whether it is a signed copy. It reads the
// body of a marked request to check its digest and replaces r.Body with
// the bytes read. It returns an error wrapping ErrBadSignature for a
// marked request that fails any check (signature, freshness, digest,
// replay), or for an unmarked one when MirrorOnly is set. An accepted
// nonce is remembered, so a second Check of the same copy fails.
func (v *Verifier) Check(r *http.Request) (bool, error) {
	sig := r.Header.Get(HeaderSignature)
	if r.Header.Get(HeaderMarker) == "" && sig == "" {
		if v.cfg.MirrorOnly {
			return false, badSig("request is not mirrored and MirrorOnly is set")
		}
		return false, nil
	}
	if sig == "" {
		return false, badSig("missing %s", HeaderSignature)
	}
	var ts, nonce, v2 string
	for part := range strings.SplitSeq(sig, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return false, badSig("malformed part %q", part)
		}
		switch k {
		case "t":
			ts = val
		case "n":
			nonce = val
		case "v2":
			v2 = val
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false, badSig("timestamp %q is not unix seconds", ts)
	}
	nk, ok := parseNonce(nonce)
	if !ok {
		return false, badSig("nonce %q is not 32 lower-case hex digits", nonce)
	}
	got, err := hex.DecodeString(v2)
	if err != nil || len(got) != sha256.Size {
		return false, badSig("v2 %q is not a hex SHA-256 MAC", v2)
	}
	now := v.now()
	if skew := now.Sub(time.Unix(sec, 0)); skew > v.cfg.MaxSkew || skew < -v.cfg.MaxSkew {
		return false, badSig("timestamp %d is %s from now, more than %s", sec, skew.Round(time.Second), v.cfg.MaxSkew)
	}
	digest := r.Header.Get(HeaderContentDigest)
	if err := v.checkBody(r, digest); err != nil {
		return false, err
	}
	s := SignedRequest{
		Method: r.Method, Host: r.Host, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		ContentDigest: digest, Nonce: nonce,
	}
	matched := false
	for _, k := range v.keys {
		if hmac.Equal(got, newSigner(k).mac(&s, []byte(ts), []byte(nonce))) {
			matched = true
			break
		}
	}
	if !matched {
		return false, badSig("MAC does not match method, host, path, query, body digest, time and nonce")
	}
	switch v.replay.add(nk, sec+int64(v.cfg.MaxSkew/time.Second)+1, now.Unix()) {
	case replaySeen:
		return false, badSig("nonce %s was already used (replay)", nonce)
	case replayFull:
		return false, badSig("replay cache full (%d nonces within the freshness window); raise ReplayCacheSize", v.cfg.ReplayCacheSize)
	}
	return true, nil
}

// checkBody reads r's body (bounded), puts it back, and compares its
// SHA-256 with the sha-256 member of the Content-Digest header.
func (v *Verifier) checkBody(r *http.Request, digest string) error {
	want, ok := sha256Member(digest)
	if !ok {
		return badSig("%s %q has no sha-256 member", HeaderContentDigest, digest)
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(r.Body, v.cfg.MaxBodyBytes+1))
		_ = r.Body.Close()
		if err != nil {
			return badSig("read body: %v", err)
		}
		if int64(len(b)) > v.cfg.MaxBodyBytes {
			return badSig("body larger than MaxBodyBytes %d", v.cfg.MaxBodyBytes)
		}
		body = b
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	sum := sha256.Sum256(body)
	if !bytes.Equal(sum[:], want) {
		return badSig("body does not match %s", HeaderContentDigest)
	}
	return nil
}

// sha256Member extracts the sha-256 digest from an RFC 9530 dictionary
// such as "sha-256=:base64:, sha-512=:…:".
func sha256Member(h string) ([]byte, bool) {
	for m := range strings.SplitSeq(h, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(m), "=")
		if !ok || k != "sha-256" || len(val) < 2 || val[0] != ':' || val[len(val)-1] != ':' {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(val[1 : len(val)-1])
		if err != nil || len(b) != sha256.Size {
			return nil, false
		}
		return b, true
	}
	return nil, false
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

type replayResult int

const (
	replayNew replayResult = iota
	replaySeen
	replayFull
)

// replayCache remembers nonces until their signature can no longer be
// fresh. Entries leave in arrival order once expired; an entry is never
// removed before its expiry, so a replay within the window is always seen.
type replayCache struct {
	mu    sync.Mutex
	limit int
	seen  map[[16]byte]int64 // nonce -> expiry, unix seconds
	fifo  []replayEntry
	head  int
}

type replayEntry struct {
	nonce  [16]byte
	expiry int64
}

func newReplayCache(limit int) *replayCache {
	return &replayCache{limit: limit, seen: map[[16]byte]int64{}}
}

func (c *replayCache) add(n [16]byte, expiry, now int64) replayResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.head < len(c.fifo) && c.fifo[c.head].expiry < now {
		if e := c.fifo[c.head]; c.seen[e.nonce] == e.expiry {
			delete(c.seen, e.nonce)
		}
		c.fifo[c.head] = replayEntry{}
		c.head++
	}
	if c.head > 1024 && c.head > len(c.fifo)/2 {
		c.fifo = append(c.fifo[:0], c.fifo[c.head:]...)
		c.head = 0
	}
	if exp, ok := c.seen[n]; ok && exp >= now {
		return replaySeen
	}
	if len(c.seen) >= c.limit {
		return replayFull
	}
	c.seen[n] = expiry
	c.fifo = append(c.fifo, replayEntry{n, expiry})
	return replayNew
}
