package mirror

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testKey = []byte("0123456789abcdef-test-key")

func baseConfig(shadows ...string) Config {
	cfg := Config{Fraction: 1, SigningKey: testKey}
	for _, s := range shadows {
		cfg.Shadows = append(cfg.Shadows, Target{URL: s})
	}
	return cfg
}

// newTee builds a Tee and closes it at the end of the test.
func newTee(t *testing.T, cfg Config, opts ...Option) *Tee {
	t.Helper()
	tee, err := New(cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tee.Close(context.Background()) })
	return tee
}

// newFront serves tee's reverse proxy to primaryURL until the test ends.
func newFront(t *testing.T, tee *Tee, primaryURL string) *httptest.Server {
	t.Helper()
	pu, err := url.Parse(primaryURL)
	require.NoError(t, err)
	proxy, err := tee.ReverseProxy(pu)
	require.NoError(t, err)
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	return front
}

// drain waits until every copy taken so far is sent or dropped, then
// closes the Tee.
func drain(t *testing.T, tee *Tee) {
	t.Helper()
	waitIdle(tee)
	require.NoError(t, tee.Close(context.Background()))
}

// funcRT is a RoundTripper from a function.
type funcRT func(*http.Request) (*http.Response, error)

func (f funcRT) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func okResponse(r *http.Request, status int, body string) *http.Response {
	return &http.Response{
		StatusCode: status, Header: http.Header{}, Request: r,
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)),
	}
}

// recordingRT records the copies it receives and answers 200 "ok".
type recordingRT struct {
	mu   sync.Mutex
	reqs []*http.Request
	body []string
	n    atomic.Int64
}

func (rt *recordingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	rt.mu.Lock()
	rt.reqs = append(rt.reqs, r)
	rt.body = append(rt.body, string(b))
	rt.mu.Unlock()
	rt.n.Add(1)
	return okResponse(r, http.StatusOK, "ok"), nil
}

// fakeClock is a settable clock, safe for concurrent use and free of the
// mock's real sleeps. Only Now is implemented: the package reads no other
// method of a clock.Clock (the embedded nil interface panics if it did).
type fakeClock struct {
	clock.Clock
	ns atomic.Int64
}

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.ns.Store(t.UnixNano())
	return c
}
func (c *fakeClock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Add(d time.Duration) { c.ns.Add(int64(d)) }
func (c *fakeClock) Set(t time.Time)     { c.ns.Store(t.UnixNano()) }

var errRefused = errors.New("connection refused")

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	_, _ = w.Write([]byte("primary"))
})

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

// waitIdle waits until every copy taken so far is sent or dropped.
func waitIdle(tee *Tee) {
	if err := tee.Flush(context.Background()); err != nil {
		panic(err)
	}
}
