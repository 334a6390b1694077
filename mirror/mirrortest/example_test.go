package mirrortest_test

import (
	"context"
	"fmt"

	"github.com/shadowscale/shadowscale/mirror"
	"github.com/shadowscale/shadowscale/mirror/mirrortest"
)

// A scripted shadow that degrades: the code under test reads Stats and
// lowers the fraction.
func Example() {
	f := mirrortest.New(0.2,
		mirrortest.Step{Stats: mirror.Stats{Requests: 100, Errors: 1}},
		mirrortest.Step{Stats: mirror.Stats{Requests: 100, Errors: 30}},
	)
	for range 2 {
		s, _ := f.Stats(context.Background())
		if s.ErrorRate() > 0.1 {
			_ = f.SetFraction(s.Fraction / 2)
		}
		fmt.Printf("error rate %.2f\n", s.ErrorRate())
	}
	fmt.Println(f.SetFractionCalls())
	// Output:
	// error rate 0.01
	// error rate 0.30
	// [0.1]
}
