package series_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shadowscale/shadowscale/series"
)

func ExampleReadCSV() {
	in := `timestamp,value
2026-01-01T00:00:00Z,120
2026-01-01T00:01:00Z,131.5
2026-01-01T00:02:00Z,118
`
	s, err := series.ReadCSV(strings.NewReader(in))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Len(), "values, step", s.Step, "from", s.Times[0].Format("15:04"))
	// Output: 3 values, step 1m0s from 00:00
}

func ExampleReadCSV_gap() {
	in := `timestamp,value
2026-01-01T00:00:00Z,120
2026-01-01T00:01:00Z,131.5
2026-01-01T00:05:00Z,118
`
	_, err := series.ReadCSV(strings.NewReader(in))
	var le *series.LineError
	if errors.As(err, &le) {
		fmt.Println("line", le.Line, errors.Is(err, series.ErrInvalid))
	}
	fmt.Println(err)
	// Output:
	// line 4 true
	// line 4: gap of 3 missing samples between 2026-01-01T00:01:00Z on line 3 and 2026-01-01T00:05:00Z; the series' step is 1m0s, the interval between its first two samples (from line 2); resample it onto a regular grid
}

func ExampleReader() {
	// A value-only file: the caller supplies the step.
	s, err := series.Reader{MaxRows: 1000}.Read(strings.NewReader("requests\n5\n7\n6\n"))
	fmt.Println(s.Values, s.Times == nil, err)
	// Output: [5 7 6] true <nil>
}
