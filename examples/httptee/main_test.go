package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBadFlags(t *testing.T) {
	base := []string{"-listen", "127.0.0.1:0", "-primary", "http://127.0.0.1:9001", "-shadow", "http://127.0.0.1:9002"}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-primary", "http://a", "-shadow", "http://b"}, "-listen is required"},
		{[]string{"-listen", "nohostport", "-primary", "http://a", "-shadow", "http://b"}, "-listen \"nohostport\""},
		{[]string{"-listen", "127.0.0.1:0", "-shadow", "http://b"}, "-primary is required"},
		{[]string{"-listen", "127.0.0.1:0", "-primary", "ftp://a", "-shadow", "http://b"}, "-primary \"ftp://a\""},
		{[]string{"-listen", "127.0.0.1:0", "-primary", "http://a"}, "-shadow is required"},
		{append(base[:4:4], "-shadow", "gopher://x"), `Shadows[0].URL "gopher://x"`},
		{append(base, "-sample", "1.5"), "-sample 1.5"},
		{append(base, "-sample", "abc"), "invalid value \"abc\" for flag -sample"},
		{append(base, "-stats-interval", "0s"), "-stats-interval 0s"},
		{append(base, "-key", "short"), "SigningKey has 5 bytes"},
		{append(base, "-workers", "-3"), "-workers -3: must be at least 1"},
		{append(base, "-workers", "0"), "-workers 0: must be at least 1"},
		{append(base, "-queue", "0"), "-queue 0: must be at least 1"},
		{append(base, "-max-body", "0"), "-max-body 0: must be at least 1"},
		{append(base, "-max-body", "-1"), "-max-body -1: must be at least 1"},
		{append(base, "-nope"), "flag provided but not defined: -nope"},
		{append(base, "extra"), `unexpected argument "extra"`},
		{[]string{"-listen", "127.0.0.1:0", "-primary", "http://127.0.0.1:9001", "-shadow", "http://127.0.0.1:9001/"}, `-shadow "http://127.0.0.1:9001/" is the primary`},
		{[]string{"-listen", "127.0.0.1:0", "-primary", "http://Example.com", "-shadow", "http://example.com:80"}, `is the primary`},
		{append(base, "-methods", "GET,FETCH"), `Methods[1] "FETCH" is not a mirrorable HTTP method`},
		{append(base, "-methods", "TRACE"), `Methods[0] "TRACE" is not a mirrorable HTTP method`},
		{append(base, "-timeout", "-1s"), "-timeout -1s: must be > 0"},
		{append(base, "-timeout", "0s"), "-timeout 0s: must be > 0"},
		{append(base, "-memory-budget", "-5"), "-memory-budget -5: must be > 0"},
		{append(base, "-forward-header", "Authorization"), `ForwardHeaders[0] "Authorization" is a credential header`},
	}
	for _, tc := range cases {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, &stdout, &stderr)
		assert.Equal(t, 2, code, "%v", tc.args)
		assert.Contains(t, stderr.String(), tc.want, "%v", tc.args)
		assert.Empty(t, stdout.String())
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, arg := range []string{"-help", "--help", "-h"} {
		var stdout, stderr bytes.Buffer
		code := run([]string{arg}, &stdout, &stderr)
		assert.Equal(t, 0, code, arg)
		assert.Contains(t, stdout.String(), "Usage: httptee -listen")
		assert.Contains(t, stdout.String(), "-redact-query")
		assert.Contains(t, stdout.String(), "-forward-header")
		assert.Empty(t, stderr.String())
	}
}

// TestProxyErrorsAreRateLimited: with the primary down every request is
// answered 502, but the log gets at most one line per second.
func TestProxyErrorsAreRateLimited(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadPrimary := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	stderr := &signalWriter{wrote: make(chan struct{}, 1)}
	done := make(chan int, 1)
	go func() {
		done <- serve(ctx, []string{"-listen", "127.0.0.1:0", "-primary", deadPrimary, "-shadow", "http://127.0.0.1:1",
			"-sample", "0", "-stats-interval", "1h", "-key", "0123456789abcdef0123"}, io.Discard, stderr,
			func(a string) { addr <- a })
	}()
	base := "http://" + <-addr
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	const n = 30
	for range n {
		resp, err := client.Get(base + "/")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	}
	cancel()
	require.Equal(t, 0, <-done)
	lines := strings.Count(stderr.String(), "proxy error")
	assert.GreaterOrEqual(t, lines, 1)
	assert.Less(t, lines, n/3, "one line per second, not one per request:\n%s", stderr.String())
}

func TestUnusableListenAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var stdout, stderr bytes.Buffer
	code := run([]string{"-listen", ln.Addr().String(), "-primary", "http://127.0.0.1:9001", "-shadow", "http://127.0.0.1:9002"}, &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "cannot listen on -listen "+ln.Addr().String())
}

// signalWriter is a concurrency-safe buffer that signals each write.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return w.buf.Write(p)
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestProxiesAndMirrors(t *testing.T) {
	primary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "primary "+r.URL.Path)
	}))
	defer primary.Close()
	copies := make(chan string, 100)
	shadow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		copies <- r.URL.Path + " " + r.Header.Get("X-Shadow-Request")
	}))
	defer shadow.Close()

	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	stdout := &signalWriter{wrote: make(chan struct{}, 1)}
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- serve(ctx, []string{"-listen", "127.0.0.1:0", "-primary", primary.URL, "-shadow", shadow.URL,
			"-sample", "1", "-stats-interval", "10ms", "-key", "0123456789abcdef0123"}, stdout, &stderr,
			func(a string) { addr <- a })
	}()
	base := "http://" + <-addr
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	for _, p := range []string{"/a", "/b"} {
		resp, err := client.Get(base + p)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, "primary "+p, string(body))
	}
	got := []string{<-copies, <-copies}
	assert.ElementsMatch(t, []string{"/a 1", "/b 1"}, got)
	<-stdout.wrote // at least one stats line
	cancel()
	require.Equal(t, 0, <-done)
	out := stdout.String()
	assert.Contains(t, out, "stats shadow="+strings.TrimPrefix(shadow.URL, "http://"))
	assert.Contains(t, out, "fraction=1")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Contains(t, lines[len(lines)-1], "requests=2", "final stats after shutdown")
	assert.Contains(t, stderr.String(), "listening on")
	shadow.CloseClientConnections()
}

// TestCPUProfile: -cpuprofile writes a gzip-compressed pprof profile when
// httptee stops; an unwritable path exits 1 and names the flag.
func TestCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan int, 1)
	go func() {
		done <- serve(ctx, []string{"-listen", "127.0.0.1:0", "-primary", "http://127.0.0.1:1", "-shadow", "http://127.0.0.1:2",
			"-sample", "0", "-stats-interval", "1h", "-key", "0123456789abcdef0123", "-cpuprofile", path}, io.Discard, io.Discard,
			func(a string) { addr <- a })
	}()
	<-addr
	cancel()
	require.Equal(t, 0, <-done)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Greater(t, len(b), 2)
	assert.Equal(t, []byte{0x1f, 0x8b}, b[:2], "gzip-compressed pprof")

	var stderr bytes.Buffer
	code := serve(context.Background(), []string{"-listen", "127.0.0.1:0", "-primary", "http://127.0.0.1:1", "-shadow", "http://127.0.0.1:2",
		"-key", "0123456789abcdef0123", "-cpuprofile", filepath.Join(t.TempDir(), "missing", "cpu.pprof")}, io.Discard, &stderr, nil)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "-cpuprofile")
}
