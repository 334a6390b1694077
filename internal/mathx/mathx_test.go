package mathx

import (
	"math"
	"testing"
)

func TestNormalQuantile(t *testing.T) {
	cases := []struct{ p, want float64 }{
		{0.5, 0},
		{0.975, 1.959963984540054},
		{0.025, -1.959963984540054},
		{0.9, 1.2815515655446004},
		{0.99, 2.3263478740408408},
	}
	for _, c := range cases {
		if got := NormalQuantile(c.p); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("NormalQuantile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if !math.IsInf(NormalQuantile(1), 1) || !math.IsInf(NormalQuantile(0), -1) {
		t.Errorf("NormalQuantile(0), NormalQuantile(1) = %v, %v, want -Inf, +Inf", NormalQuantile(0), NormalQuantile(1))
	}
	if !math.IsNaN(NormalQuantile(1.5)) || !math.IsNaN(NormalQuantile(math.NaN())) {
		t.Error("NormalQuantile outside [0, 1] is not NaN")
	}
}

func TestFinite(t *testing.T) {
	for _, v := range []float64{0, -1, math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64} {
		if !Finite(v) {
			t.Errorf("Finite(%v) = false", v)
		}
		if FiniteOr(v, 7) != v {
			t.Errorf("FiniteOr(%v, 7) = %v", v, FiniteOr(v, 7))
		}
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if Finite(v) {
			t.Errorf("Finite(%v) = true", v)
		}
		if FiniteOr(v, 7) != 7 {
			t.Errorf("FiniteOr(%v, 7) = %v, want 7", v, FiniteOr(v, 7))
		}
	}
}

func TestCeilInt(t *testing.T) {
	cases := []struct {
		x    float64
		want int
	}{
		{0, 0}, {-3, 0}, {math.NaN(), 0}, {math.Inf(-1), 0},
		{0.1, 1}, {1, 1}, {3.0000000001, 3}, {3.01, 4},
		{MaxInt, MaxInt}, {1e300, MaxInt}, {math.Inf(1), MaxInt},
	}
	for _, c := range cases {
		if got := CeilInt(c.x); got != c.want {
			t.Errorf("CeilInt(%v) = %d, want %d", c.x, got, c.want)
		}
	}
}
