// Package mathx holds the numeric helpers several packages of the module
// share: the standard normal quantile, a finiteness test, a rounding-safe
// ceiling and the median. No user imports it.
package mathx

import (
	"math"
	"slices"
)

// MaxInt caps float-to-int conversions so that a huge or infinite value
// cannot overflow an int: 2^30.
const MaxInt = 1 << 30

// NormalQuantile returns the p-quantile of the standard normal distribution
// (the probit): NormalQuantile(0.975) ≈ 1.96. It returns −Inf at 0, +Inf at
// 1 and NaN outside [0, 1].
func NormalQuantile(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

// Finite reports whether v is neither NaN nor infinite.
func Finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// FiniteOr returns v when it is finite and def otherwise.
func FiniteOr(v, def float64) float64 {
	if Finite(v) {
		return v
	}
	return def
}

// CeilInt returns ceil(x) as an int for x > 0, ignoring rounding noise of
// up to 1e-9 above a whole number (3.0000000001 gives 3). It returns 0 for
// x ≤ 0 or NaN and caps x ≥ MaxInt (+Inf included) at MaxInt.
func CeilInt(x float64) int {
	if !(x > 0) {
		return 0
	}
	if x >= MaxInt {
		return MaxInt
	}
	return int(math.Ceil(x - 1e-9))
}

// MADScale turns a median absolute deviation into the standard deviation
// of a normal distribution with that deviation.
const MADScale = 1.4826

// Median returns the median of v, which it sorts in place (NaN when v is
// empty).
func Median(v []float64) float64 {
	k := len(v)
	if k == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	if k%2 == 1 {
		return v[k/2]
	}
	return (v[k/2-1] + v[k/2]) / 2
}
