package shadow

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/internal/mathx"
)

// maxRefillBackoff bounds the wait between two retries of a failed
// start-up backfill, in intervals: the gap after which a pass counts as
// late (maxPassGap).
const maxRefillBackoff = 10

// refillRetry is a start-up backfill (the first pass's, or the refill after
// a restore) that failed. It is retried on later passes, at most one read
// per pass, the k-th retry 2^(k-1) intervals after the failure before it
// (at most maxRefillBackoff intervals); each failure is a "metrics"
// dependency failure, logged and counted. It is given up once the passes
// since the start fill the history window by themselves.
//
// The passes in between observe as usual. So that a late backfill leaves
// the Controller as an early one would have, the failed pass kept what it
// had started from: each forecaster's and the anomaly detector's state
// (those that implement forecast.Stateful) and the robust statistics. When
// the read succeeds they are put back and fed the whole window read, which
// includes the values observed since (a restored forecaster puts the
// values it had seen into its window only); a forecaster that was not
// restored from a snapshot is then refitted, and the history gains the
// values before its first observation. After a restore, the values the
// saved Controller had seen and those the passes since have judged are
// kept or left out as they were (the record of left-out samples), a sample
// a pass is still waiting to confirm is left to the passes, and points
// missed while the process was down are read back, and a restored
// forecaster refitted after them before the passes' own values, as a pass
// after missed passes does (the sample the saved Controller was waiting to
// confirm is not one of them: it is read back as the first pass judged
// it, fed when that pass confirmed it). Points the
// passes since missed (the process down while the read still failed) are
// read back where a Controller that ran on read them (more than two
// intervals between passes), judged as that Controller judged them (no
// pass did, whatever the record's span), against the statistics of the
// values kept before them, and the forecaster refitted after them before
// the next pass's value; the sample of the pass after them, when that
// pass had too few values to judge it, and a sample a pass is still
// waiting to confirm before them, are judged with them.
// The bounds on the lead window's peak the passes asked for are asked
// again where the passes asked, after the values each pass had fed (Auto
// adapts its level to the bounds it gave; a pass after points it missed,
// after those points, as a Controller that ran on asked), and the refits
// the passes did (Config.RefitEvery) are done again there. The passes in
// between cannot always decide as a Controller that ran on would (a pass
// after points it missed judges its sample without them; a forecaster
// whose state holds no window, see forecast.Config.StateWindow, keeps its
// fit).
// A forecaster without forecast.Stateful cannot be taken back: it keeps
// what it observed and is refitted.
type refillRetry struct {
	fails int
	next  time.Time // pass time of the next read
	// What the failed pass started from.
	seen []time.Time // per metric: values at or before it were seen by the saved Controller
	// held, per metric: the time of a sample the saved Controller was
	// waiting to confirm (zero: none), which the first pass confirmed or
	// not as a Controller that ran on did: read back, it is not a point
	// the process missed.
	held []time.Time
	// After a restore: the first live pass's grid time (values from it on
	// were judged by the passes since), and whether the points missed
	// before it are read back (more than one, as backfillSpan decides).
	from       time.Time
	readNew    bool
	savedTotal int64
	fcs        [][]byte // per metric; nil: not forecast.Stateful
	restored   []bool   // per metric: its state came from a snapshot
	rob        []robust
	det        []byte
	// The passes since (grid time, lead in steps): each asked the
	// forecasters for the bound on the lead window's peak, or would have
	// in a Controller that ran on (the first pass after a restore whose
	// read failed may not forecast). A forecaster may adapt to the bounds
	// it gave (Auto's adaptive level checks each against the peak that
	// came), so the replay asks again at each.
	passes []passLead
}

// passLead is a pass's grid time, lead in steps, whether it refitted
// the forecasters (Config.RefitEvery) and, per metric, the time of the
// last value its forecaster had been fed (zero: none; nil when every
// metric's is the pass's own).
type passLead struct {
	t     time.Time
	steps int
	refit bool
	fed   []time.Time
	// blind, per metric: the pass judged its sample by its size alone
	// (fewer than robustMin values to judge by); nil when no metric did.
	blind []bool
	// held, per metric: the pass held its sample as suspect, waiting for
	// a later pass to confirm it; nil when no metric did.
	held []bool
}

