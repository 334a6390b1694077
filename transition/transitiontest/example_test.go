package transitiontest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shadowscale/shadowscale/transition"
	"github.com/shadowscale/shadowscale/transition/transitiontest"
)

// A scripted Transitioner answers with the statuses given and records the
// plans it was asked about.
func ExampleTransitioner() {
	tr := transitiontest.NewTransitioner(
		transitiontest.Result{Status: transition.Status{Weight: 0.5}},
		transitiontest.Result{Status: transition.Status{Weight: 0.5, Reason: "unhealthy"}},
	)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	plan := transition.Plan{From: 2, To: 3, Started: start}
	for i := range 3 {
		st, _ := tr.Advance(context.Background(), start.Add(time.Duration(i)*time.Minute), plan)
		fmt.Printf("weight %.1f done %t %q\n", st.Weight, st.Done, st.Reason)
	}
	fmt.Println(len(tr.Plans()), "plans recorded")
	// Output:
	// weight 0.5 done false ""
	// weight 0.5 done false "unhealthy"
	// weight 1.0 done true ""
	// 3 plans recorded
}

// A recording Drainer reports the drains asked of it and fails on demand.
func ExampleDrainer() {
	d := transitiontest.NewDrainer()
	d.FailNext(errors.New("replica stuck"))
	fmt.Println(d.Drain(context.Background(), 2))
	fmt.Println(d.Drain(context.Background(), 1))
	fmt.Println(d.Calls(), d.Total())
	// Output:
	// replica stuck
	// <nil>
	// [2 1] 3
}
