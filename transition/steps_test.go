package transition_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/transition"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// weightLog records the WeightChanges a Steps applies.
type weightLog struct{ changes []transition.WeightChange }

func (l *weightLog) set(_ context.Context, c transition.WeightChange) error {
	l.changes = append(l.changes, c)
	return nil
}

func (l *weightLog) weights() []float64 {
	out := make([]float64, len(l.changes))
	for i, c := range l.changes {
		out[i] = c.Weight
	}
	return out
}

func newSteps(t *testing.T, cfg transition.StepsConfig) *transition.Steps {
	t.Helper()
	s, err := transition.NewSteps(cfg)
	require.NoError(t, err)
	return s
}

func TestStepsProgressesThroughDefaultWeightsAfterDwell(t *testing.T) {
	var log weightLog
	s := newSteps(t, transition.StepsConfig{SetWeight: log.set})
	p := transition.Plan{From: 2, To: 4, Started: t0}
	ctx := context.Background()

	steps := []struct {
		after  time.Duration
		weight float64
		done   bool
		hold   bool
	}{
		{0, 0.1, false, false},
		{10 * time.Second, 0.1, false, true},
		{29 * time.Second, 0.1, false, true},
		{30 * time.Second, 0.25, false, false},
		{59 * time.Second, 0.25, false, true},
		{61 * time.Second, 0.5, false, false},
		{90 * time.Second, 0.5, false, true},
		{91 * time.Second, 1, true, false},
		{200 * time.Second, 1, true, false},
	}
	for _, st := range steps {
		got, err := s.Advance(ctx, t0.Add(st.after), p)
		require.NoError(t, err, "at +%s", st.after)
		assert.Equal(t, st.weight, got.Weight, "at +%s", st.after)
		assert.Equal(t, st.done, got.Done, "at +%s", st.after)
		if st.hold {
			assert.Contains(t, got.Reason, "dwell", "at +%s", st.after)
		} else {
			assert.Empty(t, got.Reason, "at +%s", st.after)
		}
	}
	assert.Equal(t, []float64{0.1, 0.25, 0.5, 1}, log.weights())
	for i, c := range log.changes {
		assert.Equal(t, i, c.Step)
		assert.Equal(t, p, c.Plan)
		assert.False(t, c.Rollback)
	}
	// Each weight was applied at the now of the pass that moved, not earlier.
	assert.Equal(t, t0.Add(30*time.Second), log.changes[1].Now)
	assert.Equal(t, t0.Add(61*time.Second), log.changes[2].Now)
	assert.Equal(t, t0.Add(91*time.Second), log.changes[3].Now)
}

func TestStepsCustomWeightsAndDwell(t *testing.T) {
	var log weightLog
	s := newSteps(t, transition.StepsConfig{Weights: []float64{0.5, 1}, Dwell: time.Minute, SetWeight: log.set})
	p := transition.Plan{From: 1, To: 2, Started: t0}
	ctx := context.Background()

	got, err := s.Advance(ctx, t0, p)
	require.NoError(t, err)
	assert.Equal(t, transition.Status{Weight: 0.5}, got)
	got, err = s.Advance(ctx, t0.Add(59*time.Second), p)
	require.NoError(t, err)
	assert.Equal(t, 0.5, got.Weight)
	assert.Equal(t, "holding weight 0.5 for dwell: 59s of 1m0s held", got.Reason)
	got, err = s.Advance(ctx, t0.Add(time.Minute), p)
	require.NoError(t, err)
	assert.Equal(t, transition.Status{Weight: 1, Done: true}, got)
	assert.Equal(t, []float64{0.5, 1}, log.weights())
}

func TestStepsSingleFullWeightIsDoneAtOnce(t *testing.T) {
	s := newSteps(t, transition.StepsConfig{Weights: []float64{1}})
	got, err := s.Advance(context.Background(), t0, transition.Plan{From: 1, To: 3, Started: t0})
	require.NoError(t, err)
	assert.Equal(t, transition.Status{Weight: 1, Done: true}, got)
}

func TestStepsClockGoingBackHolds(t *testing.T) {
	s := newSteps(t, transition.StepsConfig{Dwell: time.Second})
	p := transition.Plan{From: 1, To: 2, Started: t0}
	_, err := s.Advance(context.Background(), t0, p)
	require.NoError(t, err)
	got, err := s.Advance(context.Background(), t0.Add(-time.Hour), p)
	require.NoError(t, err)
	assert.Equal(t, 0.1, got.Weight)
	assert.Equal(t, "holding weight 0.1 for dwell: 0s of 1s held", got.Reason)
}

