package prometheus

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/shadow"
)

var now = time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)

const (
	rateQuery = `sum(rate(http_requests_total{job="web"}[1m]))`
	cpuQuery  = `sum(rate(container_cpu_usage_seconds_total{pod=~"web-.*"}[1m]))`
)

// promServer answers /api/v1/query with canned bodies keyed by query, and
// checks that every request evaluates at the expected time.
type promServer struct {
	t       *testing.T
	at      time.Time
	bodies  map[string]string
	timeout string // expected timeout parameter, "" for none

	mu      sync.Mutex
	queries []string
}

func (s *promServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path != "/api/v1/query" {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"status":"error","errorType":"not_found","error":"no route %s"}`, r.URL.Path)
		return
	}
	if !assert.NoError(s.t, r.ParseForm()) {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	q := r.Form.Get("query")
	s.mu.Lock()
	s.queries = append(s.queries, q)
	s.mu.Unlock()

	ts, err := strconv.ParseFloat(r.Form.Get("time"), 64)
	assert.NoError(s.t, err, "time parameter %q", r.Form.Get("time"))
	assert.Equal(s.t, float64(s.at.Unix()), ts, "evaluation time")
	assert.Equal(s.t, s.timeout, r.Form.Get("timeout"), "timeout parameter")

	body, ok := s.bodies[q]
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"status":"error","errorType":"bad_data","error":"unexpected query %q"}`, q)
		return
	}
	if body[0] == '!' { // an API error, status 422
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprint(w, body[1:])
		return
	}
	fmt.Fprint(w, body)
}

func vector(values ...string) string {
	res := ""
	for i, v := range values {
		if i > 0 {
			res += ","
		}
		res += fmt.Sprintf(`{"metric":{"pod":"web-%d"},"value":[%d,%q]}`, i, now.Unix(), v)
	}
	return `{"status":"success","data":{"resultType":"vector","result":[` + res + `]}}`
}

func newSource(t *testing.T, s *promServer, cfg Config) *Source {
	t.Helper()
	s.t = t
	if s.at.IsZero() {
		s.at = now
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := api.NewClient(api.Config{Address: srv.URL, Client: srv.Client()})
	require.NoError(t, err)
	src, err := NewSource(v1.NewAPI(c), cfg)
	require.NoError(t, err)
	return src
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{}, "Config.Queries is empty"},
		{Config{Queries: map[shadow.Metric]string{"": "up"}}, "empty metric name"},
		{Config{Queries: map[shadow.Metric]string{shadow.CPU: ""}}, `Config.Queries["cpu"] is empty`},
		{Config{Queries: map[shadow.Metric]string{shadow.CPU: "up"}, Timeout: -time.Second}, "Config.Timeout (-1s) is negative"},
		{Config{Queries: map[shadow.Metric]string{shadow.CPU: "up"}, Timeout: 1500 * time.Millisecond}, `Config.Timeout (1.5s) must be a whole number of seconds, or of milliseconds below one second: the server cannot parse "1.5s"`},
		{Config{Queries: map[shadow.Metric]string{shadow.CPU: "up"}, Timeout: 90500 * time.Millisecond}, "Config.Timeout (1m30.5s)"},
		{Config{Queries: map[shadow.Metric]string{shadow.CPU: "up"}, Timeout: 250 * time.Microsecond}, "Config.Timeout (250µs)"},
		{Config{Queries: map[shadow.Metric]string{shadow.CPU: "up"}, MaxPoints: -1}, "Config.MaxPoints (-1) is negative"},
	}
	for _, c := range cases {
		assert.ErrorContains(t, c.cfg.Validate(), c.want)
	}
	_, err := NewSource(nil, Config{Queries: map[shadow.Metric]string{shadow.CPU: "up"}})
	require.ErrorContains(t, err, "api is nil")
}

func TestSampleVectorAndScalar(t *testing.T) {
	s := &promServer{bodies: map[string]string{
		rateQuery: vector("412.5"),
		cpuQuery:  fmt.Sprintf(`{"status":"success","data":{"resultType":"scalar","result":[%d,"3.25"]}}`, now.Unix()),
	}, timeout: "5s"}
	src := newSource(t, s, Config{
		Queries: map[shadow.Metric]string{shadow.RequestRate: rateQuery, shadow.CPU: cpuQuery},
		Timeout: 5 * time.Second,
	})
	got, err := src.Sample(context.Background(), now)
	require.NoError(t, err)
	assert.Equal(t, now, got.Time)
	assert.Equal(t, map[shadow.Metric]float64{shadow.RequestRate: 412.5, shadow.CPU: 3.25}, got.Values)
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Equal(t, []string{cpuQuery, rateQuery}, s.queries, "queries run in metric-name order")
}

