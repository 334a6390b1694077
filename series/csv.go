package series

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

const (
	// DefaultMaxRows is Reader.MaxRows when zero: about 9.5 years at one
	// sample a minute. The parsed series takes 32 bytes a row with
	// timestamps, 160 MB at the limit; growing slices and garbage take the
	// peak of a read that hits the limit to about 0.5 GB.
	DefaultMaxRows = 5_000_000
	// DefaultMaxValue is Reader.MaxValue when zero. It keeps sums and
	// squares of a long series finite and exact enough; no load measured
	// in requests or bytes per second comes near it.
	DefaultMaxValue = 1e15
	// MaxLineBytes bounds the length of one line of input.
	MaxLineBytes = 64 << 10
	// maxUnixSeconds bounds timestamps given as unix seconds (year 5138).
	maxUnixSeconds = 1e11
)

// Reader reads a series from CSV with the limits it holds. The zero
// Reader uses the defaults.
type Reader struct {
	// MaxRows is the most data rows accepted; zero means DefaultMaxRows.
	MaxRows int
	// MaxValue is the largest value accepted; zero means
	// DefaultMaxValue.
	MaxValue float64
}

// ReadCSV reads a series with the default limits; see the package
// documentation for the format and behaviour.
func ReadCSV(r io.Reader) (Series, error) { return Reader{}.Read(r) }

// Validate reports a limit out of range.
func (rd Reader) Validate() error {
	if rd.MaxRows < 0 {
		return fmt.Errorf("series: Reader.MaxRows (%d) must not be negative", rd.MaxRows)
	}
	if !(rd.MaxValue >= 0 && rd.MaxValue <= math.MaxFloat64) {
		return fmt.Errorf("series: Reader.MaxValue (%v) must be a finite number ≥ 0", rd.MaxValue)
	}
	return nil
}

// Read reads a series from r; see the package documentation for the
// format and behaviour. Errors about the input are *LineError values.
func (rd Reader) Read(r io.Reader) (Series, error) {
	if err := rd.Validate(); err != nil {
		return Series{}, err
	}
	if rd.MaxRows == 0 {
		rd.MaxRows = DefaultMaxRows
	}
	if rd.MaxValue == 0 {
		rd.MaxValue = DefaultMaxValue
	}
	lr := &lineLimiter{r: r, line: 1}
	cr := csv.NewReader(lr)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	p := parser{rd: rd}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Series{}, csvError(err, lr)
		}
		line, _ := cr.FieldPos(0)
		if err := p.record(line, rec); err != nil {
			return Series{}, err
		}
	}
	return p.finish()
}

// parser holds the state of one read.
type parser struct {
	rd        Reader
	s         Series
	cols      int // 0 before the first record
	firstLine int // line of the first data row
	prevLine  int // line of the previous data row
}

func (p *parser) record(line int, rec []string) error {
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	if p.cols == 0 {
		rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
		if len(rec) != 1 && len(rec) != 2 {
			return invalid(line, "%d columns; want timestamp,value or a single value column", len(rec))
		}
		p.cols = len(rec)
		if p.isHeader(rec) {
			return nil
		}
	}
	if len(rec) != p.cols {
		return invalid(line, "%d columns; want %d as on the first line", len(rec), p.cols)
	}
	if len(p.s.Values) == p.rd.MaxRows {
		return &LineError{Line: line, Msg: fmt.Sprintf("more than %d data rows (the reader's MaxRows)", p.rd.MaxRows), Err: ErrTooLarge}
	}
	v, err := p.value(line, rec[p.cols-1])
	if err != nil {
		return err
	}
	if p.cols == 2 {
		t, err := parseTime(rec[0])
		if err != nil {
			return invalid(line, "timestamp %s is neither RFC 3339 nor unix seconds", quote(rec[0]))
		}
		if err := p.onGrid(line, t); err != nil {
			return err
		}
		if p.s.Times == nil {
			p.s.Times = []time.Time{}
		}
		p.s.Times = append(p.s.Times, t)
	}
	if len(p.s.Values) == 0 {
		p.firstLine = line
	}
	p.prevLine = line
	p.s.Values = append(p.s.Values, v)
	return nil
}