func TestStepsHealthGateHoldsThenRecovers(t *testing.T) {
	var checks []transition.HealthCheck
	fail := 2
	health := func(_ context.Context, c transition.HealthCheck) error {
		checks = append(checks, c)
		if fail > 0 {
			fail--
			return errors.New("p99 latency 900ms > 500ms")
		}
		return nil
	}
	var log weightLog
	s := newSteps(t, transition.StepsConfig{Dwell: 10 * time.Second, Health: health, SetWeight: log.set})
	p := transition.Plan{From: 3, To: 6, Started: t0}
	ctx := context.Background()

	got, err := s.Advance(ctx, t0, p)
	require.NoError(t, err)
	assert.Equal(t, 0.1, got.Weight)
	assert.Empty(t, checks, "the first pass applies the first weight without a check")

	// Dwell is over, but the check fails: hold twice.
	got, err = s.Advance(ctx, t0.Add(20*time.Second), p)
	require.NoError(t, err)
	assert.Equal(t, transition.Status{Weight: 0.1,
		Reason: "holding weight 0.1: health check failed (1 of 3 before rollback): p99 latency 900ms > 500ms"}, got)
	got, err = s.Advance(ctx, t0.Add(30*time.Second), p)
	require.NoError(t, err)
	assert.Equal(t, 0.1, got.Weight)
	assert.Contains(t, got.Reason, "(2 of 3 before rollback)")

	// Healthy again: the step is taken and the failure count resets.
	got, err = s.Advance(ctx, t0.Add(40*time.Second), p)
	require.NoError(t, err)
	assert.Equal(t, transition.Status{Weight: 0.25}, got)
	assert.Equal(t, []float64{0.1, 0.25}, log.weights())

	require.Len(t, checks, 3)
	assert.Equal(t, transition.HealthCheck{Plan: p, Now: t0.Add(40 * time.Second), Step: 0, Weight: 0.1}, checks[2])

	fail = 2
	for _, after := range []time.Duration{41 * time.Second, 42 * time.Second} {
		got, err = s.Advance(ctx, t0.Add(after), p)
		require.NoError(t, err)
		assert.Equal(t, 0.25, got.Weight)
		assert.Contains(t, got.Reason, "health check failed")
	}
	got, err = s.Advance(ctx, t0.Add(43*time.Second), p)
	require.NoError(t, err)
	assert.Equal(t, 0.25, got.Weight, "a healthy pass within dwell holds")
	assert.Contains(t, got.Reason, "dwell")
	got, err = s.Advance(ctx, t0.Add(44*time.Second), p)
	require.NoError(t, err, "two failures followed by a success never roll back")
	assert.Equal(t, 0.25, got.Weight)
}

func TestStepsRollsBackAfterConsecutiveFailures(t *testing.T) {
	healthy := true
	health := func(context.Context, transition.HealthCheck) error {
		if healthy {
			return nil
		}
		return errors.New("error rate 12%")
	}
	var log weightLog
	s := newSteps(t, transition.StepsConfig{Dwell: time.Hour, MaxFailures: 2, Health: health, SetWeight: log.set})
	p := transition.Plan{From: 1, To: 2, Started: t0}
	ctx := context.Background()

	_, err := s.Advance(ctx, t0, p)
	require.NoError(t, err)
	healthy = false
	got, err := s.Advance(ctx, t0.Add(time.Second), p)
	require.NoError(t, err)
	assert.Equal(t, 0.1, got.Weight)
	// The rollback does not wait for the hour of dwell.
	got, err = s.Advance(ctx, t0.Add(2*time.Second), p)
	require.NoError(t, err)
	want := transition.Status{Weight: 0,
		Reason: "rolled back from weight 0.1 after 2 consecutive failed health checks: error rate 12%"}
	assert.Equal(t, want, got)
	require.Len(t, log.changes, 2)
	assert.Equal(t, transition.WeightChange{Plan: p, Now: t0.Add(2 * time.Second), Step: -1, Weight: 0, Rollback: true},
		log.changes[1])

	// Rolled back stays rolled back for this plan, even once healthy.
	healthy = true
	got, err = s.Advance(ctx, t0.Add(3*time.Hour), p)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Len(t, log.changes, 2)

	// A new plan starts again from the first weight.
	p2 := transition.Plan{From: 1, To: 2, Started: t0.Add(3 * time.Hour)}
	got, err = s.Advance(ctx, t0.Add(3*time.Hour), p2)
	require.NoError(t, err)
	assert.Equal(t, transition.Status{Weight: 0.1}, got)

	// So does the same plan after Reset.
	healthy = false
	for i := range 2 {
		_, err = s.Advance(ctx, t0.Add(3*time.Hour+time.Duration(i+1)*time.Second), p2)
		require.NoError(t, err)
	}
	got, err = s.Advance(ctx, t0.Add(4*time.Hour), p2)
	require.NoError(t, err)
	assert.Zero(t, got.Weight)
	s.Reset()
	got, err = s.Advance(ctx, t0.Add(4*time.Hour), p2)
	require.NoError(t, err)
	assert.Equal(t, transition.Status{Weight: 0.1}, got)
}

