package prometheus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/shadowscale/shadowscale/shadow"
)

// History implements [shadow.HistorySource] with the range query API: it
// evaluates the metric's query at from, from+step, …, up to and including
// to, and returns the values oldest first, each stamped with its grid time.
//
// A range longer than Config.MaxPoints points is read in consecutive range
// queries whose starts stay on the same grid, so the chunks join without a
// duplicate or a missing step. A step at which the query has no value (no
// sample within the server's lookback, or NaN, which PromQL yields for 0/0)
// is left out as a gap. A negative or infinite value, a result with more
// than one series, or any failed chunk fails the whole call: no partial
// history is returned.
//
// from and step are used at millisecond precision, the server's. step must
// be a positive whole number of milliseconds and from must not be after to.
//
// With Config.ScrapeTimes each chunk is also read as timestamp(query),
// which sets each point's Observation.Scraped: the points the server
// serves again for missing scrapes carry the scrape they repeat. A failure
// of that query leaves them unset (reported as Sample reports it).
func (s *Source) History(ctx context.Context, metric shadow.Metric, from, to time.Time, step time.Duration) ([]shadow.Observation, error) {
	q, ok := s.cfg.Queries[metric]
	if !ok {
		return nil, fmt.Errorf("prometheus: history of metric %q: no query configured for it", metric)
	}
	switch {
	case from.IsZero() || to.IsZero():
		return nil, fmt.Errorf("prometheus: history of metric %q: from (%s) and to (%s) must both be set", metric, from, to)
	case to.Before(from):
		return nil, fmt.Errorf("prometheus: history of metric %q: to (%s) is before from (%s)", metric, to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))
	case step <= 0 || step%time.Millisecond != 0:
		return nil, fmt.Errorf("prometheus: history of metric %q: step (%s) must be a positive whole number of milliseconds", metric, step)
	}
	from = from.Truncate(time.Millisecond)
	points := int64(to.Sub(from)/step) + 1
	opts := s.options()
	var out []shadow.Observation
	for first := int64(0); first < points; first += int64(s.cfg.MaxPoints) {
		last := min(first+int64(s.cfg.MaxPoints), points) - 1
		r := v1.Range{
			Start: from.Add(time.Duration(first) * step),
			End:   from.Add(time.Duration(last) * step),
			Step:  step,
		}
		obs, err := s.historyChunk(ctx, metric, q, r, from, opts)
		if err != nil {
			return nil, fmt.Errorf("prometheus: history of metric %q: query %q from %s to %s step %s: %w",
				metric, q, r.Start.UTC().Format(time.RFC3339), r.End.UTC().Format(time.RFC3339), step, err)
		}
		if s.cfg.ScrapeTimes && len(obs) > 0 {
			s.historyScrapes(ctx, metric, q, r, from, opts, obs)
		}
		out = append(out, obs...)
	}
	return out, nil
}

// historyScrapes sets the scrape time of each of one chunk's points obs
// from the range query of timestamp(q); a failure leaves them zero and is
// reported as Sample's are.
func (s *Source) historyScrapes(ctx context.Context, m shadow.Metric, q string, r v1.Range, origin time.Time, opts []v1.Option, obs []shadow.Observation) {
	tq := timestampQuery(q)
	ts, err := s.historyChunk(ctx, m, tq, r, origin, opts)
	if !s.scrapeResult(m, tq, err) {
		return
	}
	j := 0
	for i := range obs {
		for j < len(ts) && ts[j].Time.Before(obs[i].Time) {
			j++
		}
		if j < len(ts) && ts[j].Time.Equal(obs[i].Time) && ts[j].Value > 0 {
			obs[i].Scraped = scrapeTime(ts[j].Value)
		}
	}
}

// historyChunk runs one range query and maps its points onto the grid that
// starts at origin.
func (s *Source) historyChunk(ctx context.Context, m shadow.Metric, q string, r v1.Range, origin time.Time, opts []v1.Option) ([]shadow.Observation, error) {
	res, warnings, _, err := s.api.QueryRange(ctx, q, r, opts...)
	if err != nil {
		return nil, err
	}
	if len(warnings) > 0 && s.cfg.OnWarnings != nil {
		s.cfg.OnWarnings(Warnings{Metric: m, Query: q, Messages: append([]string(nil), warnings...)})
	}
	var series *model.SampleStream
	switch res := res.(type) {
	case model.Matrix:
		switch len(res) {
		case 0:
			return nil, nil // every step is a gap
		case 1:
			series = res[0]
		default:
			return nil, fmt.Errorf("%w: %d series (aggregate with sum, avg or max): %s", ErrManySeries, len(res), res[0].Metric)
		}
	case nil:
		return nil, nil
	default:
		return nil, fmt.Errorf("%w: %s (want matrix)", ErrResultType, res.Type())
	}
	if len(series.Histograms) > 0 {
		return nil, fmt.Errorf("%w: native histogram samples (use histogram_quantile, histogram_sum or histogram_count)", ErrResultType)
	}
	step := r.Step
	out := make([]shadow.Observation, 0, len(series.Values))
	for _, p := range series.Values {
		v := float64(p.Value)
		if math.IsNaN(v) {
			continue
		}
		at := p.Timestamp.Time()
		if err := checkValue(v); err != nil {
			return nil, fmt.Errorf("at %s: %w", at.UTC().Format(time.RFC3339Nano), err)
		}
		// The server stamps points at start + k*step in milliseconds;
		// rounding the offset puts each back on the caller's grid.
		k := int64(math.Round(float64(at.Sub(origin)) / float64(step)))
		t := origin.Add(time.Duration(k) * step)
		if t.Before(r.Start) || t.After(r.End) {
			return nil, fmt.Errorf("point at %s outside the requested range", at.UTC().Format(time.RFC3339Nano))
		}
		if n := len(out); n > 0 && !out[n-1].Time.Before(t) {
			return nil, errors.New("points out of order or repeated")
		}
		out = append(out, shadow.Observation{Time: t, Value: v})
	}
	return out, nil
}
