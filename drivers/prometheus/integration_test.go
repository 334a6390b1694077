//go:build integration

package prometheus_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/drivers/prometheus"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
)

// The suite starts a real Prometheus on a free loopback port with a
// temporary storage directory holding a day of backfilled samples (written
// by promtool), and a scrape of an exporter the test serves for live data.
//
// Binaries: $PROMETHEUS and $PROMTOOL, else prometheus and promtool on PATH
// (Debian: apt-get install prometheus). Without them the tests fail when
// CI=true and skip otherwise.

const (
	backfillMetric = "shadowscale_backfill_load"
	podsMetric     = "shadowscale_backfill_pods"
	liveMetric     = "shadowscale_live_load"
	liveCounter    = "shadowscale_live_requests_total"
	liveValue      = 42.25
	backfillLen    = 24 * 60 // one sample a minute for a day
	holeFrom       = 600     // minutes [holeFrom, holeTo) have no sample
	holeTo         = 620
	lookback       = 5 * time.Minute // the server's default
	glitchMetric   = "shadowscale_glitch_load"
	glitchLen      = 400 // one sample a minute, from backfillT0
	glitchAt       = 330 // a sample of 40 times the load, then no scrape
	glitchGap      = 3   // for three minutes
	// smallGlitchMetric is glitchMetric with a glitch of 5 times the load
	// (500): below the size at which copies are told apart by value.
	smallGlitchMetric = "shadowscale_small_glitch_load"
	// alternatingMetric is a load that comes and goes: about 100 a
	// minute, and from minute alternateFrom on 250 at every even minute,
	// for alternateLen minutes.
	alternatingMetric = "shadowscale_alternating_load"
	alternateFrom     = 300
	alternateLen      = 60
)

var (
	promAPI     v1.API
	promURL     string
	backfillT0  time.Time // time of the first backfilled sample
	skipReason  string
	liveScrapes atomic.Int64
)

// glitchValue is the i-th sample of glitchMetric: about 100, 4000 at
// glitchAt; ok is false in the scrape gap after it.
func glitchValue(i int) (v float64, ok bool) {
	switch {
	case i == glitchAt:
		return 4000, true
	case i > glitchAt && i <= glitchAt+glitchGap:
		return 0, false
	}
	return 100 + float64((i*37)%50)/8, true
}

// alternatingValue is the i-th sample of alternatingMetric.
func alternatingValue(i int) float64 {
	if i >= alternateFrom && i%2 == 0 {
		return 250
	}
	return 100 + float64((i*37)%50)/8
}

// backfillValue is the value of the i-th backfilled sample: a multiple of
// 1/8, exact in binary and in the text formats.
func backfillValue(i int) float64 { return 100 + float64((i*37)%500)/8 }

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	promBin, err1 := binary("PROMETHEUS", "prometheus")
	toolBin, err2 := binary("PROMTOOL", "promtool")
	if err := errors.Join(err1, err2); err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "prometheus integration tests: %v (CI=true: install the Debian package prometheus)\n", err)
			return 1
		}
		skipReason = fmt.Sprintf("no Prometheus to test against: %v (apt-get install prometheus, or set PROMETHEUS and PROMTOOL)", err)
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "shadowscale-prometheus-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := liveScrapes.Add(1)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE %s gauge\n%s %g\n# TYPE %s counter\n%s %d\n", liveMetric, liveMetric, liveValue, liveCounter, liveCounter, 7*n)
	}))
	defer exporter.Close()

	stop, logs, err := startPrometheus(promBin, toolBin, dir, strings.TrimPrefix(exporter.URL, "http://"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "prometheus integration tests: %v\n%s", err, logs())
		return 1
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "prometheus log:\n%s", logs())
	}
	stop()
	exporter.Close()
	http.DefaultClient.CloseIdleConnections()
	if t, ok := api.DefaultRoundTripper.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
	if err := goleak.Find(); err != nil {
		fmt.Fprintf(os.Stderr, "prometheus integration tests: %v\n", err)
		return 1
	}
	return code
}

