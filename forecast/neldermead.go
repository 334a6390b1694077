package forecast

import (
	"math"
	"sort"
)

// nelderMead minimizes f from x0 with the Nelder–Mead simplex method and
// returns the best vertex of its last major iteration and its value, and
// f(x0). It takes exactly the steps of gonum's optimize.Minimize with
// optimize.NelderMead{SimplexSize: size} under Settings{FuncEvaluations:
// maxEval, Converger: &FunctionConverge{Relative: rel, Iterations: iters}}
// and returns the same point (a test compares the two on random problems):
// the adaptive coefficients of Gao and Han (2012), an initial simplex of
// x0 and x0 + size·e_i, and a stop when maxEval evaluations are spent (the
// last one unused) or when iters major iterations in a row improve the best
// value by no more than rel times its magnitude. gonum runs every
// evaluation through goroutines and channels, which costs more than an
// evaluation of the small models refitted online here; this loop runs them
// in the caller.
//
// When f(x0) is not finite, x0 is empty or the budget ends before the
// first major iteration, the returned value is +Inf and the point is nil.
func nelderMead(f func([]float64) float64, x0 []float64, size float64, maxEval int, rel float64, iters int) (best []float64, fBest, f0 float64) {
	dim := len(x0)
	if dim == 0 {
		return nil, math.Inf(1), f(x0)
	}
	nd := float64(dim)
	reflection, expansion, contraction, shrink := 1.0, 1+2/nd, 0.75-1/(2*nd), 1-1/nd
	if dim == 1 {
		expansion, contraction, shrink = 2, 0.5, 0.5
	}
	evals := 0
	// eval evaluates f at x; spent reports that the budget is used up,
	// which discards the value (as gonum does).
	eval := func(x []float64) (v float64, spent bool) {
		v = f(x)
		evals++
		return v, maxEval > 0 && evals >= maxEval
	}
	fBest = math.Inf(1)
	convBest, convIter, convFirst := 0.0, 0, true
	// major records a major iteration at (x, v) and reports whether the
	// search stops there.
	major := func(x []float64, v float64) bool {
		if best == nil {
			best = make([]float64, dim)
		}
		copy(best, x)
		fBest = v
		if math.IsInf(v, -1) {
			return true
		}
		if convFirst {
			convBest, convFirst = v, false
			return false
		}
		if iters == 0 {
			return false
		}
		if v < convBest && convBest-v > rel*math.Max(math.Abs(v), math.Abs(convBest)) {
			convBest, convIter = v, 0
			return false
		}
		convIter++
		return convIter >= iters
	}

	f0, spent := eval(x0)
	if spent || math.IsInf(f0, 1) || math.IsNaN(f0) {
		return nil, math.Inf(1), f0
	}
	if major(x0, f0) {
		return best, fBest, f0
	}
	s := simplex{vertices: make([][]float64, dim+1), values: make([]float64, dim+1)}
	for i := range s.vertices {
		s.vertices[i] = make([]float64, dim)
	}
	centroid := make([]float64, dim)
	reflected := make([]float64, dim)
	x := make([]float64, dim)
	copy(s.vertices[dim], x0)
	s.values[dim] = f0
	for i := range dim {
		copy(x, s.vertices[dim])
		x[i] += size
		v, spent := eval(x)
		if spent {
			return best, fBest, f0
		}
		copy(s.vertices[i], x)
		s.values[i] = v
	}
	resort := func() {
		sort.Sort(s)
		for j := range centroid {
			centroid[j] = 0
		}
		for i := range dim {
			for j, v := range s.vertices[i] {
				centroid[j] += v
			}
		}
		for j := range centroid {
			centroid[j] /= nd
		}
	}
	// toward sets x to centroid + scale·(centroid − worst).
	toward := func(scale float64) {
		worst := s.vertices[dim]
		for j := range x {
			x[j] = (centroid[j] - worst[j]) * scale
		}
		for j := range x {
			x[j] += centroid[j]
		}
	}
	replaceWorst := func(p []float64, v float64) {
		copy(s.vertices[dim], p)
		s.values[dim] = v
		for i := dim - 1; i >= 0; i-- {
			if s.values[i] < v {
				break
			}
			s.vertices[i], s.vertices[i+1] = s.vertices[i+1], s.vertices[i]
			s.values[i], s.values[i+1] = s.values[i+1], s.values[i]
		}
		a := -1 / nd
		for j, w := range s.vertices[dim] {
			centroid[j] += a * w
		}
		a = 1 / nd
		for j, w := range p {
			centroid[j] += a * w
		}
	}
	resort()
	for !major(s.vertices[0], s.values[0]) {
		toward(reflection)
		copy(reflected, x)
		fr, spent := eval(x)
		if spent {
			break
		}
		shrinkNow := false
		switch {
		case fr >= s.values[0] && fr < s.values[dim-1]:
			replaceWorst(reflected, fr)
		case fr < s.values[0]:
			toward(reflection * expansion)
			fe, spent := eval(x)
			if spent {
				return best, fBest, f0
			}
			if fe < fr {
				replaceWorst(x, fe)
			} else {
				replaceWorst(reflected, fr)
			}
		case fr < s.values[dim]:
			toward(reflection * contraction)
			fc, spent := eval(x)
			if spent {
				return best, fBest, f0
			}
			if fc <= fr {
				replaceWorst(x, fc)
			} else {
				shrinkNow = true
			}
		default:
			toward(-contraction)
			fc, spent := eval(x)
			if spent {
				return best, fBest, f0
			}
			if fc < s.values[dim] {
				replaceWorst(x, fc)
			} else {
				shrinkNow = true
			}
		}
		if !shrinkNow {
			continue
		}
		for i := 1; i <= dim; i++ {
			b := s.vertices[0]
			for j := range x {
				x[j] = (s.vertices[i][j] - b[j]) * shrink
			}
			for j := range x {
				x[j] += b[j]
			}
			v, spent := eval(x)
			if spent {
				return best, fBest, f0
			}
			copy(s.vertices[i], x)
			s.values[i] = v
		}
		resort()
	}
	return best, fBest, f0
}

// simplex sorts vertices by their values (as gonum's NelderMead does, with
// sort.Sort, so that ties fall the same way).
type simplex struct {
	vertices [][]float64
	values   []float64
}

func (s simplex) Len() int           { return len(s.values) }
func (s simplex) Less(i, j int) bool { return s.values[i] < s.values[j] }
func (s simplex) Swap(i, j int) {
	s.values[i], s.values[j] = s.values[j], s.values[i]
	s.vertices[i], s.vertices[j] = s.vertices[j], s.vertices[i]
}
