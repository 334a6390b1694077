package forecast

import (
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A model's BiasWindow is off unless set, kept as given, and refused when
// negative; Auto's is an hour of steps (at least 12) unless set, and off
// when negative.
func TestBiasWindowConfig(t *testing.T) {
	for _, w := range []int{0, 7, 60} {
		got, err := Config{BiasWindow: w}.validate(kindEWMA)
		require.NoError(t, err)
		assert.Equal(t, w, got.BiasWindow)
	}
	_, err := Config{BiasWindow: -1}.validate(kindEWMA)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	for _, c := range []struct {
		step       time.Duration
		set, model int
	}{{time.Minute, 0, 60}, {5 * time.Minute, 0, 12}, {time.Hour, 0, 12}, {15 * time.Second, 0, 240}, {0, 0, 60}, {time.Minute, 7, 7}, {time.Minute, -1, 0}} {
		a, err := NewAuto(AutoConfig{Step: c.step, BiasWindow: c.set})
		require.NoError(t, err)
		assert.Equal(t, c.model, a.cfg.BiasWindow, "step %s, BiasWindow %d", c.step, c.set)
	}
}

// biasWindow is the window the tests turn early refits on with: an hour
// of 1-minute steps.
const biasWindow = 60

// levelDrop is a clean cycle (period 288 steps, noise of 1% of the
// level) for 20 periods, then the same cycle at 70% of its level for 5: a
// first weekend after weekdays.
func levelDrop() (y []float64, drop int) {
	const period = 288
	y = seasonal(25*period, period, 100, 0, 40, 1, 7)
	drop = 20 * period
	for i := drop; i < len(y); i++ {
		y[i] *= 0.7
	}
	return y, drop
}

// oneStepErrors feeds y to f and returns the one-step errors (observed
// minus forecast) from index from on.
func oneStepErrors(t *testing.T, f Forecaster, y []float64, from int) []float64 {
	t.Helper()
	var errs []float64
	for i, v := range y {
		if i >= from {
			fc, err := f.Forecast(1, 0.8)
			require.NoError(t, err)
			errs = append(errs, v-fc.Mean[0])
		}
		require.NoError(t, f.Observe(t0.Add(time.Duration(i)*time.Minute), v), "index %d", i)
	}
	return errs
}

// A model fitted on a clean cycle smooths its level hardly at all; when
// the load drops to a level it has not seen, the forecasts run high until
// a refit. The tracking signal (on by default) refits it within minutes;
// without it the forecasts are still about 30% too high hours later.
func TestBiasRefitFollowsALevelDrop(t *testing.T) {
	y, drop := levelDrop()
	run := func(bias int) (errs []float64, early int) {
		f, err := NewAuto(AutoConfig{Step: time.Minute, Periods: []int{288}, BiasWindow: bias})
		require.NoError(t, err)
		errs = oneStepErrors(t, f, y, drop)
		return errs, f.earlyGap
	}
	off, _ := run(-1)
	on, gap := run(0)
	// From four windows (four hours) after the drop to the end.
	late := func(e []float64) float64 { return mean(e[240:]) }
	t.Logf("mean one-step error from four hours after the drop: %.2f with early refits, %.2f without", late(on), late(off))
	assert.Less(t, late(off), -10.0, "without the tracking signal the forecasts stay high (mean error %.1f)", late(off))
	assert.Greater(t, late(on), -2.0, "with it they follow the new level (mean error %.1f)", late(on))
	assert.Less(t, math.Abs(late(on)), math.Abs(late(off))/5)
	assert.Positive(t, gap, "the refit was an early one")
}

// Errors without a bias, forecasts that run low and one stray value far
// below its forecast never refit early.
func TestBiasRefitQuiet(t *testing.T) {
	for _, c := range []struct {
		name   string
		sd     float64 // of the noise
		change func(y []float64)
	}{
		{"steady", 5, func([]float64) {}},
		{"level rises", 5, func(y []float64) {
			for i := 1200; i < len(y); i++ {
				y[i] *= 1.4
			}
		}},
		// About 200 error scales below: unclipped, this one error would
		// hold the signal below the limit for tens of steps.
		{"one stray value", 0.5, func(y []float64) { y[1500] = 1 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			y := seasonal(3000, 60, 100, 0, 40, c.sd, 11)
			c.change(y)
			f, err := NewAuto(AutoConfig{Step: time.Minute, Periods: []int{60}, BiasWindow: biasWindow})
			require.NoError(t, err)
			for i, v := range y {
				require.NoError(t, f.Observe(t0.Add(time.Duration(i)*time.Minute), v))
				require.Zero(t, f.earlyGap, "an early refit at step %d", i)
			}
		})
	}
}

// A young forecaster refits as its history doubles, so that the tracking
// signal's wait of a BiasWindow after a fit can fall in the middle of a
// drop; and a refit started from the fitted parameters (an EWMA smoothing
// its level hardly at all, as a steady load makes it) keeps them. Five
// misses in a row, each below three error scales, refit at once, searching
// from the usual starts: the forecasts follow a drop to a tenth within
// six values, where without early refits they stay at the old level.
func TestShiftRefitFollowsAYoungDrop(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	y := make([]float64, 360)
	for i := range y {
		y[i] = 100 + 2*rng.NormFloat64()
		if i >= 300 {
			y[i] /= 10
		}
	}
	run := func(bias int) (next float64, gap int, name string) {
		f, err := NewAuto(AutoConfig{Step: time.Minute, BiasWindow: bias})
		require.NoError(t, err)
		feed(t, f, y[:306], 0)
		fc, err := f.Forecast(1, 0.8)
		require.NoError(t, err)
		return fc.Mean[0], f.earlyGap, f.Name()
	}
	on, gap, name := run(0)
	off, _, offName := run(-1)
	t.Logf("one step ahead after six values at a tenth: %.1f (%s) with early refits, %.1f (%s) without", on, name, off, offName)
	assert.Less(t, on, 15.0, "followed")
	assert.Greater(t, off, 90.0, "without early refits the old level stays")
	assert.Positive(t, gap, "the refit was an early one")
}

// A model that cannot follow the load (an EWMA on a steady decline) refits
// early at doubling intervals, not once a window: once its window is full
// (no scheduled refit after the 1,000th value), over 2,000 steps with a
// window of 60, at most log2(2000/60) + 1 early refits. The early refits
// leave the count toward the next scheduled fit as it was.
func TestBiasRefitBacksOff(t *testing.T) {
	f, err := NewEWMA(Config{Step: time.Minute, BiasWindow: biasWindow})
	require.NoError(t, err)
	early, prev, since := 0, 0, 0
	for i := range 3000 {
		v := 1000 - 0.3*float64(i)
		require.NoError(t, f.Observe(t0.Add(time.Duration(i)*time.Minute), v))
		if i >= 1000 && f.earlyGap > prev {
			early++
		}
		prev = f.earlyGap
		switch {
		case i == 1000:
			since = f.sinceFit
		case i > 1000:
			require.Equal(t, since+i-1000, f.sinceFit, "step %d", i)
		}
	}
	assert.Positive(t, early, "the decline refits early")
	assert.LessOrEqual(t, early, int(math.Log2(2000.0/60))+1)
}

// A state saved while the forecasts run high restores the tracking signal
// and the early-refit spacing: the restored forecaster, given its window
// again, refits early when the one that saved it does and forecasts as it
// does. A state saved before the signal existed restores with none.
func TestBiasStateRestores(t *testing.T) {
	y, drop := levelDrop()
	newAuto := func() *Auto {
		f, err := NewAuto(AutoConfig{Step: time.Minute, Periods: []int{288}, BiasWindow: biasWindow})
		require.NoError(t, err)
		return f
	}
	k := drop + 3 // the signal is building, no early refit yet
	a := newAuto()
	feed(t, a, y[:k], 0)
	require.Negative(t, a.biasMean)
	require.Zero(t, a.earlyGap)
	data, err := a.MarshalState()
	require.NoError(t, err)
	assert.Contains(t, string(data), `"bias":`)

	b := newAuto()
	require.NoError(t, b.UnmarshalState(data))
	feed(t, b, y[:k], 0)
	assert.Equal(t, a.biasMean, b.biasMean)
	assert.Equal(t, a.biasAbs, b.biasAbs)
	require.Positive(t, a.shiftRun, "misses in a row")
	assert.Equal(t, a.shiftRun, b.shiftRun)
	for i := k; i < len(y); i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		require.NoError(t, a.Observe(at, y[i]))
		require.NoError(t, b.Observe(at, y[i]))
		require.Equal(t, a.earlyGap, b.earlyGap, "early-refit spacing after minute %d", i)
		fa, err := a.Forecast(5, 0.8)
		require.NoError(t, err)
		fb, err := b.Forecast(5, 0.8)
		require.NoError(t, err)
		require.Equal(t, fa, fb, "forecast after minute %d", i)
	}
	assert.Positive(t, a.earlyGap, "the run refitted early after the restore")

	old := strings.Replace(string(data), `"bias":`, `"unused":`, 1)
	c := newAuto()
	require.NoError(t, c.UnmarshalState([]byte(old)))
	assert.Zero(t, c.biasMean)

	for _, bad := range []floats{{1, 2, 0}, {1, -2, 0, 0}, {1, 2, -1, 0}, {1, 2, 0.5, 0}, {1, 2, 0, -3}, {math.NaN(), 2, 0, 0}, {1, 2, 0, 0, -1}, {1, 2, 0, 0, 0.5}, {1, 2, 0, 0, 1, 1}} {
		d := regexp.MustCompile(`"bias":"[^"]*"`).ReplaceAllString(string(data), `"bias":`+string(bad.appendJSON(nil)))
		require.NotEqual(t, string(data), d)
		err := newAuto().UnmarshalState([]byte(d))
		assert.ErrorIs(t, err, ErrBadState, "bias %v", []float64(bad))
	}
}

