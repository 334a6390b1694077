package mirror

import (
	"sync/atomic"
	"time"
)

// bucket caps a rate with the generic cell rate algorithm: one atomic
// "theoretical arrival time" updated by compare-and-swap, so that it is
// lock-free. It admits Burst takes at once after idling and then one per
// 1/rate. Time is passed in, so that it is testable with plain values.
type bucket struct {
	interval float64 // nanoseconds per take at share 1
	burst    int64
	tat      atomic.Int64 // unix nanos
}

func newBucket(rate float64, burst int) *bucket {
	return &bucket{interval: float64(time.Second) / rate, burst: int64(burst)}
}

// allow takes one slot at now if available. A share in (0, 1] scales the
// rate (used to split a cap among strata): at share 0.5 takes are spaced
// twice as far apart.
func (b *bucket) allow(now time.Time, share float64) bool {
	t := now.UnixNano()
	step := int64(b.interval / share)
	for {
		tat := b.tat.Load()
		next := max(tat, t) + step
		if next-t > b.burst*step {
			return false
		}
		if b.tat.CompareAndSwap(tat, next) {
			return true
		}
	}
}
