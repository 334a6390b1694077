package forecast

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shadowscale/shadowscale/internal/mathx"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The level rises after peaks over the bounds, falls after peaks under
// them, stays within its bounds and starts over for another lead or level.
func TestPeakACILevel(t *testing.T) {
	c := &peakACI{rate: 0.05}
	assert.InDelta(t, 0.9, c.levelFor(3, 0.9), 1e-12)
	c.record(10, 5)
	c.record(10, 4) // the same origin: replaces the bound
	c.observe(10, 1)
	c.observe(11, 4.5) // over the bound of 4
	assert.Len(t, c.pend, 1, "checked once its window is over")
	c.observe(12, 1)
	assert.Empty(t, c.pend)
	assert.InDelta(t, 0.9+0.05*0.9, c.levelFor(3, 0.9), 1e-12)

	for i := range 200 {
		c.record(int64(20+i), 1)
		c.observe(int64(20+i), 2)
	}
	assert.InDelta(t, maxPeakLevel, c.levelFor(3, 0.9), 1e-12, "bounded above")
	for i := range 2000 {
		c.record(int64(300+i), 10)
		c.observe(int64(300+i), 2)
	}
	assert.InDelta(t, 0.7, c.levelFor(3, 0.9), 1e-12, "bounded below, half-way to 0.5")
	c.record(3000, 10)
	assert.InDelta(t, 0.7, c.levelFor(4, 0.9), 1e-12, "another lead keeps the adaptation")
	assert.Empty(t, c.pend, "and drops the bounds not yet checked")
	c.record(3001, 10)
	assert.InDelta(t, 0.95, c.levelFor(3, 0.95), 1e-12, "another level starts over")
	assert.Empty(t, c.pend)

	// A bound whose window fell in a gap is checked on what was observed.
	c.record(4000, 3)
	c.observe(4001, 4)
	c.observe(4010, 0)
	assert.Empty(t, c.pend)
	assert.InDelta(t, 0.95+0.05*0.95, c.levelFor(3, 0.95), 1e-12)
}

// heavyAfter is a seasonal series with Gaussian noise whose errors turn
// heavy-tailed at step from, more so as time goes on: bursts in 5% of the
// steps, of 4 standard deviations growing to 16 at the end.
func heavyAfter(n, p, from int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 11))
	y := make([]float64, n)
	for i := range y {
		e := r.NormFloat64()
		if i >= from && r.Float64() < 0.05 {
			e += 4 + 12*float64(i-from)/float64(n-from)
		}
		y[i] = math.Max(100+20*math.Sin(2*math.Pi*float64(i)/float64(p))+3*e, 0)
	}
	return y
}

// When the errors keep changing after the calibration (the series turns
// burstier and burstier), the static bound covers the peak less than it
// should, daily recalibration notwithstanding; the adapted one (the
// default rate) holds it at the nominal level within 1 point.
func TestPeakUpperAdaptsToChangedErrors(t *testing.T) {
	const p, lead = 48, 6
	var in, total [2]int // adapted, static
	for seed := range uint64(6) {
		y := heavyAfter(120*p, p, 6*p, seed)
		replayPeaks(t, y, lead, 20*p, peakForecasters(t, p, lead, 0, -1), in[:], total[:], nil)
	}
	adapted, static := float64(in[0])/float64(total[0]), float64(in[1])/float64(total[1])
	t.Logf("peak coverage at 0.9 after the change: adapted %.3f, static %.3f", adapted, static)
	assert.InDelta(t, 0.9, adapted, 0.01)
	assert.Less(t, static, 0.88)
}

// peakForecasters returns one Auto of period p and horizon lead per
// PeakAdaptRate in rates.
func peakForecasters(t *testing.T, p, lead int, rates ...float64) []*Auto {
	t.Helper()
	fs := make([]*Auto, len(rates))
	for k, rate := range rates {
		a, err := NewAuto(AutoConfig{Periods: []int{p}, Horizon: lead, RefitEvery: p, PeakAdaptRate: rate})
		require.NoError(t, err)
		fs[k] = a
	}
	return fs
}

// replayPeaks feeds y, one step a minute, to every forecaster of fs and,
// from step from on, counts in in[k] how often the peak of the next lead
// steps stays under fs[k]'s PeakUpper(lead, 0.9), and in total[k] the
// bounds; each, when not nil, is called after the bounds of every step.
func replayPeaks(t *testing.T, y []float64, lead, from int, fs []*Auto, in, total []int, each func()) {
	t.Helper()
	for i, v := range y {
		if i >= from && i+lead <= len(y) {
			peak := slices.Max(y[i : i+lead])
			for k, a := range fs {
				u, err := a.PeakUpper(lead, 0.9)
				require.NoError(t, err)
				if peak <= u {
					in[k]++
				}
				total[k]++
			}
			if each != nil {
				each()
			}
		}
		for _, a := range fs {
			require.NoError(t, a.Observe(t0.Add(time.Duration(i)*time.Minute), v))
		}
	}
}

