package mirror

import (
	"crypto/tls"
	"fmt"
	"math"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/shadowscale/shadowscale/internal/defaults"
)

// Defaults applied by New to zero-valued Config fields.
const (
	DefaultQueueSize        = 1024
	DefaultWorkers          = 16
	DefaultMaxBodyBytes     = 1 << 20
	DefaultMaxResponseBytes = 1 << 20
	DefaultTimeout          = 5 * time.Second
	DefaultWindow           = time.Minute
	DefaultWindowBuckets    = 12
	DefaultMaxStrata        = 64
	DefaultBreakerFailures  = 5
	DefaultBreakerPause     = time.Second
	// MaxBreakerPauseFactor bounds the breaker's doubling pause at
	// BreakerPause × 32.
	MaxBreakerPauseFactor = 32
	// MinSigningKeyBytes is the shortest accepted HMAC key.
	MinSigningKeyBytes = 16
	// DefaultMemoryBudget bounds the bytes a Tee holds for copies: bodies
	// being captured, queued and in flight, and header snapshots.
	DefaultMemoryBudget = 64 << 20
	// DefaultDrainTimeout bounds how long Close waits for queued and
	// in-flight copies before cancelling them.
	DefaultDrainTimeout = 5 * time.Second
)

// DefaultMethods are the methods mirrored when Config.Methods is empty: the
// ones that must not have side effects.
var DefaultMethods = []string{http.MethodGet, http.MethodHead, http.MethodOptions}

// DefaultTraceHeaders are the trace-propagation headers removed from the
// copy so that shadow spans never join the production trace. A valid W3C
// traceparent is replaced by a fresh one and the original is kept in
// HeaderOriginTraceparent for linking.
var DefaultTraceHeaders = []string{
	"Traceparent", "Tracestate", "Baggage",
	"B3", "X-B3-Traceid", "X-B3-Spanid", "X-B3-Parentspanid", "X-B3-Sampled", "X-B3-Flags",
	"Uber-Trace-Id", "X-Cloud-Trace-Context", "X-Amzn-Trace-Id",
	"X-Datadog-Trace-Id", "X-Datadog-Parent-Id", "X-Datadog-Sampling-Priority", "Grpc-Trace-Bin",
}

// Target is one shadow service that receives copies.
type Target struct {
	// Name labels the shadow in Stats and metrics. Empty means the URL's host.
	Name string
	// URL is the shadow's base URL (http or https). The request path is
	// appended to its path. Required.
	URL string
	// Version groups shadows that run the same build. When two targets share
	// a non-empty Version and Config.Compare is set, their answers to the
	// same copy are compared with each other to estimate the noise floor of
	// the comparison (responses that differ even between identical builds).
	Version string
}

// Route sets a sampling rate for part of the URL space.
type Route struct {
	// Name labels the route in the mix report. Empty means PathPrefix.
	Name string
	// PathPrefix selects requests whose path starts with it. Required.
	PathPrefix string
	// Method restricts the route to one method. Empty means any.
	Method string
	// Fraction replaces the global fraction for matching requests, in
	// [0, 1]. SetFraction(0) still stops all mirroring (kill switch).
	Fraction float64
}

// Redaction is the argument of Config.Redact: the copy's headers and query,
// already cloned from the primary's, which the hook may change freely.
type Redaction struct {
	// Method and Path describe the copy; read-only.
	Method, Path string
	// Header is the copy's header map (never shared with the primary).
	Header http.Header
	// Query is the copy's parsed query; changes are encoded back.
	Query url.Values
}

