package transition

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Steps is the reference Transitioner: it raises the new replicas' share of
// traffic through StepsConfig.Weights, holding each weight at least
// StepsConfig.Dwell and only while the health check passes.
//
// Each call to Advance, for the plan under way:
//
//  1. A plan that differs from the last one (From, To or Started) starts a
//     new transition: the first weight is applied at once.
//  2. After a rollback Steps stays at weight 0 until a new plan arrives.
//  3. The health check runs. A failure holds the weight (Reason says why);
//     MaxFailures consecutive failures roll back to weight 0.
//  4. Before Dwell has passed since the weight was applied, Steps holds.
//  5. Otherwise the next weight is applied; the last one (1) ends the
//     transition with Done.
//
// A plan that adds no replicas (To <= From) is done at once and applies
// nothing. Steps is safe for concurrent use, but a Controller calls it from
// one goroutine.
type Steps struct {
	cfg StepsConfig
	ins stepsInstruments

	mu    sync.Mutex
	state stepsState
}

var _ Transitioner = (*Steps)(nil)

type stepsState struct {
	active      bool
	plan        Plan
	step        int       // index in cfg.Weights of the weight in effect
	since       time.Time // when that weight was applied
	failures    int       // consecutive failed health checks
	rolledBack  bool
	rollbackWhy string
}

// NewSteps returns a Steps configured by cfg, which it validates.
func NewSteps(cfg StepsConfig, opts ...Option) (*Steps, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	ins, err := newStepsInstruments(o.meterProvider)
	if err != nil {
		return nil, err
	}
	return &Steps{cfg: cfg.withDefaults(), ins: ins}, nil
}

// Advance implements Transitioner: it moves at most one step for plan p at
// time now. It returns an error, and leaves its state unchanged, when p is
// invalid or SetWeight fails.
func (s *Steps) Advance(ctx context.Context, now time.Time, p Plan) (Status, error) {
	if p.From < 0 || p.To < 0 {
		return Status{}, fmt.Errorf("%w: From = %d, To = %d, want both >= 0", ErrInvalidPlan, p.From, p.To)
	}
	if p.To <= p.From {
		return Status{Weight: 1, Done: true}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	st := &s.state
	if !st.active || !samePlan(st.plan, p) {
		w := s.cfg.Weights[0]
		if err := s.apply(ctx, WeightChange{Plan: p, Now: now, Step: 0, Weight: w}); err != nil {
			return Status{}, err
		}
		*st = stepsState{active: true, plan: p, step: 0, since: now}
		return Status{Weight: w, Done: len(s.cfg.Weights) == 1}, nil
	}

	w := s.cfg.Weights[st.step]
	last := st.step == len(s.cfg.Weights)-1
	switch {
	case st.rolledBack:
		return Status{Weight: 0, Reason: st.rollbackWhy}, nil
	case last:
		return Status{Weight: w, Done: true}, nil
	}

	if s.cfg.Health != nil {
		if err := s.cfg.Health(ctx, HealthCheck{Plan: p, Now: now, Step: st.step, Weight: w}); err != nil {
			s.ins.holds.Add(ctx, 1)
			failures := st.failures + 1
			if failures < s.cfg.MaxFailures {
				st.failures = failures
				return Status{Weight: w, Reason: fmt.Sprintf(
					"holding weight %v: health check failed (%d of %d before rollback): %v",
					w, failures, s.cfg.MaxFailures, err)}, nil
			}
			why := fmt.Sprintf("rolled back from weight %v after %d consecutive failed health checks: %v",
				w, failures, err)
			if aerr := s.apply(ctx, WeightChange{Plan: p, Now: now, Step: -1, Weight: 0, Rollback: true}); aerr != nil {
				// Count the failure so the next pass retries the rollback.
				st.failures = failures
				return Status{Weight: w, Reason: why}, aerr
			}
			s.ins.rollbacks.Add(ctx, 1)
			st.failures = failures
			st.rolledBack = true
			st.rollbackWhy = why
			return Status{Weight: 0, Reason: why}, nil
		}
	}
	st.failures = 0

	if held := now.Sub(st.since); held < s.cfg.Dwell {
		return Status{Weight: w, Reason: fmt.Sprintf("holding weight %v for dwell: %s of %s held",
			w, max(held, 0), s.cfg.Dwell)}, nil
	}

	next := st.step + 1
	nw := s.cfg.Weights[next]
	if err := s.apply(ctx, WeightChange{Plan: p, Now: now, Step: next, Weight: nw}); err != nil {
		return Status{Weight: w}, err
	}
	st.step = next
	st.since = now
	return Status{Weight: nw, Done: next == len(s.cfg.Weights)-1}, nil
}

// Reset forgets the transition under way, so that the next Advance starts
// its plan from the first weight even after a rollback.
func (s *Steps) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = stepsState{}
}

func (s *Steps) apply(ctx context.Context, c WeightChange) error {
	if s.cfg.SetWeight != nil {
		if err := s.cfg.SetWeight(ctx, c); err != nil {
			return fmt.Errorf("transition: set weight %v (step %d) for %d -> %d replicas: %w",
				c.Weight, c.Step, c.Plan.From, c.Plan.To, err)
		}
	}
	s.ins.weight.Record(ctx, c.Weight)
	if !c.Rollback {
		s.ins.steps.Add(ctx, 1)
	}
	return nil
}

func samePlan(a, b Plan) bool {
	return a.From == b.From && a.To == b.To && a.Started.Equal(b.Started)
}