// The adapted level is saved with the state and restored.
func TestPeakACIState(t *testing.T) {
	y := heavyAfter(30*48, 48, 0, 3)
	a, err := NewAuto(AutoConfig{Periods: []int{48}, Horizon: 6})
	require.NoError(t, err)
	for i, v := range y {
		require.NoError(t, a.Observe(t0.Add(time.Duration(i)*time.Minute), v))
		if i > 3*48 {
			_, err := a.PeakUpper(6, 0.9)
			require.NoError(t, err)
		}
	}
	want := a.a.aci.levelFor(6, 0.9)
	assert.NotEqual(t, 0.9, want, "the level moved")
	data, err := a.MarshalState()
	require.NoError(t, err)
	b, err := NewAuto(AutoConfig{Periods: []int{48}, Horizon: 6})
	require.NoError(t, err)
	require.NoError(t, b.UnmarshalState(data))
	assert.Equal(t, want, b.a.aci.levelFor(6, 0.9))

	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	for _, bad := range []floats{{6, 0.9}, {0, 0.9, 0.1}, {6, 1, 0.1}, {6, 0.9, -0.5}, {6, 0.9, math.NaN()}} {
		text, err := bad.MarshalText()
		require.NoError(t, err)
		doc["auto"].(map[string]any)["peak_aci"] = string(text)
		corrupt, err := json.Marshal(doc)
		require.NoError(t, err)
		err = b.UnmarshalState(corrupt)
		assert.ErrorIs(t, err, ErrBadState, "%v", bad)
		assert.ErrorContains(t, err, "peak adaptation")
	}
}

// Past the largest score: with every peak over its bound the miscoverage
// keeps falling under the bounded level's floor, down to peakMaxDeficit
// under it, and the extension grows to peakMaxDeficit × peakExtendGain;
// with every peak under, it unwinds to zero before the level falls.
func TestPeakACIExtension(t *testing.T) {
	c := &peakACI{rate: 0.05, gain: peakExtendGain}
	c.levelFor(1, 0.9)
	miss := func(k int64) { c.record(k, 1); c.observe(k, 2) }
	hit := func(k int64) { c.record(k, 10); c.observe(k, 2) }
	miss(0)
	assert.InDelta(t, 0.945, c.levelFor(1, 0.9), 1e-12)
	assert.Zero(t, c.extension(), "the level is not saturated")
	for i := range 100 {
		miss(int64(10 + i))
	}
	assert.InDelta(t, maxPeakLevel, c.levelFor(1, 0.9), 1e-12)
	assert.InDelta(t, peakMaxDeficit*peakExtendGain, c.extension(), 1e-9, "bounded")
	d := &peakACI{rate: 0.05, gain: peakExtendGain}
	apply, err := d.load(c.save())
	require.NoError(t, err, "a miscoverage under the floor is saved and restored")
	apply()
	assert.Equal(t, c.extension(), d.extension())
	hits := 0
	for c.extension() > 0 {
		hit(int64(200 + hits))
		hits++
		assert.InDelta(t, maxPeakLevel, c.levelFor(1, 0.9), 1e-12, "the level stays saturated while the extension unwinds")
	}
	assert.InDelta(t, peakMaxDeficit/(0.05*0.1), hits, 2, "unwinds at rate × (1 − level) a bound")
	hit(1000)
	assert.Less(t, c.levelFor(1, 0.9), maxPeakLevel, "then the level falls")
}

// growingBursts is a seasonal series with Gaussian noise and, from step
// from, bursts in 5% of the steps of 4 standard deviations growing by
// growth (0.4: 40%) a period: peak errors that outgrow every score the
// calibration holds, day after day.
func growingBursts(n, p, from int, growth float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 11))
	y := make([]float64, n)
	for i := range y {
		e := r.NormFloat64()
		if i >= from && r.Float64() < 0.05 {
			e += 4 * math.Pow(1+growth, float64(i-from)/float64(p))
		}
		y[i] = math.Max(100+20*math.Sin(2*math.Pi*float64(i)/float64(p))+e, 0)
	}
	return y
}

