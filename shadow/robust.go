package shadow

import (
	"math"
	"slices"
	"time"

	"github.com/shadowscale/shadowscale/internal/mathx"
)

const (
	// robustWindow is how many recent accepted values the median and the
	// robust deviation are taken over, and robustMin how many are needed
	// to judge a sample.
	robustWindow = 32
	robustMin    = 10
	// suspectSigmas is how many robust standard deviations (see
	// robust.stats) beyond the median, on top of doubling or halving,
	// make a sample suspect.
	suspectSigmas = 6
	// youngFactor is how many times the median of fewer than robustMin
	// accepted values make a sample suspect: too few to judge by their
	// spread, enough to catch a glitch of an order of magnitude (the
	// Controller's plausibility bound on a forecast is the same ten
	// times the recent load).
	youngFactor = 10
	// youngStep is how many times the largest of fewer than robustMin
	// accepted values make a sample suspect too: a young history's spread
	// is not known, but a load that more than triples at once from the
	// highest it has had is held a pass, as any step is later.
	youngStep = 3
	// blockLen and blocks size the plausibility reference: the maxima of
	// the last blocks of blockLen accepted values.
	blockLen = 60
	blocks   = 168
)

// robust keeps the robust statistics of one metric: a short window of
// recent accepted values for the median and MAD, and per-block maxima for a
// high reference that one value cannot set.
type robust struct {
	win       [robustWindow]float64
	n, next   int
	maxima    [blocks]float64
	nb, nextB int
	cur       float64 // maximum of the block being filled
	curN      int
	top       [2]float64 // the two largest of maxima, when topOK
	topOK     bool
	scratch   [robustWindow]float64
	// sorted holds the window's values in ascending order while sortedOK:
	// kept up to date on each push, so that no pass sorts the window.
	sorted   [robustWindow]float64
	sortedOK bool
	// diffs holds the absolute changes between successive values of the
	// window (n − 1 of them) in ascending order while diffsOK, kept up to
	// date on each push as sorted is.
	diffs   [robustWindow]float64
	diffsOK bool
	// The window's median and robust deviation, computed once per push.
	med, sigma float64
	fresh      bool
}

// latest returns the value pushed last, if any.
func (r *robust) latest() (float64, bool) {
	if r.n == 0 {
		return 0, false
	}
	return r.win[(r.next-1+robustWindow)%robustWindow], true
}

// push adds an accepted value.
func (r *robust) push(v float64) {
	r.fresh = false
	r.pushSorted(v)
	r.pushDiff(v)
	r.win[r.next] = v
	r.next = (r.next + 1) % robustWindow
	r.n = min(r.n+1, robustWindow)
	r.cur = math.Max(r.cur, v)
	r.curN++
	if r.curN == blockLen {
		r.maxima[r.nextB] = r.cur
		r.nextB = (r.nextB + 1) % blocks
		r.nb = min(r.nb+1, blocks)
		r.cur, r.curN = 0, 0
		r.topOK = false
	}
}

// stats returns the median and the robust standard deviation of the
// window: the smaller of 1.4826 × MAD and stepSigma (a load that moves
// steadily across the window widens the first, not the second). It
// returns false while the window holds fewer than robustMin values.
func (r *robust) stats() (med, sigma float64, ok bool) {
	if r.n < robustMin {
		return 0, 0, false
	}
	if !r.fresh {
		s := r.sortedWindow()
		r.med = median(s)
		if mathx.Finite(s[0]) && mathx.Finite(s[len(s)-1]) {
			r.sigma = min(mathx.MADScale*medianDeviation(s, r.med), r.stepSigma())
		} else {
			// Not reached with the finite values accepted today; kept
			// exact for any other: sort the deviations.
			d := r.scratch[:r.n]
			for i, v := range s {
				d[i] = math.Abs(v - r.med)
			}
			slices.Sort(d)
			r.sigma = mathx.MADScale * median(d)
		}
		r.fresh = true
	}
	return r.med, r.sigma, true
}

