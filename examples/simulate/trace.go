package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Trace is a demand series on a regular grid.
type Trace struct {
	Times  []time.Time
	Values []float64
	Step   time.Duration
}

// Len is the number of steps.
func (t Trace) Len() int { return len(t.Values) }

// readTrace parses CSV `timestamp,value` with a header; timestamps are
// RFC 3339 or unix seconds. Errors name the line.
func readTrace(r io.Reader) (Trace, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var tr Trace
	line := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line++
		if err != nil {
			return Trace{}, fmt.Errorf("trace: %w", err)
		}
		if line == 1 {
			if len(rec) < 2 || strings.TrimSpace(strings.TrimPrefix(rec[0], "\ufeff")) != "timestamp" || strings.TrimSpace(rec[1]) != "value" {
				return Trace{}, fmt.Errorf("trace: line 1: header must be timestamp,value, got %q", strings.Join(rec, ","))
			}
			continue
		}
		if len(rec) != 2 {
			return Trace{}, fmt.Errorf("trace: line %d: want 2 fields, got %d", line, len(rec))
		}
		ts, err := parseTime(strings.TrimSpace(rec[0]))
		if err != nil {
			return Trace{}, fmt.Errorf("trace: line %d: timestamp %q: %v", line, rec[0], err)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return Trace{}, fmt.Errorf("trace: line %d: value %q is not a finite number", line, rec[1])
		}
		if v < 0 {
			return Trace{}, fmt.Errorf("trace: line %d: value %v is negative", line, v)
		}
		if n := len(tr.Times); n > 0 {
			d := ts.Sub(tr.Times[n-1])
			switch {
			case d <= 0:
				return Trace{}, fmt.Errorf("trace: line %d: timestamp %s is not after the previous one", line, rec[0])
			case n == 1:
				tr.Step = d
			case d != tr.Step:
				return Trace{}, fmt.Errorf("trace: line %d: step %s differs from the trace's step %s (the trace must be on a regular grid)", line, d, tr.Step)
			}
		}
		tr.Times = append(tr.Times, ts)
		tr.Values = append(tr.Values, v)
	}
	if len(tr.Values) < 2 {
		return Trace{}, fmt.Errorf("trace: need at least 2 rows, got %d", len(tr.Values))
	}
	return tr, nil
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, errors.New("not RFC 3339 or unix seconds")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}
