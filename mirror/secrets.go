package mirror

import (
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// DefaultStripHeaders are credential headers of common APIs, clouds and
// frameworks. They are always removed from the copy, whatever the Config
// says, and cannot be named in Config.ForwardHeaders.
var DefaultStripHeaders = []string{
	// HTTP authentication and sessions.
	"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "Dpop",
	// API keys and bearer-token variants.
	"X-Api-Key", "Api-Key", "Apikey", "X-Apikey", "X-Auth-Token", "X-Access-Token", "X-Refresh-Token",
	"X-Id-Token", "X-Session-Token", "X-Session-Id", "X-Jwt-Assertion", "X-Forwarded-Access-Token",
	// CSRF tokens (Django, Rails, Angular, Laravel).
	"X-Csrf-Token", "X-Csrftoken", "X-Xsrf-Token",
	// AWS, Azure, GCP.
	"X-Amz-Security-Token", "X-Amz-Credential", "X-Amz-Signature", "Ocp-Apim-Subscription-Key",
	"X-Functions-Key", "X-Ms-Client-Principal", "X-Ms-Client-Principal-Id", "X-Ms-Client-Principal-Name",
	// Vault, Consul, Nomad, GitLab, GitHub.
	"X-Vault-Token", "X-Consul-Token", "X-Nomad-Token", "Private-Token", "Job-Token", "X-Gitlab-Token",
	"X-Github-Token",
	// Webhook signatures (GitHub, Stripe, Slack, Shopify, Twilio).
	"X-Hub-Signature", "X-Hub-Signature-256", "Stripe-Signature", "X-Slack-Signature",
	"X-Shopify-Hmac-Sha256", "X-Twilio-Signature",
	// Client certificates forwarded by proxies (Envoy, nginx).
	"X-Forwarded-Client-Cert", "X-Client-Cert", "X-Ssl-Client-Cert", "Ssl-Client-Cert",
	// Identity asserted by authenticating proxies.
	"X-Forwarded-User", "X-Forwarded-Email", "X-Pomerium-Jwt-Assertion",
}

// DefaultStripHeaderPrefixes are header-name prefixes removed like
// DefaultStripHeaders: Google's X-Goog-* (API keys, IAP assertions,
// authenticated user), AWS ALB's OIDC headers, Cloudflare Access,
// oauth2-proxy and Azure App Service tokens.
var DefaultStripHeaderPrefixes = []string{
	"X-Goog-", "X-Amzn-Oidc-", "Cf-Access-", "X-Auth-Request-", "X-Ms-Token-",
}

// SensitiveHeaderWords: a header whose name contains one of these words
// (ignoring case) is removed from the copy unless Config.ForwardHeaders
// names it. "Idempotency-Key" is therefore stripped by default too.
var SensitiveHeaderWords = []string{
	"token", "secret", "key", "session", "auth", "passw", "credential", "signature", "csrf", "xsrf",
	"jwt", "cookie", "cert",
}

// DefaultRedactQuery are query parameters whose values are replaced by
// RedactedValue in every copy (matching ignores case).
var DefaultRedactQuery = []string{
	"access_token", "id_token", "refresh_token", "token", "auth", "api_key", "apikey", "key",
	"client_secret", "secret", "password", "passwd", "pwd", "session", "sessionid", "jwt",
	"signature", "sig", "X-Amz-Signature", "X-Amz-Credential", "X-Amz-Security-Token",
	"X-Goog-Signature", "X-Goog-Credential",
}

// RedactedValue replaces the value of a redacted query parameter.
const RedactedValue = "REDACTED"

// forwardedHeaders describe the client; the copy gets them rebuilt from
// what the Tee saw, never the client's own values.
var forwardedHeaders = []string{
	"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port",
	"X-Real-Ip", "True-Client-Ip", "Cf-Connecting-Ip", "X-Client-Ip",
}

var (
	credentialSet = setOf(DefaultStripHeaders)
	forwardedSet  = setOf(forwardedHeaders)
	hopSet        = setOf(hopHeaders)
)

func setOf(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[textproto.CanonicalMIMEHeaderKey(n)] = true
	}
	return m
}

