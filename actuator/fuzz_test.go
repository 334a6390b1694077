package actuator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shadowscale/shadowscale/actuator"
)

// FuzzDo checks RetryConfig validation and the retry loop's bounds on any
// configuration: a negative field is refused with an error naming it;
// otherwise op runs at most MaxRetries+1 times and no wait starts after the
// elapsed-time budget.
func FuzzDo(f *testing.F) {
	f.Add(int64(0), int64(0), int64(0), 0, uint8(3))
	f.Add(int64(time.Second), int64(4*time.Second), int64(20*time.Second), 1000, uint8(255))
	f.Add(int64(-1), int64(0), int64(0), 0, uint8(1))
	f.Add(int64(0), int64(0), int64(0), -1, uint8(1))
	f.Add(int64(1), int64(1), int64(1), 1<<40, uint8(0))
	f.Fuzz(func(t *testing.T, initial, maxInterval, maxElapsed int64, retries int, failures uint8) {
		cfg := actuator.RetryConfig{
			InitialInterval: time.Duration(initial), MaxInterval: time.Duration(maxInterval),
			MaxElapsedTime: time.Duration(maxElapsed), MaxRetries: retries,
		}
		clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		start := clk.now
		cfg.After, cfg.Now = clk.After, clk.Now
		calls := 0
		var lastWaitStart time.Time
		cfg.OnRetry = func(error, time.Duration) { lastWaitStart = clk.now }
		err := actuator.Do(context.Background(), cfg, func(context.Context) error {
			calls++
			if calls > int(failures) {
				return nil
			}
			return errors.New("503")
		})
		if verr := cfg.Validate(); verr != nil {
			if err == nil || calls != 0 || !strings.HasPrefix(err.Error(), "actuator: RetryConfig.") {
				t.Fatalf("invalid config %+v: err %v after %d calls", cfg, err, calls)
			}
			return
		}
		maxRetries := retries
		switch {
		case maxRetries == 0:
			maxRetries = 4
		case maxRetries < 0:
			maxRetries = 0
		}
		budget := cfg.MaxElapsedTime
		if budget == 0 {
			budget = 30 * time.Second
		}
		if calls < 1 || calls-1 > maxRetries || calls > int(failures)+1 {
			t.Fatalf("%d calls with MaxRetries %d and %d failures", calls, maxRetries, failures)
		}
		if (err == nil) != (calls == int(failures)+1) {
			t.Fatalf("err %v after %d calls, %d failures", err, calls, failures)
		}
		if !lastWaitStart.IsZero() && lastWaitStart.Sub(start) > budget {
			t.Fatalf("a wait started %s after the start, past the budget %s", lastWaitStart.Sub(start), budget)
		}
	})
}
