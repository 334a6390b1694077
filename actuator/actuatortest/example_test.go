package actuatortest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
)

// A Group honours its ready delay on an explicit clock.
func ExampleGroup() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := actuatortest.NewGroup(2, 10*time.Minute, func() time.Time { return now })
	ctx := context.Background()

	_ = g.Scale(ctx, 5)
	st, _ := g.Current(ctx)
	fmt.Println(st.Desired, st.Ready)

	now = now.Add(10 * time.Minute)
	st, _ = g.Current(ctx)
	fmt.Println(st.Desired, st.Ready)

	g.FailScale(errors.New("throttled"))
	fmt.Println(g.Scale(ctx, 6), len(g.Calls()))
	// Output:
	// 5 2
	// 5 5
	// throttled 2
}
