// Command httptee is a reverse proxy that sends every request to a primary
// and mirrors a sample of them to one or more shadows, using package
// mirror. The primary never waits for a shadow.
//
// Usage:
//
//	httptee -listen 127.0.0.1:8080 -primary http://127.0.0.1:9001 -shadow http://127.0.0.1:9002 \
//	        -sample 0.1 [-stats-interval 5s]
//
// Every interval it prints one line of shadow stats per shadow on stdout:
//
//	stats shadow=127.0.0.1:9002 window=1m0s requests=12 errors=0 dropped=0 p50=1.2ms p95=2.1ms p99=2.3ms fraction=0.1
//
// Extra flags: -shadow may be repeated; -key sets the HMAC key that signs
// copies (default: $SHADOWSCALE_MIRROR_KEY, else a random key, so shadows
// cannot verify); -timeout, -workers, -queue, -max-body, -memory-budget,
// -methods, -strip-header, -forward-header (allow-list mode),
// -redact-query and -rewrite-host tune the tee (see mirror.Config and
// README.md next to this file); -cpuprofile FILE writes a CPU profile of
// the whole run.
//
// -help prints the usage on stdout and exits 0. Bad flags print the
// problem on stderr and exit with status 2; an unusable listen address
// exits with status 1. SIGINT or SIGTERM shuts down gracefully. Errors
// reaching the primary are answered 502 and logged on stderr at most once
// per second, with the number of lines suppressed.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/shadowscale/shadowscale/internal/syncbuf"
	"github.com/shadowscale/shadowscale/mirror"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, args, stdout, stderr, nil)
}

// listFlag collects a repeatable flag.
type listFlag []string

// String joins the values (flag.Value).
func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set appends comma-separated values (flag.Value).
func (l *listFlag) Set(v string) error {
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

type options struct {
	listen        string
	primary       *url.URL
	cfg           mirror.Config
	statsInterval time.Duration
	randomKey     bool
	cpuProfile    string
}

const usageHead = `Usage: httptee -listen host:port -primary URL -shadow URL [flags]

httptee proxies every request to the primary and mirrors a sample of them
to the shadows, which never slow or fail the primary. Credentials are
stripped from the copies, secret query parameters redacted and every copy
signed; see README.md next to the source.

Flags:
`

// parse turns the arguments into options, or an error naming the flag.
// It returns flag.ErrHelp after writing the usage to stdout.
func parse(args []string, stdout io.Writer) (options, error) {
	fs := flag.NewFlagSet("httptee", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by the caller
	var shadows, methods, strip, forward, redactQuery listFlag
	listen := fs.String("listen", "", "address to listen on, host:port (required)")
	primary := fs.String("primary", "", "primary base URL, http or https (required)")
	fs.Var(&shadows, "shadow", "shadow base URL; repeat or comma-separate for several (required)")
	sample := fs.Float64("sample", 0.1, "fraction of requests mirrored, in [0, 1]")
	interval := fs.Duration("stats-interval", 5*time.Second, "how often shadow stats are printed")
	key := fs.String("key", os.Getenv("SHADOWSCALE_MIRROR_KEY"), "HMAC key signing the copies (>= 16 bytes); default $SHADOWSCALE_MIRROR_KEY or random")
	timeout := fs.Duration("timeout", mirror.DefaultTimeout, "deadline of each shadow request")
	workers := fs.Int("workers", mirror.DefaultWorkers, "sending goroutines per shadow")
	queue := fs.Int("queue", mirror.DefaultQueueSize, "queue length per shadow")
	maxBody := fs.Int64("max-body", mirror.DefaultMaxBodyBytes, "largest request body copied, in bytes")
	fs.Var(&methods, "methods", "methods mirrored (default GET,HEAD,OPTIONS)")
	fs.Var(&strip, "strip-header", "extra header removed from copies, besides the credential headers always removed; repeatable")
	fs.Var(&forward, "forward-header", "allow-list mode: forward only these request headers to shadows; repeatable")
	fs.Var(&redactQuery, "redact-query", "extra query parameter whose value is redacted in copies; repeatable")
	budget := fs.Int64("memory-budget", mirror.DefaultMemoryBudget, "bytes held for copies (captured, queued and in-flight bodies)")
	rewriteHost := fs.Bool("rewrite-host", false, `append "-shadow" to the copy's Host`)
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (go tool pprof) of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageHead)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *listen == "" {
		return options{}, errors.New("-listen is required")
	}
	if _, _, err := net.SplitHostPort(*listen); err != nil {
		return options{}, fmt.Errorf("-listen %q: %v", *listen, err)
	}
	if *primary == "" {
		return options{}, errors.New("-primary is required")
	}
	pu, err := url.Parse(*primary)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return options{}, fmt.Errorf("-primary %q: need an http or https URL with a host", *primary)
	}
	if len(shadows) == 0 {
		return options{}, errors.New("-shadow is required")
	}
	for _, sh := range shadows {
		if su, err := url.Parse(sh); err == nil && sameOrigin(su, pu) {
			return options{}, fmt.Errorf("-shadow %q is the primary %q: copies would be served as production traffic", sh, *primary)
		}
	}
	if *timeout <= 0 {
		return options{}, fmt.Errorf("-timeout %s: must be > 0", *timeout)
	}
	// The mirror reads a zero as "default": here every count the user
	// gives is taken literally, so a zero is out of range.
	if *workers < 1 {
		return options{}, fmt.Errorf("-workers %d: must be at least 1", *workers)
	}
	if *queue < 1 {
		return options{}, fmt.Errorf("-queue %d: must be at least 1", *queue)
	}
	if *maxBody < 1 {
		return options{}, fmt.Errorf("-max-body %d: must be at least 1", *maxBody)
	}
	if *budget <= 0 {
		return options{}, fmt.Errorf("-memory-budget %d: must be > 0", *budget)
	}
	if *sample < 0 || *sample > 1 || *sample != *sample {
		return options{}, fmt.Errorf("-sample %v: must be in [0, 1]", *sample)
	}
	if *interval <= 0 {
		return options{}, fmt.Errorf("-stats-interval %s: must be > 0", *interval)
	}
	o := options{listen: *listen, primary: pu, statsInterval: *interval, cpuProfile: *cpuProfile}
	k := []byte(*key)
	if len(k) == 0 {
		k = make([]byte, 32)
		_, _ = rand.Read(k)
		o.randomKey = true
	}
	o.cfg = mirror.Config{
		Fraction: *sample, SigningKey: k, Timeout: *timeout, Workers: *workers,
		QueueSize: *queue, MaxBodyBytes: *maxBody, Methods: methods, StripHeaders: strip,
		ForwardHeaders: forward, RedactQuery: redactQuery, MemoryBudget: *budget,
		RewriteHost: *rewriteHost,
	}
	for _, s := range shadows {
		o.cfg.Shadows = append(o.cfg.Shadows, mirror.Target{URL: s})
	}
	if err := o.cfg.Validate(); err != nil {
		return options{}, fmt.Errorf("%w (check -shadow, -key, -workers, -queue, -max-body, -methods, -strip-header, -forward-header, -redact-query)", err)
	}
	return o, nil
}

