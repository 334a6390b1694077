package shadow

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// referenceStats is the window's median (vals in the order pushed) and
// the smaller of 1.4826 × MAD, by sorting the values and then their
// deviations, and 1.4826 × the median absolute change from one value to
// the next over √2.
func referenceStats(vals []float64) (med, sigma float64) {
	s := slices.Clone(vals)
	slices.Sort(s)
	med = median(s)
	for i, v := range s {
		s[i] = math.Abs(v - med)
	}
	slices.Sort(s)
	var d []float64
	for i := 1; i < len(vals); i++ {
		d = append(d, math.Abs(vals[i]-vals[i-1]))
	}
	slices.Sort(d)
	return med, min(1.4826*median(s), 1.4826*median(d)/math.Sqrt2)
}

// TestRobustStatsMatchSorting checks that the sorted window kept across
// pushes gives bit for bit the median and deviation of sorting the window on
// every pass, with ties, zeros, odd and even counts, and a restore that
// fills the window without pushes.
func TestRobustStatsMatchSorting(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gens := map[string]func() float64{
		"continuous": func() float64 { return 100 + 30*rng.NormFloat64() },
		"ties":       func() float64 { return float64(rng.IntN(5)) },
		"zeros":      func() float64 { return float64(rng.IntN(2)) * rng.Float64() },
		"spread":     func() float64 { return math.Exp(20 * rng.Float64()) },
	}
	for name, gen := range gens {
		t.Run(name, func(t *testing.T) {
			var r robust
			var all []float64
			for k := range 500 {
				v := gen()
				r.push(v)
				all = append(all, v)
				if k == 250 {
					// A restored window: values set directly, nothing sorted.
					var rr robust
					for _, v := range all[len(all)-min(len(all), robustWindow):] {
						rr.win[rr.next] = v
						rr.next = (rr.next + 1) % robustWindow
						rr.n++
					}
					r = rr
				}
				med, sigma, ok := r.stats()
				win := all[max(0, len(all)-robustWindow):]
				if ok != (len(win) >= robustMin) {
					t.Fatalf("push %d: ok = %v with %d values", k, ok, len(win))
				}
				if !ok {
					continue
				}
				wm, ws := referenceStats(win)
				if math.Float64bits(med) != math.Float64bits(wm) && med != wm || math.Float64bits(sigma) != math.Float64bits(ws) {
					t.Fatalf("push %d: stats = %v, %v; sorting gives %v, %v", k, med, sigma, wm, ws)
				}
			}
		})
	}
}

// high keeps the two largest block maxima between block completions; it
// must match a scan of every block on every pass.
func TestRobustHighMatchesAScan(t *testing.T) {
	var r robust
	rnd := rand.New(rand.NewPCG(7, 9))
	for i := range 3 * blocks * blockLen {
		v := 100 + 50*rnd.Float64()
		if i%997 == 0 {
			v *= 5 // a rare spike that must age out of the blocks
		}
		r.push(v)
		first, second := r.cur, 0.0
		if r.curN == 0 {
			first = 0
		}
		for _, m := range r.maxima[:r.nb] {
			switch {
			case m > first:
				first, second = m, first
			case m > second:
				second = m
			}
		}
		ref := second
		if r.nb == 0 {
			ref = first
		}
		for j := 1; j <= min(3, r.n); j++ {
			ref = math.Max(ref, r.win[(r.next-j+robustWindow)%robustWindow])
		}
		if r.n >= robustMin {
			med, _, _ := r.stats()
			ref = math.Max(ref, med)
		}
		if got := r.high(); got != ref {
			t.Fatalf("push %d: high %v, a scan gives %v", i, got, ref)
		}
	}
}

