package defaults

import (
	"math"
	"testing"
	"time"
)

func TestOr(t *testing.T) {
	if got := Or(0, 4); got != 4 {
		t.Errorf("Or(0, 4) = %d, want the default 4", got)
	}
	if got := Or(-1, 4); got != 0 {
		t.Errorf("Or(-1, 4) = %d, want 0", got)
	}
	if got := Or(7, 4); got != 7 {
		t.Errorf("Or(7, 4) = %d, want 7", got)
	}
	if got := Or(0.0, 0.1); got != 0.1 {
		t.Errorf("Or(0.0, 0.1) = %v", got)
	}
	if got := Or(math.Inf(-1), 0.1); got != 0 {
		t.Errorf("Or(-Inf, 0.1) = %v, want 0", got)
	}
	if got := Or(math.NaN(), 0.1); !math.IsNaN(got) {
		t.Errorf("Or(NaN, 0.1) = %v, want NaN", got)
	}
	if got := Or(time.Duration(0), time.Second); got != time.Second {
		t.Errorf("Or(0s, 1s) = %s", got)
	}
	if got := Or(-time.Second, time.Minute); got != 0 {
		t.Errorf("Or(-1s, 1m) = %s, want 0", got)
	}
}

func TestIfZero(t *testing.T) {
	if got := IfZero(0, 4); got != 4 {
		t.Errorf("IfZero(0, 4) = %d, want the default 4", got)
	}
	if got := IfZero(-1, 4); got != -1 {
		t.Errorf("IfZero(-1, 4) = %d, want -1 left for validation", got)
	}
	if got := IfZero(7, 4); got != 7 {
		t.Errorf("IfZero(7, 4) = %d, want 7", got)
	}
	if got := IfZero(math.NaN(), 0.1); !math.IsNaN(got) {
		t.Errorf("IfZero(NaN, 0.1) = %v, want NaN", got)
	}
	if got := IfZero(time.Duration(0), time.Second); got != time.Second {
		t.Errorf("IfZero(0s, 1s) = %s", got)
	}
}
