package mirror_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/shadowscale/shadowscale/mirror"
)

var key = []byte("a-shared-secret-of-32-bytes-long")

// Wrap an existing handler: every request is served by it, and all GETs
// (Fraction 1) are copied to the shadow, which verifies the signature.
func ExampleTee_Wrap() {
	verifier, _ := mirror.NewVerifier(mirror.VerifierConfig{Key: key})
	seen := make(chan string, 1)
	shadow := httptest.NewServer(verifier.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- fmt.Sprintf("shadow got %s %s, mirrored=%v, cookie=%q",
			r.Method, r.URL.Path, mirror.IsMirrored(r.Context()), r.Header.Get("Cookie"))
	})))
	defer shadow.Close()

	tee, err := mirror.New(mirror.Config{
		Shadows:    []mirror.Target{{Name: "canary", URL: shadow.URL}},
		Fraction:   1,
		SigningKey: key,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tee.Close(context.Background())

	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from production")
	})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/greet", nil)
	req.Header.Set("Cookie", "session=secret")
	tee.Wrap(app).ServeHTTP(rec, req)

	fmt.Println(rec.Body.String())
	fmt.Println(<-seen)
	// Output:
	// hello from production
	// shadow got GET /greet, mirrored=true, cookie=""
}

// Configuration errors name the field and the value.
func ExampleNew_invalid() {
	_, err := mirror.New(mirror.Config{
		Shadows:    []mirror.Target{{URL: "ftp://shadow"}},
		SigningKey: key,
	})
	fmt.Println(err)
	// Output:
	// mirror: invalid config: Shadows[0].URL "ftp://shadow": scheme "ftp" is not http or https
}

// The Controller raises the fraction as shadow capacity grows, and reads
// windowed stats; SetFraction(0) is the kill switch.
func ExampleTee_SetFraction() {
	tee, _ := mirror.New(mirror.Config{
		Shadows:    []mirror.Target{{URL: "http://shadow.internal:8080"}},
		SigningKey: key,
		Window:     time.Minute,
	})
	defer tee.Close(context.Background())
	_ = tee.SetFraction(0.05)
	s, _ := tee.Stats(context.Background())
	fmt.Println(s.Fraction, s.Window, s.Requests)
	fmt.Println(tee.SetFraction(2))
	// Output:
	// 0.05 1m0s 0
	// mirror: fraction must be in [0, 1]: got 2
}

// A shadow service accepts only signed copies and suppresses side effects.
func ExampleVerifier() {
	v, _ := mirror.NewVerifier(mirror.VerifierConfig{Key: key})
	h := v.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mirror.IsMirrored(r.Context()) {
			io.WriteString(w, "copy: no e-mail sent")
			return
		}
		io.WriteString(w, "direct")
	}))
	forged := httptest.NewRequest(http.MethodGet, "/order", nil)
	forged.Header.Set(mirror.HeaderMarker, "1")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, forged)
	fmt.Println(rec.Code)

	signed := httptest.NewRequest(http.MethodPost, "/order", strings.NewReader("qty=1"))
	_ = mirror.SignRequest(key, signed, time.Now())
	replay := signed.Clone(signed.Context())
	replay.Body = io.NopCloser(strings.NewReader("qty=1"))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, signed)
	fmt.Println(rec.Body.String())

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, replay) // the same copy again: its nonce was seen
	fmt.Println(rec.Code)
	// Output:
	// 403
	// copy: no e-mail sent
	// 403
}

// Flush waits until every copy taken so far has been sent or dropped, so
// that the stats that follow count them all. The query's access token is
// redacted and the API key header stripped before the copy leaves.
func ExampleTee_Flush() {
	seen := make(chan string, 10)
	shadow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- fmt.Sprintf("%s?%s key=%q", r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Api-Key"))
	}))
	defer shadow.Close()
	tee, err := mirror.New(mirror.Config{
		Shadows:    []mirror.Target{{URL: shadow.URL}},
		Fraction:   1,
		SigningKey: key,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tee.Close(context.Background())
	h := tee.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for range 3 {
		req := httptest.NewRequest(http.MethodGet, "/items?page=2&access_token=abc", nil)
		req.Header.Set("X-Api-Key", "k-123")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	if err := tee.Flush(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	s, _ := tee.Stats(context.Background())
	fmt.Println("copies answered:", s.Requests)
	fmt.Println(<-seen)
	// Output:
	// copies answered: 3
	// /items?page=2&access_token=REDACTED key=""
}

// ContentDigest is the RFC 9530 digest a copy carries and the Verifier
// checks against the body it receives.
func ExampleContentDigest() {
	fmt.Println(mirror.ContentDigest([]byte("amount=10")))
	// Output: sha-256=:uvYnJaAwhXYRI+85g0mMCs/9YO6n9srV0o7nw7rfxZI=:
}