// Config tunes a Tee. The zero value of every field except Shadows and
// SigningKey is usable and documented.
type Config struct {
	// Shadows are the targets that receive copies. At least one is required.
	// Targets come only from configuration, never from a request.
	Shadows []Target
	// Fraction is the initial share of eligible requests mirrored, in
	// [0, 1]. 0 (the zero value) mirrors nothing until SetFraction.
	Fraction float64
	// SigningKey is the HMAC-SHA256 key that signs every copy (see
	// Verifier). Required, at least MinSigningKeyBytes bytes.
	SigningKey []byte

	// Methods lists the methods that may be mirrored, among GET, HEAD,
	// OPTIONS, POST, PUT, PATCH and DELETE (others are refused). Empty
	// means DefaultMethods (GET, HEAD, OPTIONS); adding others is an
	// explicit opt-in to mirroring requests that may have side effects.
	Methods []string
	// StripHeaders are removed from the copy in addition to the
	// credential headers that are always removed (DefaultStripHeaders,
	// DefaultStripHeaderPrefixes and any name containing one of
	// SensitiveHeaderWords).
	StripHeaders []string
	// ForwardHeaders, if non-empty, switches to allow-list mode: only the
	// named request headers are copied (plus the X-Forwarded-*, trace and
	// X-Shadow-* headers the Tee sets itself). A name in
	// DefaultStripHeaders or under DefaultStripHeaderPrefixes is refused by
	// Validate; other names are forwarded even if they contain a
	// SensitiveHeaderWords word, because naming them is explicit.
	ForwardHeaders []string
	// RedactQuery names query parameters whose values are replaced by
	// RedactedValue in the copy, in addition to DefaultRedactQuery.
	// Matching ignores case.
	RedactQuery []string
	// TraceHeaders are the trace headers separated from the primary's.
	// Nil means DefaultTraceHeaders.
	TraceHeaders []string
	// Redact, if non-nil, runs on every copy (on a worker, never on the
	// primary path) after the fixed stripping, to remove PII from headers
	// and query parameters. A panic in Redact drops the copy.
	Redact func(*Redaction)

	// KeyHeader, KeyCookie and KeyClientAddr make sampling consistent by
	// key: the copy decision is a hash of the first one present, so a
	// session is mirrored whole or not at all. Requests without the key are
	// sampled at random. Empty/false means random sampling.
	KeyHeader string
	// KeyCookie names the cookie used as sampling key (see KeyHeader).
	KeyCookie string
	// KeyClientAddr uses the client IP as sampling key (see KeyHeader).
	KeyClientAddr bool
	// Routes set per-route rates; the longest matching PathPrefix wins.
	Routes []Route
	// MaxRate caps copies per second (all shadows together count a request
	// once). 0 means no cap.
	MaxRate float64
	// Burst is the cap's bucket size. 0 means max(1, ceil(MaxRate)).
	Burst int
	// Stratify balances the sample across strata (route and method): each
	// stratum gets at least one copy per Window even if its rate draws none,
	// and the MaxRate cap is shared equally among the strata seen so far
	// instead of going to the busiest. The floor never applies to a request
	// with a sampling key, so that keyed sessions stay whole.
	Stratify bool
	// MaxStrata bounds the number of strata tracked; later ones are pooled
	// under "other". 0 means DefaultMaxStrata.
	MaxStrata int

	// QueueSize is each shadow's queue length; a full queue drops the copy.
	// 0 means DefaultQueueSize.
	QueueSize int
	// Workers is each shadow's number of sending goroutines. 0 means
	// DefaultWorkers.
	Workers int
	// MaxBodyBytes bounds the copied request body; a larger body is sent to
	// the primary untouched and its copy dropped. 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MemoryBudget bounds the bytes held for copies by this Tee, across all
	// shadows: header snapshots and bodies being captured, queued or in
	// flight. A copy that would exceed it is not taken (dropped as
	// memory_budget; the primary request is untouched). 0 means
	// DefaultMemoryBudget.
	MemoryBudget int64
	// DrainTimeout bounds how long Close lets queued and in-flight copies
	// finish before cancelling them (counted as closed drops). 0 means
	// DefaultDrainTimeout; a negative value drops queued copies at once.
	DrainTimeout time.Duration
	// MaxResponseBytes bounds how much of a shadow response is read (and
	// hashed when comparing). 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Timeout is the deadline of each shadow request, independent of the
	// primary request's context. 0 means DefaultTimeout.
	Timeout time.Duration
	// RewriteHost appends "-shadow" to the copy's Host (before any port),
	// Envoy's convention, so that shared virtual hosts can tell copies apart.
	RewriteHost bool
	// TLSClientConfig is used by the default transport for https shadows
	// (set Certificates for mTLS). Nil means Go's defaults.
	TLSClientConfig *tls.Config
	// BreakerFailures is the number of consecutive transport errors or
	// timeouts after which a shadow's breaker opens: its queue is purged,
	// its in-flight sends are cancelled (both counted as shadow_down
	// drops) and copies offered to it are dropped at once, costing no dial
	// and no worker. After the pause one copy is sent as a probe
	// (half-open); an answer (even a 5xx) closes the breaker, a failure
	// reopens it with the pause doubled, up to MaxBreakerPauseFactor ×
	// BreakerPause. Outcomes of sends started before the breaker last
	// changed state are ignored. 0 means DefaultBreakerFailures; -1
	// disables.
	BreakerFailures int
	// BreakerPause is the first pause. 0 means DefaultBreakerPause.
	BreakerPause time.Duration
	// Transport sends copies. Nil means the Tee's own: each worker keeps
	// one keep-alive HTTP/1.1 connection to an http shadow, and https
	// shadows share a pooled keep-alive http.Transport sized to Workers.
	Transport http.RoundTripper

	// Compare records the primary's status and body hash and compares them
	// with each shadow's answer (mismatch rate in ShadowStats).
	Compare bool
	// Window is the sliding window of Stats. 0 means DefaultWindow.
	Window time.Duration
	// WindowBuckets is the window's resolution. 0 means
	// DefaultWindowBuckets.
	WindowBuckets int
}

