package series

import "time"

// Series is a load series on a regular grid.
type Series struct {
	// Times holds each value's timestamp in UTC, one per value, or is nil
	// when the input had a value column only.
	Times []time.Time
	// Values holds the observations in input order; each is finite, ≥ 0
	// and at most the reader's MaxValue.
	Values []float64
	// Step is the interval between consecutive timestamps; zero when
	// Times is nil or holds fewer than two timestamps.
	Step time.Duration
}

// Len is the number of values.
func (s Series) Len() int { return len(s.Values) }