// sameOrigin reports whether a and b name the same scheme, host, port and
// path (default ports and a trailing slash ignored).
func sameOrigin(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "https") {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b) && strings.TrimSuffix(a.Path, "/") == strings.TrimSuffix(b.Path, "/")
}

// serve runs the proxy until ctx ends. ready, if non-nil, gets the bound
// address once the listener is up.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(addr string)) int {
	stderr = &syncbuf.Writer{W: stderr} // shared by the logger and this goroutine
	o, err := parse(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "httptee:", err)
		fmt.Fprintln(stderr, "httptee: run httptee -help for usage")
		return 2
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		fmt.Fprintf(stderr, "httptee: cannot listen on -listen %s: %v\n", o.listen, err)
		return 1
	}
	if o.cpuProfile != "" {
		stopProfile, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			ln.Close()
			fmt.Fprintf(stderr, "httptee: -cpuprofile %s: %v\n", o.cpuProfile, err)
			return 1
		}
		defer func() {
			if err := stopProfile(); err != nil {
				fmt.Fprintf(stderr, "httptee: -cpuprofile %s: %v\n", o.cpuProfile, err)
			}
		}()
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	tee, err := mirror.New(o.cfg, mirror.WithLogger(logger))
	if err != nil {
		ln.Close()
		fmt.Fprintln(stderr, "httptee:", err)
		return 2
	}
	handler, err := tee.ReverseProxy(o.primary)
	if err != nil {
		ln.Close()
		_ = tee.Close(context.Background())
		fmt.Fprintln(stderr, "httptee:", err)
		return 2
	}
	if o.randomKey {
		fmt.Fprintln(stderr, "httptee: warning: no -key or $SHADOWSCALE_MIRROR_KEY; copies are signed with a random key shadows cannot verify")
	}
	fmt.Fprintf(stderr, "httptee: listening on %s, primary %s, %d shadow(s), sample %v\n", ln.Addr(), o.primary, len(o.cfg.Shadows), o.cfg.Fraction)
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr().String())
	}

	ticker := time.NewTicker(o.statsInterval)
	defer ticker.Stop()
	status := 0
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-errc:
			fmt.Fprintln(stderr, "httptee: serve:", err)
			status = 1
			break loop
		case <-ticker.C:
			printStats(ctx, tee, stdout)
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		fmt.Fprintln(stderr, "httptee: shutdown:", err)
	}
	if err := tee.Close(shutdown); err != nil {
		fmt.Fprintln(stderr, "httptee:", err)
	}
	printStats(context.Background(), tee, stdout)
	return status
}

// startCPUProfile starts profiling the process into path; the returned
// function stops the profile and closes the file.
func startCPUProfile(path string) (func() error, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

func printStats(ctx context.Context, tee *mirror.Tee, w io.Writer) {
	rep, err := tee.Report(ctx)
	if err != nil {
		return
	}
	for _, s := range rep.Shadows {
		fmt.Fprintf(w, "stats shadow=%s window=%s requests=%d errors=%d dropped=%d p50=%s p95=%s p99=%s fraction=%v\n",
			s.Name, s.Window, s.Requests, s.Errors, s.Dropped, s.P50, s.P95, s.P99, s.Fraction)
	}
}
