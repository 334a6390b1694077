package mirror

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigValidateNamesField(t *testing.T) {
	good := baseConfig("http://127.0.0.1:1")
	require.NoError(t, good.Validate())
	cases := []struct {
		name string
		mut  func(*Config)
		want string
	}{
		{"no shadows", func(c *Config) { c.Shadows = nil }, "Shadows is empty"},
		{"bad scheme", func(c *Config) { c.Shadows[0].URL = "ftp://x" }, `Shadows[0].URL "ftp://x"`},
		{"no host", func(c *Config) { c.Shadows[0].URL = "http://" }, "no host"},
		{"dup name", func(c *Config) { c.Shadows = append(c.Shadows, c.Shadows[0]) }, "duplicates Shadows[0]"},
		{"fraction", func(c *Config) { c.Fraction = 1.5 }, "Fraction 1.5"},
		{"key", func(c *Config) { c.SigningKey = []byte("short") }, "SigningKey has 5 bytes"},
		{"method", func(c *Config) { c.Methods = []string{"get"} }, `Methods[0] "get"`},
		{"strip", func(c *Config) { c.StripHeaders = []string{"X Bad"} }, `StripHeaders[0] "X Bad"`},
		{"route prefix", func(c *Config) { c.Routes = []Route{{PathPrefix: "api", Fraction: 0.1}} }, `Routes[0].PathPrefix "api"`},
		{"route fraction", func(c *Config) { c.Routes = []Route{{PathPrefix: "/", Fraction: -1}} }, "Routes[0].Fraction -1"},
		{"rate", func(c *Config) { c.MaxRate = -2 }, "MaxRate -2"},
		{"workers", func(c *Config) { c.Workers = -1 }, "Workers -1"},
		{"timeout", func(c *Config) { c.Timeout = -time.Second }, "Timeout -1s must be >= 0"},
		{"breaker", func(c *Config) { c.BreakerFailures = -2 }, "BreakerFailures -2"},
		{"pause", func(c *Config) { c.BreakerPause = -time.Minute }, "BreakerPause -1m0s must be >= 0"},
		{"queue", func(c *Config) { c.QueueSize = -3 }, "QueueSize -3 must be >= 0"},
		{"window", func(c *Config) { c.Window = 5; c.WindowBuckets = 10 }, "Window 5ns is too short"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig("http://127.0.0.1:1")
			tc.mut(&cfg)
			err := cfg.Validate()
			require.ErrorIs(t, err, ErrInvalidConfig)
			assert.Contains(t, err.Error(), tc.want)
			_, err = New(cfg)
			require.ErrorIs(t, err, ErrInvalidConfig)
		})
	}
}

func TestSetFraction(t *testing.T) {
	tee := newTee(t, baseConfig("http://127.0.0.1:1"))
	for _, bad := range []float64{-0.1, 1.01, nan()} {
		require.ErrorIs(t, tee.SetFraction(bad), ErrFraction)
	}
	require.NoError(t, tee.SetFraction(0.25))
	assert.Equal(t, 0.25, tee.Fraction())
	s, err := tee.Stats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 0.25, s.Fraction)
}

func nan() float64 { var z float64; return z / z }

