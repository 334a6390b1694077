package series_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/series"
)

func read(t *testing.T, in string) (series.Series, error) {
	t.Helper()
	return series.ReadCSV(strings.NewReader(in))
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestReadHeaderDetection(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		times    bool
		values   []float64
	}{
		{"timestamp,value header", "timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,2\n", true, []float64{1, 2}},
		{"other header names", "time , requests\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,2\n", true, []float64{1, 2}},
		{"byte order mark", "\ufefftimestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,2\n", true, []float64{1, 2}},
		{"no header", "2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,2\n", true, []float64{1, 2}},
		{"no header, unix seconds", "1767225600,1\n1767225660,2\n", true, []float64{1, 2}},
		{"value header", "value\n5\n6\n7\n", false, []float64{5, 6, 7}},
		{"values only", "5\n6\n7\n", false, []float64{5, 6, 7}},
		{"blank lines and spaces", "value\n\n 5 \n\n6\n", false, []float64{5, 6}},
		{"crlf", "timestamp,value\r\n1767225600,1\r\n1767225660,2\r\n", true, []float64{1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := read(t, tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.values, s.Values)
			assert.Equal(t, len(tc.values), s.Len())
			if !tc.times {
				assert.Nil(t, s.Times)
				assert.Zero(t, s.Step)
				return
			}
			require.Len(t, s.Times, len(tc.values))
			assert.Equal(t, t0, s.Times[0])
			assert.Equal(t, time.Minute, s.Step)
		})
	}
}

func TestReadTimestamps(t *testing.T) {
	s, err := read(t, "timestamp,value\n2026-01-01T01:00:00+01:00,1\n1767225600.5,2\n1767225601,3\n")
	require.NoError(t, err)
	assert.Equal(t, []time.Time{t0, t0.Add(500 * time.Millisecond), t0.Add(time.Second)}, s.Times)
	assert.Equal(t, time.UTC, s.Times[0].Location())
	assert.Equal(t, 500*time.Millisecond, s.Step)

	// Decimal fractions of unix seconds stay on their grid.
	var b strings.Builder
	for i := range 50 {
		fmt.Fprintf(&b, "%.1f,1\n", 1767225600+0.1*float64(i))
	}
	s, err = read(t, b.String())
	require.NoError(t, err)
	assert.Equal(t, 100*time.Millisecond, s.Step)
	assert.Len(t, s.Values, 50)
}

func TestReadErrors(t *testing.T) {
	big := strings.Repeat("9", 30000)
	for _, tc := range []struct {
		name, in string
		line     int
		want     []string
	}{
		{"empty", "", 1, []string{"empty input"}},
		{"header only", "timestamp,value\n", 1, []string{"no data rows"}},
		{"three columns", "a,b,c\n1,2,3\n", 1, []string{"3 columns"}},
		{"ragged", "timestamp,value\n1767225600,1\n5\n", 3, []string{"1 columns; want 2"}},
		{"not a number", "value\n1\nabc\n", 3, []string{`value "abc" is not a number`}},
		{"half a header", "timestamp,5\n1767225600,1\n", 1, []string{`timestamp "timestamp" is neither RFC 3339 nor unix seconds`}},
		{"bad first data row", "2026-01-01T00:00:00Z,x1\n", 1, []string{`value "x1" is not a number`}},
		{"NaN", "value\nNaN\n", 2, []string{"not a finite number"}},
		{"Inf", "value\n1\n+Inf\n", 3, []string{"not a finite number"}},
		{"overflow", "value\n1e309\n", 2, []string{"not a finite number"}},
		{"huge", "value\n1e308\n", 2, []string{`"1e308" exceeds the largest accepted value 1e+15`}},
		{"negative", "value\n-1\n", 2, []string{"negative"}},
		{"bad timestamp", "timestamp,value\nyesterday,1\n", 2, []string{`timestamp "yesterday"`}},
		{"unix seconds out of range", "timestamp,value\n1e12,1\n", 2, []string{`timestamp "1e12"`}},
		{"not increasing", "timestamp,value\n1767225600,1\n1767225600,2\n", 3, []string{"not after the previous one", "on line 2"}},
		{"going back", "timestamp,value\n1767225600,1\n1767225660,2\n1767225630,2\n", 4, []string{"not after the previous one", "on line 3"}},
		{"two samples in one slot", "timestamp,value\n1767225600,1\n1767225660,2\n1767225691,3\n1767225721,4\n", 4,
			[]string{"two samples in one slot", "31s after 2026-01-01T00:01:00Z on line 3", "step is 1m0s", "from line 2"}},
		{"gap", "timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,2\n2026-01-01T10:01:00Z,3\n", 4,
			[]string{"gap of 599 missing samples", "between 2026-01-01T00:01:00Z on line 3 and 2026-01-01T10:01:00Z"}},
		{"off the grid", "timestamp,value\n1767225600,1\n1767225660,2\n1767225750,3\n", 4, []string{"1m30s after", "off the grid"}},
		{"malformed quote", "value\n\"1\n", 2, []string{"malformed CSV"}},
		{"bare quote", "value\n1\"2\n", 2, []string{"malformed CSV"}},
		{"long cell quoted short", "value\n" + big + "x\n", 2, []string{`value "9999999999999999999999999999999999999999"… (30001 bytes) is not a number`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := read(t, tc.in)
			require.Error(t, err)
			var le *series.LineError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, tc.line, le.Line, err.Error())
			assert.ErrorIs(t, err, series.ErrInvalid)
			assert.True(t, strings.HasPrefix(err.Error(), fmt.Sprintf("line %d: ", tc.line)), err.Error())
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Less(t, len(err.Error()), 400, "errors stay short")
		})
	}
}