func binary(env, name string) (string, error) {
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("$%s: %w", env, err)
		}
		return p, nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not on PATH and $%s not set", name, env)
	}
	return p, nil
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startPrometheus writes the backfill, starts the server and waits until it
// is ready. stop kills it and waits for it to exit; logs returns what the
// server printed so far.
func startPrometheus(promBin, toolBin, dir, target string) (stop func(), logs func() string, err error) {
	logFile := filepath.Join(dir, "prometheus.log")
	logs = func() string { b, _ := os.ReadFile(logFile); return string(b) }

	// A day of samples ending six hours ago, whole minutes, with a hole.
	backfillT0 = time.Now().UTC().Truncate(time.Hour).Add(-30 * time.Hour)
	var om strings.Builder
	fmt.Fprintf(&om, "# TYPE %s gauge\n", backfillMetric)
	for i := range backfillLen {
		if i >= holeFrom && i < holeTo {
			continue
		}
		fmt.Fprintf(&om, "%s %g %d\n", backfillMetric, backfillValue(i), backfillT0.Add(time.Duration(i)*time.Minute).Unix())
	}
	fmt.Fprintf(&om, "# TYPE %s gauge\n", podsMetric)
	for _, pod := range []string{"a", "b"} {
		for i := range 60 {
			fmt.Fprintf(&om, "%s{pod=%q} 1 %d\n", podsMetric, pod, backfillT0.Add(time.Duration(i)*time.Minute).Unix())
		}
	}
	fmt.Fprintf(&om, "# TYPE %s gauge\n", glitchMetric)
	for i := range glitchLen {
		if v, ok := glitchValue(i); ok {
			fmt.Fprintf(&om, "%s %g %d\n", glitchMetric, v, backfillT0.Add(time.Duration(i)*time.Minute).Unix())
		}
	}
	fmt.Fprintf(&om, "# TYPE %s gauge\n", smallGlitchMetric)
	for i := range glitchLen {
		if v, ok := glitchValue(i); ok {
			if i == glitchAt {
				v = 500
			}
			fmt.Fprintf(&om, "%s %g %d\n", smallGlitchMetric, v, backfillT0.Add(time.Duration(i)*time.Minute).Unix())
		}
	}
	fmt.Fprintf(&om, "# TYPE %s gauge\n", alternatingMetric)
	for i := range alternateFrom + alternateLen {
		fmt.Fprintf(&om, "%s %g %d\n", alternatingMetric, alternatingValue(i), backfillT0.Add(time.Duration(i)*time.Minute).Unix())
	}
	om.WriteString("# EOF\n")
	omFile := filepath.Join(dir, "backfill.om")
	data := filepath.Join(dir, "data")
	if err := os.WriteFile(omFile, []byte(om.String()), 0o600); err != nil {
		return nil, logs, err
	}
	if out, err := exec.Command(toolBin, "tsdb", "create-blocks-from", "openmetrics", "-q", omFile, data).CombinedOutput(); err != nil {
		return nil, logs, fmt.Errorf("promtool create-blocks-from openmetrics: %w: %s", err, out)
	}

	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: exporter\n    static_configs:\n      - targets: [%q]\n", target)
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		return nil, logs, err
	}
	addr, err := freePort()
	if err != nil {
		return nil, logs, err
	}
	lf, err := os.Create(logFile)
	if err != nil {
		return nil, logs, err
	}
	defer lf.Close()
	cmd := exec.Command(promBin,
		"--config.file="+cfgFile,
		"--storage.tsdb.path="+data,
		"--web.listen-address="+addr,
		"--storage.tsdb.retention.time=30d",
	)
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		return nil, logs, fmt.Errorf("start %s: %w", promBin, err)
	}
	promURL = "http://" + addr
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			return nil, logs, fmt.Errorf("prometheus exited before it was ready: %v", err)
		case <-deadline.C:
			_ = cmd.Process.Kill()
			<-exited
			return nil, logs, errors.New("prometheus not ready after 60s")
		case <-tick.C:
		}
		resp, err := http.Get(promURL + "/-/ready")
		if err != nil {
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			break
		}
	}
	client, err := api.NewClient(api.Config{Address: promURL})
	if err != nil {
		return nil, logs, err
	}
	promAPI = v1.NewAPI(client)
	stop = func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	return stop, logs, nil
}

