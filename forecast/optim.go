package forecast

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// bound is the open interval a free parameter is mapped into.
type bound struct{ lo, hi float64 }

// fromFree maps an unconstrained value into (b.lo, b.hi) with a logistic.
func (b bound) fromFree(x float64) float64 {
	return b.lo + (b.hi-b.lo)/(1+math.Exp(-x))
}

// toFree is the inverse of fromFree.
func (b bound) toFree(v float64) float64 {
	p := (v - b.lo) / (b.hi - b.lo)
	p = math.Min(math.Max(p, 1e-6), 1-1e-6)
	return math.Log(p / (1 - p))
}

// minimizeBoxed minimizes obj over the box given by bounds with Nelder-Mead,
// using a logistic transformation to keep the parameters inside. The
// objective is evaluated at every start (values inside the box) and the
// search runs from the best two. It returns the best point found and its
// value. A non-finite objective is treated as +Inf. A single start is a
// warm start from parameters fitted before: the search then begins with a
// smaller simplex, half the evaluations and a looser convergence test.
func minimizeBoxed(obj func(p []float64) float64, bounds []bound, starts [][]float64, maxEval int) ([]float64, float64) {
	dim := len(bounds)
	p := make([]float64, dim)
	f := func(x []float64) float64 {
		for i, b := range bounds {
			p[i] = b.fromFree(x[i])
		}
		v := obj(p)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return math.Inf(1)
		}
		return v
	}
	simplex, tol := 1.0, 1e-5
	if len(starts) == 1 {
		simplex, tol, maxEval = 0.3, 1e-4, max(maxEval/2, 10)
	}
	best := append([]float64(nil), starts[0]...)
	bestF := math.Inf(1)
	if len(starts) > 2 {
		vals := make([]float64, len(starts))
		for i, s := range starts {
			vals[i] = obj(s)
			if math.IsNaN(vals[i]) {
				vals[i] = math.Inf(1)
			}
		}
		idx := make([]int, len(starts))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return vals[idx[a]] < vals[idx[b]] })
		starts = [][]float64{starts[idx[0]], starts[idx[1]]}
	}
	for _, s := range starts {
		x0 := make([]float64, dim)
		for i, b := range bounds {
			x0[i] = b.toFree(s[i])
		}
		xs, fs, f0 := nelderMead(f, x0, simplex, maxEval, tol, 3*dim)
		x, fx := x0, f0
		if fs < f0 {
			x, fx = xs, fs
		}
		if fx < bestF {
			bestF = fx
			for i, b := range bounds {
				best[i] = b.fromFree(x[i])
			}
		}
	}
	return best, bestF
}

// fitFree minimizes loss over the entries of all listed in free, the others
// held as they are, and writes the optimum into all. bs holds one bound per
// free entry; each start gives a value for every entry of all, of which the
// free ones are read; the search gets evalsPerParam evaluations per free
// parameter. With no free entry it does nothing.
func fitFree(all []float64, free []int, bs []bound, starts [][]float64, evalsPerParam int, loss func(p []float64) float64) {
	if len(free) == 0 {
		return
	}
	st := make([][]float64, len(starts))
	for j, sv := range starts {
		st[j] = make([]float64, len(free))
		for k, i := range free {
			st[j][k] = sv[i]
		}
	}
	p := slices.Clone(all)
	best, _ := minimizeBoxed(func(x []float64) float64 {
		for k, i := range free {
			p[i] = x[k]
		}
		return loss(p)
	}, bs, st, evalsPerParam*len(free))
	for k, i := range free {
		all[i] = best[k]
	}
}

// checkFitInput reports a window shorter than minHistory observations and,
// when positive is set, the first value that is not positive (what names
// the model part that needs them).
func checkFitInput(y []float64, name string, minHistory int, positive bool, what string) error {
	if len(y) < minHistory {
		return fmt.Errorf("%w: %s has %d observations, needs %d", ErrInsufficientHistory, name, len(y), minHistory)
	}
	if positive {
		for i, v := range y {
			if v <= 0 {
				return fmt.Errorf("%w: %s: positive values needed, got %v at index %d", ErrInvalidArgument, what, v, i)
			}
		}
	}
	return nil
}