func (c Config) withDefaults() Config {
	if len(c.Methods) == 0 {
		c.Methods = DefaultMethods
	}
	if c.TraceHeaders == nil {
		c.TraceHeaders = DefaultTraceHeaders
	}
	c.MaxStrata = defaults.IfZero(c.MaxStrata, DefaultMaxStrata)
	c.QueueSize = defaults.IfZero(c.QueueSize, DefaultQueueSize)
	c.Workers = defaults.IfZero(c.Workers, DefaultWorkers)
	c.MaxBodyBytes = defaults.IfZero(c.MaxBodyBytes, DefaultMaxBodyBytes)
	c.MaxResponseBytes = defaults.IfZero(c.MaxResponseBytes, DefaultMaxResponseBytes)
	c.Timeout = defaults.IfZero(c.Timeout, DefaultTimeout)
	c.Window = defaults.IfZero(c.Window, DefaultWindow)
	c.WindowBuckets = defaults.IfZero(c.WindowBuckets, DefaultWindowBuckets)
	c.BreakerFailures = defaults.IfZero(c.BreakerFailures, DefaultBreakerFailures)
	c.BreakerPause = defaults.IfZero(c.BreakerPause, DefaultBreakerPause)
	c.MemoryBudget = defaults.IfZero(c.MemoryBudget, DefaultMemoryBudget)
	c.DrainTimeout = defaults.IfZero(c.DrainTimeout, DefaultDrainTimeout)
	if c.Burst == 0 && c.MaxRate > 0 {
		c.Burst = max(1, int(math.Ceil(c.MaxRate)))
	}
	return c
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}

func validFraction(f float64) bool { return !math.IsNaN(f) && f >= 0 && f <= 1 }

