package forecast

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withOutage returns a copy of y with zeros at [from, to).
func withOutage(y []float64, from, to int) []float64 {
	out := append([]float64(nil), y...)
	for i := from; i < to; i++ {
		out[i] = 0
	}
	return out
}

func newZeroAuto(t testing.TB, zeroRun int, periods ...int) *Auto {
	t.Helper()
	a, err := NewAuto(AutoConfig{Periods: periods, RefitEvery: 2 * periods[0], ZeroRun: zeroRun})
	require.NoError(t, err)
	return a
}

// A three-hour outage recorded as zeros is filled as a gap: the forecasts
// after it stay close to those of the series without the outage, much
// closer than when the zeros are fed as load.
func TestZeroRunOutageIsAGap(t *testing.T) {
	const p, from, to = 48, 1200, 1380
	y := seasonal(1600, p, 100, 0, 40, 3, 21)
	out := withOutage(y, from, to)
	clean, held, fed := newZeroAuto(t, 0, p), newZeroAuto(t, 300, p), newZeroAuto(t, -1, p)
	feed(t, clean, y[:from], 0)
	feed(t, held, out[:from], 0)
	feed(t, fed, out[:from], 0)
	var dHeld, dFed float64
	n := 0
	for i := from; i < len(y); i++ {
		ti := t0.Add(time.Duration(i) * time.Minute)
		require.NoError(t, clean.Observe(ti, y[i]))
		require.NoError(t, held.Observe(ti, out[i]))
		require.NoError(t, fed.Observe(ti, out[i]))
		if i < to {
			require.True(t, held.a.zr.pending, "minute %d: the run is held back", i)
			continue
		}
		if i >= to+p {
			continue
		}
		want, err := clean.Forecast(p, 0.8)
		require.NoError(t, err)
		for _, c := range []struct {
			a *Auto
			d *float64
		}{{held, &dHeld}, {fed, &dFed}} {
			fc, err := c.a.Forecast(p, 0.8)
			require.NoError(t, err)
			require.Equal(t, want.Start, fc.Start)
			*c.d += mae(want.Mean, fc.Mean)
		}
		n++
	}
	dHeld /= float64(n)
	dFed /= float64(n)
	t.Logf("mean absolute difference to the forecasts without the outage over the day after it: held back %.2f, fed %.2f", dHeld, dFed)
	assert.Less(t, dHeld, 3.0, "held back: within 3%% of the level of the forecasts without the outage")
	assert.Greater(t, dFed, 4*dHeld, "fed as load: much further")
}

// The weekly profile does not learn an outage filled as a gap: after a
// six-hour outage in the first week, the profile stays close to the one
// learned without it, while the zeros fed as load dig a dip into it.
func TestZeroRunOutageLeavesTheWeeklyProfile(t *testing.T) {
	const from, to = 3*minutesPerDay + 600, 3*minutesPerDay + 960
	y := weekdayLoad(minutesPerWeek+minutesPerDay, 7)
	out := withOutage(y, from, to)
	clean, held, fed := newZeroAuto(t, 0, minutesPerDay, minutesPerWeek), newZeroAuto(t, 0, minutesPerDay, minutesPerWeek),
		newZeroAuto(t, -1, minutesPerDay, minutesPerWeek)
	feed(t, clean, y, 0)
	feed(t, held, out, 0)
	feed(t, fed, out, 0)
	dHeld, dFed := profileDiffs(t, t0.Add(minutesPerWeek*time.Minute), clean, held, fed)
	assert.Less(t, dHeld, 0.01)
	assert.Greater(t, dFed, 4*dHeld)
}

// profileDiffs returns the mean absolute differences of the weekly factors
// of held and fed, over the week from start, to those of clean.
func profileDiffs(t *testing.T, start time.Time, clean, held, fed *Auto) (dHeld, dFed float64) {
	t.Helper()
	profile := func(a *Auto) []float64 {
		require.True(t, a.a.long.active())
		fs := make([]float64, minutesPerWeek)
		a.a.long.factors(start, fs)
		return fs
	}
	want := profile(clean)
	dHeld, dFed = mae(want, profile(held)), mae(want, profile(fed))
	t.Logf("mean absolute difference of the weekly factors to those learned without the outage: held back %.4f, fed %.4f", dHeld, dFed)
	return dHeld, dFed
}

