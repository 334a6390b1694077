package mirror

import (
	"context"
	"time"
)

// Mirror is the Controller's view of the shadow traffic path: it reports how
// the shadows perform on the mirrored sample and lets the Controller change
// the fraction of production traffic that is mirrored.
//
// Implementations must be safe for concurrent use: Stats and SetFraction are
// called from the Controller's goroutine while requests flow through the tee.
type Mirror interface {
	// Stats returns the shadows' performance over the most recent window.
	// Stats.At tells when the window ended; the Controller treats stats
	// older than its staleness bound as missing.
	Stats(ctx context.Context) (Stats, error)
	// SetFraction sets the fraction of production requests mirrored, in
	// [0, 1]. 0 stops mirroring. It returns an error for a value outside
	// [0, 1] or NaN.
	SetFraction(f float64) error
}

// Stats summarizes shadow performance over a window of mirrored requests.
type Stats struct {
	// At is when the window ended.
	At time.Time
	// Window is the length of the window.
	Window time.Duration
	// Requests is the number of mirrored requests completed in the window.
	Requests int64
	// Errors counts 5xx responses, transport errors and timeouts.
	Errors int64
	// Dropped counts copies dropped before reaching a shadow (queue full,
	// body too large, rate cap, memory budget, breaker open, closed).
	Dropped int64
	// P50, P95 and P99 are latency percentiles of completed requests.
	P50, P95, P99 time.Duration
	// Fraction is the sampling fraction in force during the window.
	Fraction float64
}

// ErrorRate is Errors / Requests, or 0 with no requests.
func (s Stats) ErrorRate() float64 {
	if s.Requests <= 0 {
		return 0
	}
	return float64(s.Errors) / float64(s.Requests)
}

// Throughput is completed requests per second over the window, or 0.
func (s Stats) Throughput() float64 {
	if s.Window <= 0 {
		return 0
	}
	return float64(s.Requests) / s.Window.Seconds()
}