// Early refits re-estimate the model Auto has chosen, a fallback on a
// short history included, and leave the schedule of selections as it
// was. (Early refits that selected during the fallback moved every later
// selection: on the 1-minute World Cup trace summed to hours the stack
// held 18% more capacity.)
func TestBiasRefitKeepsTheSelectionSchedule(t *testing.T) {
	for _, c := range []struct {
		name     string
		n        int
		fallback bool
	}{{"fallback on a short history", 400, true}, {"selected", 1500, false}} {
		t.Run(c.name, func(t *testing.T) {
			f, err := NewAuto(AutoConfig{Step: time.Minute, Periods: []int{288}, BiasWindow: biasWindow})
			require.NoError(t, err)
			feed(t, f, seasonal(c.n, 288, 100, 0, 40, 1, 13), 0)
			require.Equal(t, c.fallback, f.a.sel.Fallback)
			// The model's form: its name without the parameters.
			form := func(name string) string { s, _, _ := strings.Cut(name, "("); return s }
			selTotal, n, chosen, label := f.a.selTotal, f.a.n, f.a.chosen, f.Name()
			require.NoError(t, f.refit(true))
			assert.Equal(t, selTotal, f.a.selTotal, "last selection")
			assert.Equal(t, n, f.a.n, "window at the last selection")
			assert.Equal(t, c.fallback, f.a.sel.Fallback)
			assert.Same(t, chosen, f.a.chosen, "the same model, its parameters re-estimated")
			assert.Equal(t, form(label), form(f.Name()))
			assert.Equal(t, c.fallback, strings.HasSuffix(f.Name(), "(fallback: short history)"), f.Name())
		})
	}
}

// An early refit whose chosen model cannot be fitted on the window (a
// multiplicative one on a window with zeros: a run of them fed as load)
// selects again, as a scheduled refit does, instead of failing the
// Observe that triggered it.
func TestBiasRefitOnZerosSelectsAgain(t *testing.T) {
	y := seasonal(24*30, 24, 100, 0, 30, 3, 3)
	for i := range y {
		y[i] = y[i] * y[i] / 100
	}
	a, err := NewAuto(AutoConfig{Step: time.Hour, Periods: []int{24}, Select: SelectAICc})
	require.NoError(t, err)
	for i, v := range y {
		require.NoError(t, a.Observe(t0.Add(time.Duration(i)*time.Hour), v))
	}
	require.True(t, a.a.chosen.multiplicative(), "chosen: %s", a.a.chosen.name())
	w := slices.Clone(y)
	for i := len(w) - 48; i < len(w); i++ {
		w[i] = 0
	}
	require.Error(t, a.a.chosen.estimate(w), "the chosen model alone refuses the zeros")
	require.NoError(t, a.a.fitEarly(w))
	assert.False(t, a.a.chosen.multiplicative(), "selected again: %s", a.a.chosen.name())
}