// TestCopyIsSafe checks what a shadow receives: marker and valid signature,
// no credentials, a separate trace, a rewritten Host and the same body;
// and that the primary never sees a client-forged marker.
func TestCopyIsSafe(t *testing.T) {
	got := make(chan *http.Request, 1)
	gotBody := make(chan string, 1)
	verifier, err := NewVerifier(VerifierConfig{Key: testKey, MirrorOnly: true})
	require.NoError(t, err)
	var mirroredSeen atomic.Bool
	shadow := httptest.NewServer(verifier.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mirroredSeen.Store(IsMirrored(r.Context()))
		b, _ := io.ReadAll(r.Body)
		gotBody <- string(b)
		got <- r
	})))
	defer shadow.Close()

	cfg := baseConfig(shadow.URL)
	cfg.Methods = []string{http.MethodGet, http.MethodPut}
	cfg.StripHeaders = []string{"X-Api-Key"}
	cfg.RewriteHost = true
	cfg.Redact = func(r *Redaction) {
		r.Query.Del("email")
		r.Header.Del("X-User-Email")
		r.Header.Set("Authorization", "sneaky") // must be stripped again
	}
	tee := newTee(t, cfg)
	var primaryHeader http.Header
	var primaryBody string
	h := tee.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		primaryHeader = r.Header.Clone()
		b, _ := io.ReadAll(r.Body)
		primaryBody = string(b)
		w.Header().Set("X-Primary", "yes")
		_, _ = w.Write([]byte("primary answer"))
	}))

	body := "hello shadow"
	req := httptest.NewRequest(http.MethodPut, "http://api.example.com:8080/v1/items/7?email=a@b.c&q=1", strings.NewReader(body))
	req.RemoteAddr = "192.0.2.7:5555"
	req.Header.Set("Authorization", "Bearer secret")
	req.Header.Set("Proxy-Authorization", "Basic x")
	req.Header.Set("Cookie", "session=abc")
	req.Header.Set("X-Api-Key", "k")
	req.Header.Set("X-User-Email", "a@b.c")
	req.Header.Set("X-Keep", "kept")
	req.Header.Set(HeaderMarker, "1")
	req.Header.Set(HeaderSignature, "t=1,v1=00")
	req.Header.Set("Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	req.Header.Set("Tracestate", "vendor=1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	// The primary is untouched apart from the forged marker.
	assert.Equal(t, "primary answer", rec.Body.String())
	assert.Equal(t, "yes", rec.Header().Get("X-Primary"))
	assert.Equal(t, body, primaryBody)
	assert.Empty(t, primaryHeader.Get(HeaderMarker))
	assert.Empty(t, primaryHeader.Get(HeaderSignature))
	assert.Equal(t, "Bearer secret", primaryHeader.Get("Authorization"), "primary keeps its credentials")
	assert.Equal(t, "a@b.c", primaryHeader.Get("X-User-Email"))

	var r *http.Request
	select {
	case r = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("shadow received no copy")
	}
	assert.Equal(t, body, <-gotBody)
	assert.True(t, mirroredSeen.Load(), "verifier accepted the signature")
	assert.Equal(t, http.MethodPut, r.Method)
	assert.Equal(t, "/v1/items/7", r.URL.Path)
	assert.Equal(t, "q=1", r.URL.RawQuery, "Redact removed email")
	assert.Equal(t, "api.example.com-shadow:8080", r.Host)
	for _, h := range []string{"Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key", "X-User-Email", "Tracestate"} {
		assert.Empty(t, r.Header.Get(h), h)
	}
	assert.Equal(t, "kept", r.Header.Get("X-Keep"))
	assert.Equal(t, "1", r.Header.Get(HeaderMarker))
	assert.Equal(t, "192.0.2.7", r.Header.Get("X-Forwarded-For"))
	assert.Equal(t, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", r.Header.Get(HeaderOriginTraceparent))
	tp := r.Header.Get("Traceparent")
	require.Len(t, tp, 55)
	assert.NotContains(t, tp, "0af7651916cd43dd8448eb211c80319c", "new trace id")
	assert.True(t, strings.HasSuffix(tp, "-01"), "flags kept")
	drain(t, tee)
}

func TestOnlyIdempotentMethodsByDefault(t *testing.T) {
	rt := &recordingRT{}
	cfg := baseConfig("http://shadow.internal")
	cfg.Transport = rt
	tee := newTee(t, cfg)
	h := tee.Wrap(okHandler)
	for _, m := range []string{"GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(m, "/x", strings.NewReader("b")))
	}
	drain(t, tee)
	var methods []string
	for _, r := range rt.reqs {
		methods = append(methods, r.Method)
	}
	assert.ElementsMatch(t, []string{"GET", "HEAD", "OPTIONS"}, methods)
}

func TestBodyOverLimitIsDroppedNotTouched(t *testing.T) {
	rt := &recordingRT{}
	cfg := baseConfig("http://shadow.internal")
	cfg.Transport = rt
	cfg.Methods = []string{http.MethodPost}
	cfg.MaxBodyBytes = 16
	tee := newTee(t, cfg)
	var seen []string
	h := tee.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		seen = append(seen, string(b))
	}))
	big := strings.Repeat("x", 100)
	// Known length over the limit: dropped before the primary runs.
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/a", strings.NewReader(big)))
	// Unknown length (chunked): dropped while streaming.
	req := httptest.NewRequest(http.MethodPost, "/b", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	h.ServeHTTP(httptest.NewRecorder(), req)
	// Within the limit: copied.
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/c", strings.NewReader("small")))
	// Primary reads only part of the body: no complete copy.
	partial := tee.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = r.Body.Read(make([]byte, 2))
	}))
	req = httptest.NewRequest(http.MethodPost, "/d", io.MultiReader(strings.NewReader("0123456789")))
	req.ContentLength = -1
	partial.ServeHTTP(httptest.NewRecorder(), req)
	drain(t, tee)

	assert.Equal(t, []string{big, big, "small"}, seen, "primary bodies untouched")
	require.Len(t, rt.body, 1)
	assert.Equal(t, "small", rt.body[0])
	rep, err := tee.Report(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(2), rep.Shadows[0].Drops["body_too_large"])
	assert.Equal(t, int64(1), rep.Shadows[0].Drops["body_incomplete"])
	assert.Equal(t, int64(3), rep.Dropped)
}

