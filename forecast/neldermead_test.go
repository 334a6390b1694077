package forecast

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/optimize"
)

// gonumNelderMead is what nelderMead replaces: gonum's Minimize with its
// NelderMead, as minimizeBoxed called it.
func gonumNelderMead(f func([]float64) float64, x0 []float64, size float64, maxEval int, rel float64, iters int) ([]float64, float64) {
	res, err := optimize.Minimize(optimize.Problem{Func: f}, x0, &optimize.Settings{
		FuncEvaluations: maxEval,
		Converger:       &optimize.FunctionConverge{Relative: rel, Iterations: iters},
	}, &optimize.NelderMead{SimplexSize: size})
	_ = err
	if res == nil || math.IsInf(res.F, 1) {
		return nil, math.Inf(1)
	}
	return res.X, res.F
}

// TestNelderMeadMatchesGonum checks that nelderMead takes gonum's steps:
// on random problems (smooth, rugged, with walls of +Inf, in 1 to 5
// dimensions, with budgets that run out and tolerances that stop first)
// it returns gonum's point and value bit for bit, and evaluates f the
// same number of times.
func TestNelderMeadMatchesGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 3000 {
		dim := 1 + rng.IntN(5)
		center := make([]float64, dim)
		w := make([]float64, dim)
		for i := range center {
			center[i] = rng.NormFloat64() * 2
			w[i] = math.Exp(rng.NormFloat64())
		}
		kind := rng.IntN(4)
		var calls int
		f := func(x []float64) float64 {
			calls++
			s := 0.0
			for i, v := range x {
				d := v - center[i]
				switch kind {
				case 0: // quadratic
					s += w[i] * d * d
				case 1: // rugged
					s += w[i]*d*d + math.Sin(7*v)
				case 2: // a wall: +Inf beyond it
					if v > center[i]+1 {
						return math.Inf(1)
					}
					s += w[i] * math.Abs(d)
				default: // Rosenbrock-like valleys
					if i > 0 {
						s += 100*sq(v-x[i-1]*x[i-1]) + sq(1-x[i-1])
					} else {
						s += 0.01 * d * d
					}
				}
			}
			return s
		}
		x0 := make([]float64, dim)
		for i := range x0 {
			x0[i] = rng.NormFloat64() * 3
		}
		size := []float64{0.3, 1, 0.05}[rng.IntN(3)]
		maxEval := []int{10, 37, 150, 600, 0}[rng.IntN(5)]
		rel := []float64{1e-4, 1e-5, 0}[rng.IntN(3)]
		iters := 3 * dim
		if rel == 0 {
			iters = []int{0, 3 * dim}[rng.IntN(2)]
			if maxEval == 0 {
				maxEval = 400
			}
		}
		calls = 0
		wantX, wantF := gonumNelderMead(f, append([]float64(nil), x0...), size, maxEval, rel, iters)
		wantCalls := calls
		calls = 0
		gotX, gotF, f0 := nelderMead(f, append([]float64(nil), x0...), size, maxEval, rel, iters)
		require.Equal(t, wantCalls, calls, "trial %d: evaluations", trial)
		require.Equal(t, math.Float64bits(wantF), math.Float64bits(gotF), "trial %d: value %v vs %v", trial, gotF, wantF)
		require.Equal(t, wantX, gotX, "trial %d", trial)
		require.Equal(t, math.Float64bits(f(x0)), math.Float64bits(f0), "trial %d: f(x0)", trial)
	}
}

// TestNelderMeadEdges: an empty point is evaluated once and not searched;
// a start where f is +Inf or NaN is not searched either (gonum stops there
// with a failure); a budget of one evaluation ends before the first major
// iteration.
func TestNelderMeadEdges(t *testing.T) {
	calls := 0
	f := func(x []float64) float64 { calls++; return 3 }
	x, fx, f0 := nelderMead(f, nil, 1, 100, 1e-5, 3)
	require.Nil(t, x)
	require.True(t, math.IsInf(fx, 1))
	require.Equal(t, 3.0, f0)
	require.Equal(t, 1, calls)
	for _, bad := range []float64{math.Inf(1), math.NaN()} {
		calls = 0
		x, fx, _ = nelderMead(func(x []float64) float64 { calls++; return bad + x[0] }, []float64{1}, 1, 100, 1e-5, 3)
		require.Nil(t, x)
		require.True(t, math.IsInf(fx, 1))
		require.Equal(t, 1, calls)
	}
	x, fx, _ = nelderMead(func(x []float64) float64 { return x[0] * x[0] }, []float64{1}, 1, 1, 1e-5, 3)
	require.Nil(t, x)
	require.True(t, math.IsInf(fx, 1))
}

// BenchmarkNelderMead compares nelderMead with gonum's Minimize on a
// Holt-Winters fit's objective (additive season, a day of 5-minute data,
// 150 evaluations at most from one start), the same search in both.
func BenchmarkNelderMead(b *testing.B) {
	y := make([]float64, 288*3)
	for i := range y {
		y[i] = 100 + 30*math.Sin(2*math.Pi*float64(i)/288) + 5*math.Sin(float64(i)*12.9898)
	}
	h := &hw{m: 288, trend: TrendNone, phi: 1, s0: make([]float64, 288), work: make([]float64, 288)}
	h.initial(y, h.s0)
	bs := []bound{{1e-4, 1}, {0, 1}}
	f := func(x []float64) float64 {
		return h.sse(y, bs[0].fromFree(x[0]), 0, bs[1].fromFree(x[1]), 1)
	}
	x0 := []float64{bs[0].toFree(0.5), bs[1].toFree(0.1)}
	b.Run("gonum", func(b *testing.B) {
		for b.Loop() {
			gonumNelderMead(f, x0, 1, 150, 1e-5, 6)
		}
	})
	b.Run("in-caller", func(b *testing.B) {
		for b.Loop() {
			nelderMead(f, x0, 1, 150, 1e-5, 6)
		}
	})
}
