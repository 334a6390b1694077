package forecast

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadCSV(t *testing.T) {
	s, err := ReadCSV(strings.NewReader("timestamp,value\n2026-01-01T00:00:00Z,1.5\n\n1767225660,2\n2026-01-01T00:03:00Z,3\n"))
	require.NoError(t, err)
	assert.Equal(t, []float64{1.5, 2, 3}, s.Values)
	assert.Equal(t, time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC), s.Times[1])
	assert.Equal(t, 2*time.Minute, s.Step())

	s, err = ReadCSV(strings.NewReader("value\n4\n5\n"))
	require.NoError(t, err)
	assert.Equal(t, []float64{4, 5}, s.Values)
	assert.Nil(t, s.Times)
	assert.Zero(t, s.Step())
}

func TestReadCSVErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "line 1: empty input"},
		{"a,b,c\n", "line 1: header has 3 columns"},
		{"value\n1\nabc\n", `line 3: value "abc" is not a number`},
		{"value\n1\nNaN\n", `line 3: forecast: invalid value: "NaN"`},
		{"value\n-2\n", `line 2: forecast: invalid value: "-2"`},
		{"value\n+Inf\n", `line 2: forecast: invalid value`},
		{"timestamp,value\nyesterday,1\n", `line 2: timestamp "yesterday"`},
		{"timestamp,value\n100,1\n100,2\n", "line 3: forecast: invalid argument: timestamp"},
		{"timestamp,value\n100,1\n200\n", "line 3: 1 columns, want 2"},
		{"value\n\"1\n", "line 2"},
	} {
		_, err := ReadCSV(strings.NewReader(tc.in))
		require.Error(t, err, tc.in)
		assert.Contains(t, err.Error(), tc.want, tc.in)
	}
}