// TestSlowAndDeadShadowsDoNotHurtPrimary runs real servers: a shadow that
// hangs 2 s per request and a shadow that refuses connections. Every
// primary request must succeed with the primary's answer; the damage shows
// only in drop and error counters.
func TestSlowAndDeadShadowsDoNotHurtPrimary(t *testing.T) {
	primary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("primary:" + r.URL.Path))
	}))
	defer primary.Close()
	release := make(chan struct{})
	var slowHits atomic.Int64
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slowHits.Add(1)
		timer := time.NewTimer(2 * time.Second)
		defer timer.Stop()
		select {
		case <-release:
		case <-timer.C:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadURL := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens: connections are refused

	cfg := baseConfig(slow.URL, deadURL)
	cfg.Workers = 2
	cfg.QueueSize = 4
	cfg.Timeout = 5 * time.Second
	tee := newTee(t, cfg)
	front := newFront(t, tee, primary.URL)

	const clients, perClient = 8, 50
	var wg sync.WaitGroup
	var failures atomic.Int64
	for c := range clients {
		wg.Go(func() {
			for i := range perClient {
				path := "/p" + string(rune('a'+c)) + string(rune('a'+i%26))
				resp, err := front.Client().Get(front.URL + path)
				if err != nil {
					failures.Add(1)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || string(b) != "primary:"+path {
					failures.Add(1)
				}
			}
		})
	}
	wg.Wait()
	assert.Zero(t, failures.Load(), "primary errors")
	close(release)
	drain(t, tee)
	front.CloseClientConnections()
	primary.CloseClientConnections()

	rep, err := tee.Report(context.Background())
	require.NoError(t, err)
	slowS, deadS := rep.Shadows[0], rep.Shadows[1]
	total := int64(clients * perClient)
	assert.Equal(t, total, slowS.Requests+slowS.Dropped, "every copy to the slow shadow is sent or dropped")
	assert.Positive(t, slowS.Drops["queue_full"], "slow shadow overflowed its queue")
	assert.LessOrEqual(t, slowS.Requests, int64(cfg.Workers+cfg.QueueSize)+slowHits.Load())
	assert.Equal(t, total, deadS.Requests+deadS.Dropped)
	assert.Equal(t, deadS.Requests, deadS.TransportErrors, "refused connections are transport errors")
	assert.Positive(t, deadS.TransportErrors)
}

// TestHangingShadowTimesOut uses synctest: the shadow transport waits for
// its context, so the per-shadow deadline ends it, not the primary's.
func TestHangingShadowTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := baseConfig("http://shadow.internal")
		cfg.Timeout = 2 * time.Second
		cfg.Transport = funcRT(func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		})
		tee, err := New(cfg)
		require.NoError(t, err)
		primaryCtxErr := make(chan error, 1)
		h := tee.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("ok"))
		}))
		ctx, cancel := context.WithCancel(context.Background())
		req := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx)
		start := time.Now()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Equal(t, "ok", rec.Body.String())
		assert.Zero(t, time.Since(start), "the primary did not wait (fake time)")
		cancel() // the primary's context ends; the copy must keep its own deadline
		primaryCtxErr <- ctx.Err()
		synctest.Wait()
		s, err := tee.Stats(context.Background())
		require.NoError(t, err)
		assert.Zero(t, s.Requests, "copy still in flight after the primary's context ended")
		<-time.After(2 * time.Second) // fake time inside the bubble
		synctest.Wait()
		rep, err := tee.Report(context.Background())
		require.NoError(t, err)
		assert.Equal(t, int64(1), rep.Shadows[0].Timeouts)
		assert.Equal(t, int64(1), rep.Errors)
		require.NoError(t, tee.Close(context.Background()))
		require.ErrorIs(t, <-primaryCtxErr, context.Canceled)
	})
}