// Validate reports the first invalid field, naming it and its value. Zero
// values that have a documented default are valid.
func (c Config) Validate() error {
	if len(c.Shadows) == 0 {
		return invalid("Shadows is empty; at least one shadow target is required")
	}
	names := map[string]int{}
	for i, t := range c.Shadows {
		u, err := parseTarget(t.URL)
		if err != nil {
			return invalid("Shadows[%d].URL %q: %v", i, t.URL, err)
		}
		name := targetName(t, u)
		if j, dup := names[name]; dup {
			return invalid("Shadows[%d] name %q duplicates Shadows[%d]", i, name, j)
		}
		names[name] = i
	}
	if !validFraction(c.Fraction) {
		return invalid("Fraction %v is outside [0, 1]", c.Fraction)
	}
	if len(c.SigningKey) < MinSigningKeyBytes {
		return invalid("SigningKey has %d bytes, need at least %d", len(c.SigningKey), MinSigningKeyBytes)
	}
	for i, m := range c.Methods {
		if !mirrorableMethods[m] {
			return invalid("Methods[%d] %q is not a mirrorable HTTP method (one of GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE)", i, m)
		}
	}
	for i, h := range c.StripHeaders {
		if !validHeaderName(h) {
			return invalid("StripHeaders[%d] %q is not a header name", i, h)
		}
	}
	for i, h := range c.ForwardHeaders {
		if !validHeaderName(h) {
			return invalid("ForwardHeaders[%d] %q is not a header name", i, h)
		}
		if credentialHeader(textproto.CanonicalMIMEHeaderKey(h)) {
			return invalid("ForwardHeaders[%d] %q is a credential header, never forwarded to a shadow", i, h)
		}
	}
	for i, q := range c.RedactQuery {
		if q == "" {
			return invalid("RedactQuery[%d] is empty", i)
		}
	}
	for i, h := range c.TraceHeaders {
		if !validHeaderName(h) {
			return invalid("TraceHeaders[%d] %q is not a header name", i, h)
		}
	}
	if c.KeyHeader != "" && strings.ContainsAny(c.KeyHeader, " :\t\r\n") {
		return invalid("KeyHeader %q is not a header name", c.KeyHeader)
	}
	for i, r := range c.Routes {
		if !strings.HasPrefix(r.PathPrefix, "/") {
			return invalid("Routes[%d].PathPrefix %q must start with \"/\"", i, r.PathPrefix)
		}
		if !validFraction(r.Fraction) {
			return invalid("Routes[%d].Fraction %v is outside [0, 1]", i, r.Fraction)
		}
	}
	if math.IsNaN(c.MaxRate) || math.IsInf(c.MaxRate, 0) || c.MaxRate < 0 {
		return invalid("MaxRate %v must be a finite number >= 0", c.MaxRate)
	}
	if c.BreakerFailures < -1 {
		return invalid("BreakerFailures %d must be >= -1 (-1 disables the breaker)", c.BreakerFailures)
	}
	// Durations are named with their unit ("Timeout -1s"), counts as numbers.
	checks := []struct {
		name string
		neg  bool
		v    any
	}{
		{"Burst", c.Burst < 0, c.Burst}, {"MaxStrata", c.MaxStrata < 0, c.MaxStrata}, {"QueueSize", c.QueueSize < 0, c.QueueSize},
		{"Workers", c.Workers < 0, c.Workers}, {"MaxBodyBytes", c.MaxBodyBytes < 0, c.MaxBodyBytes},
		{"MaxResponseBytes", c.MaxResponseBytes < 0, c.MaxResponseBytes}, {"Timeout", c.Timeout < 0, c.Timeout},
		{"Window", c.Window < 0, c.Window}, {"BreakerPause", c.BreakerPause < 0, c.BreakerPause}, {"WindowBuckets", c.WindowBuckets < 0, c.WindowBuckets},
		{"MemoryBudget", c.MemoryBudget < 0, c.MemoryBudget},
	}
	for _, ch := range checks {
		if ch.neg {
			return invalid("%s %v must be >= 0", ch.name, ch.v)
		}
	}
	if c.Window > 0 && c.WindowBuckets > 0 && c.Window/time.Duration(c.WindowBuckets) <= 0 {
		return invalid("Window %s is too short for %d WindowBuckets", c.Window, c.WindowBuckets)
	}
	return nil
}

// mirrorableMethods are the methods Config.Methods may name. CONNECT and
// TRACE are never mirrored.
var mirrorableMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodOptions: true, http.MethodPost: true,
	http.MethodPut: true, http.MethodPatch: true, http.MethodDelete: true,
}

func validHeaderName(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

func parseTarget(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("no host")
	}
	return u, nil
}

func targetName(t Target, u *url.URL) string {
	if t.Name != "" {
		return t.Name
	}
	return u.Host
}