// credentialHeader reports whether the canonical name k is in
// DefaultStripHeaders or under DefaultStripHeaderPrefixes.
func credentialHeader(k string) bool {
	if credentialSet[k] {
		return true
	}
	for _, p := range DefaultStripHeaderPrefixes {
		if len(k) >= len(p) && strings.EqualFold(k[:len(p)], p) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains the lower-case ASCII word w,
// ignoring the case of s. It does not allocate.
func containsFold(s, w string) bool {
	n := len(w)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != w[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

func sensitiveName(k string) bool {
	for _, w := range SensitiveHeaderWords {
		if containsFold(k, w) {
			return true
		}
	}
	return false
}

// headerFilter decides which request headers a copy carries.
type headerFilter struct {
	strip   map[string]bool // Config.StripHeaders, canonical
	trace   map[string]bool // Config.TraceHeaders, canonical
	forward map[string]bool // Config.ForwardHeaders; nil outside allow-list mode
	query   []string        // DefaultRedactQuery + Config.RedactQuery
}

func newHeaderFilter(cfg Config) *headerFilter {
	f := &headerFilter{strip: setOf(cfg.StripHeaders), trace: setOf(cfg.TraceHeaders)}
	if len(cfg.ForwardHeaders) > 0 {
		f.forward = setOf(cfg.ForwardHeaders)
	}
	f.query = append(append([]string{}, DefaultRedactQuery...), cfg.RedactQuery...)
	return f
}

// keep reports whether header k (canonical) may travel with a copy. Hop,
// trace and forwarding headers are handled by the caller.
func (f *headerFilter) keep(k string) bool {
	if credentialHeader(k) || f.strip[k] || k == HeaderMarker || k == HeaderSignature ||
		k == HeaderShadowName || k == HeaderOriginTraceparent || k == HeaderContentDigest {
		return false
	}
	if f.forward != nil {
		return f.forward[k]
	}
	return !sensitiveName(k)
}

// filter returns the copy's headers from the client's: credentials,
// hop-by-hop, trace, forwarding and the Tee's own X-Shadow-* headers
// removed, the rest cloned into scratch (or one allocation of values if it
// is too short) with extra spare slots, returned in spare. The map has room for extra +
// laneHeaders more entries. It also returns the client's W3C traceparent
// if it was valid, so that the copy can link to it.
func (f *headerFilter) filter(in http.Header, extra int, scratch []string) (out http.Header, traceparent string, spare []string) {
	var connListed []string
	if c := in["Connection"]; len(c) > 0 {
		for _, v := range c {
			for sf := range strings.SplitSeq(v, ",") {
				if sf = textproto.TrimString(sf); sf != "" {
					connListed = append(connListed, textproto.CanonicalMIMEHeaderKey(sf))
				}
			}
		}
	}
	if tp := in["Traceparent"]; len(tp) == 1 && validTraceparent(tp[0]) {
		traceparent = tp[0]
	}
	nv := 0
	for _, vv := range in {
		nv += len(vv)
	}
	out = make(http.Header, len(in)+extra+laneHeaders)
	vals := scratch
	if len(vals) < nv+extra {
		vals = make([]string, nv+extra)
	}
	for k, vv := range in {
		if hopSet[k] || forwardedSet[k] || f.trace[k] || !f.keep(k) || contains(connListed, k) {
			continue
		}
		n := copy(vals, vv)
		out[k] = vals[:n:n]
		vals = vals[n:]
	}
	return out, traceparent, vals[:extra:extra]
}

// laneHeaders is how many headers a lane adds to a copy: trace (2),
// digest, signature, marker and target name.
const laneHeaders = 6

// refilter removes again what a Redact hook may have brought back.
func (f *headerFilter) refilter(h http.Header) {
	for k := range h {
		if hopSet[k] || !f.keep(k) {
			delete(h, k)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func validTraceparent(s string) bool {
	return len(s) == 55 && s[2] == '-' && s[35] == '-' && s[52] == '-'
}

// redactQuery replaces the values of the listed parameters in raw. It
// returns raw itself (no allocation) when nothing matches, so that an
// innocuous query reaches the shadow byte for byte.
func (f *headerFilter) redactQuery(raw string) string {
	if raw == "" || !f.anyRedacted(raw) {
		return raw
	}
	var b strings.Builder
	b.Grow(len(raw))
	first := true
	for part := range strings.SplitSeq(raw, "&") {
		if !first {
			b.WriteByte('&')
		}
		first = false
		name, _, _ := strings.Cut(part, "=")
		if f.redacted(name) {
			b.WriteString(name)
			b.WriteByte('=')
			b.WriteString(RedactedValue)
			continue
		}
		b.WriteString(part)
	}
	return b.String()
}

// redactURL redacts the query of a URL held in a header (Referer).
func (f *headerFilter) redactURL(u string) string {
	base, rest, ok := strings.Cut(u, "?")
	if !ok {
		return u
	}
	query, frag, hasFrag := strings.Cut(rest, "#")
	red := f.redactQuery(query)
	if red == query {
		return u
	}
	if hasFrag {
		return base + "?" + red + "#" + frag
	}
	return base + "?" + red
}

func (f *headerFilter) anyRedacted(raw string) bool {
	for part := range strings.SplitSeq(raw, "&") {
		name, _, _ := strings.Cut(part, "=")
		if f.redacted(name) {
			return true
		}
	}
	return false
}

// redacted reports whether the (possibly escaped) parameter name is listed.
func (f *headerFilter) redacted(name string) bool {
	if strings.ContainsAny(name, "%+") {
		if u, err := url.QueryUnescape(name); err == nil {
			name = u
		}
	}
	for _, q := range f.query {
		if strings.EqualFold(name, q) {
			return true
		}
	}
	return false
}