// pass records, while a retry is pending, the pass at t forecasting steps
// steps ahead, after a refit when refit.
func (r *refillRetry) pass(s *state, t time.Time, steps int, refit bool) {
	if r == nil {
		return
	}
	p := passLead{t: t, steps: steps, refit: refit}
	for i, m := range s.metrics {
		if m.blind {
			if p.blind == nil {
				p.blind = make([]bool, len(s.metrics))
			}
			p.blind[i] = true
		}
		if m.pending && s.same(m.pendingT, t) {
			if p.held == nil {
				p.held = make([]bool, len(s.metrics))
			}
			p.held[i] = true
		}
	}
	for _, m := range s.metrics {
		if !m.last.Equal(t) {
			// Kept only when a metric's last value is not the pass's own.
			p.fed = make([]time.Time, len(s.metrics))
			for i, m := range s.metrics {
				p.fed[i] = m.last
			}
			break
		}
	}
	r.passes = append(r.passes, p)
}

// askPeaks asks metric i's forecaster again for the bounds on the
// peak the passes from *next on asked for, in order, up to the first
// asked after a value later than before was fed (all of them when before
// is zero), and moves *next past those asked; a pass that refitted the
// forecasters (the daily refit) refits it first, as that pass did.
func (s *state) askPeaks(r *refillRetry, i int, next *int, before time.Time) {
	pb, ok := s.metrics[i].fc.(forecast.PeakBounder)
	for ; *next < len(r.passes); *next++ {
		p := r.passes[*next]
		fed := p.t
		if i < len(p.fed) && !p.fed[i].IsZero() {
			fed = p.fed[i]
		}
		prev := r.from
		if *next > 0 {
			prev = r.passes[*next-1].t
		}
		if s.readsBetween(prev, p.t) && fed.Before(p.t.Add(-s.cfg.Interval)) {
			// The pass came after points it missed, which a Controller
			// that ran on read back before it asked.
			fed = p.t.Add(-s.cfg.Interval)
		}
		if !before.IsZero() && !s.later(before, fed) {
			return
		}
		if p.refit {
			_ = safeRefit(s.metrics[i].fc) // the pass reported its error
		}
		if ok {
			_, _ = safePeakUpper(pb, p.steps, (1+s.cfg.Level)/2)
		}
	}
}

// readsBetween reports whether a Controller that ran on, passing at
// before and then at after, read back the points in between (more than
// two intervals apart, within the half interval two processes' phases
// may differ by; see backfillSpan).
func (s *state) readsBetween(before, after time.Time) bool {
	return after.Sub(before) > 2*s.cfg.Interval+s.cfg.Interval/2
}

// newRetry keeps what the pass whose start-up backfill failed starts
// from; after a restore, what each metric had seen (metricState.last).
func (s *state) newRetry(restored bool, t time.Time) *refillRetry {
	r := &refillRetry{fails: 1, next: s.lastPass.Add(s.cfg.Interval), savedTotal: s.savedTotal}
	if restored {
		r.from, r.readNew = t, s.readsMissed(t)
	}
	for _, m := range s.metrics {
		var seen, held time.Time
		if restored {
			seen = m.last
			if m.pending {
				held = m.pendingT
			}
		}
		r.seen = append(r.seen, seen)
		r.held = append(r.held, held)
		var b []byte
		if st, ok := m.fc.(forecast.Stateful); ok {
			b, _ = safeMarshal("forecaster "+name(m.fc), st.MarshalState)
		}
		r.fcs = append(r.fcs, b)
		r.restored = append(r.restored, m.restored)
		r.rob = append(r.rob, m.rob)
		m.restored = false
	}
	if st, ok := s.detector.(forecast.Stateful); ok && !s.detectorIsForecaster {
		r.det, _ = safeMarshal("anomaly detector", st.MarshalState)
	}
	return r
}

