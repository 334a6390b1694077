package forecast

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/series"
)

// TestReadCSVIsSeriesReadCSV: ReadCSV returns what package series reads,
// header or not, and its errors.
func TestReadCSVIsSeriesReadCSV(t *testing.T) {
	for _, in := range []string{
		"timestamp,value\n2026-01-01T00:00:00Z,1.5\n\n1767225660,2\n2026-01-01T00:02:00Z,3\n",
		"2026-01-01T00:00:00Z,1.5\n2026-01-01T00:01:00Z,2\n",
		"value\n4\n5\n",
		"4\n5\n",
	} {
		want, err := series.ReadCSV(strings.NewReader(in))
		require.NoError(t, err, in)
		got, err := ReadCSV(strings.NewReader(in))
		require.NoError(t, err, in)
		assert.Equal(t, want.Values, got.Values, in)
		assert.Equal(t, want.Times, got.Times, in)
		assert.Equal(t, want.Step, got.Step(), in)
	}
	s, err := ReadCSV(strings.NewReader("4\n5\n"))
	require.NoError(t, err)
	assert.Equal(t, []float64{4, 5}, s.Values, "a header-less file's first row is data")
	assert.Nil(t, s.Times)
	assert.Equal(t, time.Duration(0), s.Step())
}

func TestReadCSVErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "line 1: empty input"},
		{"a,b,c\n", "line 1: 3 columns"},
		{"value\n1\nabc\n", `line 3: value "abc"`},
		{"value\n1\nNaN\n", `line 3: value "NaN" is not a finite number`},
		{"value\n-2\n", `line 2: value "-2" is negative`},
		{"timestamp,value\nyesterday,1\n", `line 2: timestamp "yesterday"`},
		{"timestamp,value\n100,1\n100,2\n", "line 3: timestamp"},
		{"timestamp,value\n0,1\n60,2\n180,3\n", "line 4: gap of 1 missing samples"},
	} {
		_, err := ReadCSV(strings.NewReader(tc.in))
		require.Error(t, err, tc.in)
		assert.ErrorIs(t, err, ErrInvalidArgument, tc.in)
		assert.ErrorIs(t, err, series.ErrInvalid, tc.in)
		assert.Contains(t, err.Error(), tc.want, tc.in)
	}
}
