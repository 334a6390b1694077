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
)

// DefaultMethods are the methods mirrored when Config.Methods is empty: the
// ones that must not have side effects.
var DefaultMethods = []string{http.MethodGet, http.MethodHead, http.MethodOptions}

// DefaultStripHeaders are always removed from the copy, whatever
// Config.StripHeaders says: credentials must never reach a shadow.
var DefaultStripHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie"}

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

	// Methods lists the methods that may be mirrored. Empty means
	// DefaultMethods (GET, HEAD, OPTIONS); adding others is an explicit
	// opt-in to mirroring requests that may have side effects.
	Methods []string
	// StripHeaders are removed from the copy in addition to
	// DefaultStripHeaders, e.g. "X-Api-Key".
	StripHeaders []string
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
	// timeouts after which a shadow is paused: copies offered to it are
	// dropped as shadow_down at once, costing no dial and no worker. The
	// pause starts at BreakerPause and doubles while the shadow keeps
	// failing, up to MaxBreakerPauseFactor × BreakerPause; any answer (even
	// a 5xx) resets it. 0 means DefaultBreakerFailures; -1 disables.
	BreakerFailures int
	// BreakerPause is the first pause. 0 means DefaultBreakerPause.
	BreakerPause time.Duration
	// Transport sends copies. Nil means a pooled keep-alive http.Transport
	// sized to Workers.
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
	if c.MaxStrata == 0 {
		c.MaxStrata = DefaultMaxStrata
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.WindowBuckets == 0 {
		c.WindowBuckets = DefaultWindowBuckets
	}
	if c.BreakerFailures == 0 {
		c.BreakerFailures = DefaultBreakerFailures
	}
	if c.BreakerPause == 0 {
		c.BreakerPause = DefaultBreakerPause
	}
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
		if m == "" || strings.ToUpper(m) != m || strings.ContainsAny(m, " \t") {
			return invalid("Methods[%d] %q is not an upper-case HTTP method", i, m)
		}
	}
	for i, h := range c.StripHeaders {
		if h == "" || strings.ContainsAny(h, " :\t\r\n") {
			return invalid("StripHeaders[%d] %q is not a header name", i, h)
		}
	}
	for i, h := range c.TraceHeaders {
		if h == "" || strings.ContainsAny(h, " :\t\r\n") {
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
	checks := []struct {
		name string
		v    int64
	}{
		{"Burst", int64(c.Burst)}, {"MaxStrata", int64(c.MaxStrata)}, {"QueueSize", int64(c.QueueSize)},
		{"Workers", int64(c.Workers)}, {"MaxBodyBytes", c.MaxBodyBytes},
		{"MaxResponseBytes", c.MaxResponseBytes}, {"Timeout", int64(c.Timeout)},
		{"Window", int64(c.Window)}, {"BreakerPause", int64(c.BreakerPause)}, {"WindowBuckets", int64(c.WindowBuckets)},
	}
	for _, ch := range checks {
		if ch.v < 0 {
			return invalid("%s %d must be >= 0", ch.name, ch.v)
		}
	}
	if c.Window > 0 && c.WindowBuckets > 0 && c.Window/time.Duration(c.WindowBuckets) <= 0 {
		return invalid("Window %s is too short for %d WindowBuckets", c.Window, c.WindowBuckets)
	}
	return nil
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

func canonical(hs []string) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = textproto.CanonicalMIMEHeaderKey(h)
	}
	return out
}
