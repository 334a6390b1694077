package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seasonalCSV returns n rows of a seasonal series, with timestamps when
// ts is true.
func seasonalCSV(n, period int, ts bool) string {
	var b strings.Builder
	if ts {
		b.WriteString("timestamp,value\n")
	} else {
		b.WriteString("value\n")
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		v := 100 + 30*math.Sin(2*math.Pi*float64(i)/float64(period)) + float64(i%3)
		if ts {
			fmt.Fprintf(&b, "%s,%g\n", t0.Add(time.Duration(i)*5*time.Minute).Format(time.RFC3339), v)
		} else {
			fmt.Fprintf(&b, "%g\n", v)
		}
	}
	return b.String()
}

func runCmd(t *testing.T, in string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(in), &out, &errb)
	return out.String(), errb.String(), code
}

func TestOutputContract(t *testing.T) {
	for _, model := range []string{"auto", "hw-additive", "hw-multiplicative", "seasonal-naive", "naive", "hw-damped", "drift", "ewma", "holt", "holt-damped"} {
		for _, ts := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/timestamps=%v", model, ts), func(t *testing.T) {
				out, errOut, code := runCmd(t, seasonalCSV(24*6, 24, ts), "-period", "24", "-horizon", "30", "-model", model, "-level", "0.9")
				require.Equal(t, 0, code, errOut)
				assert.Empty(t, errOut)
				lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
				require.Len(t, lines, 31)
				assert.Equal(t, "step,mean,lower,upper", lines[0])
				for i, l := range lines[1:] {
					f := strings.Split(l, ",")
					require.Len(t, f, 4, l)
					assert.Equal(t, strconv.Itoa(i+1), f[0])
					var v [3]float64
					for k := range 3 {
						x, err := strconv.ParseFloat(f[k+1], 64)
						require.NoError(t, err, l)
						require.False(t, math.IsNaN(x) || math.IsInf(x, 0), l)
						v[k] = x
					}
					assert.LessOrEqual(t, v[1], v[0], l)
					assert.GreaterOrEqual(t, v[2], v[0], l)
				}
			})
		}
	}
}

func TestSeasonalForecastIsAccurate(t *testing.T) {
	out, errOut, code := runCmd(t, seasonalCSV(24*6, 24, false), "-period", "24", "-horizon", "24", "-model", "hw-additive")
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")[1:]
	for i, l := range lines {
		mean, err := strconv.ParseFloat(strings.Split(l, ",")[1], 64)
		require.NoError(t, err)
		n := 24*6 + i
		want := 100 + 30*math.Sin(2*math.Pi*float64(n)/24) + float64(n%3)
		assert.InDelta(t, want, mean, 3, "step %d", i+1)
	}
}

func TestDoubleSeasonalAndFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.csv")
	require.NoError(t, os.WriteFile(path, []byte(seasonalCSV(8*24*3, 8, false)), 0o600))
	for _, model := range []string{"auto", "dshw"} {
		out, errOut, code := runCmd(t, "", "-period", "8", "-period2", "24", "-horizon", "5", "-model", model, "-in", path)
		require.Equal(t, 0, code, errOut)
		assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 6)
	}
}

