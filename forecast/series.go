package forecast

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/shadowscale/shadowscale/series"
)

// Series is a load series read by ReadCSV. Times is nil when the input had
// no timestamp column. Package series has the same type with the grid's
// step.
type Series struct {
	// Times holds the timestamp of each value, or is nil.
	Times []time.Time
	// Values holds the observations in input order.
	Values []float64
}

// ReadCSV reads a series from CSV with [series.ReadCSV], the one reader of
// the module: see package series for the format (an optional header,
// `timestamp,value` rows on a regular grid or `value` rows), the size
// limits and the errors. Errors wrap [ErrInvalidArgument] as well as the
// series package's ErrInvalid or ErrTooLarge.
//
// Deprecated: use [series.ReadCSV], which also returns the grid's step.
func ReadCSV(r io.Reader) (Series, error) {
	s, err := series.ReadCSV(r)
	if err != nil {
		return Series{}, fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	return Series{Times: s.Times, Values: s.Values}, nil
}

// Step returns the median interval between timestamps, or 0 when the
// series has fewer than two timestamps.
func (s Series) Step() time.Duration {
	if len(s.Times) < 2 {
		return 0
	}
	d := make([]time.Duration, len(s.Times)-1)
	for i := range d {
		d[i] = s.Times[i+1].Sub(s.Times[i])
	}
	slices.Sort(d)
	return d[len(d)/2]
}
