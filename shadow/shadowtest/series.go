package shadowtest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/shadowscale/shadowscale/shadow"
)

var (
	_ shadow.MetricsSource = (*Series)(nil)
	_ shadow.HistorySource = (*Series)(nil)
)

// Series is a MetricsSource with history, like a metrics store: the value
// of each metric at any time is Fn(t), and History serves past values from
// the same function, so a Controller that starts late can backfill. Start,
// if set, is when the series begins: History leaves earlier points out.
// Series is safe for concurrent use if Fn is.
type Series struct {
	// Fn returns the metrics at t; a metric it leaves out is a gap.
	Fn func(t time.Time) map[shadow.Metric]float64
	// Start is the first time with data; zero means always.
	Start time.Time

	mu       sync.Mutex
	requests int
}

// Sample implements shadow.MetricsSource.
func (s *Series) Sample(_ context.Context, now time.Time) (shadow.Sample, error) {
	return shadow.Sample{Time: now, Values: s.Fn(now)}, nil
}

// History implements shadow.HistorySource.
func (s *Series) History(ctx context.Context, m shadow.Metric, from, to time.Time, step time.Duration) ([]shadow.Observation, error) {
	if step <= 0 {
		return nil, fmt.Errorf("shadowtest: History step %s must be positive", step)
	}
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
	var out []shadow.Observation
	for t := from; !t.After(to); t = t.Add(step) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !s.Start.IsZero() && t.Before(s.Start) {
			continue
		}
		if v, ok := s.Fn(t)[m]; ok {
			out = append(out, shadow.Observation{Time: t, Value: v})
		}
	}
	return out, nil
}

// HistoryRequests is the number of History calls so far.
func (s *Series) HistoryRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}
