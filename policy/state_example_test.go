package policy_test

import (
	"fmt"
	"time"

	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/policy/policytest"
)

// A restarted process restores the HPA's rate-limit window: 10 replicas
// were added 5 seconds ago, so within the 15-second period no more may
// be, as without the restart; a fresh HPA would double the count at once.
func ExampleStateful() {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	before, _ := policy.NewHPA(policy.DefaultHPAConfig())
	d, _ := before.Decide(policytest.NewInput(now, 10, 2800)) // 10 replicas at 280%
	fmt.Println("before the restart:", d.Target)
	state, _ := before.MarshalState()

	after, _ := policy.NewHPA(policy.DefaultHPAConfig())
	if err := after.UnmarshalState(state); err != nil {
		fmt.Println(err)
		return
	}
	in := policytest.NewInput(now.Add(5*time.Second), 20, 2800) // 20 replicas at 140%
	d, _ = after.Decide(in)
	fmt.Println("after the restart:", d.Target)
	fresh, _ := policy.NewHPA(policy.DefaultHPAConfig())
	d, _ = fresh.Decide(in)
	fmt.Println("without the state:", d.Target)
	// Output:
	// before the restart: 20
	// after the restart: 20
	// without the state: 40
}
