package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// seasonal returns n points of level + trend·t + amp·sin(2πt/period) +
// Gaussian noise of standard deviation sd.
func seasonal(n, period int, level, trend, amp, sd float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	y := make([]float64, n)
	for i := range y {
		v := level + trend*float64(i) + amp*math.Sin(2*math.Pi*float64(i)/float64(period)) + sd*r.NormFloat64()
		y[i] = math.Max(v, 0)
	}
	return y
}

// feed observes y on a one-minute grid starting at t0 + offset steps.
func feed(t testing.TB, f Forecaster, y []float64, offset int) {
	t.Helper()
	for i, v := range y {
		require.NoError(t, f.Observe(t0.Add(time.Duration(offset+i)*time.Minute), v), "index %d", i)
	}
}

func mae(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += math.Abs(a[i] - b[i])
	}
	return s / float64(len(a))
}
