package mirror

import (
	"encoding/hex"
	"math/rand/v2"
	"net"
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

// appendTraceparent appends a W3C traceparent with a fresh trace and span
// id and the flags of orig (a valid traceparent), so that shadow spans form
// their own trace. Trace ids need to be unique, not secret.
func appendTraceparent(dst []byte, orig string) []byte {
	var b [55]byte
	copy(b[:], "00-")
	var id [24]byte
	for i := 0; i < len(id); i += 8 {
		v := rand.Uint64()
		for j := range 8 {
			id[i+j] = byte(v >> (8 * j))
		}
	}
	hex.Encode(b[3:35], id[:16])
	b[35] = '-'
	hex.Encode(b[36:52], id[16:])
	b[52] = '-'
	copy(b[53:], orig[53:])
	return append(dst, b[:]...)
}