func requireServer(t *testing.T) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
}

func newSource(t *testing.T, cfg prometheus.Config) *prometheus.Source {
	t.Helper()
	src, err := prometheus.NewSource(promAPI, cfg)
	require.NoError(t, err)
	return src
}

// expected is what a plain selector over the backfill yields at each grid
// time: the latest sample no older than the lookback, and nothing where
// there is none.
func expected(from, to time.Time, step time.Duration) []shadow.Observation {
	var out []shadow.Observation
	for at := from; !at.After(to); at = at.Add(step) {
		i := int(at.Sub(backfillT0) / time.Minute)
		if at.Before(backfillT0) {
			continue
		}
		i = min(i, backfillLen-1)
		for i >= holeFrom && i < holeTo {
			i--
		}
		if at.Sub(backfillT0.Add(time.Duration(i)*time.Minute)) < lookback {
			out = append(out, shadow.Observation{Time: at, Value: backfillValue(i)})
		}
	}
	return out
}

func TestIntegrationHistoryExactWithGaps(t *testing.T) {
	requireServer(t)
	src := newSource(t, prometheus.Config{Queries: map[shadow.Metric]string{shadow.RequestRate: backfillMetric}})
	// Off the sample times by 30s, so no step sits on the lookback edge.
	from := backfillT0.Add(-10*time.Minute + 30*time.Second)
	to := backfillT0.Add((backfillLen + 10) * time.Minute)
	got, err := src.History(context.Background(), shadow.RequestRate, from, to, time.Minute)
	require.NoError(t, err)
	want := expected(from, to, time.Minute)
	require.Equal(t, want, got)

	holeStart := backfillT0.Add((holeFrom-1)*time.Minute + lookback)
	for _, o := range got {
		if !o.Time.Before(holeStart) && o.Time.Before(backfillT0.Add(holeTo*time.Minute)) {
			t.Fatalf("a step in the hole has a value: %v", o)
		}
	}
	// The samples, plus the four steps within the lookback after the last
	// sample before the hole and after the end.
	assert.Len(t, got, backfillLen-(holeTo-holeFrom)+4+4)
}

// freshOnly is the recipe of the README for a gauge: each series kept only
// while its newest sample is less than maxAge old, so that the server's
// lookback serves no copy of a sample whose next scrapes failed.
func freshOnly(selector string, maxAge time.Duration) string {
	return fmt.Sprintf("%s and (time() - timestamp(%s) < %g)", selector, selector, maxAge.Seconds())
}

// The same range as TestIntegrationHistoryExactWithGaps read with the
// staleness guard: the steps that the lookback fills with the sample
// before the hole (and after the last sample) are gaps instead, and every
// other value is exact; a live query in the hole has no data, where the
// plain selector returns the sample before the hole again.
func TestIntegrationFreshOnlyServesNoLookbackCopies(t *testing.T) {
	requireServer(t)
	plain := newSource(t, prometheus.Config{Queries: map[shadow.Metric]string{shadow.RequestRate: backfillMetric}})
	src := newSource(t, prometheus.Config{Queries: map[shadow.Metric]string{shadow.RequestRate: freshOnly(backfillMetric, 90*time.Second)}})
	from := backfillT0.Add(-10*time.Minute + 30*time.Second)
	to := backfillT0.Add((backfillLen + 10) * time.Minute)
	got, err := src.History(context.Background(), shadow.RequestRate, from, to, time.Minute)
	require.NoError(t, err)
	var want []shadow.Observation
	for _, o := range expected(from, to, time.Minute) {
		if i := int(o.Time.Sub(backfillT0) / time.Minute); i < backfillLen && (i < holeFrom || i >= holeTo) {
			want = append(want, o) // 30 s after its own sample
		}
	}
	require.Equal(t, want, got)
	assert.Len(t, got, backfillLen-(holeTo-holeFrom), "the samples alone, no copy")

	inHole := backfillT0.Add((holeFrom+2)*time.Minute + 30*time.Second)
	s, err := plain.Sample(context.Background(), inHole)
	require.NoError(t, err)
	assert.Equal(t, backfillValue(holeFrom-1), s.Values[shadow.RequestRate], "the plain selector serves the sample before the hole again")
	_, err = src.Sample(context.Background(), inHole)
	require.ErrorIs(t, err, prometheus.ErrNoData)
}

