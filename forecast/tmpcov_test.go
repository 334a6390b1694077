package forecast

import (
	"fmt"
	"strings"
	"testing"
)

func TestTmpCovSplit(t *testing.T) {
	if *evalHalf == "" {
		t.Skip()
	}
	var series []*benchSeries
	for _, half := range strings.Split(*evalHalf, ",") {
		series = append(series, loadBench(t, "testdata/bench", half)...)
	}
	var c1, c2, n1, n2 float64
	var w1, w2 float64
	for _, s := range series {
		h := 2 * s.period
		train, test := s.y[:len(s.y)-h], s.y[len(s.y)-h:]
		fc, _, err := evalForecast(SelectDefault, train, s.period, s.per2, h)
		if err != nil {
			t.Fatal(err)
		}
		a := coverage(test[:s.period], fc.Lower[:s.period], fc.Upper[:s.period])
		b := coverage(test[s.period:], fc.Lower[s.period:], fc.Upper[s.period:])
		// relative widths
		var wa, wb float64
		for i := 0; i < h; i++ {
			w := (fc.Upper[i] - fc.Lower[i])
			if i < s.period {
				wa += w
			} else {
				wb += w
			}
		}
		c1 += a
		c2 += b
		n1++
		n2++
		w1 += wb / wa
		w2++
		fmt.Printf("%-28s %s m=%d n=%d cov1=%.2f cov2=%.2f width2/1=%.2f\n", s.name, s.half, s.period, len(train), a, b, wb/wa)
	}
	fmt.Printf("mean cov first season %.3f second %.3f, width ratio %.2f\n", c1/n1, c2/n2, w1/w2)
}