// Load that really stops is fed as zeros once the run outgrows ZeroRun:
// the forecasts keep the last level through the run; once it is fed the
// next minute's forecast is under 15% of it, and every forecast is zero from
// the next selection on.
func TestZeroRunRealZeros(t *testing.T) {
	const p, from = 48, 1200
	y := withOutage(seasonal(1700, p, 100, 0, 40, 3, 22), from, 1700)
	a := newZeroAuto(t, 0, p) // ZeroRun: 2 periods
	feed(t, a, y[:from], 0)
	for i := from; i < len(y); i++ {
		require.NoError(t, a.Observe(t0.Add(time.Duration(i)*time.Minute), 0))
		fc, err := a.Forecast(p, 0.8)
		require.NoError(t, err)
		require.Equal(t, t0.Add(time.Duration(i+1)*time.Minute), fc.Start, "minute %d", i)
		level := mean(fc.Mean)
		switch {
		case i < from+2*p:
			require.True(t, a.a.zr.pending, "minute %d", i)
			require.Greater(t, level, 80.0, "minute %d: the last level is kept", i)
		case i >= from+2*p:
			require.False(t, a.a.zr.pending, "minute %d", i)
			require.True(t, a.a.zr.zerosLoad, "minute %d", i)
		}
		if i >= from+2*p {
			require.Less(t, fc.Mean[0], 15.0, "minute %d: the zeros were fed", i)
		}
		if i >= from+6*p {
			require.Less(t, level, 1.0, "minute %d: the forecasts went to zero", i)
		}
	}
	// A positive value ends the zeros' run as load: the next implausible
	// zero is held back again.
	require.NoError(t, a.Observe(t0.Add(1700*time.Minute), 50))
	assert.False(t, a.a.zr.zerosLoad)
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// poisson draws a Poisson variate of mean lambda (Knuth's method).
func poisson(r *rand.Rand, lambda float64) float64 {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return float64(k)
		}
		k++
	}
}

// The zeros of a quiet series (Poisson counts of mean 1 to 2) are
// plausible: they are fed as load, and the forecasts are not biased
// upward.
func TestZeroRunPlausibleZerosAreLoad(t *testing.T) {
	for _, lambda := range []float64{1, 1.5, 2} {
		r := rand.New(rand.NewPCG(uint64(10*lambda), 3))
		y := make([]float64, 4000)
		zeros := 0
		for i := range y {
			// A mild daily cycle: mean lambda·(1 ± 0.3).
			y[i] = poisson(r, lambda*(1+0.3*math.Sin(2*math.Pi*float64(i)/48)))
			if y[i] == 0 && i >= 1000 {
				zeros++
			}
		}
		a, b := newZeroAuto(t, 0, 48), newZeroAuto(t, -1, 48)
		var sumA, sumB, sumY float64
		for i, v := range y {
			ti := t0.Add(time.Duration(i) * time.Minute)
			if i >= 1000 {
				fa, err := a.Forecast(1, 0.8)
				require.NoError(t, err)
				fb, err := b.Forecast(1, 0.8)
				require.NoError(t, err)
				sumA += fa.Mean[0]
				sumB += fb.Mean[0]
				sumY += v
			}
			require.NoError(t, a.Observe(ti, v))
			require.NoError(t, b.Observe(ti, v))
			require.False(t, a.a.zr.pending, "λ %v, minute %d: zero held back", lambda, i)
		}
		t.Logf("λ %v: %d zeros; mean one-step forecast %.4f (zeros always fed %.4f), mean load %.4f", lambda, zeros, sumA/3000, sumB/3000, sumY/3000)
		assert.Equal(t, sumB, sumA, "λ %v: as if every zero were fed", lambda)
		assert.InDelta(t, sumY/3000, sumA/3000, 0.05*lambda, "λ %v: no bias", lambda)
	}
}

// While a run is held back, the forecast starts after its last zero and
// is the forecast from the last value fed: its means those of the steps
// after the run, its intervals those of a gap just filled.
func TestZeroRunForecastFromTheLastValue(t *testing.T) {
	const p, from, run = 48, 1200, 30
	y := seasonal(from, p, 100, 0, 40, 3, 23)
	a := newZeroAuto(t, 0, p)
	feed(t, a, y, 0)
	before, err := a.Forecast(run+p, 0.8)
	require.NoError(t, err)
	u0, err := a.PeakUpper(10, 0.9)
	require.NoError(t, err)
	feed(t, a, make([]float64, run), from)
	require.True(t, a.a.zr.pending)
	fc, err := a.Forecast(p, 0.8)
	require.NoError(t, err)
	assert.Equal(t, t0.Add((from+run)*time.Minute), fc.Start)
	for i := range p {
		assert.Equal(t, before.Mean[run+i], fc.Mean[i], "step %d", i+1)
		if a.a.multiplicative() {
			assert.InDelta(t, before.Upper[i]/before.Mean[i], fc.Upper[i]/fc.Mean[i], 1e-9, "step %d", i+1)
		} else {
			assert.InDelta(t, before.Upper[i]-before.Mean[i], fc.Upper[i]-fc.Mean[i], 1e-9, "step %d", i+1)
		}
	}
	u, err := a.PeakUpper(10, 0.9)
	require.NoError(t, err)
	assert.Greater(t, u, 0.5*u0, "the bound for the steps after the run is not scaled to zero")
	// A zero observed again within the run is refused, not taken.
	err = a.Observe(t0.Add((from+5)*time.Minute), 0)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), "not after the last observation")
}