func TestQuoteCutsOnRuneBoundary(t *testing.T) {
	cell := strings.Repeat("é", 30) // 60 bytes, two per rune
	_, err := read(t, "value\n"+cell+"\n")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"`+strings.Repeat("é", 20)+`"… (60 bytes)`)
}

func TestReadLimits(t *testing.T) {
	t.Run("rows", func(t *testing.T) {
		in := "value\n1\n2\n3\n4\n"
		s, err := series.Reader{MaxRows: 4}.Read(strings.NewReader(in))
		require.NoError(t, err)
		assert.Equal(t, 4, s.Len())
		_, err = series.Reader{MaxRows: 3}.Read(strings.NewReader(in))
		require.ErrorIs(t, err, series.ErrTooLarge)
		assert.EqualError(t, err, "line 5: more than 3 data rows (the reader's MaxRows)")
	})
	t.Run("value", func(t *testing.T) {
		s, err := series.Reader{MaxValue: 1e308}.Read(strings.NewReader("1e308\n"))
		require.NoError(t, err)
		assert.Equal(t, []float64{1e308}, s.Values)
		_, err = series.Reader{MaxValue: 10}.Read(strings.NewReader("10\n10.5\n"))
		assert.EqualError(t, err, `line 2: value "10.5" exceeds the largest accepted value 10`)
	})
	t.Run("line length", func(t *testing.T) {
		// A line without end is refused once it passes the limit, before
		// the rest is read.
		src := &countingReader{r: io.MultiReader(strings.NewReader("value\n1\n"), neverEnding('7'))}
		_, err := series.ReadCSV(src)
		require.ErrorIs(t, err, series.ErrTooLarge)
		assert.EqualError(t, err, fmt.Sprintf("line 3: line longer than %d bytes", series.MaxLineBytes))
		assert.Less(t, src.n, int64(2*series.MaxLineBytes))
	})
	t.Run("line at the limit", func(t *testing.T) {
		cell := "1" + strings.Repeat("0", series.MaxLineBytes-1)
		_, err := read(t, "value\n"+cell+"\n")
		assert.ErrorIs(t, err, series.ErrInvalid, "the line is read; its value is too large")
	})
	t.Run("invalid limits", func(t *testing.T) {
		_, err := series.Reader{MaxRows: -1}.Read(strings.NewReader("1\n"))
		assert.EqualError(t, err, "series: Reader.MaxRows (-1) must not be negative")
		_, err = series.Reader{MaxValue: -2}.Read(strings.NewReader("1\n"))
		assert.EqualError(t, err, "series: Reader.MaxValue (-2) must be a finite number ≥ 0")
	})
}

func TestReadPassesReaderErrors(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := series.ReadCSV(io.MultiReader(strings.NewReader("value\n1\n"), errReader{boom}))
	assert.ErrorIs(t, err, boom)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
