package shadowtest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
)

// A Source scripted from the pass time, with one injected failure.
func ExampleSource() {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	src := &shadowtest.Source{Script: func(now time.Time) map[shadow.Metric]float64 {
		return map[shadow.Metric]float64{shadow.RequestRate: 100 + now.Sub(start).Minutes()}
	}}
	src.Fail(errors.New("scrape timeout"))
	for i := range 3 {
		s, err := src.Sample(context.Background(), start.Add(time.Duration(i)*time.Minute))
		fmt.Println(s.Values[shadow.RequestRate], err)
	}
	// Output:
	// 0 scrape timeout
	// 101 <nil>
	// 102 <nil>
}