// A restored Auto with a zero run held back forecasts exactly as the one
// that saved it, through the rest of the run and after it, whether the
// history observed again holds the run's zeros or not.
func TestZeroRunStateRoundTrip(t *testing.T) {
	const p, from, run, tail = 24, 300, 20, 120
	y := withOutage(seasonal(from+run+tail, p, 100, 0, 30, 3, 24), from, from+run)
	mk := func() *Auto {
		a, err := NewAuto(AutoConfig{Periods: []int{p}, Horizon: 6, MaxOrigins: 60, Window: 240, ReselectEvery: 90, RefitEvery: 50})
		require.NoError(t, err)
		return a
	}
	const k = from + 8 // saved 8 zeros into the run
	orig := mk()
	feed(t, orig, y[:k], 0)
	require.True(t, orig.a.zr.pending)
	data, err := orig.MarshalState()
	require.NoError(t, err)
	assert.Contains(t, string(data), `"zero_run"`)
	want := forecasts(t, orig, y, k, len(y))
	for name, history := range map[string][]float64{"with the run's zeros": y[:k], "without them": y[:from]} {
		t.Run(name, func(t *testing.T) {
			b := mk()
			require.NoError(t, b.UnmarshalState(data))
			require.True(t, b.a.zr.pending)
			feed(t, b, history, 0)
			got := forecasts(t, b, y, k, len(y))
			require.Equal(t, len(want), len(got))
			for i := range got {
				require.Equal(t, want[i], got[i], "forecast after minute %d", k+i)
			}
		})
	}

	// The hand-written encoding matches encoding/json with a run held back.
	c := mk()
	require.NoError(t, c.UnmarshalState(data))
	doc, err := c.stateDoc()
	require.NoError(t, err)
	enc, err := json.Marshal(doc)
	require.NoError(t, err)
	got, err := doc.appendJSON(nil)
	require.NoError(t, err)
	assert.Equal(t, string(enc), string(got))
}

// A state without a zero run (saved before runs were held back, or with
// none) has no "zero_run" field and restores none; a run that does not fit
// the state is refused and changes nothing.
func TestZeroRunBadState(t *testing.T) {
	const p = 24
	y := seasonal(300, p, 100, 0, 30, 3, 25)
	a, err := NewAuto(AutoConfig{Periods: []int{p}, Window: 240, RefitEvery: 48})
	require.NoError(t, err)
	feed(t, a, y, 0)
	plain, err := a.MarshalState()
	require.NoError(t, err)
	assert.NotContains(t, string(plain), "zero_run")
	feed(t, a, make([]float64, 3), len(y))
	require.True(t, a.a.zr.pending, a.Name())
	good, err := a.MarshalState()
	require.NoError(t, err)

	b, err := NewAuto(AutoConfig{Periods: []int{p}, Window: 240, RefitEvery: 48})
	require.NoError(t, err)
	require.NoError(t, b.UnmarshalState(good))
	require.NoError(t, b.UnmarshalState(plain))
	assert.False(t, b.a.zr.pending, "a state without a run restores none")

	var doc map[string]any
	require.NoError(t, json.Unmarshal(good, &doc))
	for _, v := range []floats{{1, 2}, {-1, -1, 2}, {299, 300, 0}, {301, 300, 0}, {300.5, 301, 0}, {300, 300 + 1441, 0}, {math.NaN(), 301, 0}} {
		doc["auto"].(map[string]any)["zero_run"] = string(marshalBits(v))
		c := requireBadAutoState(t, doc, AutoConfig{Periods: []int{p}, Window: 240, RefitEvery: 48}, "zero run", v)
		assert.False(t, c.started, "%v: nothing changed", v)
	}
}