func TestIntegrationHistoryChunksUnderTheServerLimit(t *testing.T) {
	requireServer(t)
	ctx := context.Background()
	from := backfillT0.Add(2500 * time.Millisecond)
	to := backfillT0.Add(backfillLen * time.Minute)
	step := 5 * time.Second
	points := int(to.Sub(from)/step) + 1
	require.Greater(t, points, prometheus.DefaultMaxPoints)

	// The server refuses the range in one query.
	_, _, _, err := promAPI.QueryRange(ctx, backfillMetric, v1.Range{Start: from, End: to, Step: step})
	require.ErrorContains(t, err, "11,000 points")

	src := newSource(t, prometheus.Config{Queries: map[shadow.Metric]string{shadow.RequestRate: backfillMetric}})
	got, err := src.History(ctx, shadow.RequestRate, from, to, step)
	require.NoError(t, err)
	require.Equal(t, expected(from, to, step), got)

	// A lower limit gives the same answer in more chunks.
	small := newSource(t, prometheus.Config{Queries: map[shadow.Metric]string{shadow.RequestRate: backfillMetric}, MaxPoints: 997})
	got2, err := small.History(ctx, shadow.RequestRate, from, to, step)
	require.NoError(t, err)
	assert.Equal(t, got, got2)
}

func TestIntegrationHistoryManySeriesFails(t *testing.T) {
	requireServer(t)
	src := newSource(t, prometheus.Config{Queries: map[shadow.Metric]string{shadow.CPU: podsMetric}})
	got, err := src.History(context.Background(), shadow.CPU, backfillT0, backfillT0.Add(time.Hour), time.Minute)
	require.ErrorIs(t, err, prometheus.ErrManySeries)
	assert.Nil(t, got)
}

func waitForLive(t *testing.T) {
	t.Helper()
	src := newSource(t, prometheus.Config{Queries: map[shadow.Metric]string{shadow.RequestRate: "rate(" + liveCounter + "[5s])"}})
	// A rate needs two scrapes in its window.
	require.Eventually(t, func() bool {
		s, err := src.Sample(context.Background(), time.Time{})
		return err == nil && s.Values[shadow.RequestRate] > 0
	}, 30*time.Second, 200*time.Millisecond, "the exporter was not scraped twice")
}

func TestIntegrationSampleLive(t *testing.T) {
	requireServer(t)
	waitForLive(t)
	src := newSource(t, prometheus.Config{
		Queries: map[shadow.Metric]string{
			shadow.CPU:         liveMetric,
			shadow.RequestRate: "sum(rate(" + liveCounter + "[5s]))",
		},
		Timeout: 2 * time.Second,
	})
	before := time.Now()
	s, err := src.Sample(context.Background(), time.Time{})
	after := time.Now()
	require.NoError(t, err)
	assert.False(t, s.Time.Before(before) || s.Time.After(after), "a zero time samples now: %s not in [%s, %s]", s.Time, before, after)
	assert.InDelta(t, liveValue, s.Values[shadow.CPU], 0)
	// The exporter adds 7 a scrape, at most once a second; how many
	// scrapes the window holds depends on the server's timing.
	assert.Greater(t, s.Values[shadow.RequestRate], 0.0)
	assert.LessOrEqual(t, s.Values[shadow.RequestRate], 14.0)
}

