package policytest_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/policy/policytest"
)

func TestFakeScriptAndRecording(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	boom := errors.New("boom")
	f := policytest.Decisions(policytest.Target(3, 5))
	f.Push(policytest.Step{Err: boom})
	assert.Equal(t, 2, f.Remaining())

	d, err := f.Decide(policytest.NewInput(now, 3, 100))
	require.NoError(t, err)
	assert.Equal(t, policy.Decision{Action: policy.ScaleUp, Target: 5, Reason: "policytest: target 5"}, d)

	_, err = f.Decide(policytest.NewInput(now.Add(time.Minute), 5, 100))
	require.ErrorIs(t, err, boom)

	d, err = f.Decide(policytest.NewInput(now.Add(2*time.Minute), 5, 100))
	require.NoError(t, err)
	assert.Equal(t, policy.NoChange, d.Action)
	assert.Equal(t, 5, d.Target)
	assert.Equal(t, "policytest: script exhausted", d.Reason)

	in := f.Inputs()
	require.Len(t, in, 3)
	assert.Equal(t, []int{3, 5, 5}, []int{in[0].Current, in[1].Current, in[2].Current})
	assert.Equal(t, now.Add(time.Minute), in[1].Now)
	in[0].Current = 99
	assert.Equal(t, 3, f.Inputs()[0].Current, "Inputs returns a copy")
}

func TestFakeReturnsScriptedDecisionsUnchecked(t *testing.T) {
	bad := policy.Decision{Action: policy.ScaleDown, Target: -7}
	d, err := policytest.Decisions(bad).Decide(policytest.NewInput(time.Time{}, 1, 0))
	require.NoError(t, err)
	assert.Equal(t, bad, d)
}

func TestFakeConcurrentUse(t *testing.T) {
	f := policytest.NewFake()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.Push(policytest.Step{Decision: policytest.Target(1, 2)})
			_, _ = f.Decide(policytest.NewInput(time.Time{}, 1, 0))
		}()
	}
	wg.Wait()
	assert.Equal(t, 8, f.Calls())
	assert.Equal(t, 0, f.Remaining())
}

func TestNewInputIsValid(t *testing.T) {
	in := policytest.NewInput(time.Time{}, 4, 10)
	require.NoError(t, in.Validate())
	assert.Equal(t, 4, in.Ready)
	assert.True(t, in.LoadValid)
	f := policytest.Forecast(time.Time{}, time.Minute, 2, 10)
	assert.Equal(t, []float64{0}, f.Lower, "lower bound never negative")
	assert.Equal(t, []float64{30}, f.Upper)
}