// stepSigma is the robust standard deviation of the window's noise judged
// from one value to the next: 1.4826 × the median of the absolute changes
// between successive values, over √2 (a change holds two values' noise).
// Unlike the spread around the median, a load that moves steadily across
// the window (a daily cycle's ramp) does not widen it: on a window that
// falls from 100 to 57 over its 32 values the spread around the median
// is several times the noise, and a glitch of five times the load stayed
// within six such deviations of twice the median.
func (r *robust) stepSigma() float64 {
	d := r.diffs[:r.n-1]
	if !r.diffsOK {
		start := 0
		if r.n == robustWindow {
			start = r.next
		}
		prev := r.win[start]
		for k := 1; k < r.n; k++ {
			v := r.win[(start+k)%robustWindow]
			d[k-1] = math.Abs(v - prev)
			prev = v
		}
		slices.Sort(d)
		r.diffsOK = true
	}
	return mathx.MADScale * median(d) / math.Sqrt2
}

// pushDiff updates the sorted changes for v entering the window (and,
// when the window is full, the change between its two oldest values
// leaving it). A NaN leaves them to be rebuilt by sorting.
func (r *robust) pushDiff(v float64) {
	if !r.diffsOK || r.n == 0 {
		return
	}
	nd := r.n - 1
	if r.n == robustWindow {
		old := math.Abs(r.win[(r.next+1)%robustWindow] - r.win[r.next])
		i := slices.Index(r.diffs[:nd], old)
		if i < 0 {
			r.diffsOK = false
			return
		}
		copy(r.diffs[i:], r.diffs[i+1:nd])
		nd--
	}
	d := math.Abs(v - r.win[(r.next-1+robustWindow)%robustWindow])
	if math.IsNaN(d) {
		r.diffsOK = false
		return
	}
	j, _ := slices.BinarySearch(r.diffs[:nd], d)
	copy(r.diffs[j+1:nd+1], r.diffs[j:nd])
	r.diffs[j] = d
}

// sortedWindow returns the window's values in ascending order: the sorted
// copy pushSorted keeps, rebuilt by sorting when it is not kept.
func (r *robust) sortedWindow() []float64 {
	if !r.sortedOK {
		copy(r.sorted[:r.n], r.win[:r.n])
		slices.Sort(r.sorted[:r.n])
		r.sortedOK = true
	}
	return r.sorted[:r.n]
}

// center is the median of the values judged by: of the window, also when
// it holds fewer than robustMin values; 0 when it holds none.
func (r *robust) center() float64 {
	if med, _, ok := r.stats(); ok {
		return med
	}
	if r.n == 0 {
		return 0
	}
	return median(r.sortedWindow())
}

// pushSorted updates the sorted copy of the window for v entering it (and,
// when the window is full, the oldest value leaving it). A NaN on either
// side leaves the copy to be rebuilt by sorting.
func (r *robust) pushSorted(v float64) {
	if !r.sortedOK {
		return
	}
	n := r.n
	if n == robustWindow {
		old := r.win[r.next]
		i := slices.Index(r.sorted[:n], old)
		if i < 0 || math.IsNaN(v) {
			r.sortedOK = false
			return
		}
		copy(r.sorted[i:], r.sorted[i+1:n])
		n--
	} else if math.IsNaN(v) {
		r.sortedOK = false
		return
	}
	j, _ := slices.BinarySearch(r.sorted[:n], v)
	copy(r.sorted[j+1:n+1], r.sorted[j:n])
	r.sorted[j] = v
}