func TestIntegrationTimeoutsTheServerAccepts(t *testing.T) {
	requireServer(t)
	waitForLive(t)
	for _, d := range []time.Duration{500 * time.Millisecond, time.Second, 90 * time.Second} {
		src := newSource(t, prometheus.Config{Queries: map[shadow.Metric]string{shadow.CPU: liveMetric}, Timeout: d})
		s, err := src.Sample(context.Background(), time.Time{})
		require.NoError(t, err, "timeout %s", d)
		assert.InDelta(t, liveValue, s.Values[shadow.CPU], 0)
		_, err = src.History(context.Background(), shadow.CPU, time.Now().Add(-time.Minute), time.Now(), time.Second)
		require.NoError(t, err, "timeout %s", d)
	}
	// What Validate refuses, the server refuses too.
	_, _, _, err := promAPI.Query(context.Background(), liveMetric, time.Now(), v1.WithTimeout(1500*time.Millisecond))
	var apiErr *v1.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, v1.ErrBadData, apiErr.Type)
	assert.Contains(t, apiErr.Msg, strconv.Quote("1.5s"))
	_, err = prometheus.NewSource(promAPI, prometheus.Config{Queries: map[shadow.Metric]string{shadow.CPU: liveMetric}, Timeout: 1500 * time.Millisecond})
	assert.ErrorContains(t, err, "Config.Timeout (1.5s)")
}

func TestIntegrationSampleRefusesWhatCannotBeALoad(t *testing.T) {
	requireServer(t)
	waitForLive(t)
	cases := map[string]error{
		"-" + liveMetric:                     prometheus.ErrNegative,
		liveMetric + " / 0":                  prometheus.ErrNotANumber,
		podsMetric + "{pod=\"a\"} offset 1y": prometheus.ErrNoData,
		"no_such_metric_anywhere":            prometheus.ErrNoData,
	}
	for q, want := range cases {
		src := newSource(t, prometheus.Config{Queries: map[shadow.Metric]string{shadow.CPU: q}})
		_, err := src.Sample(context.Background(), time.Time{})
		require.ErrorIs(t, err, want, q)
		assert.NotContains(t, err.Error(), "0001-01-01")
	}
}

// A glitch scraped once, then served again by the server's lookback while
// the next scrapes are missing: a Controller that reads the real server
// holds the glitch as suspect and does not take the copies for the
// confirmation of a step change. With SourceLookback −1 (any copy
// confirms) the same series scales production to MaxReplicas.
func TestIntegrationControllerHoldsLookbackCopies(t *testing.T) {
	requireServer(t)
	src := newSource(t, prometheus.Config{Queries: map[shadow.Metric]string{shadow.RequestRate: glitchMetric}})
	// Between the samples, so no pass sits on the lookback edge.
	passAt := func(i int) time.Time { return backfillT0.Add(time.Duration(i)*time.Minute + 30*time.Second) }
	for i := glitchAt; i <= glitchAt+glitchGap; i++ {
		s, err := src.Sample(context.Background(), passAt(i))
		require.NoError(t, err)
		require.Equal(t, 4000.0, s.Values[shadow.RequestRate], "the server serves the glitch again %d min after it", i-glitchAt)
	}

	for _, tc := range []struct {
		name     string
		lookback time.Duration
	}{{"default SourceLookback", 0}, {"SourceLookback -1", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			now := passAt(0)
			grp := actuatortest.NewGroup(15, 0, func() time.Time { return now })
			c := glitchController(t, src, grp, tc.lookback)
			desired := func() int {
				st, err := grp.Current(context.Background())
				require.NoError(t, err)
				return st.Desired
			}
			var before, most int
			for i := range glitchLen {
				now = passAt(i)
				r, err := c.Step(context.Background(), now)
				if tc.lookback == 0 {
					require.NoError(t, err, "pass %d: %s", i, r.Decision.Reason)
				}
				switch {
				case i == glitchAt-1:
					before = desired()
				case i >= glitchAt:
					most = max(most, desired())
				}
				if tc.lookback == 0 && i > glitchAt && i <= glitchAt+glitchGap {
					require.Equal(t, []shadow.Metric{shadow.RequestRate}, r.Suspect, "pass %d", i)
					require.True(t, slices.ContainsFunc(r.Alerts, func(a shadow.Alert) bool {
						return strings.HasPrefix(a.Message, "request_rate = 4000 repeats bit for bit the unconfirmed sample")
					}), "pass %d: %v", i, r.Alerts)
				}
			}
			t.Logf("%s: %d replicas before the glitch, at most %d after", tc.name, before, most)
			if tc.lookback == 0 {
				assert.LessOrEqual(t, most, before*3/2, "the glitch and its copies add at most half the capacity")
				for _, o := range c.History() {
					assert.Less(t, o.Value, 1000.0, "the glitch at %s reached the history", o.Time)
				}
				return
			}
			assert.Equal(t, 100, most, "a copy taken for a confirmation: MaxReplicas")
		})
	}
}

