package forecast

import (
	"fmt"
	"math"
)

// MASE is the mean absolute scaled error of forecast against actual: the
// mean absolute error divided by the in-sample mean absolute error of the
// seasonal naive forecast with period m (m ≤ 1: the naive forecast) on
// insample. It errors when the lengths differ, insample is shorter than
// m+1, or the scale is zero.
func MASE(actual, forecast, insample []float64, m int) (float64, error) {
	if err := sameLen(actual, forecast); err != nil {
		return 0, err
	}
	scale, err := naiveScale(insample, m)
	if err != nil {
		return 0, err
	}
	var sum float64
	for i := range actual {
		sum += math.Abs(actual[i] - forecast[i])
	}
	return sum / float64(len(actual)) / scale, nil
}

// naiveScale is the in-sample MAE of the seasonal naive forecast.
func naiveScale(y []float64, m int) (float64, error) {
	m = max(m, 1)
	if len(y) <= m {
		return 0, fmt.Errorf("%w: MASE scale needs more than %d in-sample values, got %d", ErrInsufficientHistory, m, len(y))
	}
	var sum float64
	for i := m; i < len(y); i++ {
		sum += math.Abs(y[i] - y[i-m])
	}
	scale := sum / float64(len(y)-m)
	if !(scale > 0) || math.IsInf(scale, 0) {
		return 0, fmt.Errorf("%w: MASE scale is %v (constant in-sample series?)", ErrInvalidArgument, scale)
	}
	return scale, nil
}

// SMAPE is the symmetric mean absolute percentage error in percent,
// 200/n Σ |a−f| / (|a|+|f|); points where both are zero count as zero error.
func SMAPE(actual, forecast []float64) (float64, error) {
	if err := sameLen(actual, forecast); err != nil {
		return 0, err
	}
	var sum float64
	for i := range actual {
		d := math.Abs(actual[i]) + math.Abs(forecast[i])
		if d > 0 {
			sum += math.Abs(actual[i]-forecast[i]) / d
		}
	}
	return 200 * sum / float64(len(actual)), nil
}

// RMSE is the root mean squared error.
func RMSE(actual, forecast []float64) (float64, error) {
	if err := sameLen(actual, forecast); err != nil {
		return 0, err
	}
	var sum float64
	for i := range actual {
		d := actual[i] - forecast[i]
		sum += d * d
	}
	return math.Sqrt(sum / float64(len(actual))), nil
}

// Coverage is the fraction of actual values inside [lower, upper].
func Coverage(actual, lower, upper []float64) (float64, error) {
	if err := sameLen(actual, lower); err != nil {
		return 0, err
	}
	if err := sameLen(actual, upper); err != nil {
		return 0, err
	}
	in := 0
	for i, a := range actual {
		if a >= lower[i] && a <= upper[i] {
			in++
		}
	}
	return float64(in) / float64(len(actual)), nil
}

// MSIS is the mean scaled interval score of the central interval
// [lower, upper] at level (the M4 competition's interval measure): for each
// point (u − l) + (2/α)(l − a) when a < l, + (2/α)(a − u) when a > u, with
// α = 1 − level, averaged and divided by the in-sample seasonal naive error
// of period m (as MASE). It rewards narrow intervals and charges each miss
// by how far it lies outside, so two interval methods with the same
// coverage are told apart by their width. It errors when the lengths
// differ, level is outside (0, 1), insample is shorter than m+1 or its
// scale is zero.
func MSIS(actual, lower, upper, insample []float64, m int, level float64) (float64, error) {
	if err := sameLen(actual, lower); err != nil {
		return 0, err
	}
	if err := sameLen(actual, upper); err != nil {
		return 0, err
	}
	if !(level > 0 && level < 1) {
		return 0, fmt.Errorf("%w: MSIS level %v must lie in (0, 1)", ErrInvalidArgument, level)
	}
	scale, err := naiveScale(insample, m)
	if err != nil {
		return 0, err
	}
	var sum float64
	for i, a := range actual {
		sum += intervalScore(a, lower[i], upper[i], 1-level)
	}
	return sum / float64(len(actual)) / scale, nil
}

// intervalScore is the interval score of a at [l, u] with miscoverage
// alpha: the width plus 2/alpha times the distance outside.
func intervalScore(a, l, u, alpha float64) float64 {
	s := u - l
	if a < l {
		s += 2 / alpha * (l - a)
	}
	if a > u {
		s += 2 / alpha * (a - u)
	}
	return s
}

func sameLen(a, b []float64) error {
	if len(a) == 0 || len(a) != len(b) {
		return fmt.Errorf("%w: lengths %d and %d must be equal and non-zero", ErrInvalidArgument, len(a), len(b))
	}
	return nil
}
