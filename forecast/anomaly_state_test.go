package forecast

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestBrutlag(t testing.TB) *Brutlag {
	t.Helper()
	hw, err := NewHoltWinters(Config{Period: 24, Trend: TrendNone, Window: 200, RefitEvery: 50})
	require.NoError(t, err)
	b, err := NewBrutlag(hw, BrutlagConfig{Period: 24, Window: 3, Threshold: 2})
	require.NoError(t, err)
	return b
}

// spiky is a seasonal series with bursts that raise alarms.
func spiky() []float64 {
	y := seasonal(24*14, 24, 100, 0, 30, 1, 6)
	for _, i := range []int{24*9 + 3, 24*9 + 4, 24*11 + 10, 24*11 + 11, 24*13 + 1, 24*13 + 2} {
		y[i] += 200
	}
	return y
}

// A detector restored from its state and given its history again judges
// every later observation exactly as the one that saved it: the same
// verdicts, alarms included. The history comes back 20 seconds off the
// steps it was judged at, as a range query from a restarted process's
// pass returns it: it is still history.
func TestBrutlagRestartEquivalence(t *testing.T) {
	y := spiky()
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	a := newTestBrutlag(t)
	var want []Anomaly
	for i, v := range y {
		got, err := a.Detect(at(i), v)
		require.NoError(t, err)
		want = append(want, got)
	}
	alarms := 0
	for _, w := range want[24*9:] {
		if w.Alarm {
			alarms++
		}
	}
	require.Positive(t, alarms, "the series raises alarms after the restart point")

	for _, k := range []int{24*9 - 1, 24*9 + 3, 24*11 + 10} {
		b := newTestBrutlag(t)
		for i := range k {
			_, err := b.Detect(at(i), y[i])
			require.NoError(t, err)
		}
		data, err := b.MarshalState()
		require.NoError(t, err)
		c := newTestBrutlag(t)
		require.NoError(t, c.UnmarshalState(data))
		assert.Equal(t, b.Last(), c.Last())
		for i := range k { // the history again, read in another phase: not judged
			got, err := c.Detect(at(i).Add(20*time.Second), y[i])
			require.NoError(t, err, "refill %d", i)
			assert.False(t, got.Outside || got.Alarm)
		}
		for i := k; i < len(y); i++ {
			got, err := c.Detect(at(i), y[i])
			require.NoError(t, err)
			require.Equal(t, want[i], got, "restart at %d, observation %d", k, i)
		}
	}
}

// A state that does not fit is refused with ErrBadState and changes
// nothing, in the detector or its forecaster.
func TestBrutlagBadState(t *testing.T) {
	y := spiky()
	b := newTestBrutlag(t)
	for i, v := range y[:24*8] {
		_, err := b.Detect(t0.Add(time.Duration(i)*time.Minute), v)
		require.NoError(t, err)
	}
	data, err := b.MarshalState()
	require.NoError(t, err)
	hw, err := NewHoltWinters(Config{Period: 24, Trend: TrendNone, Window: 200, RefitEvery: 50})
	require.NoError(t, err)
	other, err := NewBrutlag(hw, BrutlagConfig{Period: 24, Window: 4, Threshold: 2})
	require.NoError(t, err)
	naive, err := NewNaive(Config{})
	require.NoError(t, err)
	plain, err := NewBrutlag(plainForecaster{naive}, BrutlagConfig{Period: 24, Window: 3, Threshold: 2})
	require.NoError(t, err)
	cases := []struct {
		name string
		det  *Brutlag
		data []byte
		want string
	}{
		{"garbage", newTestBrutlag(t), []byte("{"), "unexpected end"},
		{"other version", newTestBrutlag(t), bytes.Replace(data, []byte(`"version":1`), []byte(`"version":7`), 1), "version 7"},
		{"other window", other, data, "saved by"},
		{"forecaster keeps no state", plain, data, "forecaster state present true"},
		{"bad flags", newTestBrutlag(t), bytes.Replace(data, []byte(`"hits":"`), []byte(`"hits":"2`), 1), "hits"},
		{"bad forecaster state", newTestBrutlag(t), bytes.Replace(data, []byte(`"forecaster":{"version":1`), []byte(`"forecaster":{"version":3`), 1), "Brutlag's forecaster"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := *tc.det
			err := tc.det.UnmarshalState(tc.data)
			require.ErrorIs(t, err, ErrBadState)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, before.dev, tc.det.dev)
			assert.False(t, tc.det.start, "nothing was restored")
			_, err = tc.det.Forecast(2, 0.9)
			assert.ErrorIs(t, err, ErrInsufficientHistory, "nor in the forecaster")
		})
	}
}