// A glitch of five times the load, served again by the server's lookback
// while the next scrapes are missing: by value alone its copies are a step
// served bit for bit and confirm it (the glitch reaches the history); with
// ScrapeTimes the source reports the same scrape time for the copies, and
// the Controller holds the glitch as it holds a larger one.
func TestIntegrationScrapeTimesTellCopiesApart(t *testing.T) {
	requireServer(t)
	q := map[shadow.Metric]string{shadow.RequestRate: smallGlitchMetric}
	passAt := func(i int) time.Time { return backfillT0.Add(time.Duration(i)*time.Minute + 30*time.Second) }
	stamped := newSource(t, prometheus.Config{Queries: q, ScrapeTimes: true})
	for i := glitchAt - 2; i <= glitchAt+glitchGap+1; i++ {
		s, err := stamped.Sample(context.Background(), passAt(i))
		require.NoError(t, err)
		scrape := min(i, glitchAt)
		if i > glitchAt+glitchGap {
			scrape = i
		}
		assert.Equal(t, backfillT0.Add(time.Duration(scrape)*time.Minute), s.Scraped[shadow.RequestRate], "pass at minute %d", i)
	}

	for _, tc := range []struct {
		name    string
		stamped bool
	}{{"ScrapeTimes", true}, {"values only", false}} {
		t.Run(tc.name, func(t *testing.T) {
			src := newSource(t, prometheus.Config{Queries: q, ScrapeTimes: tc.stamped})
			now := passAt(0)
			grp := actuatortest.NewGroup(15, 0, func() time.Time { return now })
			c := glitchController(t, src, grp, 0)
			var before, most int
			for i := range glitchLen {
				now = passAt(i)
				r, err := c.Step(context.Background(), now)
				require.NoError(t, err, "pass %d: %s", i, r.Decision.Reason)
				st, err := grp.Current(context.Background())
				require.NoError(t, err)
				switch {
				case i == glitchAt-1:
					before = st.Desired
				case i >= glitchAt:
					most = max(most, st.Desired)
				}
				if tc.stamped && i > glitchAt && i <= glitchAt+glitchGap {
					require.True(t, slices.ContainsFunc(r.Alerts, func(a shadow.Alert) bool {
						return strings.HasPrefix(a.Message, "request_rate = 500 is the unconfirmed sample of") && strings.Contains(a.Message, "served again")
					}), "pass %d: %v", i, r.Alerts)
				}
			}
			kept := 0
			for _, o := range c.History() {
				if o.Value >= 500 {
					kept++
				}
			}
			t.Logf("%s: %d replicas before the glitch, at most %d after; %d glitch values in the history", tc.name, before, most, kept)
			if tc.stamped {
				assert.Zero(t, kept, "the glitch or its copies reached the history")
				assert.LessOrEqual(t, most, before*3/2, "the glitch and its copies add at most half the capacity")
			} else {
				assert.Equal(t, 1+glitchGap, kept, "by value alone the copies confirm the glitch")
			}
		})
	}
}

