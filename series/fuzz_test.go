package series_test

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/shadowscale/shadowscale/series"
)

// FuzzReadCSV checks the reader's promises on any input: either a
// *LineError or a series whose values are finite and in range and whose
// timestamps lie on a regular grid.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,2.5\n",
		"value\n1\n\n2\n",
		"1767225600,1\n1767225660.5,2\n",
		"1767225600.1,1\n1767225600.2,2\n1767225600.3,3\n",
		"\ufefftime,requests\n1767225600,1\n1767225660,2\n1767225720,3\n",
		"value\n\"1\nNaN\n",
		"a,b\n1e308,1e309\n",
		"timestamp,value\n1767225600,1\n1767225660,2\n1767225691,3\n",
		"timestamp,value\n1767225600,1\n1767225660,2\n1767262660,3\n",
		"x,y,z\n",
		"5\n-1\n",
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, in []byte, maxRows uint8) {
		rd := series.Reader{MaxRows: int(maxRows % 8)}
		s, err := rd.Read(bytes.NewReader(in))
		if err != nil {
			var le *series.LineError
			if !errors.As(err, &le) {
				t.Fatalf("error %v is not a *LineError", err)
			}
			if le.Line < 1 || !(errors.Is(err, series.ErrInvalid) || errors.Is(err, series.ErrTooLarge)) {
				t.Fatalf("bad error %#v", le)
			}
			if len(err.Error()) > 600 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		if s.Len() == 0 || (rd.MaxRows > 0 && s.Len() > rd.MaxRows) {
			t.Fatalf("%d values", s.Len())
		}
		for i, v := range s.Values {
			if math.IsNaN(v) || v < 0 || v > series.DefaultMaxValue {
				t.Fatalf("value %d is %v", i, v)
			}
		}
		if s.Times == nil {
			if s.Step != 0 {
				t.Fatalf("step %s without timestamps", s.Step)
			}
			return
		}
		if len(s.Times) != len(s.Values) {
			t.Fatalf("%d times for %d values", len(s.Times), len(s.Values))
		}
		for i := 1; i < len(s.Times); i++ {
			if d := s.Times[i].Sub(s.Times[i-1]); d != s.Step || d <= 0 {
				t.Fatalf("interval %s at %d, step %s", d, i, s.Step)
			}
		}
	})
}
