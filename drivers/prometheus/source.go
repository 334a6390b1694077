package prometheus

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/shadowscale/shadowscale/shadow"
)

// Errors callers branch on.
var (
	// ErrNoData reports a query that returned no sample: the series does
	// not exist (yet), or a label matcher selects nothing.
	ErrNoData = errors.New("prometheus: query returned no data")
	// ErrManySeries reports a query that returned more than one series.
	ErrManySeries = errors.New("prometheus: query returned more than one series")
	// ErrNotANumber reports a NaN or infinite result.
	ErrNotANumber = errors.New("prometheus: query result is not a finite number")
	// ErrResultType reports a result that is neither a scalar nor an
	// instant vector (a range vector or a string).
	ErrResultType = errors.New("prometheus: unsupported result type")
	// ErrNegative reports a negative result: no load signal (a rate, a
	// usage, a throughput) can be below zero, so the query is wrong (a
	// deriv or a difference) or a counter reset was mishandled.
	ErrNegative = errors.New("prometheus: query result is negative")
)

// DefaultMaxPoints is the largest number of points per series that
// Prometheus returns from one range query (its query_range limit).
const DefaultMaxPoints = 11000

// QueryAPI is the part of the Prometheus HTTP API client the source calls.
// v1.API (from v1.NewAPI) satisfies it; tests may pass a fake.
type QueryAPI interface {
	// Query evaluates an instant query at ts.
	Query(ctx context.Context, query string, ts time.Time, opts ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error)
	// QueryRange evaluates a query at every step of a range.
	QueryRange(ctx context.Context, query string, r v1.Range, opts ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error)
}

var _ QueryAPI = v1.API(nil)

// Config configures a [Source].
type Config struct {
	// Queries maps each metric to the PromQL query that yields its value.
	// At least one is required; each query must be non-empty.
	Queries map[shadow.Metric]string
	// Timeout bounds each query's evaluation on the server (the API's
	// timeout parameter). Zero leaves the server's default. The parameter
	// travels as Go formats the duration, which Prometheus parses only
	// for whole seconds ("2s", "1m30s") and for whole milliseconds below
	// one second ("500ms"); Validate refuses anything else (1.5s).
	Timeout time.Duration
	// MaxPoints bounds the points per range query that History asks for;
	// longer ranges are read in consecutive chunks. Zero means
	// DefaultMaxPoints, Prometheus' own limit; set it lower for a server
	// configured with a smaller one.
	MaxPoints int
	// OnWarnings, when set, receives the warnings the server returns with
	// an otherwise successful query. Nil discards them.
	OnWarnings func(Warnings)
	// ScrapeTimes makes Sample also evaluate timestamp(query) for each
	// metric and report it in shadow.Sample.Scraped: for a gauge or a
	// recording rule, the time of the scrape (or rule evaluation) the
	// value comes from, so that the Controller tells the last reading
	// served again (missed scrapes, within the lookback delta) from a new
	// reading of the same value. A query that computes its value (a rate,
	// a sum, arithmetic) has none: Prometheus stamps its samples with the
	// evaluation time, which tells nothing apart, and Sample leaves the
	// metric without one, as it does a query whose timestamp cannot be
	// had (a scalar result, an error), reported to OnWarnings once until
	// a timestamp is had again (History, whose points lie on the query's
	// grid, where a scrape can too, keeps every timestamp). It costs a
	// second query per metric and pass.
	ScrapeTimes bool
}

// Warnings are the warnings the server returned for one query.
type Warnings struct {
	// Metric is the metric whose query produced the warnings.
	Metric shadow.Metric
	// Query is the PromQL query.
	Query string
	// Messages are the server's warnings, in order.
	Messages []string
}