// The record of left-out samples keeps them sorted and once each, forgets
// those older than the window (and from then on answers "not known" for
// times before the cut), and past maxDropped evicts the oldest.
func TestDroppedRecord(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	var m metricState
	for _, i := range []int{5, 2, 9, 5} {
		m.drop(at(i), time.Hour)
	}
	require.Equal(t, []time.Time{at(2), at(5), at(9)}, m.dropped)
	for i, want := range map[int]bool{2: true, 3: false, 5: true, 9: true} {
		known, left := m.judged(at(i), 30*time.Second)
		require.True(t, known)
		require.Equal(t, want, left, "minute %d", i)
	}

	// A time read back in another phase finds the record within half an
	// interval, and only there.
	known, left := m.judged(at(5).Add(20*time.Second), 30*time.Second)
	require.True(t, known && left)
	_, left = m.judged(at(5).Add(-29*time.Second), 30*time.Second)
	require.True(t, left)
	_, left = m.judged(at(5).Add(30*time.Second), 30*time.Second)
	require.False(t, left)

	m.drop(at(64), time.Hour) // minutes 2 and 3 leave the window
	require.Equal(t, []time.Time{at(5), at(9), at(64)}, m.dropped)
	known, _ = m.judged(at(3), 30*time.Second)
	require.False(t, known, "before the cut the record no longer speaks")
	known, left = m.judged(at(5), 30*time.Second)
	require.True(t, known && left)

	var c metricState
	for i := range maxDropped + 10 {
		c.drop(at(i), 1000*time.Hour)
	}
	require.Len(t, c.dropped, maxDropped)
	require.Equal(t, at(10), c.dropped[0])
	known, _ = c.judged(at(9), 30*time.Second)
	require.False(t, known)
	known, left = c.judged(at(10), 30*time.Second)
	require.True(t, known && left)

	c.dropsUnknown = true
	known, _ = c.judged(at(500), 30*time.Second)
	require.False(t, known, "restored from a snapshot without a record")
}

// TestIsolatedRepeatedGlitch: a backfilled value far above that the source
// serves again bit for bit (its next scrapes missing) is left out with its
// copies, as passes leave them out; the same value lasting the lookback,
// or followed by a different value far above, is a step and kept.
func TestIsolatedRepeatedGlitch(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	series := func(tail ...float64) []Observation {
		var obs []Observation
		for i := range 40 {
			obs = append(obs, Observation{Time: t0.Add(time.Duration(i) * time.Minute), Value: 100 + float64(i%5)})
		}
		for _, v := range tail {
			obs = append(obs, Observation{Time: t0.Add(time.Duration(len(obs)) * time.Minute), Value: v})
		}
		return obs
	}
	all := func(Observation) bool { return true }
	cases := []struct {
		name     string
		tail     []float64
		lookback time.Duration
		left     int
	}{
		{"served three times, then the load", []float64{4000, 4000, 4000, 101, 102}, 5 * time.Minute, 3},
		{"served until the lookback", []float64{4000, 4000, 4000, 4000, 4000, 4000, 101}, 5 * time.Minute, 0},
		{"a new reading far above", []float64{4000, 4100, 101}, 5 * time.Minute, 0},
		{"no lookback: a copy confirms", []float64{4000, 4000, 101}, 0, 0},
		{"far below, copied", []float64{1, 1, 101}, 5 * time.Minute, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obs := series(tc.tail...)
			skip, n, first := isolated(robust{}, obs, all, nil, 10, tc.lookback)
			require.Equal(t, tc.left, n)
			if n > 0 {
				require.Equal(t, 4000.0, first.Value)
				for k := range tc.left {
					require.True(t, skip[40+k], "copy %d", k)
				}
			}
		})
	}
}

// A read-back of a load that comes and goes leaves out its first two high
// phases, as the passes hold them, and keeps the rest (recursIn); glitches
// of ten times the load or more are left out however often they come.
func TestIsolatedRecurringLoad(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	all := func(Observation) bool { return true }
	for _, tc := range []struct {
		high float64
		left int
	}{{250, 2}, {400, 2}, {1500, 20}} {
		var obs []Observation
		for i := range 80 {
			v := 100 + float64(i%5)
			if i >= 40 && i%2 == 0 {
				v = tc.high
			}
			obs = append(obs, Observation{Time: t0.Add(time.Duration(i) * time.Minute), Value: v})
		}
		skip, n, first := isolated(robust{}, obs, all, nil, 10, 5*time.Minute)
		require.Equal(t, tc.left, n, "high phases of %g", tc.high)
		assert.Equal(t, obs[40], first)
		assert.True(t, skip[40] && skip[42])
	}
}
