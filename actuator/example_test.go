package actuator_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shadowscale/shadowscale/actuator"
	"github.com/shadowscale/shadowscale/actuator/actuatortest"
)

// Retrying retries transient errors and stops at a permanent one.
func ExampleRetrying() {
	g := actuatortest.NewGroup(1, 0, nil)
	g.FailScale(errors.New("throttled"), errors.New("throttled"))
	instant := func(time.Duration) <-chan time.Time {
		c := make(chan time.Time, 1)
		c <- time.Time{}
		return c
	}
	a := actuator.Retrying(g, actuator.RetryConfig{After: instant})
	fmt.Println(a.Scale(context.Background(), 3), len(g.Calls()))

	g.FailScale(actuator.Permanent(errors.New("group not found")))
	err := a.Scale(context.Background(), 4)
	fmt.Println(err, actuator.IsPermanent(err), len(g.Calls()))
	// Output:
	// <nil> 3
	// permanent: group not found true 4
}