// ZeroRun beyond MaxGap is refused: the outage could not be filled.
func TestZeroRunConfig(t *testing.T) {
	_, err := NewAuto(AutoConfig{Periods: []int{24}, MaxGap: 100, ZeroRun: 101})
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), "ZeroRun 101 exceeds MaxGap 100")
	a, err := NewAuto(AutoConfig{Periods: []int{24}, MaxGap: 100, ZeroRun: 100})
	require.NoError(t, err)
	assert.Equal(t, int64(100), a.a.zeroRun)
	a, err = NewAuto(AutoConfig{Periods: []int{24}})
	require.NoError(t, err)
	assert.Equal(t, int64(48), a.a.zeroRun, "default: two first periods")
	a, err = NewAuto(AutoConfig{Periods: []int{1440, 10080}})
	require.NoError(t, err)
	assert.Equal(t, int64(2880), a.a.zeroRun, "default: two days of minutes, the MaxGap")
}

// feedSkipping feeds y from offset on, leaving out the indices in [from, to).
func feedSkipping(t *testing.T, f Forecaster, y []float64, offset, from, to int) {
	t.Helper()
	for i, v := range y {
		if i+offset >= from && i+offset < to {
			continue
		}
		require.NoError(t, f.Observe(t0.Add(time.Duration(offset+i)*time.Minute), v), "index %d", offset+i)
	}
}

// The values a fitted forecaster filled a gap with, or a run of zeros it
// held back as an outage, are part of its state: a restored forecaster
// whose history comes back with the gap, or with the zeros, puts the same
// values into its window, and forecasts, refits and reselects exactly as
// the one that saved the state.
func TestGapFillsRestored(t *testing.T) {
	const p, n, tail = 24, 400, 150
	y := seasonal(n+tail, p, 100, 0, 30, 3, 26)
	mk := func() *Auto {
		a, err := NewAuto(AutoConfig{Periods: []int{p}, Horizon: 6, MaxOrigins: 60, Window: 240, ReselectEvery: 90, RefitEvery: 50})
		require.NoError(t, err)
		return a
	}
	for name, c := range map[string]struct {
		y        []float64
		from, to int
		gap      bool // the series has a gap
		skipped  bool // the history read back has a gap
	}{
		"a gap":                         {y, 330, 337, true, true},
		"an outage":                     {withOutage(y, 330, 337), 330, 337, false, false},
		"an outage, read back as a gap": {withOutage(y, 330, 337), 330, 337, false, true},
	} {
		t.Run(name, func(t *testing.T) {
			orig := mk()
			if c.gap {
				feedSkipping(t, orig, c.y[:n], 0, c.from, c.to)
			} else {
				feed(t, orig, c.y[:n], 0)
			}
			require.True(t, orig.Fitted())
			require.EqualValues(t, c.to-c.from, orig.fillCount(), "the fills are kept")
			data, err := orig.MarshalState()
			require.NoError(t, err)
			assert.Contains(t, string(data), `"gap_fills"`)
			want := forecasts(t, orig, c.y, n, len(c.y))

			b := mk()
			require.NoError(t, b.UnmarshalState(data))
			if c.skipped {
				feedSkipping(t, b, c.y[:n], 0, c.from, c.to)
			} else {
				feed(t, b, c.y[:n], 0)
			}
			got := forecasts(t, b, c.y, n, len(c.y))
			require.Equal(t, len(want), len(got))
			for i := range got {
				require.Equal(t, want[i], got[i], "forecast after minute %d", n+i)
			}
		})
	}
}

// A gap longer than 256 steps: every fill still in the window is part of
// the state (read from the window when saved), so the restored forecaster
// whose history comes back with the gap forecasts exactly as the one that
// saved the state; so does a forecaster restored while it was still taking
// its window back and saved again.
func TestLongGapFillsRestored(t *testing.T) {
	const p, n, tail, from, to = 24, 1000, 150, 650, 950
	y := seasonal(n+tail, p, 100, 0, 30, 3, 27)
	mk := func() *Auto {
		a, err := NewAuto(AutoConfig{Periods: []int{p}, Horizon: 6, MaxOrigins: 60, Window: 720, MaxGap: 400, ReselectEvery: 90, RefitEvery: 50})
		require.NoError(t, err)
		return a
	}
	orig := mk()
	feedSkipping(t, orig, y[:n], 0, from, to)
	require.True(t, orig.Fitted())
	require.EqualValues(t, to-from, orig.fillCount(), "all %d fills kept", to-from)
	data, err := orig.MarshalState()
	require.NoError(t, err)
	want := forecasts(t, orig, y, n, len(y))

	b := mk()
	require.NoError(t, b.UnmarshalState(data))
	// Saved again half-way through taking the window back.
	feedSkipping(t, b, y[:from-100], 0, from, to)
	again, err := b.MarshalState()
	require.NoError(t, err)
	c := mk()
	require.NoError(t, c.UnmarshalState(again))
	for _, r := range []*Auto{b, c} {
		start := 0
		if r == b {
			start = from - 100
		}
		feedSkipping(t, r, y[start:n], start, from, to)
		got := forecasts(t, r, y, n, len(y))
		require.Equal(t, len(want), len(got))
		for i := range got {
			require.Equal(t, want[i], got[i], "forecast after minute %d", n+i)
		}
	}
}