// isHeader reports whether the first record is a header: none of its
// cells parses as data.
func (p *parser) isHeader(rec []string) bool {
	if _, err := strconv.ParseFloat(rec[len(rec)-1], 64); err == nil {
		return false
	}
	if len(rec) == 2 {
		if _, err := parseTime(rec[0]); err == nil {
			return false
		}
	}
	return true
}

func (p *parser) value(line int, cell string) (float64, error) {
	v, err := strconv.ParseFloat(cell, 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		return 0, invalid(line, "value %s is not a number", quote(cell))
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, invalid(line, "value %s is not a finite number", quote(cell))
	case v < 0:
		return 0, invalid(line, "value %s is negative; a load is ≥ 0", quote(cell))
	case v > p.rd.MaxValue:
		return 0, invalid(line, "value %s exceeds the largest accepted value %g", quote(cell), p.rd.MaxValue)
	}
	return v, nil
}

// onGrid checks that t continues the regular grid of the timestamps read
// so far.
func (p *parser) onGrid(line int, t time.Time) error {
	n := len(p.s.Times)
	if n == 0 {
		return nil
	}
	prev := p.s.Times[n-1]
	d := t.Sub(prev)
	if d <= 0 {
		return invalid(line, "timestamp %s is not after the previous one, %s on line %d",
			t.Format(time.RFC3339Nano), prev.Format(time.RFC3339Nano), p.prevLine)
	}
	if n == 1 {
		p.s.Step = d
		return nil
	}
	step := p.s.Step
	grid := fmt.Sprintf("the series' step is %s, the interval between its first two samples (from line %d); resample it onto a regular grid", step, p.firstLine)
	switch {
	case d < step:
		return invalid(line, "two samples in one slot: %s is only %s after %s on line %d; %s",
			t.Format(time.RFC3339Nano), d, prev.Format(time.RFC3339Nano), p.prevLine, grid)
	case d%step == 0 && d > step:
		return invalid(line, "gap of %d missing samples between %s on line %d and %s; %s",
			int64(d/step)-1, prev.Format(time.RFC3339Nano), p.prevLine, t.Format(time.RFC3339Nano), grid)
	case d != step:
		return invalid(line, "%s is %s after %s on line %d, off the grid; %s",
			t.Format(time.RFC3339Nano), d, prev.Format(time.RFC3339Nano), p.prevLine, grid)
	}
	return nil
}

func (p *parser) finish() (Series, error) {
	if p.cols == 0 {
		return Series{}, invalid(1, "empty input; want rows of timestamp,value or value")
	}
	if len(p.s.Values) == 0 {
		return Series{}, invalid(1, "a header and no data rows")
	}
	return p.s, nil
}

// parseTime parses RFC 3339 or unix seconds into UTC.
func parseTime(cell string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, cell); err == nil {
		return t.UTC(), nil
	}
	sec, err := strconv.ParseFloat(cell, 64)
	if err != nil || math.IsNaN(sec) || math.Abs(sec) > maxUnixSeconds {
		return time.Time{}, errors.New("not a timestamp")
	}
	whole, frac := math.Modf(sec)
	// A float64 near today's unix time resolves well below a microsecond;
	// rounding there keeps "…00.1" on the grid it was written for.
	ns := int64(math.Round(frac*1e6)) * 1e3
	return time.Unix(int64(whole), ns).UTC(), nil
}

// csvError turns an error from encoding/csv into a *LineError.
func csvError(err error, lr *lineLimiter) error {
	if errors.Is(err, errLineTooLong) {
		return &LineError{Line: lr.line, Msg: fmt.Sprintf("line longer than %d bytes", MaxLineBytes), Err: ErrTooLarge}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return invalid(pe.Line, "malformed CSV at column %d: %v", pe.Column, pe.Err)
	}
	return err
}

var errLineTooLong = errors.New("line too long")

// lineLimiter fails a read once a line grows past MaxLineBytes, so that a
// file without newlines cannot be buffered whole. It counts lines for the
// error.
type lineLimiter struct {
	r    io.Reader
	run  int // bytes since the last newline
	line int
	err  error
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	b := p[:n]
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.run += len(b)
			break
		}
		if l.run+i > MaxLineBytes {
			l.run += i
			break
		}
		l.run = 0
		l.line++
		b = b[i+1:]
	}
	if l.run > MaxLineBytes {
		l.err = errLineTooLong
		return 0, l.err
	}
	return n, err
}