// When peak errors outgrow every score the calibration holds, the adapted
// level saturates at maxPeakLevel; reaching past the largest score the
// bound then covers more peaks than at the saturated level alone (gain 0)
// and than the static bound.
func TestPeakUpperReachesPastTheLargestScore(t *testing.T) {
	const p, lead = 48, 6
	var in, total [3]int // extended (the default), saturated only, static
	extended := 0
	for seed := range uint64(4) {
		y := growingBursts(60*p, p, 10*p, 0.4, seed)
		fs := peakForecasters(t, p, lead, 0, 0, -1)
		fs[1].a.aci.gain = 0
		replayPeaks(t, y, lead, 20*p, fs, in[:], total[:], func() {
			if fs[0].a.aci.extension() > 0 {
				extended++
			}
		})
	}
	cov := func(k int) float64 { return float64(in[k]) / float64(total[k]) }
	t.Logf("peak coverage at 0.9 with bursts growing 40%% a day: extended %.3f, saturated only %.3f, static %.3f; past the largest score on %d of %d bounds",
		cov(0), cov(1), cov(2), extended, total[0])
	assert.Greater(t, extended, total[0]/10)
	assert.Greater(t, cov(0), cov(1)+0.01)
	assert.Greater(t, cov(1), cov(2))
}

// A quiet stretch standardizes the jump back to load by an error scale
// near zero: without a cap that peak score is tens of thousands of scales
// (60,168 here), and once PeakUpper's adapted level saturates it draws the
// bound at the largest score, in the normal scale that follows: a fleet.
// The scores are capped at maxPeakScore.
func TestPeakScoresCapped(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	var y []float64
	for i := range 1000 {
		v := 100 + 10*rng.NormFloat64()
		if i >= 600 && i < 940 {
			v = 0.5 + 0.001*rng.NormFloat64()
		}
		y = append(y, v)
	}
	a, err := NewAuto(AutoConfig{Window: 1000, Horizon: 10, ReselectEvery: 5000, ResidualWindow: 30})
	require.NoError(t, err)
	feed(t, a, y, 0)
	require.NoError(t, a.Refit())
	var top float32
	for _, b := range a.a.peakBuckets {
		if len(b) > 0 {
			top = max(top, b[len(b)-1])
		}
	}
	assert.Equal(t, float32(maxPeakScore), top, "largest peak score")
	// The bound at the largest score, where a saturated adaptation draws it.
	peak, _ := a.peakMean(10)
	v := peak + a.a.peakQuantileUpTo(10, 1)*math.Sqrt(a.s2)
	assert.Less(t, v, 10*slices.Max(y[940:]), "%s: bound at the largest score", a.Name())
}

// The first fit of a seasonal model calibrates on few origins in one
// stretch: hourly data whose first two days (a weekend) are a third of the
// weekdays' level, fitted on those two days and rolled through the first
// weekday's ramp, scored peak errors of up to 14 error scales, and the
// bound of the next hour was four times the load that came, for the
// 63 hours until the next selection (on NASA's July 1995 trace at 1-hour
// steps; on this series, which has its shape, 5.4 times). The calibrated
// quantile is capped at maxZFactor times the normal quantile, as the
// intervals' are.
func TestPeakUpperYoungCalibrationCapped(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	start := time.Date(2026, 7, 4, 0, 0, 0, 0, time.UTC) // a Saturday
	var y []float64
	for i := range 24 * 9 {
		level := 3000.0
		if d := start.Add(time.Duration(i) * time.Hour).Weekday(); d == time.Saturday || d == time.Sunday {
			level = 1000
		}
		shape := 1 + 0.6*math.Sin(2*math.Pi*float64(i%24-9)/24)
		y = append(y, level*shape*(1+0.1*rng.NormFloat64()))
	}
	// Fifteen steps ahead, as on that trace before the default horizon
	// was bounded by 75 minutes.
	a, err := NewAuto(AutoConfig{Step: time.Hour, Periods: SeasonalPeriods(time.Hour), Horizon: 15})
	require.NoError(t, err)
	var n, covered int
	var ratio float64
	var model string
	for i, v := range y[:len(y)-1] {
		require.NoError(t, a.Observe(start.Add(time.Duration(i)*time.Hour), v))
		if !strings.HasPrefix(a.Selection().Model, "hw-") {
			continue
		}
		b, err := a.PeakUpper(1, 0.9)
		require.NoError(t, err)
		n++
		model = a.Selection().Model
		ratio += b / y[i+1]
		if b >= y[i+1] {
			covered++
		}
	}
	require.Greater(t, n, 24, "hours forecast by a Holt-Winters model")
	t.Logf("%d hours on Holt-Winters (last %s): bound / next value %.2f on average, %d covered", n, model, ratio/float64(n), covered)
	assert.Less(t, ratio/float64(n), 2.0, "bound / next value")
	assert.GreaterOrEqual(t, float64(covered)/float64(n), 0.85, "share of next values under the bound")

	// The cap is three normal quantiles at the lead's variance growth; a
	// level of one half or less has no upper side to cap.
	z := mathx.NormalQuantile(0.9) * math.Sqrt(a.varFactor(3))
	assert.InDelta(t, 3*z, a.capPeak(50, 3, 0.9), 1e-12)
	assert.Equal(t, 2.0, a.capPeak(2, 3, 0.9))
	assert.Equal(t, 50.0, a.capPeak(50, 3, 0.4))
}