// Validate reports the first missing or invalid field.
func (c Config) Validate() error {
	if len(c.Queries) == 0 {
		return errors.New("prometheus: Config.Queries is empty")
	}
	for _, m := range slices.Sorted(maps.Keys(c.Queries)) {
		if m == "" {
			return errors.New("prometheus: Config.Queries has an empty metric name")
		}
		if c.Queries[m] == "" {
			return fmt.Errorf("prometheus: Config.Queries[%q] is empty", m)
		}
	}
	if c.Timeout < 0 {
		return fmt.Errorf("prometheus: Config.Timeout (%s) is negative", c.Timeout)
	}
	if !timeoutFormattable(c.Timeout) {
		return fmt.Errorf("prometheus: Config.Timeout (%s) must be a whole number of seconds, or of milliseconds below one second: the server cannot parse %q", c.Timeout, c.Timeout.String())
	}
	if c.MaxPoints < 0 {
		return fmt.Errorf("prometheus: Config.MaxPoints (%d) is negative", c.MaxPoints)
	}
	return nil
}

// timeoutFormattable reports whether d, formatted by time.Duration.String as
// the client sends it, is a duration the Prometheus API parses.
func timeoutFormattable(d time.Duration) bool {
	if d < time.Second {
		return d%time.Millisecond == 0
	}
	return d%time.Second == 0
}

// Source is a [shadow.MetricsSource] that evaluates one PromQL query per
// metric. It is safe for concurrent use.
type Source struct {
	api     QueryAPI
	metrics []shadow.Metric // sorted, so errors and calls come in a stable order
	cfg     Config
	now     func() time.Time

	mu        sync.Mutex
	noScrapes map[shadow.Metric]bool // metrics whose scrape time failed, reported
}

var (
	_ shadow.MetricsSource = (*Source)(nil)
	_ shadow.HistorySource = (*Source)(nil)
)