// Read back with a range query by a Controller that starts after the
// glitch of five times the load: with ScrapeTimes each point carries the
// scrape it comes from, the copies the glitch's, and the glitch and its
// copies are left out of the history; by value alone the copies confirm
// it and the four values are kept as a step change (and the forecast they
// give is held as implausible).
func TestIntegrationScrapeTimesReadBack(t *testing.T) {
	requireServer(t)
	q := map[shadow.Metric]string{shadow.RequestRate: smallGlitchMetric}
	from := backfillT0.Add(time.Duration(glitchAt-2)*time.Minute + 30*time.Second)
	obs, err := newSource(t, prometheus.Config{Queries: q, ScrapeTimes: true}).History(context.Background(), shadow.RequestRate, from, from.Add(6*time.Minute), time.Minute)
	require.NoError(t, err)
	require.Len(t, obs, 7)
	for k, o := range obs {
		i := glitchAt - 2 + k
		scrape := min(i, glitchAt)
		if i > glitchAt+glitchGap {
			scrape = i
		}
		assert.Equal(t, backfillT0.Add(time.Duration(scrape)*time.Minute), o.Scraped, "point at minute %d", i)
	}

	start := backfillT0.Add(time.Duration(glitchAt+10)*time.Minute + 30*time.Second)
	for _, tc := range []struct {
		name    string
		stamped bool
		kept    int
	}{{"ScrapeTimes", true, 0}, {"values only", false, 1 + glitchGap}} {
		t.Run(tc.name, func(t *testing.T) {
			readBackAfterGlitch(t, newSource(t, prometheus.Config{Queries: q, ScrapeTimes: tc.stamped}), 0, start, tc.kept, 500)
		})
	}
}

