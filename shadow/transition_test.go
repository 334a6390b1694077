package shadow_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
	"github.com/shadowscale/shadowscale/transition"
	"github.com/shadowscale/shadowscale/transition/transitiontest"
)

// TestTransitionAndDrain: new replicas are handed to the Transitioner once
// ready, one Advance per pass until Done; a scale-down drains only the
// ready replicas it removes, before removing them.
func TestTransitionAndDrain(t *testing.T) {
	now := t0
	src := shadowtest.NewSource(20)
	grp := actuatortest.NewGroup(2, 2*time.Minute, func() time.Time { return now })
	tr := transitiontest.NewTransitioner(
		transitiontest.Result{Status: transition.Status{Weight: 0.25}},
		transitiontest.Result{Status: transition.Status{Weight: 0.5}, Err: errors.New("health check failed")},
		transitiontest.Result{Status: transition.Status{Weight: 1, Done: true}},
	)
	dr := transitiontest.NewDrainer()
	// Scale to the observed load, to keep the test about the hand-offs.
	toLoad := policy.Func(func(in policy.Input) (policy.Decision, error) {
		n := policy.Clamp(policy.Replicas(in.Load, in.PerReplica, in.TargetUtilization), in.Min, in.Max)
		return policy.NewDecision(in.Current, n, "observed load"), nil
	})
	c, err := shadow.New(shadow.Config{PerReplica: 10, TargetUtilization: 1},
		shadow.Deps{Source: src, Forecaster: &driftForecaster{k: 3, step: time.Minute}, Policy: toLoad, Production: grp},
		shadow.WithLogger(testLogger(&syncBuffer{})), shadow.WithTransitioner(tr), shadow.WithDrainer(dr))
	require.NoError(t, err)
	step := func() (shadow.Report, error) {
		r, err := c.Step(context.Background(), now)
		now = now.Add(time.Minute)
		return r, err
	}
	_, err = step() // 20 req/s on 2 replicas: steady
	require.NoError(t, err)
	src.Set(shadow.RequestRate, 50)
	r, err := step() // asks for 5; they serve two minutes later
	require.NoError(t, err)
	require.Equal(t, 5, r.Decision.Target, r.Decision.Reason)
	_, err = step()
	require.NoError(t, err)
	assert.Empty(t, tr.Calls(), "nothing to shift before the new replicas are ready")

	r, err = step() // ready: the transition starts
	require.NoError(t, err)
	assert.Equal(t, 0.25, r.Transition.Weight)
	_, err = step()
	require.Error(t, err, "the transition's error is reported")
	r, err = step()
	require.NoError(t, err)
	assert.True(t, r.Transition.Done)
	plans := tr.Plans()
	require.Len(t, plans, 3)
	assert.Equal(t, transition.Plan{From: 2, To: 5, Started: t0.Add(3 * time.Minute)}, plans[0])
	assert.Equal(t, plans[0], plans[2], "the same plan until Done")
	_, err = step()
	require.NoError(t, err)
	assert.Len(t, tr.Calls(), 3, "no Advance once done")

	// Scale down from 5 ready to 2: three ready replicas are drained.
	src.Set(shadow.RequestRate, 12)
	for range 4 {
		_, err = step()
		require.NoError(t, err)
	}
	assert.Equal(t, []int{3}, dr.Calls())
	st, _ := grp.Current(context.Background())
	assert.Equal(t, 2, st.Desired)
}