// Gap fills that do not fit the state are refused and change nothing.
func TestGapFillsBadState(t *testing.T) {
	const p = 24
	y := seasonal(300, p, 100, 0, 30, 3, 25)
	a, err := NewAuto(AutoConfig{Periods: []int{p}, Window: 240, RefitEvery: 48})
	require.NoError(t, err)
	feedSkipping(t, a, y, 0, 280, 283)
	good, err := a.MarshalState()
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(good, &doc))
	for _, v := range []floats{{280}, {280, -1}, {281, 5, 280, 5}, {299, 5}, {59, 5}, {280.5, 5}, {280, math.Inf(1)}, {math.NaN(), 5}} {
		doc["gap_fills"] = string(marshalBits(v))
		c := requireBadAutoState(t, doc, AutoConfig{Periods: []int{p}, Window: 240, RefitEvery: 48}, "gap fills", v)
		assert.False(t, c.Fitted(), "%v: nothing changed", v)
	}
}

// requireBadAutoState restores the state document doc into a new Auto of
// cfg and requires the restore to fail with ErrBadState, naming want; v is
// the bad value, for the messages. It returns the Auto for the caller to
// check that nothing changed.
func requireBadAutoState(t *testing.T, doc map[string]any, cfg AutoConfig, want string, v floats) *Auto {
	t.Helper()
	bad, err := json.Marshal(doc)
	require.NoError(t, err)
	c, err := NewAuto(cfg)
	require.NoError(t, err)
	err = c.UnmarshalState(bad)
	require.ErrorIs(t, err, ErrBadState, "%v", v)
	require.Contains(t, err.Error(), want, "%v", v)
	return c
}

// An outage in the first day, before any model has the history to judge
// a zero, is judged by the recent level: the run is held back, and as it
// outlasted the history before it, the history restarts when load
// returns rather than being filled (a naive model would fill it with the
// last value). The weekly profile then stays far closer to the one
// learned without the outage than when the zeros are fed as load.
func TestZeroRunOutageInTheFirstDay(t *testing.T) {
	const from, to = 600, 2100
	y := weekdayLoad(2*minutesPerWeek+minutesPerDay, 8)
	out := withOutage(y, from, to)
	clean, held, fed := newZeroAuto(t, 0, minutesPerDay, minutesPerWeek), newZeroAuto(t, 0, minutesPerDay, minutesPerWeek),
		newZeroAuto(t, -1, minutesPerDay, minutesPerWeek)
	for i := range y {
		ti := t0.Add(time.Duration(i) * time.Minute)
		require.NoError(t, clean.Observe(ti, y[i]))
		require.NoError(t, held.Observe(ti, out[i]))
		require.NoError(t, fed.Observe(ti, out[i]))
		switch {
		case i >= from && i < to:
			require.True(t, held.a.zr.pending, "minute %d: the run is held back", i)
			require.True(t, held.Selection().Fallback, "minute %d: judged on a fallback model", i)
		case i == to:
			require.False(t, held.a.zr.pending)
			require.Equal(t, 1, held.Len(), "the history restarted at the return of load")
		}
	}
	dHeld, dFed := profileDiffs(t, t0.Add(2*minutesPerWeek*time.Minute), clean, held, fed)
	assert.Greater(t, dFed, 4*dHeld)
}

// While the chosen model forecasts a single past value (the first day's
// naive fallback), the zeros of a sparse series, bursts among zeros, are
// load: the recent level does not make them implausible.
func TestZeroRunSparseSeriesOnAFallback(t *testing.T) {
	a := newZeroAuto(t, 0, minutesPerDay)
	r := rand.New(rand.NewPCG(5, 5))
	for i := range minutesPerDay {
		v := 0.0
		if i%20 == 0 {
			v = 30 + 20*r.Float64()
		}
		require.NoError(t, a.Observe(t0.Add(time.Duration(i)*time.Minute), v))
		require.False(t, a.a.zr.pending, "minute %d: zero held back", i)
	}
	require.True(t, a.Selection().Fallback)
}