// glitchController is a Controller on the default Predictive stack (15
// replicas, PerReplica 10, at most 100) reading src, with SourceLookback
// lookback.
func glitchController(t *testing.T, src *prometheus.Source, grp *actuatortest.Group, lookback time.Duration) *shadow.Controller {
	t.Helper()
	fc, err := forecast.NewAuto(forecast.AutoConfig{Step: time.Minute})
	require.NoError(t, err)
	pol, err := policy.Predictive(policy.DefaultPredictiveConfig())
	require.NoError(t, err)
	c, err := shadow.New(shadow.Config{PerReplica: 10, MaxReplicas: 100, SourceLookback: lookback},
		shadow.Deps{Source: src, Forecaster: fc, Policy: pol, Production: grp},
		shadow.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	return c
}

// A Controller that starts after the glitch reads the series back with a
// range query, which serves the glitch again for the missing scrapes: the
// copies do not confirm it, and it is left out of the history. With
// SourceLookback −1 the four values are kept as a step change.
func TestIntegrationReadBackLeavesLookbackCopiesOut(t *testing.T) {
	requireServer(t)
	src := newSource(t, prometheus.Config{Queries: map[shadow.Metric]string{shadow.RequestRate: glitchMetric}})
	start := backfillT0.Add(time.Duration(glitchAt+10)*time.Minute + 30*time.Second)
	for _, tc := range []struct {
		name     string
		lookback time.Duration
		kept     int
	}{{"default SourceLookback", 0, 0}, {"SourceLookback -1", -1, 1 + glitchGap}} {
		t.Run(tc.name, func(t *testing.T) { readBackAfterGlitch(t, src, tc.lookback, start, tc.kept, 1000) })
	}
}

// readBackAfterGlitch starts a glitchController on src (SourceLookback
// lookback) at start, after the glitch, and checks that its read-back kept
// kept values of at least glitchMin: none, or the glitch and its copies,
// whose forecast is then held as implausible.
func readBackAfterGlitch(t *testing.T, src *prometheus.Source, lookback time.Duration, start time.Time, kept int, glitchMin float64) {
	t.Helper()
	grp := actuatortest.NewGroup(15, 0, func() time.Time { return start })
	c := glitchController(t, src, grp, lookback)
	r, err := c.Step(context.Background(), start)
	if kept == 0 {
		require.NoError(t, err)
	} else {
		// The glitch kept: the forecast it gives is held as implausible.
		require.ErrorContains(t, err, "implausible forecast")
	}
	require.Equal(t, glitchAt+10, r.Backfilled+1+glitchGap-kept, "every minute since the series began but the glitch and its copies")
	n := 0
	for _, o := range c.History() {
		if o.Value >= glitchMin {
			n++
		}
	}
	assert.Equal(t, kept, n)
}

// A Controller that starts on a load that comes and goes reads it back
// from the real server as its passes judge it: the first two high phases
// are left out as glitches, the rest kept (before, all thirty were left
// out, and the forecaster learned only the low phases); the same with
// scrape times.
func TestIntegrationRecurringLoadReadBack(t *testing.T) {
	requireServer(t)
	start := backfillT0.Add(time.Duration(alternateFrom+alternateLen)*time.Minute + 30*time.Second)
	for _, stamped := range []bool{false, true} {
		t.Run(fmt.Sprintf("ScrapeTimes %v", stamped), func(t *testing.T) {
			src := newSource(t, prometheus.Config{Queries: map[shadow.Metric]string{shadow.RequestRate: alternatingMetric}, ScrapeTimes: stamped})
			grp := actuatortest.NewGroup(15, 0, func() time.Time { return start })
			c := glitchController(t, src, grp, 0)
			r, err := c.Step(context.Background(), start)
			require.NoError(t, err)
			require.Equal(t, alternateFrom+alternateLen-2, r.Backfilled, "every minute since the series began but two high phases")
			high := 0
			for _, o := range c.History() {
				if o.Value > 200 {
					high++
				}
			}
			assert.Equal(t, alternateLen/2-2, high, "the high phases from the third on")
		})
	}
}

// BenchmarkIntegrationSample measures one Sample against the real server,
// one metric, with and without ScrapeTimes (which adds the query of its
// timestamp): go test -tags integration -run '^$' -bench IntegrationSample .
func BenchmarkIntegrationSample(b *testing.B) {
	if skipReason != "" {
		b.Skip(skipReason)
	}
	at := backfillT0.Add(time.Duration(glitchAt)*time.Minute + 30*time.Second)
	for _, stamped := range []bool{false, true} {
		b.Run(fmt.Sprintf("ScrapeTimes=%v", stamped), func(b *testing.B) {
			src, err := prometheus.NewSource(promAPI, prometheus.Config{Queries: map[shadow.Metric]string{shadow.RequestRate: smallGlitchMetric}, ScrapeTimes: stamped})
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := src.Sample(context.Background(), at); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A computed query's timestamp() is the evaluation time, not a scrape's:
// the source leaves it out (reported once), and keeps a selector's.
func TestIntegrationScrapeTimesOfAComputedQuery(t *testing.T) {
	requireServer(t)
	at := backfillT0.Add(5*time.Minute + 30*time.Second)
	var warned []prometheus.Warnings
	src := newSource(t, prometheus.Config{
		Queries: map[shadow.Metric]string{
			shadow.RequestRate: smallGlitchMetric,
			shadow.CPU:         "max(" + smallGlitchMetric + ") * 2",
		},
		ScrapeTimes: true,
		OnWarnings:  func(w prometheus.Warnings) { warned = append(warned, w) },
	})
	s, err := src.Sample(context.Background(), at)
	require.NoError(t, err)
	assert.Equal(t, backfillT0.Add(5*time.Minute), s.Scraped[shadow.RequestRate], "a selector's scrape time")
	_, ok := s.Scraped[shadow.CPU]
	assert.False(t, ok, "a computed query has none: %v", s.Scraped)
	assert.Equal(t, 2*s.Values[shadow.RequestRate], s.Values[shadow.CPU])
	require.Len(t, warned, 1, "%v", warned)
	assert.Equal(t, shadow.CPU, warned[0].Metric)
	assert.Contains(t, warned[0].Messages[0], "timestamp is the evaluation time")
}