// TestHangingTransportIgnoringContext: a transport that never returns
// blocks only its worker; the primary keeps working, and Close honours its
// own deadline.
func TestHangingTransportIgnoringContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		unblock := make(chan struct{})
		cfg := baseConfig("http://shadow.internal")
		cfg.Workers, cfg.QueueSize = 1, 1
		cfg.Transport = funcRT(func(r *http.Request) (*http.Response, error) {
			<-unblock
			return nil, errRefused
		})
		tee, err := New(cfg)
		require.NoError(t, err)
		h := tee.Wrap(okHandler)
		for range 10 {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			assert.Equal(t, "primary", rec.Body.String())
			synctest.Wait()
		}
		rep, err := tee.Report(context.Background())
		require.NoError(t, err)
		assert.Equal(t, int64(8), rep.Shadows[0].Drops["queue_full"], "1 in flight, 1 queued, 8 dropped")
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err = tee.Close(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		close(unblock)
		<-tee.done
	})
}

func TestPanickingTransportIsIsolated(t *testing.T) {
	cfg := baseConfig("http://shadow.internal")
	cfg.Transport = funcRT(func(r *http.Request) (*http.Response, error) { panic("boom") })
	cfg.BreakerFailures = -1 // count every panic; the breaker is tested on its own
	tee := newTee(t, cfg)
	h := tee.Wrap(okHandler)
	for range 20 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, "primary", rec.Body.String())
	}
	drain(t, tee)
	rep, err := tee.Report(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(20), rep.Shadows[0].Panics)
	assert.Equal(t, int64(20), rep.Errors)
	assert.InDelta(t, 1.0, rep.ErrorRate(), 1e-9)
}

func TestRedactPanicDropsCopy(t *testing.T) {
	rt := &recordingRT{}
	cfg := baseConfig("http://shadow.internal")
	cfg.Transport = rt
	cfg.Redact = func(*Redaction) { panic("bad hook") }
	tee := newTee(t, cfg)
	rec := httptest.NewRecorder()
	tee.Wrap(okHandler).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, "primary", rec.Body.String())
	drain(t, tee)
	assert.Zero(t, rt.n.Load())
	rep, err := tee.Report(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(1), rep.Shadows[0].Drops["redact_panic"])
}