// Zeros fed as load because the history was too short to judge them (a
// day's load that stopped after 15 hours, as on the NASA August trace at
// hourly steps) stay load: the recent level starts a run only after a
// positive value, so the zeros that follow are fed too.
func TestZeroRunAfterZerosFedAsLoad(t *testing.T) {
	a := newZeroAuto(t, 0, 24)
	for i := range 60 {
		v := 0.0
		if i < 15 {
			v = 1000 + 100*float64(i%3)
		}
		require.NoError(t, a.Observe(t0.Add(time.Duration(i)*time.Minute), v))
		require.False(t, a.a.zr.pending, "minute %d: zero held back", i)
	}
	assert.Equal(t, 60, a.Len())
}

// On a short history's fallback other than a single past value (an EWMA,
// since young histories are refitted as they double), the recent level
// judges a zero too: bursts of 600 every 50 minutes inflate the model's
// error scale, and judged by it a steady load of 50 that drops to zero
// would be fed as load (NASA August's 38-hour outage was, at minute 893).
func TestZeroRunOnAnEWMAFallback(t *testing.T) {
	const from, to = 900, 1500
	a := newZeroAuto(t, 0, minutesPerDay)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range to + 10 {
		v := 50 + 5*r.NormFloat64()
		if i%50 == 25 && i < 830 {
			v += 600
		}
		if i >= from && i < to {
			v = 0
		}
		require.NoError(t, a.Observe(t0.Add(time.Duration(i)*time.Minute), v))
		if i == from-1 {
			require.True(t, a.Selection().Fallback)
			require.True(t, strings.HasPrefix(a.Selection().Model, "ewma"), "fallback %s", a.Selection().Model)
		}
		if i >= from && i < to {
			require.True(t, a.a.zr.pending, "minute %d: the run is held back", i)
		}
	}
}

// Zeros before the first positive value are not history: a load that
// starts after two periods of zeros is forecast at its level from its
// first hours, where with the zeros fed (ZeroRun −1) the models fitted on
// them forecast next to nothing.
func TestLeadingZerosAreNotHistory(t *testing.T) {
	const p = 48
	load := seasonal(3*p, p, 100, 0, 40, 3, 5)
	y := append(make([]float64, 2*p), load...)
	dropped, fed := newZeroAuto(t, 0, p), newZeroAuto(t, -1, p)

	feed(t, dropped, y[:2*p], 0)
	_, err := dropped.Forecast(1, 0.9)
	require.ErrorIs(t, err, ErrInsufficientHistory, "no history before the first positive value")
	_, steps := dropped.HeldZeros()
	assert.Zero(t, steps)

	feed(t, fed, y[:2*p], 0)
	// Twelve steps of load: a quarter of a period.
	const k = 12
	feed(t, dropped, y[2*p:2*p+k], 2*p)
	feed(t, fed, y[2*p:2*p+k], 2*p)
	want := y[2*p+k : 2*p+k+6]
	fd, err := dropped.Forecast(6, 0.9)
	require.NoError(t, err)
	ff, err := fed.Forecast(6, 0.9)
	require.NoError(t, err)
	assert.Less(t, mae(fd.Mean, want), 0.2*mae(ff.Mean, want),
		"forecasts %v, with the zeros %v, load %v", fd.Mean, ff.Mean, want)
	peak, err := dropped.PeakUpper(6, 0.9)
	require.NoError(t, err)
	assert.Less(t, peak, 2*slices.Max(want), "the bound on the peak stays near the load")
	assert.Greater(t, peak, 0.0)
}

// A restored Auto whose window has not been observed again (its history
// source failed at start-up) judges a run of zeros by the latest values the
// state saved, as the Auto that ran on does: on a young history the recent
// level judges, and without those values the zeros were fed as load.
func TestZeroRunJudgedBeforeTheWindowReturns(t *testing.T) {
	const p, n, run = 24, 45, 6
	y := seasonal(n+run+10, p, 100, 0, 10, 2, 7)
	for i := n; i < n+run; i++ {
		y[i] = 0
	}
	mk := func() *Auto {
		a, err := NewAuto(AutoConfig{Periods: []int{p}, Horizon: 6})
		require.NoError(t, err)
		return a
	}
	orig := mk()
	feed(t, orig, y[:n], 0)
	require.True(t, orig.Selection().Fallback, "a young history: the recent level judges")
	data, err := orig.MarshalState()
	require.NoError(t, err)
	assert.Contains(t, string(data), `"recent"`)
	b := mk()
	require.NoError(t, b.UnmarshalState(data))
	for i := n; i < len(y); i++ {
		ti := t0.Add(time.Duration(i) * time.Minute)
		require.NoError(t, orig.Observe(ti, y[i]))
		require.NoError(t, b.Observe(ti, y[i]))
		require.Equal(t, orig.a.zr.pending, b.a.zr.pending, "minute %d", i)
		if i < n+run {
			require.True(t, b.a.zr.pending, "minute %d: the run is held back", i)
		}
		require.Equal(t, orig.total, b.total, "minute %d: the values fed to the models", i)
		require.Equal(t, orig.lastV, b.lastV, "minute %d", i)
	}

	// Once the window is observed again the saved values are not read:
	// a state saved then holds the window's own.
	c := mk()
	require.NoError(t, c.UnmarshalState(data))
	feed(t, c, y[:n], 0)
	require.Nil(t, c.tail)
	require.Equal(t, n, c.recentLen())
}