// NewSource returns a source that evaluates cfg.Queries through api
// (usually v1.NewAPI(client) with client from api.NewClient). The Config is
// copied.
func NewSource(api QueryAPI, cfg Config) (*Source, error) {
	if api == nil {
		return nil, errors.New("prometheus: NewSource: api is nil")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Queries = maps.Clone(cfg.Queries)
	if cfg.MaxPoints == 0 {
		cfg.MaxPoints = DefaultMaxPoints
	}
	return &Source{api: api, metrics: slices.Sorted(maps.Keys(cfg.Queries)), cfg: cfg, now: time.Now}, nil
}

func (s *Source) options() []v1.Option {
	if s.cfg.Timeout > 0 {
		return []v1.Option{v1.WithTimeout(s.cfg.Timeout)}
	}
	return nil
}

// Sample evaluates every query at now, in metric-name order, and returns
// their values with Time = now. The first failing query fails the sample; its
// error names the metric and the query. A zero now means the current time,
// read once, so every query is evaluated at the same instant and the sample
// carries the time it describes.
func (s *Source) Sample(ctx context.Context, now time.Time) (shadow.Sample, error) {
	if now.IsZero() {
		now = s.now()
	}
	opts := s.options()
	values := make(map[shadow.Metric]float64, len(s.metrics))
	var scraped map[shadow.Metric]time.Time
	if s.cfg.ScrapeTimes {
		scraped = make(map[shadow.Metric]time.Time, len(s.metrics))
	}
	for _, m := range s.metrics {
		q := s.cfg.Queries[m]
		v, err := s.query(ctx, m, q, now, opts)
		if err != nil {
			return shadow.Sample{}, fmt.Errorf("prometheus: metric %q: query %q at %s: %w", m, q, now.UTC().Format(time.RFC3339), err)
		}
		values[m] = v
		if s.cfg.ScrapeTimes {
			s.scrapeTime(ctx, m, q, now, opts, scraped)
		}
	}
	return shadow.Sample{Time: now, Values: values, Scraped: scraped}, nil
}

// scrapeTime evaluates timestamp(q) at now and records it in out; a
// failure leaves m out and is reported to OnWarnings.
func (s *Source) scrapeTime(ctx context.Context, m shadow.Metric, q string, now time.Time, opts []v1.Option, out map[shadow.Metric]time.Time) {
	tq := timestampQuery(q)
	ts, err := s.query(ctx, m, tq, now, opts)
	if err == nil && ts == 0 {
		err = errors.New("timestamp 0")
	}
	at := scrapeTime(ts)
	if err == nil && evaluationTime(at, now) {
		err = errors.New("timestamp is the evaluation time: the query computes its value (an aggregation, a rate, arithmetic), whose samples carry no scrape time")
	}
	if s.scrapeResult(m, tq, err) {
		out[m] = at
	}
}

// evaluationTime reports whether a timestamp() result at is the
// evaluation time now (within the millisecond the server rounds it to),
// not a scrape's: Prometheus stamps the samples of a computed expression
// with the time it evaluates them at.
func evaluationTime(at, now time.Time) bool {
	d := at.Sub(now.Truncate(time.Millisecond))
	return d > -2*time.Millisecond && d < 2*time.Millisecond
}

// scrapeResult records whether metric m's scrape-time query tq worked
// (err nil) and reports a failure to OnWarnings, once until one works
// again; it returns err == nil.
func (s *Source) scrapeResult(m shadow.Metric, tq string, err error) bool {
	s.mu.Lock()
	reported := s.noScrapes[m]
	if err != nil {
		if s.noScrapes == nil {
			s.noScrapes = make(map[shadow.Metric]bool)
		}
		s.noScrapes[m] = true
	} else {
		delete(s.noScrapes, m)
	}
	s.mu.Unlock()
	if err != nil && !reported && s.cfg.OnWarnings != nil {
		s.cfg.OnWarnings(Warnings{Metric: m, Query: tq, Messages: []string{fmt.Sprintf("no scrape time (reported once until one is had): %v", err)}})
	}
	return err == nil
}

// timestampQuery is the query for the time of the sample that q's value
// comes from.
func timestampQuery(q string) string { return "timestamp(" + q + ")" }

// scrapeTime converts timestamp()'s seconds to a time, at the server's
// millisecond precision.
func scrapeTime(ts float64) time.Time { return time.UnixMilli(int64(math.Round(ts * 1000))).UTC() }

func (s *Source) query(ctx context.Context, m shadow.Metric, q string, now time.Time, opts []v1.Option) (float64, error) {
	res, warnings, _, err := s.api.Query(ctx, q, now, opts...)
	if err != nil {
		return 0, err
	}
	if len(warnings) > 0 && s.cfg.OnWarnings != nil {
		s.cfg.OnWarnings(Warnings{Metric: m, Query: q, Messages: slices.Clone(warnings)})
	}
	v, err := valueOf(res)
	if err != nil {
		return 0, err
	}
	return v, checkValue(v)
}

// checkValue refuses what cannot be a load: NaN, ±Inf and negative numbers.
func checkValue(v float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("%w: %v", ErrNotANumber, v)
	case v < 0:
		return fmt.Errorf("%w: %v", ErrNegative, v)
	}
	return nil
}

// valueOf extracts the single number of a scalar or one-sample vector.
func valueOf(res model.Value) (float64, error) {
	switch r := res.(type) {
	case *model.Scalar:
		if r == nil {
			return 0, ErrNoData
		}
		return float64(r.Value), nil
	case model.Vector:
		switch len(r) {
		case 0:
			return 0, ErrNoData
		case 1:
			if r[0].Histogram != nil {
				return 0, fmt.Errorf("%w: native histogram sample (use histogram_quantile, histogram_sum or histogram_count)", ErrResultType)
			}
			return float64(r[0].Value), nil
		}
		return 0, fmt.Errorf("%w: %d series (aggregate with sum, avg or max): %s", ErrManySeries, len(r), r[0].Metric)
	case nil:
		return 0, ErrNoData
	}
	return 0, fmt.Errorf("%w: %s (want scalar or instant vector)", ErrResultType, res.Type())
}
