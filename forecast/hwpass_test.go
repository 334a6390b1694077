package forecast

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestHWPassLevelMatchesHWPass checks that the no-trend additive loop gives
// hwPass's sum of squared errors bit for bit, and that it declines (so that
// hwPass runs) when a level change overflows.
func TestHWPassLevelMatchesHWPass(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for k := range 200 {
		m := 1 + rng.IntN(50)
		y := make([]float64, m*(2+rng.IntN(5)))
		for i := range y {
			y[i] = 100*rng.Float64() + 50*math.Sin(2*math.Pi*float64(i)/float64(m))
			if k%7 == 0 {
				y[i] = math.Round(y[i]) // ties and exact zeros of error
			}
		}
		s0 := make([]float64, m)
		for i := range s0 {
			s0[i] = 10 * rng.NormFloat64()
		}
		a, g := rng.Float64(), rng.Float64()
		l0 := 100 * rng.Float64()
		s1, s2 := slices.Clone(s0), slices.Clone(s0)
		want, _ := hwPass(y, s1, l0, 0, a, 0, g, 1, false, false, false)
		got, ok := hwPassLevel(y, s2, l0, a, g)
		if !ok || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("case %d: hwPassLevel = %v (ok %v), hwPass = %v", k, got, ok, want)
		}
	}
	y := []float64{math.MaxFloat64, -math.MaxFloat64, math.MaxFloat64, -math.MaxFloat64}
	if _, ok := hwPassLevel(y, []float64{0}, 0, 1, 0); ok {
		t.Fatal("hwPassLevel accepted a pass whose level change overflowed")
	}
}

// TestAtLeastTinyIsMathMax checks the inlined bound against math.Max on
// the values where they could part: zeros, infinities, NaN, the bound
// itself and its neighbours.
func TestAtLeastTinyIsMathMax(t *testing.T) {
	for _, x := range []float64{0, math.Copysign(0, -1), 1e-9, math.Nextafter(1e-9, 0), math.Nextafter(1e-9, 1),
		-1, 1, math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, math.SmallestNonzeroFloat64} {
		if got, want := atLeastTiny(x), math.Max(x, 1e-9); math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("atLeastTiny(%v) = %v, math.Max gives %v", x, got, want)
		}
	}
}