// A forecaster restored from a state without its window and whose
// history read fails (it observes new values, the window not taken back)
// keeps the saved gap fills in the state it saves in turn, for a second
// restart whose history read works to fill the gap with. (It used to read
// them from the window, which did not hold them, and saved none.)
func TestGapFillsKeptWhileTheWindowIsNotTakenBack(t *testing.T) {
	const p, n, more = 24, 400, 3
	y := seasonal(n+more, p, 100, 0, 30, 3, 26)
	mk := func() *Auto {
		a, err := NewAuto(AutoConfig{Periods: []int{p}, Horizon: 6, MaxOrigins: 60, Window: 240, StateWindow: -1})
		require.NoError(t, err)
		return a
	}
	fills := func(data []byte) string {
		var doc struct {
			Fills json.RawMessage `json:"gap_fills"`
		}
		require.NoError(t, json.Unmarshal(data, &doc))
		return string(doc.Fills)
	}
	orig := mk()
	feedSkipping(t, orig, y[:n], 0, 330, 337)
	require.EqualValues(t, 7, orig.fillCount())
	data, err := orig.MarshalState()
	require.NoError(t, err)
	require.NotEmpty(t, fills(data))
	require.NotContains(t, string(data), `"window"`, "the state holds no window")

	b := mk()
	require.NoError(t, b.UnmarshalState(data))
	feed(t, b, y[n:], n) // the passes since; the history read failed
	again, err := b.MarshalState()
	require.NoError(t, err)
	assert.Equal(t, fills(data), fills(again), "the saved fills are kept")
}

// onOff is a load idle (zero) for the first idle steps of every period p
// and about level otherwise, over n steps.
func onOff(n, p, idle int, level float64) []float64 {
	y := make([]float64, n)
	for i := range y {
		if i%p >= idle {
			y[i] = level * (1 + 0.05*math.Sin(float64(i)*1.7))
		}
	}
	return y
}

// A steady load that becomes idle at the same phase of every period: the
// first two idle phases are held back as possible outages, as any drop to
// zero of a steady load; from the third on, its zeros recur at their
// phase and are load, and the forecasts at the idle phase learn them. Before,
// every idle phase was filled as a gap, the models chosen on the busy
// values alone took every zero for an outage, and the forecasts there
// stayed at the busy level.
func TestZeroRunRecurringIdlePhaseIsLoad(t *testing.T) {
	const p, idle, cycles = 30, 20, 24
	// Ten periods of steady load, then a load idle for idle steps of
	// every period.
	y := onOff(cycles*p, p, idle, 40)
	for i := range 10 * p {
		y[i] = 40 * (1 + 0.05*math.Sin(float64(i)*1.7))
	}
	a, err := NewAuto(AutoConfig{Periods: []int{p}, Horizon: 2})
	require.NoError(t, err)
	var heldCycles []int
	for i, v := range y {
		require.NoError(t, a.Observe(t0.Add(time.Duration(i)*time.Minute), v))
		if _, err := a.Forecast(2, 0.8); err != nil { // as a scaler asks at every step
			require.ErrorIs(t, err, ErrInsufficientHistory)
		}
		if _, n := a.HeldZeros(); n > 0 && (len(heldCycles) == 0 || heldCycles[len(heldCycles)-1] != i/p) {
			heldCycles = append(heldCycles, i/p)
		}
	}
	t.Logf("%s: zeros held back in cycles %v", a.Name(), heldCycles)
	require.NotEmpty(t, heldCycles, "a steady load's first drop to zero is held back")
	assert.Len(t, heldCycles, 2, "only the first two idle phases after the steady load are held back")
	// At the end of a busy phase: the next idle phase is forecast near 0.
	fc, err := a.Forecast(idle, 0.8)
	require.NoError(t, err)
	assert.Less(t, slices.Max(fc.Mean), 4.0, "idle phase forecast %v", fc.Mean)

	// The same load with every idle phase filled (the marks switched off):
	// the forecast there stays near the busy level.
	b, err := NewAuto(AutoConfig{Periods: []int{p}, Horizon: 2})
	require.NoError(t, err)
	b.a.zr.period = 0
	for i, v := range y {
		require.NoError(t, b.Observe(t0.Add(time.Duration(i)*time.Minute), v))
		if _, err := b.Forecast(2, 0.8); err != nil {
			require.ErrorIs(t, err, ErrInsufficientHistory)
		}
	}
	fb, err := b.Forecast(idle, 0.8)
	require.NoError(t, err)
	assert.Greater(t, slices.Min(fb.Mean), 20.0, "without the marks: %v", fb.Mean)
}