// medianDeviation is the median of |v − med| over sorted, finite values,
// without sorting the deviations: they grow from med outwards on either
// side, so the middle order statistics are found by merging the two sides.
func medianDeviation(sorted []float64, med float64) float64 {
	n := len(sorted)
	j, _ := slices.BinarySearch(sorted, med) // first value ≥ med
	i := j - 1
	k1, k2 := (n-1)/2, n/2
	var d1, d2 float64
	for c := 0; c <= k2; c++ {
		var d float64
		if j < n && (i < 0 || math.Abs(sorted[j]-med) <= math.Abs(sorted[i]-med)) {
			d = math.Abs(sorted[j] - med)
			j++
		} else {
			d = math.Abs(sorted[i] - med)
			i--
		}
		if c == k1 {
			d1 = d
		}
		if c == k2 {
			d2 = d
		}
	}
	if n%2 == 1 {
		return d2
	}
	return (d1 + d2) / 2
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// judge says whether v lies far above (+1) or far below (−1) the recent
// distribution, or neither (0). slack is an absolute allowance (one
// replica's capacity) so that small loads may move freely. Far means
// beyond doubling (halving) plus suspectSigmas robust deviations.
//
// With fewer than robustMin values (a young history) the spread is not
// judged, only the size: v lies far above when it exceeds youngFactor
// times their median or youngStep times their largest, plus slack, and
// far below when it is under slack
// and under a youngFactor-th of the median less slack (a load of one
// replica's capacity or more is never far below, so that small loads and
// loads that alternate between a level and a tenth of it are followed);
// the first value is not judged. A load that alternates pass by pass
// between levels far apart shows the higher as a sample far above at each
// high phase, which the next pass does not confirm; from its third such
// reading at one level it is taken as load (see recurs), unless the
// readings lie ten times above the median or more (implausiblyHigh): a
// load that alternates by that much is held at each high phase.
func (r *robust) judge(v, slack float64) int {
	med, sigma, ok := r.stats()
	if !ok {
		if r.n == 0 {
			return 0
		}
		switch {
		case r.implausiblyHigh(v, slack) || v > youngStep*r.youngMax()+slack:
			return 1
		case v < slack && v < (r.center()-slack)/youngFactor:
			return -1
		}
		return 0
	}
	switch {
	case v > 2*(med+suspectSigmas*sigma)+slack:
		return 1
	case v < (med-suspectSigmas*sigma)/2-slack:
		return -1
	}
	return 0
}

// youngMax returns the largest of the window's values (0 for none).
func (r *robust) youngMax() float64 {
	m := 0.0
	for i := 1; i <= r.n; i++ {
		m = math.Max(m, r.win[(r.next-i+robustWindow)%robustWindow])
	}
	return m
}

// implausiblyHigh reports whether v lies more than youngFactor times the
// median of the values judged by above it, plus slack: beyond any load
// change the Controller takes on one sample's word, and the size of a
// glitch, not of a step (a load that steps by less, served bit for bit
// the same, as synthetic loads are, is followed as it was).
func (r *robust) implausiblyHigh(v, slack float64) bool {
	return v > youngFactor*r.center()+slack
}

// high is the plausibility reference: the second largest of the recent
// block maxima (so that no single old value sets it alone), the median, or
// the largest of the last three accepted values (so that a confirmed surge
// raises it at once), whichever is largest; 0 before any value.
// topTwo returns the two largest of first, second and vals (first and
// second given in order), ties counted twice.
func topTwo(first, second float64, vals []float64) [2]float64 {
	for _, m := range vals {
		switch {
		case m > first:
			first, second = m, first
		case m > second:
			second = m
		}
	}
	return [2]float64{first, second}
}

// peak is the largest value the block maxima and the block being filled
// hold: the highest load seen over the last blocks × blockLen values
// (0 before any value).
func (r *robust) peak() float64 {
	return r.topWithCurrent()[0]
}

// topWithCurrent returns the two largest of the completed blocks' maxima
// and the maximum of the block being filled (0 for none).
func (r *robust) topWithCurrent() [2]float64 {
	if !r.topOK {
		// The two largest block maxima change only when a block
		// completes: found again then, not on every pass.
		r.top = topTwo(0, 0, r.maxima[:r.nb])
		r.topOK = true
	}
	first := r.cur
	if r.curN == 0 {
		first = 0
	}
	return topTwo(first, 0, r.top[:])
}

func (r *robust) high() float64 {
	top := r.topWithCurrent()
	first, second := top[0], top[1]
	ref := second
	if r.nb == 0 {
		ref = first // a single block so far
	}
	for i := 1; i <= min(3, r.n); i++ {
		ref = math.Max(ref, r.win[(r.next-i+robustWindow)%robustWindow])
	}
	if r.n >= robustMin {
		// The median as of the last judgement (at most one value old):
		// no second sort in the same pass.
		if !r.fresh && r.med == 0 {
			r.stats()
		}
		ref = math.Max(ref, r.med)
	}
	return ref
}

// isolated marks the values of a backfilled series obs that a pass would
// have held back and never seen confirmed: far from the recent values
// (judge, against rob and the values of obs kept before) with the next
// usable value not far in the same direction — a scrape glitch kept by
// the source. They are left out, as gaps; a step change (the next value
// far too, in the same direction) is kept from its first value. The last
// value, with no next to confirm it, is left out when far (a value far
// above that lies more than three times above the one kept before it is
// judged so even within a kept step): the passes
// that follow confirm a change as they confirm any. Only
// values for which use is true are judged and count as neighbours; of
// the others, those for which settled is true (when it is not nil:
// values already judged and kept, which the statistics held by then)
// enter rob in their place. It returns which to skip (nil when none) and
// how many, and the first one. A value far above is not confirmed by a
// next one more than ten times apart from it, beyond ten times the highest
// load seen (see apart); one implausibly far above (see implausiblyHigh)
// is not confirmed by copies of it equal bit for bit less than lookback
// after it either, nor one of any size by values of the same scrape
// (Observation.Scraped) (the source
// serving its last reading again, which a pass does not take either; see
// Config.SourceLookback): the next value that differs, or a copy lookback
// or more later, confirms it or not. A value far above that the next does
// not confirm is kept when it recurs (two earlier ones left out or kept so
// within robustWindow values, within a factor of two of it: a load that
// comes and goes, as the passes judge it), unless implausibly far above.
func isolated(rob robust, obs []Observation, use, settled func(Observation) bool, slack float64, lookback time.Duration) (skip []bool, n int, first Observation) {
	if rob.n < robustMin {
		// Too few values to judge by (a fresh start): the first values
		// of the series are the reference, which one glitch among them
		// does not move (median and MAD).
		for k := 0; k < len(obs) && rob.n < robustWindow; k++ {
			if use(obs[k]) {
				rob.push(obs[k].Value)
			}
		}
	}
	prev := 0
	var highs []int // values far above left out, or kept as recurring (see recurs)
	for k := 0; k < len(obs); k++ {
		if !use(obs[k]) {
			if settled != nil && settled(obs[k]) {
				rob.push(obs[k].Value)
			}
			continue
		}
		x := obs[k].Value
		d := rob.judge(x, slack)
		if d != 0 && (d != prev || d > 0 && beyondLast(&rob, x, slack)) {
			next := k + 1
			copies := d > 0 && rob.implausiblyHigh(x, slack)
			for next < len(obs) && (!use(obs[next]) || d > 0 && sameScrape(obs[next], obs[k]) ||
				copies && obs[next].Value == x && obs[next].Time.Sub(obs[k].Time) < lookback) {
				next++
			}
			// (Within a kept step, a value more than three times above
			// it is confirmed by no next value that continues the step.)
			onStep := d > 0 && d == prev && next < len(obs) && !beyondLast(&rob, obs[next].Value, slack)
			if next == len(obs) || rob.judge(obs[next].Value, slack) != d || d > 0 && apart(obs[next].Value, x, rob.peak(), slack) || onStep {
				if d > 0 && !copies {
					highs = slices.DeleteFunc(highs, func(j int) bool { return k-j > robustWindow })
					recur := recursIn(obs, highs, k)
					highs = append(highs, k)
					if recur {
						// A level that comes and goes, kept as the
						// passes keep it.
						prev = d
						rob.push(x)
						continue
					}
				}
				if skip == nil {
					skip = make([]bool, len(obs))
					first = obs[k]
				}
				skip[k] = true
				n++
				prev = 0
				continue
			}
		}
		prev = d
		rob.push(x)
	}
	return skip, n, first
}

// recursIn reports whether obs[k], a value far above, recurs among the
// values far above at indices highs (left out, or kept as recurring; the
// caller keeps only those within robustWindow values before it): at least
// recurCount of them at its level (see recurs: obs is on the passes' grid,
// one value an interval).
func recursIn(obs []Observation, highs []int, k int) bool {
	n := 0
	for _, j := range highs {
		if sameLevel(obs[j], obs[k]) {
			n++
		}
	}
	return n >= recurCount
}

// beyondLast reports whether x lies more than youngStep times above the
// last value rob took (plus slack): not the continuation of a step it
// confirmed, but a glitch on top of it (after a zero run, the window all
// zeros, every value far above is such a step).
func beyondLast(rob *robust, x, slack float64) bool {
	last, ok := rob.latest()
	return ok && x > youngStep*last+slack
}

// sameScrape reports whether a and b are one reading served twice: both
// scrape times known and equal, and the values equal.
func sameScrape(a, b Observation) bool {
	return !a.Scraped.IsZero() && a.Scraped.Equal(b.Scraped) && a.Value == b.Value
}

// maxDropped bounds the times of left-out samples a metric keeps (see
// metricState.dropped).
const maxDropped = 1024

// drop records that the sample at t was left out; window is how far back
// the history reaches (older times are forgotten).
func (m *metricState) drop(t time.Time, window time.Duration) {
	d := m.dropped
	if n := len(d); n > 0 {
		cut := t.Add(-window)
		if old, _ := slices.BinarySearchFunc(d, cut, time.Time.Compare); old > 0 {
			d = append(d[:0], d[old:]...)
			if m.dropFrom.Before(cut) {
				m.dropFrom = cut
			}
		}
	}
	i, found := slices.BinarySearchFunc(d, t, time.Time.Compare)
	if found {
		m.dropped = d
		return
	}
	d = slices.Insert(d, i, t)
	if len(d) > maxDropped {
		m.dropFrom = d[0].Add(time.Nanosecond) // the record no longer speaks for d[0] or before
		d = append(d[:0], d[1:]...)
	}
	m.dropped = d
}

// undrop forgets a left-out sample recorded within half of t: judged
// again, it was kept.
func (m *metricState) undrop(t time.Time, half time.Duration) {
	m.dropped = slices.DeleteFunc(m.dropped, func(d time.Time) bool { return within(d, t, half) })
}

// within reports whether the recorded time d is less than half from t.
func within(d, t time.Time, half time.Duration) bool {
	return d.After(t.Add(-half)) && d.Before(t.Add(half))
}

// judged reports, for a value at t the saved Controller had seen, whether
// its record settles the value's fate, and whether it was left out: a
// time recorded within half an interval of t (half), since a history read
// back carries the phase of the pass that asks for it, not that of the
// passes that recorded it.
func (m *metricState) judged(t time.Time, half time.Duration) (known, left bool) {
	if m.dropsUnknown || t.Before(m.dropFrom) {
		return false, false
	}
	lo := t.Add(-half)
	i, _ := slices.BinarySearchFunc(m.dropped, lo, time.Time.Compare)
	for i < len(m.dropped) && !m.dropped[i].After(lo) {
		i++
	}
	return true, i < len(m.dropped) && within(m.dropped[i], t, half)
}

// A load that comes and goes between passes (a batch every other minute,
// bursts at every few passes) shows readings far above its recent median
// again and again, each followed by the lower level: each alone looks as a
// glitch does, held and let go, and the load's high phases would never be
// provisioned for. A new reading far above is taken as load when at least
// recurCount earlier new readings far above, within recurWindow, lay within
// a factor of recurRatio of it: glitches do not recur at one level.
const (
	recurCount = 2
	recurRatio = 2
	maxSpikes  = 8
)

// spike is a new reading far above that nothing but its recurrence
// confirmed; taken: it recurred and was taken as load.
type spike struct {
	Observation
	taken bool
}

// recurWindow is how far back readings far above recur: robustWindow
// passes.
func (s *state) recurWindow() time.Duration {
	return robustWindow * s.cfg.Interval
}

// sameLevel reports whether a and b, two readings far above, are the
// recurrence of one level: within a factor of recurRatio of each other,
// and two readings, not one served twice (sameScrape).
func sameLevel(a, b Observation) bool {
	return max(a.Value, b.Value) <= recurRatio*min(a.Value, b.Value) && !sameScrape(a, b)
}

// recurrences counts the metric's spikes within window before ob at its
// level (sameLevel).
func (m *metricState) recurrences(ob Observation, window time.Duration) int {
	n := 0
	for _, p := range m.spikes {
		if p.Time.Before(ob.Time) && p.Time.After(ob.Time.Add(-window)) && sameLevel(p.Observation, ob) {
			n++
		}
	}
	return n
}

// recurs reports whether ob, a new reading far above, recurs: at least
// recurCount spikes within window before it at its level.
func (m *metricState) recurs(ob Observation, window time.Duration) bool {
	return m.recurrences(ob, window) >= recurCount
}

// recurredBefore reports whether a spike before t was taken as recurring
// (the alert is raised at the first of a run).
func (m *metricState) recurredBefore(t time.Time) bool {
	for _, p := range m.spikes {
		if p.taken && p.Time.Before(t) {
			return true
		}
	}
	return false
}

// addSpike records ob, forgetting spikes older than window and the oldest
// beyond maxSpikes.
func (m *metricState) addSpike(ob Observation, taken bool, window time.Duration) {
	cut := ob.Time.Add(-window)
	m.spikes = slices.DeleteFunc(m.spikes, func(p spike) bool { return !p.Time.After(cut) || !p.Time.Before(ob.Time) })
	m.spikes = append(m.spikes, spike{ob, taken})
	if len(m.spikes) > maxSpikes {
		m.spikes = slices.Delete(m.spikes, 0, len(m.spikes)-maxSpikes)
	}
}
