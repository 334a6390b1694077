package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The default ResidualWindow spans two hours of steps, at least 24.
func TestResidualWindowDefaultFollowsStep(t *testing.T) {
	for _, c := range []struct {
		step time.Duration
		want int
	}{
		{0, 120}, // the default step, a minute
		{time.Minute, 120},
		{5 * time.Minute, 24},
		{15 * time.Second, 480},
		{10 * time.Second, 720},
		{90 * time.Second, 80},
		{7 * time.Minute, 24}, // 18 steps: the floor
		{time.Hour, 24},
	} {
		got, err := Config{Step: c.step}.validate(kindEWMA)
		require.NoError(t, err)
		assert.Equal(t, c.want, got.ResidualWindow, "step %s", c.step)
	}
	got, err := Config{Step: 5 * time.Minute, ResidualWindow: 7}.validate(kindEWMA)
	require.NoError(t, err)
	assert.Equal(t, 7, got.ResidualWindow, "a ResidualWindow given is kept")
}

// surgeThenCalm is a level of 100 with noise of 2, a surge of ±60 for an
// hour of 5-minute steps after 600 steps, and calm again for six hours.
func surgeThenCalm() []float64 {
	r := rand.New(rand.NewPCG(3, 1))
	y := make([]float64, 0, 684)
	for i := range 684 {
		v := 100 + 2*r.NormFloat64()
		if i >= 600 && i < 612 {
			v += 60 * float64(1-2*(i%2))
		}
		y = append(y, v)
	}
	return y
}

// halfWidth feeds y at 5-minute steps to an EWMA with the residual window
// rw (0: the default) and returns the 90% interval's half-width one step
// ahead after the first calm steps and after the whole series.
func halfWidth(t *testing.T, y []float64, rw int) (before, after float64) {
	t.Helper()
	f, err := NewEWMA(Config{Step: 5 * time.Minute, ResidualWindow: rw})
	require.NoError(t, err)
	width := func() float64 {
		fc, err := f.Forecast(1, 0.9)
		require.NoError(t, err)
		return (fc.Upper[0] - fc.Lower[0]) / 2
	}
	for i, v := range y {
		require.NoError(t, f.Observe(t0.Add(time.Duration(i)*5*time.Minute), v))
		if i == 599 {
			before = width()
		}
	}
	return before, width()
}

// At 5-minute steps the error scale forgets an hour's surge within hours,
// not a day: six hours after it the interval is back within twice its
// calm width (with the former default of 120 steps, ten hours, it is still
// more than four times as wide and the headroom of the night carries the
// surge of the evening).
func TestErrorScaleForgetsASurgeInHours(t *testing.T) {
	y := surgeThenCalm()
	before, after := halfWidth(t, y, 0)
	require.Greater(t, before, 0.0)
	assert.Less(t, after, 2*before, "six hours after the surge: %.2f, calm %.2f", after, before)

	before120, after120 := halfWidth(t, y, 120)
	assert.Greater(t, after120, 4*before120, "with ten hours of memory: %.2f, calm %.2f", after120, before120)
	assert.False(t, math.IsNaN(after) || math.IsNaN(after120))
}

// A state saved with another ResidualWindow (the default before it
// followed the step) restores: the error scale is taken as saved, and the
// first forecast after the restart is the saver's.
func TestStateAcrossResidualWindows(t *testing.T) {
	y := surgeThenCalm()[:500]
	mk := func(rw int) *Model {
		f, err := NewHoltWinters(Config{Step: 5 * time.Minute, Period: 24, ResidualWindow: rw, RefitEvery: 288})
		require.NoError(t, err)
		return f
	}
	observe := func(f *Model, ys []float64, from int) {
		for i, v := range ys {
			require.NoError(t, f.Observe(t0.Add(time.Duration(from+i)*5*time.Minute), v))
		}
	}
	old := mk(120)
	observe(old, y, 0)
	data, err := old.MarshalState()
	require.NoError(t, err)
	want, err := old.Forecast(6, 0.9)
	require.NoError(t, err)

	now := mk(0)
	require.NoError(t, now.UnmarshalState(data))
	observe(now, y, 0)
	got, err := now.Forecast(6, 0.9)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	// Any other difference is still refused.
	other, err := NewHoltWinters(Config{Step: 5 * time.Minute, Period: 12, ResidualWindow: 120, RefitEvery: 288})
	require.NoError(t, err)
	require.ErrorIs(t, other.UnmarshalState(data), ErrBadState)
}

func TestWithResiduals(t *testing.T) {
	assert.Equal(t, "x step=1m0s residuals=24 fixed=-", withResiduals("x step=1m0s residuals=120 fixed=-", 24))
	assert.Equal(t, "no window here", withResiduals("no window here", 24))
	assert.Equal(t, "a residuals=7", withResiduals("a residuals=", 7))
}