// plainForecaster hides a forecaster's optional capabilities.
type plainForecaster struct{ Forecaster }

// A detector over a forecaster without state saves its own: the restored
// deviations and alarm window survive and the forecaster learns again
// from the history observed again.
func TestBrutlagStateWithoutForecasterState(t *testing.T) {
	mk := func() *Brutlag {
		n, err := NewSeasonalNaive(Config{Period: 24})
		require.NoError(t, err)
		b, err := NewBrutlag(plainForecaster{n}, BrutlagConfig{Period: 24})
		require.NoError(t, err)
		return b
	}
	y := spiky()
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	a, b := mk(), mk()
	const k = 24 * 9
	for i := range k {
		_, err := a.Detect(at(i), y[i])
		require.NoError(t, err)
	}
	data, err := a.MarshalState()
	require.NoError(t, err)
	assert.NotContains(t, string(data), `"forecaster"`)
	require.NoError(t, b.UnmarshalState(data))
	for i := range k {
		_, err := b.Detect(at(i), y[i])
		require.NoError(t, err)
	}
	for i := k; i < len(y); i++ {
		wa, err := a.Detect(at(i), y[i])
		require.NoError(t, err)
		wb, err := b.Detect(at(i), y[i])
		require.NoError(t, err)
		require.Equal(t, wa, wb, "observation %d", i)
	}
}

// FuzzBrutlagUnmarshalState: no state, however mangled, makes the
// detector panic, and a refused one changes nothing.
func FuzzBrutlagUnmarshalState(f *testing.F) {
	y := spiky()
	for _, k := range []int{0, 30, 24*9 + 4} {
		b := newTestBrutlag(f)
		for i := range k {
			_, err := b.Detect(t0.Add(time.Duration(i)*time.Minute), y[i])
			require.NoError(f, err)
		}
		data, err := b.MarshalState()
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte(`{"version":1,"deviations":"","seen":"","hits":"000"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := newTestBrutlag(t)
		if err := b.UnmarshalState(data); err != nil {
			require.ErrorIs(t, err, ErrBadState)
			assert.False(t, b.start)
			return
		}
		for i := 24 * 9; i < 24*10; i++ {
			_, _ = b.Detect(t0.Add(time.Duration(i)*time.Minute), y[i])
		}
		_, _ = b.MarshalState()
	})
}

// A value the wrapped forecaster refuses (here: a time not after its last)
// leaves the detector as it was: its deviations, grid and alarm window.
func TestBrutlagRefusedValueLeavesNoTrace(t *testing.T) {
	y := spiky()
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	for _, n := range []int{1, 30, 24 * 10} { // before the grid starts, warming up, warm
		b := newTestBrutlag(t)
		for i, v := range y[:n] {
			_, err := b.Detect(at(i), v)
			require.NoError(t, err)
		}
		before, err := b.MarshalState()
		require.NoError(t, err)
		_, err = b.Detect(at(n-1), 1e6)
		require.Error(t, err, "n=%d", n)
		after, err := b.MarshalState()
		require.NoError(t, err)
		assert.Equal(t, string(before), string(after), "n=%d", n)
	}
}

// Whatever state a detector saves after hostile values (values near
// MaxFloat64, runs of zeros, gaps, a clock jump), a fresh detector reads
// back and judges the next observations as the original does.
func TestBrutlagStateRoundTripsOddInput(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		r := rand.New(rand.NewPCG(seed, 3))
		a := newTestBrutlag(t)
		at := t0
		for i := range 600 {
			v := 100 + 50*math.Sin(2*math.Pi*float64(i)/24) + 5*r.NormFloat64()
			switch k := r.IntN(40); {
			case k == 0:
				v = math.MaxFloat64 / float64(1+r.IntN(4))
			case k < 3:
				v = 0
			case k == 3:
				at = at.Add(time.Duration(r.IntN(30)) * time.Minute)
			}
			if i == 400 {
				at = at.AddDate(0, 1, 0)
			}
			at = at.Add(time.Minute)
			_, err := a.Detect(at, max(v, 0))
			require.NoError(t, err, "seed %d index %d", seed, i)
			if i%50 != 49 {
				continue
			}
			data, err := a.MarshalState()
			require.NoError(t, err)
			b := newTestBrutlag(t)
			require.NoError(t, b.UnmarshalState(data), "seed %d index %d: the detector refuses the state it saved:\n%s", seed, i, data)
			require.Equal(t, a.Last(), b.Last())
		}
	}
}