func TestSampleErrorsNameMetricAndQuery(t *testing.T) {
	cases := []struct {
		name string
		body string
		want error
		msg  string
	}{
		{"empty vector", vector(), ErrNoData, "query returned no data"},
		{"NaN", vector("NaN"), ErrNotANumber, "NaN"},
		{"+Inf", vector("+Inf"), ErrNotANumber, "+Inf"},
		{"negative", vector("-3.5"), ErrNegative, "-3.5"},
		{"two series", vector("1", "2"), ErrManySeries, "2 series"},
		{"matrix", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"]]}]}}`, ErrResultType, "matrix"},
		{"bad query", `!{"status":"error","errorType":"bad_data","error":"1:5: parse error: unexpected end of input"}`, nil, "parse error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &promServer{bodies: map[string]string{rateQuery: c.body}}
			src := newSource(t, s, Config{Queries: map[shadow.Metric]string{shadow.RequestRate: rateQuery}})
			_, err := src.Sample(context.Background(), now)
			require.Error(t, err)
			if c.want != nil {
				require.ErrorIs(t, err, c.want)
			} else {
				var apiErr *v1.Error
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, v1.ErrBadData, apiErr.Type)
			}
			assert.Contains(t, err.Error(), `metric "request_rate"`)
			assert.Contains(t, err.Error(), strconv.Quote(rateQuery))
			assert.Contains(t, err.Error(), "2026-03-02T10:30:00Z")
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestSampleUnreachableServer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	c, err := api.NewClient(api.Config{Address: addr})
	require.NoError(t, err)
	src, err := NewSource(v1.NewAPI(c), Config{Queries: map[shadow.Metric]string{shadow.CPU: cpuQuery}})
	require.NoError(t, err)
	_, err = src.Sample(context.Background(), now)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `prometheus: metric "cpu"`)
}

func TestWarningsReachTheHook(t *testing.T) {
	s := &promServer{bodies: map[string]string{
		rateQuery: `{"status":"success","warnings":["partial response"],"data":{"resultType":"vector","result":[{"metric":{},"value":[1,"7"]}]}}`,
	}}
	var got []Warnings
	src := newSource(t, s, Config{
		Queries:    map[shadow.Metric]string{shadow.RequestRate: rateQuery},
		OnWarnings: func(w Warnings) { got = append(got, w) },
	})
	sample, err := src.Sample(context.Background(), now)
	require.NoError(t, err)
	assert.InDelta(t, 7.0, sample.Values[shadow.RequestRate], 0)
	assert.Equal(t, []Warnings{{Metric: shadow.RequestRate, Query: rateQuery, Messages: []string{"partial response"}}}, got)
}

func TestValueOfOtherTypes(t *testing.T) {
	_, err := valueOf(nil)
	require.ErrorIs(t, err, ErrNoData)
	_, err = valueOf((*model.Scalar)(nil))
	require.ErrorIs(t, err, ErrNoData)
	_, err = valueOf(&model.String{Value: "x"})
	require.ErrorIs(t, err, ErrResultType)
	assert.Contains(t, err.Error(), "string (want scalar or instant vector)")
	_, err = valueOf(model.Vector{{Histogram: &model.SampleHistogram{Count: 3}}})
	require.ErrorIs(t, err, ErrResultType)
	assert.Contains(t, err.Error(), "native histogram")
}

func TestTimeoutsTheServerParses(t *testing.T) {
	for _, d := range []time.Duration{time.Millisecond, 500 * time.Millisecond, 999 * time.Millisecond, time.Second, 90 * time.Second, time.Hour} {
		cfg := Config{Queries: map[shadow.Metric]string{shadow.CPU: "up"}, Timeout: d}
		require.NoError(t, cfg.Validate(), d)
		_, err := model.ParseDuration(d.String())
		require.NoError(t, err, "the server's parser refuses %q", d.String())
	}
}

func TestSampleZeroTimeUsesTheCurrentTime(t *testing.T) {
	s := &promServer{bodies: map[string]string{rateQuery: vector("5"), cpuQuery: vector("1")}}
	src := newSource(t, s, Config{Queries: map[shadow.Metric]string{shadow.RequestRate: rateQuery, shadow.CPU: cpuQuery}})
	calls := 0
	src.now = func() time.Time { calls++; return now }
	got, err := src.Sample(context.Background(), time.Time{})
	require.NoError(t, err)
	assert.Equal(t, now, got.Time)
	assert.Equal(t, 1, calls, "one clock read: every query evaluated at the same instant")

	s.bodies[rateQuery] = vector()
	_, err = src.Sample(context.Background(), time.Time{})
	require.ErrorIs(t, err, ErrNoData)
	assert.Contains(t, err.Error(), "2026-03-02T10:30:00Z")
	assert.NotContains(t, err.Error(), "0001-01-01")
}

// With ScrapeTimes, Sample also asks timestamp(query) and reports it per
// metric; a metric whose timestamp cannot be had (here a scalar result,
// which timestamp() refuses) is left without one, reported to OnWarnings,
// and the sample still succeeds.
func TestSampleScrapeTimes(t *testing.T) {
	scrape := now.Add(-40 * time.Second)
	s := &promServer{bodies: map[string]string{
		rateQuery:                      vector("412.5"),
		"timestamp(" + rateQuery + ")": vector(strconv.FormatInt(scrape.Unix(), 10) + ".25"),
		cpuQuery:                       fmt.Sprintf(`{"status":"success","data":{"resultType":"scalar","result":[%d,"3.25"]}}`, now.Unix()),
		"timestamp(" + cpuQuery + ")":  `!{"status":"error","errorType":"bad_data","error":"expected type instant vector in call to function \"timestamp\", got scalar"}`,
	}}
	var warned []Warnings
	src := newSource(t, s, Config{
		Queries:     map[shadow.Metric]string{shadow.RequestRate: rateQuery, shadow.CPU: cpuQuery},
		ScrapeTimes: true,
		OnWarnings:  func(w Warnings) { warned = append(warned, w) },
	})
	got, err := src.Sample(context.Background(), now)
	require.NoError(t, err)
	assert.Equal(t, map[shadow.Metric]float64{shadow.RequestRate: 412.5, shadow.CPU: 3.25}, got.Values)
	assert.Equal(t, map[shadow.Metric]time.Time{shadow.RequestRate: scrape.Add(250 * time.Millisecond)}, got.Scraped)
	require.Len(t, warned, 1)
	assert.Equal(t, shadow.CPU, warned[0].Metric)
	assert.Equal(t, "timestamp("+cpuQuery+")", warned[0].Query)
	assert.Contains(t, warned[0].Messages[0], "no scrape time")
	assert.Contains(t, warned[0].Messages[0], "expected type instant vector")
	_, err = src.Sample(context.Background(), now)
	require.NoError(t, err)
	assert.Len(t, warned, 1, "reported once")

	// Without it, one query per metric and no scrape times.
	s2 := &promServer{bodies: map[string]string{rateQuery: vector("412.5")}}
	got, err = newSource(t, s2, Config{Queries: map[shadow.Metric]string{shadow.RequestRate: rateQuery}}).Sample(context.Background(), now)
	require.NoError(t, err)
	assert.Nil(t, got.Scraped)
	s2.mu.Lock()
	defer s2.mu.Unlock()
	assert.Equal(t, []string{rateQuery}, s2.queries)
}

// A query that computes its value (an aggregation, a rate, arithmetic)
// has no scrape time: Prometheus stamps its samples with the evaluation
// time, which Sample leaves out, reported once. Taken for a scrape time,
// it made every pass's value a new reading, so that a value served again
// (its scrape missing) was never told from one.
func TestSampleScrapeTimesOfAComputedQuery(t *testing.T) {
	at := now // the fake server checks the evaluation time
	s := &promServer{bodies: map[string]string{
		rateQuery: vector("412.5"),
		// The evaluation time, within the millisecond of rounding.
		"timestamp(" + rateQuery + ")": vector(fmt.Sprintf("%d.001", now.Unix())),
	}}
	var warned []Warnings
	src := newSource(t, s, Config{
		Queries:     map[shadow.Metric]string{shadow.RequestRate: rateQuery},
		ScrapeTimes: true,
		OnWarnings:  func(w Warnings) { warned = append(warned, w) },
	})
	got, err := src.Sample(context.Background(), at)
	require.NoError(t, err)
	assert.Equal(t, 412.5, got.Values[shadow.RequestRate])
	assert.Empty(t, got.Scraped, "the evaluation time is no scrape time")
	require.Len(t, warned, 1)
	assert.Contains(t, warned[0].Messages[0], "timestamp is the evaluation time")
	_, err = src.Sample(context.Background(), at)
	require.NoError(t, err)
	assert.Len(t, warned, 1, "reported once")

	// A scrape 39 ms before the evaluation is one.
	s.mu.Lock()
	s.bodies["timestamp("+rateQuery+")"] = vector(fmt.Sprintf("%d.961", now.Unix()-1))
	s.mu.Unlock()
	got, err = src.Sample(context.Background(), at)
	require.NoError(t, err)
	assert.Equal(t, time.UnixMilli(now.UnixMilli()-39).UTC(), got.Scraped[shadow.RequestRate])
}
