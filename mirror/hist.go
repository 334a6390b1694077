package mirror

import (
	"math"
	"time"
)

// Latency histogram: log-spaced buckets from histMin, each histGrowth times
// wider than the previous (relative error of a percentile < 4%).
const (
	histMin     = 50 * time.Microsecond
	histGrowth  = 1.08
	histBuckets = 200 // covers up to ~2.5 min; longer goes to the last bucket
)

var histLogGrowth = math.Log(histGrowth)

type histogram [histBuckets]uint32

func histIndex(d time.Duration) int {
	if d <= histMin {
		return 0
	}
	i := int(math.Log(float64(d)/float64(histMin))/histLogGrowth) + 1
	return min(i, histBuckets-1)
}

// histUpper is the upper bound of bucket i.
func histUpper(i int) time.Duration {
	if i == 0 {
		return histMin
	}
	return time.Duration(float64(histMin) * math.Pow(histGrowth, float64(i)))
}

func (h *histogram) add(o *histogram) {
	for i := range h {
		h[i] += o[i]
	}
}

// quantile returns the upper bound of the bucket holding quantile q, or 0
// for an empty histogram.
func (h *histogram) quantile(q float64) time.Duration {
	var total uint64
	for _, c := range h {
		total += uint64(c)
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h {
		seen += uint64(c)
		if seen >= rank {
			return histUpper(i)
		}
	}
	return histUpper(histBuckets - 1)
}
