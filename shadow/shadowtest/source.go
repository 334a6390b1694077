package shadowtest

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/shadowscale/shadowscale/shadow"
)

var _ shadow.MetricsSource = (*Source)(nil)

// Source is a scripted MetricsSource. By default it reports the values set
// with Set; Script, when not nil, computes them from the pass time instead.
// Errors queued with Fail are returned first. Source is safe for concurrent
// use.
type Source struct {
	// Script, if not nil, returns the values for the pass at now.
	Script func(now time.Time) map[shadow.Metric]float64

	mu      sync.Mutex
	values  map[shadow.Metric]float64
	scraped map[shadow.Metric]time.Time
	errs    []error
	sticky  error
	calls   int
}

// NewSource returns a Source reporting request rate v.
func NewSource(v float64) *Source {
	return &Source{values: map[shadow.Metric]float64{shadow.RequestRate: v}}
}

// Set sets the value reported for m.
func (s *Source) Set(m shadow.Metric, v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values == nil {
		s.values = map[shadow.Metric]float64{}
	}
	s.values[m] = v
}

// SetScraped sets the scrape time reported for m (shadow.Sample.Scraped);
// a zero t reports none.
func (s *Source) SetScraped(m shadow.Metric, t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.IsZero() {
		delete(s.scraped, m)
		return
	}
	if s.scraped == nil {
		s.scraped = map[shadow.Metric]time.Time{}
	}
	s.scraped[m] = t
}

// Fail makes the next len(errs) calls return errs in order.
func (s *Source) Fail(errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, errs...)
}

// SetError makes every call fail with err until it is set to nil.
func (s *Source) SetError(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sticky = err
}

// Calls is the number of Sample calls so far.
func (s *Source) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Sample implements shadow.MetricsSource.
func (s *Source) Sample(_ context.Context, now time.Time) (shadow.Sample, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		return shadow.Sample{}, err
	}
	if s.sticky != nil {
		return shadow.Sample{}, s.sticky
	}
	var vals map[shadow.Metric]float64
	if s.Script != nil {
		vals = s.Script(now)
	} else {
		vals = make(map[shadow.Metric]float64, len(s.values))
		for k, v := range s.values {
			vals[k] = v
		}
	}
	var scraped map[shadow.Metric]time.Time
	if len(s.scraped) > 0 {
		scraped = maps.Clone(s.scraped)
	}
	return shadow.Sample{Time: now, Values: vals, Scraped: scraped}, nil
}