func TestPrimaryPanicPropagatesAndReleasesCopy(t *testing.T) {
	cfg := baseConfig("http://shadow.internal")
	cfg.Transport = &recordingRT{}
	cfg.Methods = []string{http.MethodPost}
	tee := newTee(t, cfg)
	h := tee.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		panic(http.ErrAbortHandler)
	}))
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x")))
	})
	assert.Zero(t, tee.pending.Load())
}

func TestCloseStopsMirroringButNotPrimary(t *testing.T) {
	rt := &recordingRT{}
	cfg := baseConfig("http://shadow.internal")
	cfg.Transport = rt
	tee, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, tee.Close(context.Background()))
	require.ErrorIs(t, tee.Close(context.Background()), ErrClosed)
	rec := httptest.NewRecorder()
	tee.Wrap(okHandler).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, "primary", rec.Body.String())
	rep, err := tee.Report(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(1), rep.Shadows[0].Drops["closed"])
	assert.Zero(t, rt.n.Load())
}

func TestReverseProxyRejectsBadPrimary(t *testing.T) {
	tee := newTee(t, baseConfig("http://shadow.internal"))
	_, err := tee.ReverseProxy(nil)
	require.ErrorIs(t, err, ErrInvalidConfig)
	_, err = tee.ReverseProxy(&url.URL{Scheme: "unix", Path: "/x"})
	require.ErrorIs(t, err, ErrInvalidConfig)
	assert.Contains(t, err.Error(), "unix")
}

