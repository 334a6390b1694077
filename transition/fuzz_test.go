package transition_test

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/shadowscale/shadowscale/transition"
)

// FuzzSteps feeds Steps arbitrary configurations and pass sequences: a
// configuration Validate refuses makes NewSteps fail with ErrInvalidConfig;
// an accepted one never yields a weight outside [0, 1], never lowers the
// weight but to roll back, stays at 0 after a rollback, and reports Done
// only at weight 1.
func FuzzSteps(f *testing.F) {
	weights := func(ws ...float64) []byte {
		var b []byte
		for _, w := range ws {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(w))
		}
		return b
	}
	f.Add(weights(), int64(0), 0, []byte{0, 1, 0xff, 0x80, 3})
	f.Add(weights(0.1, 0.5, 1), int64(time.Minute), 2, []byte{0x90, 0x90, 0x10, 0x10, 0x10, 0x90})
	f.Add(weights(0.5, 0.4, 1), int64(0), 0, []byte{1})
	f.Add(weights(math.NaN(), 1), int64(-1), -1, []byte{1})
	f.Add(weights(1), int64(1), 1, []byte{0x80, 0x80})
	f.Fuzz(func(t *testing.T, wb []byte, dwell int64, maxFailures int, passes []byte) {
		var cfg transition.StepsConfig
		for len(wb) >= 8 && len(cfg.Weights) < 8 {
			cfg.Weights = append(cfg.Weights, math.Float64frombits(binary.LittleEndian.Uint64(wb)))
			wb = wb[8:]
		}
		cfg.Dwell, cfg.MaxFailures = time.Duration(dwell), maxFailures
		healthy := true
		cfg.Health = func(context.Context, transition.HealthCheck) error {
			if healthy {
				return nil
			}
			return errors.New("5xx")
		}
		applied := []float64{}
		cfg.SetWeight = func(_ context.Context, c transition.WeightChange) error {
			applied = append(applied, c.Weight)
			return nil
		}
		s, err := transition.NewSteps(cfg)
		if verr := cfg.Validate(); verr != nil {
			if err == nil || !errors.Is(err, transition.ErrInvalidConfig) {
				t.Fatalf("Validate: %v, NewSteps: %v", verr, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid config refused: %v", err)
		}
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		plan := transition.Plan{From: 2, To: 5, Started: now}
		prev, rolledBack := 0.0, false
		for _, b := range passes {
			healthy = b&0x80 == 0
			now = now.Add(time.Duration(b&0x7f) * time.Second)
			st, err := s.Advance(context.Background(), now, plan)
			if err != nil {
				t.Fatalf("Advance: %v", err)
			}
			switch {
			case math.IsNaN(st.Weight) || st.Weight < 0 || st.Weight > 1:
				t.Fatalf("weight %v", st.Weight)
			case st.Done && st.Weight != 1:
				t.Fatalf("done at weight %v", st.Weight)
			case rolledBack && st.Weight != 0:
				t.Fatalf("weight %v after a rollback", st.Weight)
			case st.Weight < prev && st.Weight != 0:
				t.Fatalf("weight fell from %v to %v without a rollback", prev, st.Weight)
			}
			if st.Weight < prev {
				rolledBack = true
			}
			prev = st.Weight
		}
		for _, w := range applied {
			if w < 0 || w > 1 {
				t.Fatalf("SetWeight(%v)", w)
			}
		}
	})
}