func TestStepsSetWeightErrorLeavesStateAndRetries(t *testing.T) {
	var applied []float64
	failing := true
	set := func(_ context.Context, c transition.WeightChange) error {
		if failing && c.Step == 1 {
			return errors.New("router unreachable")
		}
		applied = append(applied, c.Weight)
		return nil
	}
	s := newSteps(t, transition.StepsConfig{Dwell: time.Second, SetWeight: set})
	p := transition.Plan{From: 4, To: 5, Started: t0}
	ctx := context.Background()

	_, err := s.Advance(ctx, t0, p)
	require.NoError(t, err)
	got, err := s.Advance(ctx, t0.Add(time.Second), p)
	require.Error(t, err)
	assert.Equal(t, "transition: set weight 0.25 (step 1) for 4 -> 5 replicas: router unreachable", err.Error())
	assert.Equal(t, 0.1, got.Weight)

	failing = false
	got, err = s.Advance(ctx, t0.Add(2*time.Second), p)
	require.NoError(t, err)
	assert.Equal(t, 0.25, got.Weight)
	assert.Equal(t, []float64{0.1, 0.25}, applied)
}

func TestStepsFirstSetWeightErrorStartsNothing(t *testing.T) {
	calls := 0
	set := func(context.Context, transition.WeightChange) error {
		calls++
		if calls == 1 {
			return errors.New("boom")
		}
		return nil
	}
	s := newSteps(t, transition.StepsConfig{SetWeight: set})
	p := transition.Plan{From: 0, To: 1, Started: t0}
	_, err := s.Advance(context.Background(), t0, p)
	require.Error(t, err)
	got, err := s.Advance(context.Background(), t0.Add(time.Hour), p)
	require.NoError(t, err)
	assert.Equal(t, transition.Status{Weight: 0.1}, got, "the retry applies the first weight, not the second")
}

func TestStepsPlanWithoutNewReplicasIsDone(t *testing.T) {
	var log weightLog
	s := newSteps(t, transition.StepsConfig{SetWeight: log.set})
	for _, p := range []transition.Plan{{From: 5, To: 3, Started: t0}, {From: 2, To: 2, Started: t0}} {
		got, err := s.Advance(context.Background(), t0, p)
		require.NoError(t, err)
		assert.Equal(t, transition.Status{Weight: 1, Done: true}, got)
	}
	assert.Empty(t, log.changes)
}

func TestStepsRejectsNegativePlan(t *testing.T) {
	s := newSteps(t, transition.StepsConfig{})
	_, err := s.Advance(context.Background(), t0, transition.Plan{From: -1, To: 2})
	require.ErrorIs(t, err, transition.ErrInvalidPlan)
	assert.Contains(t, err.Error(), "From = -1")
}

func TestStepsConfigValidate(t *testing.T) {
	tests := []struct {
		cfg  transition.StepsConfig
		want string
	}{
		{transition.StepsConfig{Weights: []float64{0, 1}}, "Weights[0] = 0, want a value in (0, 1]"},
		{transition.StepsConfig{Weights: []float64{0.5, 1.5}}, "Weights[1] = 1.5, want a value in (0, 1]"},
		{transition.StepsConfig{Weights: []float64{0.5, 0.5, 1}}, "Weights[1] = 0.5 is not greater than Weights[0] = 0.5"},
		{transition.StepsConfig{Weights: []float64{0.2, 0.6}}, "Weights[1] = 0.6, the last weight must be 1"},
		{transition.StepsConfig{Weights: []float64{0.2, math.NaN(), 1}}, "Weights[1] = NaN"},
		{transition.StepsConfig{Dwell: -time.Second}, "Dwell = -1s, want >= 0"},
		{transition.StepsConfig{MaxFailures: -2}, "MaxFailures = -2, want >= 0"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			err := tt.cfg.Validate()
			require.ErrorIs(t, err, transition.ErrInvalidConfig)
			assert.Contains(t, err.Error(), tt.want)
			_, err = transition.NewSteps(tt.cfg)
			require.ErrorIs(t, err, transition.ErrInvalidConfig)
		})
	}
	require.NoError(t, transition.StepsConfig{}.Validate())
	require.NoError(t, transition.StepsConfig{Weights: []float64{0.3, 1}, Dwell: time.Second, MaxFailures: 1}.Validate())
}

func TestNilOptionsKeepDefaults(t *testing.T) {
	s, err := transition.NewSteps(transition.StepsConfig{}, nil, transition.WithClock(nil), transition.WithMeterProvider(nil))
	require.NoError(t, err)
	got, err := s.Advance(context.Background(), t0, transition.Plan{From: 0, To: 1, Started: t0})
	require.NoError(t, err)
	assert.Equal(t, transition.Status{Weight: 0.1}, got)
}

func TestStepsCopiesWeights(t *testing.T) {
	w := []float64{0.5, 1}
	s := newSteps(t, transition.StepsConfig{Weights: w})
	w[0] = 0.9
	got, err := s.Advance(context.Background(), t0, transition.Plan{From: 0, To: 1, Started: t0})
	require.NoError(t, err)
	assert.Equal(t, 0.5, got.Weight)
}
