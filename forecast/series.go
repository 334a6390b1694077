package forecast

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Series is a load series read from CSV. Times is nil when the input had no
// timestamp column.
type Series struct {
	// Times holds the timestamp of each value, or is nil.
	Times []time.Time
	// Values holds the observations in input order.
	Values []float64
}

// ReadCSV reads a series from CSV with a header line and rows of either
// `timestamp,value` (timestamp in RFC 3339 or unix seconds) or a single
// `value` column. Blank lines are skipped. Errors name the line number and
// the offending cell; NaN, Inf and negative values are errors wrapping
// [ErrInvalidValue], timestamps that do not increase are errors wrapping
// [ErrInvalidArgument].
func ReadCSV(r io.Reader) (Series, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	var s Series
	cols := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return s, fmt.Errorf("line %d: %w", pe.Line, pe.Err)
			}
			return s, err
		}
		line, _ := cr.FieldPos(0)
		if cols == 0 { // header
			cols = len(rec)
			if cols != 1 && cols != 2 {
				return s, fmt.Errorf("line %d: header has %d columns, want `timestamp,value` or `value`", line, cols)
			}
			if cols == 2 {
				s.Times = []time.Time{}
			}
			continue
		}
		if len(rec) != cols {
			return s, fmt.Errorf("line %d: %d columns, want %d as in the header", line, len(rec), cols)
		}
		vcell := strings.TrimSpace(rec[cols-1])
		v, err := strconv.ParseFloat(vcell, 64)
		if err != nil {
			return s, fmt.Errorf("line %d: value %q is not a number", line, vcell)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return s, fmt.Errorf("line %d: %w: %q (want a finite value ≥ 0)", line, ErrInvalidValue, vcell)
		}
		if cols == 2 {
			t, err := parseTime(strings.TrimSpace(rec[0]))
			if err != nil {
				return s, fmt.Errorf("line %d: %w", line, err)
			}
			if n := len(s.Times); n > 0 && !t.After(s.Times[n-1]) {
				return s, fmt.Errorf("line %d: %w: timestamp %s is not after the previous one %s",
					line, ErrInvalidArgument, t.Format(time.RFC3339), s.Times[n-1].Format(time.RFC3339))
			}
			s.Times = append(s.Times, t)
		}
		s.Values = append(s.Values, v)
	}
	if cols == 0 {
		return s, errors.New("line 1: empty input, want a header line")
	}
	return s, nil
}

func parseTime(cell string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, cell); err == nil {
		return t, nil
	}
	sec, err := strconv.ParseFloat(cell, 64)
	if err != nil || math.IsNaN(sec) || math.IsInf(sec, 0) || math.Abs(sec) > 1e12 {
		return time.Time{}, fmt.Errorf("timestamp %q is neither RFC 3339 nor unix seconds", cell)
	}
	whole, frac := math.Modf(sec)
	return time.Unix(int64(whole), int64(frac*1e9)).UTC(), nil
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