// retryBackfill handles a retried start-up backfill: on failure it
// reports it and backs off; on success it rebuilds what an early backfill
// would have built (see refillRetry).
func (s *state) retryBackfill(t time.Time, o observations, rep *Report, v *verdict) {
	r := s.retry
	if o.backfillErr != nil {
		r.fails++
		wait := s.cfg.Interval << min(r.fails-1, 30)
		wait = min(wait, maxRefillBackoff*s.cfg.Interval)
		r.next = s.lastPass.Add(wait)
		v.fail("metrics", fmt.Errorf("retry %d of the start-up backfill, next in %s: %w", r.fails-1, wait, o.backfillErr))
		return
	}
	s.retry = nil
	s.backfilled = true
	// The missed points are read back once a pass is more than two
	// intervals after the last observation (see backfillSpan): at the first
	// pass after the restore, or at this one if none was observed since.
	readNew := r.readNew || s.readsMissed(t)
	usable := func(ob Observation) bool { return ob.Time.Before(t) && mathx.Finite(ob.Value) && ob.Value >= 0 }
	skips := make([][]bool, len(o.backfill)) // isolated values, left out
	// After a restore, the values the saved Controller had seen and those
	// the passes since have judged are settled by the record of what was
	// left out (see state.backfill), when there is one; the points missed
	// in between are read as a pass after missed passes reads them.
	sincePasses := func(ob Observation) bool { return !r.from.IsZero() && !s.later(r.from, ob.Time) }
	// A point since then that no pass observed (missed while the process
	// was down, before a pass whose own read-back failed with this one) was
	// judged by none, whatever the record's span says.
	passes := slices.Clone(r.passes)
	slices.SortStableFunc(passes, func(a, b passLead) int { return a.t.Compare(b.t) })
	passTimes := make([]time.Time, len(passes))
	for j, p := range passes {
		passTimes[j] = p.t
	}
	// atOrAfter is the index of the first pass not more than half an
	// interval before t.
	atOrAfter := func(t time.Time) int {
		j, _ := slices.BinarySearchFunc(passTimes, t, func(p, t time.Time) int {
			if s.later(t, p) {
				return -1
			}
			return 1
		})
		return j
	}
	byPass := func(ob Observation) bool {
		j := atOrAfter(ob.Time)
		return j < len(passTimes) && s.same(passTimes[j], ob.Time)
	}
	// afterMissed reports whether ob is metric i's sample of a pass since
	// that came more than two intervals after the pass before it and had
	// too few values to judge it by their spread (robustMin): a
	// Controller that ran on read the points in between back first and
	// judged the sample with them, where this pass, its read failing,
	// judged it by its size alone. (A pass
	// that judged it, by fewer values than that Controller, is left to
	// have judged it as that Controller did.)
	afterMissed := func(i int, ob Observation) bool {
		j := atOrAfter(ob.Time)
		return j > 0 && j < len(passTimes) && s.same(passTimes[j], ob.Time) &&
			s.readsBetween(passTimes[j-1], ob.Time) &&
			i < len(passes[j].blind) && passes[j].blind[i]
	}
	// missedRead reports whether a Controller that ran on would have read
	// back a point the passes since missed (see backfillSpan): when the pass
	// after it came more than two intervals after the pass before it.
	missedRead := func(ob Observation) bool {
		before, after := r.from, t
		j := atOrAfter(ob.Time)
		if j > 0 {
			before = passTimes[j-1]
		}
		for ; j < len(passTimes); j++ {
			if s.later(passTimes[j], ob.Time) {
				if passTimes[j].Before(after) {
					after = passTimes[j]
				}
				break
			}
		}
		return s.readsBetween(before, after)
	}
	// withMissed reports, per metric, whether a sample a pass is still
	// waiting to confirm is followed by points the passes missed that a
	// Controller that ran on read back: it judged the sample with them, as
	// a pass after missed passes does.
	withMissed := make([]bool, len(s.metrics))
	for i, m := range s.metrics {
		if m.pending && i < len(o.backfill) {
			withMissed[i] = slices.ContainsFunc(o.backfill[i], func(ob Observation) bool {
				return usable(ob) && s.later(ob.Time, m.pendingT) && sincePasses(ob) && !byPass(ob) && missedRead(ob)
			})
		}
	}
	// heldAndMissed reports whether ob is such a sample.
	heldAndMissed := func(i int, ob Observation) bool {
		return withMissed[i] && s.same(ob.Time, s.metrics[i].pendingT)
	}
	// heldSaved reports whether ob is the sample the saved Controller was
	// waiting to confirm: the first pass judged it.
	heldSaved := func(i int, ob Observation) bool {
		return !r.held[i].IsZero() && s.same(ob.Time, r.held[i])
	}
	// noSample reports whether ob is at the time of a pass since that had
	// no sample of metric i (missing, not a number, or the source failed):
	// it neither took one nor held one as suspect. The store may still
	// hold a value there (one the live query missed, or a copy of the one
	// before).
	noSample := func(i int, ob Observation) bool {
		j := atOrAfter(ob.Time)
		if !sincePasses(ob) || j >= len(passes) || !s.same(passes[j].t, ob.Time) {
			return false
		}
		p := passes[j]
		own := p.fed == nil || i < len(p.fed) && s.same(p.fed[i], p.t)
		return !own && (p.held == nil || !p.held[i])
	}
	// readAfter reports whether a Controller that ran on read such a
	// point back: the passes read back the points after the primary
	// metric's last observation, once a pass comes more than two intervals
	// after it (see backfillSpan); a pass that observed the primary metric
	// has none to read before it.
	readAfter := func(ob Observation) bool {
		j := atOrAfter(ob.Time)
		p := passes[j]
		if p.fed == nil || s.same(p.fed[0], p.t) {
			return false
		}
		last := p.fed[0]
		for _, q := range passes[j+1:] {
			if s.readsBetween(last, q.t) {
				return true
			}
			if q.fed == nil || s.same(q.fed[0], q.t) {
				return false
			}
		}
		return s.readsBetween(last, t)
	}
	settled := func(i int, ob Observation) (bool, bool) {
		if (r.seen[i].IsZero() || s.later(ob.Time, r.seen[i])) && !heldSaved(i, ob) && (!sincePasses(ob) || !byPass(ob) || afterMissed(i, ob) || heldAndMissed(i, ob)) {
			return false, false
		}
		known, left := s.metrics[i].judged(ob.Time, s.cfg.Interval/2)
		if noSample(i, ob) && !left {
			// No pass judged a sample there: a later pass that read it
			// back judged it, unless its own read failed.
			return false, false
		}
		return known, left
	}
	// read reports whether ob is read back at all: not a sample a pass is
	// still waiting to confirm (unless points after it are read back), nor
	// missed points a pass leaves to the forecasters.
	read := func(i int, ob Observation) bool {
		m := s.metrics[i]
		switch {
		case !usable(ob), m.pending && s.same(ob.Time, m.pendingT) && !withMissed[i]:
			return false
		case heldAndMissed(i, ob), heldSaved(i, ob):
			return true
		case sincePasses(ob) && !byPass(ob):
			return missedRead(ob)
		case noSample(i, ob):
			return readAfter(ob)
		case r.from.IsZero() || sincePasses(ob) || !s.later(ob.Time, r.seen[i]):
			return true
		}
		return readNew
	}
	kept := func(i, k int) bool {
		ob := o.backfill[i][k]
		if !read(i, ob) {
			return false
		}
		if known, left := settled(i, ob); known {
			return !left
		}
		return skips[i] == nil || !skips[i][k]
	}
	// copiesOf marks metric i's points read back (no pass's sample) that
	// continue the last value kept before them bit for bit, less than
	// Config.SourceLookback after it, as a pass after missed passes
	// leaves them out (see lookbackCopies), and raises the same alert.
	copiesOf := func(i int) []bool {
		var out []bool
		var prev, first Observation
		run, n := false, 0
		for k, ob := range o.backfill[i] {
			if !read(i, ob) {
				continue
			}
			switch known, left := settled(i, ob); {
			case known && left:
				continue
			case known:
				prev, run = ob, true
				continue
			case sincePasses(ob) && byPass(ob) && !noSample(i, ob):
				run = false // a pass's sample judged afresh
				continue
			}
			if run && s.lookbackCopy(prev, ob) {
				if out == nil {
					out = make([]bool, len(o.backfill[i]))
					first = ob
				}
				out[k] = true
				n++
				continue
			}
			run = false
		}
		if n > 0 {
			v.alerts = append(v.alerts, s.copiesAlert(t, s.metrics[i].Metric, first, n))
		}
		return out
	}
	for i, m := range s.metrics {
		if i >= len(o.backfill) {
			break
		}
		m.rob = r.rob[i]
		copies := copiesOf(i)
		judge := func(ob Observation) bool {
			known, _ := settled(i, ob)
			return read(i, ob) && !known
		}
		if copies != nil {
			at := map[int64]bool{}
			for k, c := range copies {
				if c {
					at[o.backfill[i][k].Time.UnixNano()] = true
				}
			}
			judge = func(ob Observation) bool {
				known, _ := settled(i, ob)
				return read(i, ob) && !known && !at[ob.Time.UnixNano()]
			}
		}
		// The values the passes since kept enter the statistics in time
		// order, as they entered those of the passes: a point missed
		// between two passes is judged against the values before it.
		keptSince := func(ob Observation) bool {
			known, left := settled(i, ob)
			return known && !left && read(i, ob) && s.later(ob.Time, r.seen[i])
		}
		skips[i] = s.leaveOutIsolated(t, m, o.backfill[i], judge, keptSince, v)
		for k := range copies {
			if copies[k] {
				if skips[i] == nil {
					skips[i] = make([]bool, len(o.backfill[i]))
				}
				skips[i][k] = true
			}
		}
		for k, ob := range o.backfill[i] {
			switch {
			case skips[i] != nil && skips[i][k]:
				m.drop(ob.Time, s.window())
			case afterMissed(i, ob) && read(i, ob):
				m.undrop(ob.Time, s.cfg.Interval/2) // judged again and kept
			}
		}
		m.dropsUnknown = false
		for k, ob := range o.backfill[i] {
			if kept(i, k) && s.later(ob.Time, r.seen[i]) {
				m.rob.push(ob.Value)
			}
		}
		if withMissed[i] {
			m.pending = false // judged with the points after it
		}
		if raw := r.fcs[i]; raw != nil {
			st := m.fc.(forecast.Stateful)
			if err := safeUnmarshal("forecaster "+name(m.fc), st.UnmarshalState, raw); err != nil {
				v.fail("forecast", fmt.Errorf("%s: taking back the state before the failed backfill: %w", name(m.fc), err))
				continue
			}
			// A restored forecaster is refitted where a Controller that
			// ran on refits it: after the missed points it read back,
			// before the first pass's value.
			// Points missed while the passes ran (the process down, with
			// the read still failing) refit it too, before the next
			// pass's value, as a pass that reads them back does.
			missed, refitted, asked, missedSince := 0, !r.restored[i], 0, 0
			for k, ob := range o.backfill[i] {
				if !kept(i, k) {
					continue
				}
				if sincePasses(ob) && missed > 0 && !refitted {
					s.refitAfterBackfill(m, v)
					refitted = true
				}
				if missedSince > 0 && sincePasses(ob) && byPass(ob) {
					s.refitAfterBackfill(m, v)
					missedSince = 0
				}
				s.askPeaks(r, i, &asked, ob.Time)
				if safeObserve(m.fc, ob.Time, ob.Value) != nil {
					continue
				}
				if !sincePasses(ob) && s.later(ob.Time, r.seen[i]) && !heldSaved(i, ob) {
					missed++
				}
				if sincePasses(ob) && !byPass(ob) {
					missedSince++
				}
				if ob.Time.After(m.last) {
					m.last = ob.Time
				}
			}
			if missed > 0 && !refitted || missedSince > 0 {
				s.refitAfterBackfill(m, v)
			}
			s.askPeaks(r, i, &asked, time.Time{})
		}
		if r.fcs[i] == nil || !r.restored[i] {
			s.refitAfterBackfill(m, v)
		}
	}
	if r.det != nil && len(o.backfill) > 0 {
		st := s.detector.(forecast.Stateful)
		if err := safeUnmarshal("anomaly detector", st.UnmarshalState, r.det); err != nil {
			v.fail("anomaly", fmt.Errorf("taking back the state before the failed backfill: %w", err))
		} else {
			var detErr error
			for k, ob := range o.backfill[0] {
				if kept(0, k) {
					if _, err := safeDetect(s.detector, ob.Time, ob.Value); err != nil && detErr == nil {
						detErr = err
					}
				}
			}
			if detErr != nil {
				v.fail("anomaly", fmt.Errorf("backfill: %w", detErr))
			}
		}
	}
	if len(o.backfill) == 0 {
		return
	}
	// The history: the values read before its first observation, then
	// its own.
	live := s.hist.snapshot()
	h := newHistory(s.cfg.HistorySize, s.cfg.Interval)
	after := int64(0) // values held that the saved Controller had not seen
	add := func(ob Observation) {
		h.add(ob)
		if s.later(ob.Time, r.seen[0]) {
			after++
		}
	}
	for k, ob := range o.backfill[0] {
		if kept(0, k) && ob.Time.After(s.lastGrid) {
			// Points read back after the last observation (missed while
			// the process was down, before passes that observed nothing):
			// the forecasts start after them.
			s.lastGrid, s.lastLoad = ob.Time, ob.Value
		}
		if kept(0, k) && (len(live) == 0 || ob.Time.Before(live[0].Time)) && (h.len() == 0 || ob.Time.After(h.lastTime())) {
			add(ob)
			rep.Backfilled++
		}
	}
	// The passes' own values, and in between the points they missed
	// (read back by a Controller that ran on) and the samples judged again
	// with them and kept (added where the passes' own do not hold them),
	// in time order.
	var missed []Observation
	for k, ob := range o.backfill[0] {
		if kept(0, k) && len(live) > 0 && !ob.Time.Before(live[0].Time) && sincePasses(ob) && (!byPass(ob) || heldAndMissed(0, ob) || afterMissed(0, ob)) {
			missed = append(missed, ob)
		}
	}
	// A pass's sample judged again after the points it missed and left
	// out is no longer the history's.
	var judgedOut []time.Time
	for k, ob := range o.backfill[0] {
		if afterMissed(0, ob) && read(0, ob) && !kept(0, k) {
			judgedOut = append(judgedOut, ob.Time)
		}
	}
	for _, ob := range live {
		if slices.ContainsFunc(judgedOut, func(t time.Time) bool { return s.same(t, ob.Time) }) {
			continue
		}
		for len(missed) > 0 && missed[0].Time.Before(ob.Time) {
			if h.len() == 0 || missed[0].Time.After(h.lastTime()) {
				add(missed[0])
				rep.Backfilled++
			}
			missed = missed[1:]
		}
		add(ob)
	}
	for _, ob := range missed {
		if h.len() == 0 || ob.Time.After(h.lastTime()) {
			add(ob)
			rep.Backfilled++
		}
	}
	h.rebase(r.savedTotal + after)
	s.hist = h
}

// refitAfterBackfill refits m's forecaster after values read back.
func (s *state) refitAfterBackfill(m *metricState, v *verdict) {
	if err := safeRefit(m.fc); err != nil && !errors.Is(err, forecast.ErrInsufficientHistory) {
		v.fail("forecast", fmt.Errorf("%s refit after backfill: %w", name(m.fc), err))
	}
}