func TestErrors(t *testing.T) {
	good := seasonalCSV(48, 12, false)
	for _, tc := range []struct {
		name, in string
		args     []string
		want     string
		code     int
	}{
		{"period", good, []string{"-period", "1", "-horizon", "3"}, "-period 1 must be ≥ 2", 2},
		{"horizon", good, []string{"-period", "12", "-horizon", "0"}, "-horizon 0 must be in [1, 1000000]", 2},
		{"horizon too long", good, []string{"-period", "12", "-horizon", "1000001"}, "-horizon 1000001 must be in [1, 1000000]", 2},
		{"no period", good, []string{"-horizon", "3"}, "-period is required", 2},
		{"positional", good, []string{"-period", "12", "-horizon", "3", "data.csv"}, `unexpected argument "data.csv": give the input with -in FILE`, 2},
		{"unknown flag", good, []string{"-period", "12", "-horizon", "3", "-x"}, "flags: flag provided but not defined: -x (see -help)", 2},
		{"gap", "timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,2\n2026-01-01T10:01:00Z,3\n", []string{"-period", "2", "-horizon", "1", "-model", "naive"},
			"stdin: line 4: gap of 599 missing samples", 1},
		{"two samples in one slot", "timestamp,value\n1970-01-01T00:00:31Z,1\n1970-01-01T00:01:31Z,2\n1970-01-01T00:02:01Z,3\n", []string{"-period", "2", "-horizon", "1", "-model", "naive"},
			"line 4: two samples in one slot: 1970-01-01T00:02:01Z is only 30s after 1970-01-01T00:01:31Z on line 3", 1},
		{"huge cell", "value\n1\n" + strings.Repeat("x", 60000) + "\n", []string{"-period", "2", "-horizon", "1"}, `line 3: value "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"… (60000 bytes) is not a number`, 1},
		{"huge value", "value\n1\n1e308\n", []string{"-period", "2", "-horizon", "1"}, `line 3: value "1e308" exceeds the largest accepted value 1e+15`, 1},
		{"level", good, []string{"-period", "12", "-horizon", "3", "-level", "1.5"}, "-level 1.5", 2},
		{"model", good, []string{"-period", "12", "-horizon", "3", "-model", "arima"}, `-model "arima"`, 2},
		{"period2", good, []string{"-period", "12", "-period2", "6", "-horizon", "3"}, "-period2 6 must exceed", 2},
		{"flag", good, []string{"-period", "x"}, "flags:", 2},
		{"non-numeric", "value\n1\n2\nabc\n", []string{"-period", "2", "-horizon", "1"}, `line 4: value "abc" is not a number`, 1},
		{"NaN", "value\n1\nNaN\n", []string{"-period", "2", "-horizon", "1"}, "line 3:", 1},
		{"Inf", "timestamp,value\n1,1\n2,Inf\n", []string{"-period", "2", "-horizon", "1"}, "line 3:", 1},
		{"short", seasonalCSV(23, 12, false), []string{"-period", "12", "-horizon", "3"}, "needs at least 24 (2 full seasons of 12)", 1},
		{"short snaive", seasonalCSV(20, 12, false), []string{"-period", "12", "-horizon", "3", "-model", "seasonal-naive"}, "needs at least 24", 1},
		{"short holt", "value\n1\n2\n3\n", []string{"-period", "12", "-horizon", "3", "-model", "holt"}, "3 data rows: -model holt needs at least 4\n", 1},
		{"header only", "value\n", []string{"-period", "2", "-horizon", "1", "-model", "naive"}, "no data rows", 1},
		{"empty", "", []string{"-period", "2", "-horizon", "1", "-model", "naive"}, "line 1: empty input", 1},
		{"zero for multiplicative", "value\n1\n2\n0\n4\n5\n", []string{"-period", "2", "-horizon", "1", "-model", "hw-multiplicative"}, "data row 3: value 0", 1},
		{"missing file", "", []string{"-period", "2", "-horizon", "1", "-in", "/nonexistent/x.csv"}, "no such file", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCmd(t, tc.in, tc.args...)
			assert.Equal(t, tc.code, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tc.want)
			assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line: %q", errOut)
			assert.Less(t, len(errOut), 500, "the message is short")
			assert.True(t, strings.HasPrefix(errOut, "forecast: "), errOut)
		})
	}
}

func TestNaiveNeedsOneRow(t *testing.T) {
	out, errOut, code := runCmd(t, "value\n7\n", "-period", "2", "-horizon", "2", "-model", "naive")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "step,mean,lower,upper\n1,7,7,7\n2,7,7,7\n", out)
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-help", "--help", "-h"} {
		out, errOut, code := runCmd(t, "", arg)
		assert.Equal(t, 0, code, arg)
		assert.Empty(t, errOut)
		assert.True(t, strings.HasPrefix(out, "Usage: forecast -period P -horizon H"), out)
		for _, f := range []string{"-period", "-horizon", "-period2", "-model", "-level", "-in"} {
			assert.Contains(t, out, "  "+f+" ", arg)
		}
	}
}

// A file without a header starts with data: its first row is not lost.
func TestHeaderlessInput(t *testing.T) {
	for _, in := range []string{"7\n9\n", "value\n7\n9\n", "1767225600,7\n1767225660,9\n"} {
		out, errOut, code := runCmd(t, in, "-period", "2", "-horizon", "1", "-model", "drift")
		require.Equal(t, 0, code, errOut)
		assert.Equal(t, "step,mean,lower,upper\n1,11,", out[:len("step,mean,lower,upper\n1,11,")], "drift from 7 to 9 continues to 11: %q", in)
	}
}
