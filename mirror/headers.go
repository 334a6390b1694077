package mirror

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/textproto"
	"strings"
)

// shadowHost inserts "-shadow" before the port: "api.example.com:8080"
// becomes "api.example.com-shadow:8080".
func shadowHost(host string) string {
	if h, p, err := net.SplitHostPort(host); err == nil {
		return net.JoinHostPort(h+"-shadow", p)
	}
	return host + "-shadow"
}

var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

func removeHopHeaders(h http.Header) {
	for _, f := range h["Connection"] {
		for sf := range strings.SplitSeq(f, ",") {
			if sf = textproto.TrimString(sf); sf != "" {
				delete(h, textproto.CanonicalMIMEHeaderKey(sf))
			}
		}
	}
	for _, k := range hopHeaders {
		delete(h, k)
	}
}

// separateTrace removes the primary's trace context from h. A valid W3C
// traceparent is kept in HeaderOriginTraceparent and replaced by a new
// trace with the same flags, so shadow spans form their own trace.
func (t *Tee) separateTrace(h http.Header) {
	orig := h.Get("Traceparent")
	for _, k := range t.trace {
		delete(h, k)
	}
	if len(orig) != 55 || orig[2] != '-' || orig[35] != '-' || orig[52] != '-' {
		return
	}
	var id [24]byte
	_, _ = rand.Read(id[:])
	h.Set(HeaderOriginTraceparent, orig)
	h.Set("Traceparent", "00-"+hex.EncodeToString(id[:16])+"-"+hex.EncodeToString(id[16:])+"-"+orig[53:])
}
