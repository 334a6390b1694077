package shadow_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shadowscale/shadowscale/shadow"
)

// FuzzConfigValidate: whatever numbers a Config holds, Validate never
// panics, and an error names the field at fault with the package prefix;
// a Config it accepts keeps its history within the bound that New can
// allocate.
func FuzzConfigValidate(f *testing.F) {
	f.Add(int64(time.Minute), int64(10*time.Minute), 120.0, 0.7, 2, 200, 10080, 0.95, int64(0), 3)
	f.Add(int64(0), int64(-1), 1.0, 0.0, 0, 0, 0, 0.0, int64(0), 0)
	f.Add(int64(-1), int64(0), -1.0, 1.5, 5, 2, 1, 1.0, int64(-1), -1)
	f.Add(int64(time.Second), int64(time.Hour), 1e300, 1.0, 0, 1, 1<<40, 0.5, int64(time.Minute), 1)
	f.Fuzz(func(t *testing.T, interval, lead int64, perReplica, target float64, minR, maxR, history int, level float64, stale int64, alert int) {
		cfg := shadow.Config{
			Interval: time.Duration(interval), LeadTime: time.Duration(lead), PerReplica: perReplica,
			TargetUtilization: target, MinReplicas: minR, MaxReplicas: maxR, HistorySize: history,
			Level: level, ShadowStaleAfter: time.Duration(stale), ActuationFailureAlert: alert,
		}
		err := cfg.Validate()
		if err == nil {
			if cfg.HistorySize > 1<<22 {
				t.Fatalf("HistorySize %d accepted", cfg.HistorySize)
			}
			return
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "shadow: Config.") {
			t.Fatalf("error %q does not name a Config field", msg)
		}
	})
}