// An outage longer than a period is held back whole: its own zeros a
// period earlier are no recurrence. One outage at a phase does not make
// later zeros there load once the load came back there in between, nor
// does an outage at the same hours the next day; zeros at the phase of
// the last two periods' zeros are load.
func TestZeroRunOutageDoesNotRecur(t *testing.T) {
	const p = 48
	y := seasonal(1600, p, 100, 0, 40, 3, 31)
	long := withOutage(y, 1200, 1200+p+10)
	a := newZeroAuto(t, 0, p)
	feed(t, a, long[:1200+p+10], 0)
	_, n := a.HeldZeros()
	assert.Equal(t, p+10, n, "the whole outage is held back")

	// Two outages two days apart at the same phase, the load back there
	// on the day between.
	twice := withOutage(withOutage(y, 1200, 1210), 1200+2*p, 1210+2*p)
	b := newZeroAuto(t, 0, p)
	feed(t, b, twice[:1200+2*p+5], 0)
	_, n = b.HeldZeros()
	assert.Equal(t, 5, n, "the second outage is held back too: the load came back at its phase in between")

	// On two days in a row at the same phase, the second day's zeros are
	// held back still; on the third they recur there: load.
	daily := withOutage(withOutage(withOutage(y, 1200, 1210), 1200+p, 1210+p), 1200+2*p, 1210+2*p)
	c := newZeroAuto(t, 0, p)
	feed(t, c, daily[:1200+p+5], 0)
	_, n = c.HeldZeros()
	assert.Equal(t, 5, n, "zeros at the phase of one day's zeros are held back")
	feed(t, c, daily[1200+p+5:1200+2*p+5], 1200+p+5)
	_, n = c.HeldZeros()
	assert.Zero(t, n, "zeros at the phase of the last two days' zeros are load")
}

// The marks survive a restart: a restored Auto forecasts what the one
// that ran on forecasts.
func TestZeroRunPhasesStateRoundTrip(t *testing.T) {
	const p, idle = 30, 20
	y := onOff(16*p, p, idle, 40)
	mk := func() *Auto {
		a, err := NewAuto(AutoConfig{Periods: []int{p}})
		require.NoError(t, err)
		return a
	}
	const k = 12*p + 5 // saved in an idle phase
	orig := mk()
	feed(t, orig, y[:k], 0)
	data, err := orig.MarshalState()
	require.NoError(t, err)
	assert.Contains(t, string(data), `"zero_phases"`)
	want := forecasts(t, orig, y, k, len(y))
	b := mk()
	require.NoError(t, b.UnmarshalState(data))
	feed(t, b, y[:k], 0)
	got := forecasts(t, b, y, k, len(y))
	require.Equal(t, want, got)

	// The hand-written encoding matches encoding/json.
	doc, err := b.stateDoc()
	require.NoError(t, err)
	enc, err := json.Marshal(doc)
	require.NoError(t, err)
	out, err := doc.appendJSON(nil)
	require.NoError(t, err)
	assert.Equal(t, string(enc), string(out))

	// Marks that do not fit the period are refused.
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	for _, v := range []floats{{31, 0, 5, 1}, {30, 0, 1}, {30, 25, 6, 1}, {30, 5, 3, 1, 7, 2, 4}, {30, 5, 3, 1, 6, 2, 2}, {30, 0.5, 2, 3}, {30, 3, 0, 1}, {30, 3, 2, 0}} {
		m["auto"].(map[string]any)["zero_phases"] = string(marshalBits(v))
		c := requireBadAutoState(t, m, AutoConfig{Periods: []int{p}}, "zero phases", v)
		assert.False(t, c.started, "%v: nothing changed", v)
	}
}