// TestConcurrentLoadIsRaceFree drives the reverse proxy from many
// goroutines while the fraction changes and stats are read; run with -race.
func TestConcurrentLoadIsRaceFree(t *testing.T) {
	primary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", r.Header.Get("X-Id"))
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	}))
	defer primary.Close()
	shadow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("X-Mutated-By-Shadow", "1")
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	}))
	defer shadow.Close()
	cfg := baseConfig(shadow.URL)
	cfg.Methods = []string{http.MethodGet, http.MethodPost}
	cfg.Compare = true
	cfg.Fraction = 0.5
	tee := newTee(t, cfg)
	front := newFront(t, tee, primary.URL)

	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_ = tee.SetFraction(float64(i%10) / 10)
			_, _ = tee.Report(context.Background())
			_ = tee.Mix()
		}
	})
	var wg sync.WaitGroup
	var bad atomic.Int64
	for c := range 6 {
		wg.Go(func() {
			for i := range 60 {
				id := string(rune('A'+c)) + string(rune('a'+i%26))
				req, _ := http.NewRequest(http.MethodPost, front.URL+"/echo", strings.NewReader("body-"+id))
				req.Header.Set("X-Id", id)
				resp, err := front.Client().Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(b) != "body-"+id || resp.Header.Get("X-Echo") != id {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	bg.Wait()
	assert.Zero(t, bad.Load())
	drain(t, tee)
	front.CloseClientConnections()
	rep, err := tee.Report(context.Background())
	require.NoError(t, err)
	assert.Zero(t, rep.Errors)
	assert.Positive(t, rep.Requests)
	assert.Equal(t, rep.Shadows[0].Compared, rep.Requests)
	assert.Zero(t, rep.Shadows[0].MismatchRate(), "echo shadow answers like the primary")
}

func TestCompareAndNoise(t *testing.T) {
	var flip atomic.Int64
	mk := func(diff bool) http.RoundTripper {
		return funcRT(func(r *http.Request) (*http.Response, error) {
			if diff && r.URL.Path == "/diff" {
				return okResponse(r, http.StatusInternalServerError, "different"), nil
			}
			if r.URL.Path == "/noisy" && flip.Add(1)%2 == 0 {
				return okResponse(r, http.StatusOK, "ts=2"), nil
			}
			return okResponse(r, http.StatusOK, "same"), nil
		})
	}
	// Two shadows of the same version: route by target name.
	a, b := mk(true), mk(true)
	cfg := baseConfig()
	cfg.Shadows = []Target{{Name: "a", URL: "http://a", Version: "v2"}, {Name: "b", URL: "http://b", Version: "v2"}}
	cfg.Compare = true
	cfg.Workers = 1
	cfg.Transport = funcRT(func(r *http.Request) (*http.Response, error) {
		if r.Header.Get(HeaderShadowName) == "a" {
			return a.RoundTrip(r)
		}
		return b.RoundTrip(r)
	})
	tee := newTee(t, cfg)
	h := tee.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("same"))
	}))
	for _, p := range []string{"/same", "/same", "/diff", "/noisy"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	drain(t, tee)
	rep, err := tee.Report(context.Background())
	require.NoError(t, err)
	for _, s := range rep.Shadows {
		assert.Equal(t, int64(4), s.Compared, s.Name)
		assert.Equal(t, int64(1), s.StatusMismatches, s.Name)
	}
	// /noisy answered differently by the two identical shadows.
	assert.Equal(t, int64(4), rep.NoiseCompared)
	assert.Equal(t, int64(1), rep.NoiseMismatches)
	assert.InDelta(t, 0.25, rep.NoiseRate(), 1e-9)
	assert.Equal(t, int64(2), rep.Errors, "the two 500s")
}

func TestRefusedErrorsAreClassified(t *testing.T) {
	cfg := baseConfig("http://shadow.internal")
	cfg.Transport = funcRT(func(r *http.Request) (*http.Response, error) {
		switch r.URL.Path {
		case "/refused":
			return nil, errRefused
		case "/5xx":
			return okResponse(r, http.StatusBadGateway, ""), nil
		case "/timeout":
			return nil, &net.DNSError{IsTimeout: true}
		}
		return okResponse(r, http.StatusOK, ""), nil
	})
	tee := newTee(t, cfg)
	h := tee.Wrap(okHandler)
	for _, p := range []string{"/ok", "/refused", "/5xx", "/timeout"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	drain(t, tee)
	rep, err := tee.Report(context.Background())
	require.NoError(t, err)
	s := rep.Shadows[0]
	assert.Equal(t, int64(4), s.Requests)
	assert.Equal(t, int64(3), s.Errors)
	assert.Equal(t, int64(1), s.TransportErrors)
	assert.Equal(t, int64(1), s.Status5xx)
	assert.Equal(t, int64(1), s.Timeouts)
	assert.True(t, errors.Is(tee.Close(context.Background()), ErrClosed))
}

// TestProxyErrorLogIsRateLimited: a dead primary answers 502 every time;
// the log gets one line per second of the Tee's clock, carrying the number
// of lines suppressed since the previous one.
func TestProxyErrorLogIsRateLimited(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead, _ := url.Parse("http://" + ln.Addr().String())
	require.NoError(t, ln.Close())
	clk := newFakeClock(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	var logBuf strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logBuf.Write(p)
	}), nil))
	cfg := baseConfig("http://shadow.internal")
	cfg.Fraction = 0
	tee := newTee(t, cfg, WithClock(clk), WithLogger(logger))
	proxy, err := tee.ReverseProxy(dead)
	require.NoError(t, err)
	get := func(n int) {
		for range n {
			rec := httptest.NewRecorder()
			proxy.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			require.Equal(t, http.StatusBadGateway, rec.Code)
		}
	}
	get(5)
	clk.Add(999 * time.Millisecond)
	get(5)
	clk.Add(time.Millisecond)
	get(1)
	mu.Lock()
	defer mu.Unlock()
	lines := strings.Split(strings.TrimSpace(logBuf.String()), "\n")
	require.Len(t, lines, 2, logBuf.String())
	assert.Contains(t, lines[0], "suppressed=0")
	assert.Contains(t, lines[1], "suppressed=9")
	assert.Contains(t, lines[1], "mirror: proxy error")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
