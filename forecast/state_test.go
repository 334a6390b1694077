package forecast

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// statefulForecaster is a Forecaster with state, to build afresh.
type statefulForecaster interface {
	Forecaster
	Refitter
	Stateful
}

// restartCases build forecasters of each family that keeps state.
var restartCases = map[string]func() (statefulForecaster, error){
	"auto": func() (statefulForecaster, error) {
		return NewAuto(AutoConfig{Periods: []int{24}, Horizon: 6, MaxOrigins: 60, Window: 240, ReselectEvery: 90})
	},
	"auto-two-periods": func() (statefulForecaster, error) {
		return NewAuto(AutoConfig{Periods: []int{12, 48}, Horizon: 6, MaxOrigins: 40, Window: 200, ReselectEvery: 70})
	},
	"auto-combined": func() (statefulForecaster, error) {
		return NewAuto(AutoConfig{Periods: []int{24}, Horizon: 6, MaxOrigins: 60, Window: 240, Select: SelectCombined})
	},
	"holt-winters": func() (statefulForecaster, error) {
		return NewHoltWinters(Config{Period: 24, Trend: TrendDamped, Window: 200, RefitEvery: 50})
	},
	"double-seasonal": func() (statefulForecaster, error) {
		return NewDoubleSeasonal(Config{Period: 12, Period2: 48, Seasonality: Multiplicative, Trend: TrendNone, RefitEvery: 60})
	},
	"ewma":   func() (statefulForecaster, error) { return NewEWMA(Config{RefitEvery: 30}) },
	"holt":   func() (statefulForecaster, error) { return NewHolt(Config{Trend: TrendDamped, RefitEvery: 30}) },
	"drift":  func() (statefulForecaster, error) { return NewDrift(Config{}) },
	"snaive": func() (statefulForecaster, error) { return NewSeasonalNaive(Config{Period: 24}) },
}

// forecasts observes y[from:to] and returns the forecast after each
// observation, refitting every 17 observations as a controller would.
func forecasts(t *testing.T, f statefulForecaster, y []float64, from, to int) []Forecast {
	t.Helper()
	var out []Forecast
	for i := from; i < to; i++ {
		require.NoError(t, f.Observe(t0.Add(time.Duration(i)*time.Minute), y[i]))
		if i%17 == 0 {
			require.NoError(t, f.Refit())
		}
		fc, err := f.Forecast(8, 0.8)
		require.NoError(t, err)
		out = append(out, fc)
	}
	return out
}

// stateAt builds a forecaster with mk, observes y[:k] (forecasting and
// refitting from the 100th value on, as forecasts does) and returns it
// and its state.
func stateAt(t *testing.T, mk func() (statefulForecaster, error), y []float64, k int) (statefulForecaster, []byte) {
	t.Helper()
	f, err := mk()
	require.NoError(t, err)
	feed(t, f, y[:100], 0)
	forecasts(t, f, y, 100, k)
	data, err := f.MarshalState()
	require.NoError(t, err)
	return f, data
}

// A forecaster restored from state and given its history window again
// forecasts exactly as the one that saved the state, through refits and
// reselections.
func TestStateRestoresForecasts(t *testing.T) {
	const n, k = 700, 400
	y := seasonal(n, 24, 100, 0.02, 30, 4, 7)
	for name, mk := range restartCases {
		t.Run(name, func(t *testing.T) {
			a, err := mk()
			require.NoError(t, err)
			feed(t, a, y[:100], 0)
			want := forecasts(t, a, y, 100, n)

			_, data := stateAt(t, mk, y, k)

			c, err := mk()
			require.NoError(t, err)
			require.NoError(t, c.UnmarshalState(data))
			// The whole series again: the part older than the window
			// is dropped, the rest refills it.
			feed(t, c, y[:k], 0)
			got := forecasts(t, c, y, k, n)
			require.Equal(t, want[k-100:], got)
			if ac, ok := c.(*Auto); ok {
				assert.Equal(t, a.(*Auto).Selection(), ac.Selection())
			}
			again, err := c.MarshalState()
			require.NoError(t, err)
			assert.NotEqual(t, data, again, "the state moved on")
		})
	}
}

// Without the history, a restored Auto whose state holds no window
// forecasts as before the restart at once and keeps its fit when asked to
// refit on the short window.
func TestStateWithoutHistory(t *testing.T) {
	y := seasonal(500, 24, 100, 0, 30, 4, 9)
	mk := func() (statefulForecaster, error) {
		return NewAuto(AutoConfig{Periods: []int{24}, Horizon: 6, MaxOrigins: 60, Window: 240, ReselectEvery: 90, StateWindow: -1})
	}
	a, err := mk()
	require.NoError(t, err)
	feed(t, a, y, 0)
	want, err := a.Forecast(8, 0.9)
	require.NoError(t, err)
	data, err := a.MarshalState()
	require.NoError(t, err)

	c, err := mk()
	require.NoError(t, err)
	require.NoError(t, c.UnmarshalState(data))
	got, err := c.Forecast(8, 0.9)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	require.NoError(t, c.Observe(t0.Add(500*time.Minute), y[499]))
	require.NoError(t, c.Refit())
	fc, err := c.Forecast(8, 0.9)
	require.NoError(t, err)
	assert.Equal(t, a.(*Auto).Selection().Model, c.(*Auto).Selection().Model, "the restored fit is kept")
	assert.Equal(t, want.Model, fc.Model)
	assert.Equal(t, t0.Add(501*time.Minute), fc.Start)
}

// A state saved while the window is at most StateWindow values long holds
// it: restored without the history, a forecaster forecasts, refits and
// reselects exactly as the one that saved it, and the history observed
// again changes nothing. A longer window is not saved.
func TestStateHoldsAYoungWindow(t *testing.T) {
	const n, k = 700, 300
	y := seasonal(n, 24, 100, 0.02, 30, 4, 11)
	for name, mk := range restartCases {
		t.Run(name, func(t *testing.T) {
			a, data := stateAt(t, mk, y, k)
			var doc modelDoc
			require.NoError(t, json.Unmarshal(data, &doc))
			if defaultStateWindow < 0 {
				require.Empty(t, doc.Window, "StateWindow negative: no window")
				return
			}
			w := a.(interface{ Len() int }).Len()
			require.Len(t, doc.Window, w, "the window is held")
			want := forecasts(t, a, y, k, n)

			for _, again := range []bool{false, true} {
				c, err := mk()
				require.NoError(t, err)
				require.NoError(t, c.UnmarshalState(data))
				if again {
					feed(t, c, y[:k], 0)
				}
				require.Equal(t, want, forecasts(t, c, y, k, n), "history observed again: %t", again)
				if ac, ok := c.(*Auto); ok {
					assert.Equal(t, a.(*Auto).Selection(), ac.Selection())
				}
			}
		})
	}

	// Over StateWindow values: not held.
	a, err := NewAuto(AutoConfig{Periods: []int{24}, Window: 240, StateWindow: 100})
	require.NoError(t, err)
	feed(t, a, y[:99], 0)
	data, err := a.MarshalState()
	require.NoError(t, err)
	var doc modelDoc
	require.NoError(t, json.Unmarshal(data, &doc))
	require.Len(t, doc.Window, 99)
	feed(t, a, y[99:101], 99)
	data, err = a.MarshalState()
	require.NoError(t, err)
	doc = modelDoc{}
	require.NoError(t, json.Unmarshal(data, &doc))
	require.Empty(t, doc.Window)
}

func TestBadStateRejected(t *testing.T) {
	y := seasonal(400, 24, 100, 0, 30, 4, 3)
	a, err := restartCases["auto"]()
	require.NoError(t, err)
	feed(t, a, y, 0)
	good, err := a.MarshalState()
	require.NoError(t, err)
	other, err := NewAuto(AutoConfig{Periods: []int{12}, Horizon: 6, MaxOrigins: 60, Window: 240, ReselectEvery: 90})
	require.NoError(t, err)
	cases := map[string]struct {
		into statefulForecaster
		data []byte
		want string
	}{
		"empty":            {nil, nil, "unexpected end of JSON input"},
		"truncated":        {nil, good[:len(good)-30], "unexpected end"},
		"other version":    {nil, bytes.Replace(good, []byte(`"version":1`), []byte(`"version":3`), 1), "version 3"},
		"other periods":    {other, good, "saved by"},
		"negative slot":    {nil, bytes.Replace(good, []byte(`"slot":`), []byte(`"slot":-`), 1), "slot -"},
		"bad chosen index": {nil, bytes.Replace(good, []byte(`"chosen":[`), []byte(`"chosen":[99`), 1), "chosen"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := tc.into
			if c == nil {
				c, err = restartCases["auto"]()
				require.NoError(t, err)
			}
			err := c.UnmarshalState(tc.data)
			require.ErrorIs(t, err, ErrBadState)
			assert.Contains(t, err.Error(), tc.want)
			_, err = c.Forecast(4, 0.9)
			assert.ErrorIs(t, err, ErrInsufficientHistory, "nothing was restored")
		})
	}
}

// FuzzUnmarshalState: no state, however mangled, makes UnmarshalState or
// the forecaster after it panic.
func FuzzUnmarshalState(f *testing.F) {
	y := seasonal(300, 24, 100, 0, 30, 4, 5)
	for _, name := range []string{"auto", "holt-winters", "double-seasonal"} {
		a, err := restartCases[name]()
		require.NoError(f, err)
		feed(f, a, y, 0)
		data, err := a.MarshalState()
		require.NoError(f, err)
		f.Add(name, data)
	}
	// With a run of zeros held back.
	a, err := restartCases["auto"]()
	require.NoError(f, err)
	feed(f, a, y[:280], 0)
	feed(f, a, make([]float64, 5), 280)
	data, err := a.MarshalState()
	require.NoError(f, err)
	f.Add("auto", data)
	// With zero phases marked (a load idle 16 steps of every 24).
	a, err = restartCases["auto"]()
	require.NoError(f, err)
	feed(f, a, onOff(300, 24, 16, 40), 0)
	data, err = a.MarshalState()
	require.NoError(f, err)
	require.Contains(f, string(data), `"zero_phases"`)
	f.Add("auto", data)
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		mk, ok := restartCases[name]
		if !ok {
			return
		}
		c, err := mk()
		require.NoError(t, err)
		if err := c.UnmarshalState(data); err != nil {
			require.ErrorIs(t, err, ErrBadState)
			return
		}
		for i := 280; i < 300; i++ {
			_ = c.Observe(t0.Add(time.Duration(i)*time.Minute), y[i])
		}
		_ = c.Refit()
		_, _ = c.Forecast(8, 0.9)
		_, _ = c.MarshalState()
	})
}

// The hand-written encoding of a Model's state is byte for byte what
// encoding/json makes of it, for every family, fresh, warming up, fitted
// and restored, and for strings that need escaping.
func TestStateJSONMatchesEncodingJSON(t *testing.T) {
	y := seasonal(400, 24, 100, 0, 30, 4, 9)
	check := func(t *testing.T, f statefulForecaster, what string) {
		t.Helper()
		doc, err := modelOf(f).stateDoc()
		require.NoError(t, err)
		want, err := json.Marshal(doc)
		require.NoError(t, err)
		got, err := doc.appendJSON(nil)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), what)
		require.LessOrEqual(t, len(got), doc.size(), "%s: one allocation", what)
		data, err := f.MarshalState()
		require.NoError(t, err)
		require.Equal(t, string(want), string(data), what)
	}
	for name, mk := range restartCases {
		t.Run(name, func(t *testing.T) {
			f, err := mk()
			require.NoError(t, err)
			check(t, f, "fresh")
			for i, v := range y {
				require.NoError(t, f.Observe(t0.Add(time.Duration(i)*time.Minute), v))
				if i%37 == 0 || i < 5 {
					check(t, f, fmt.Sprintf("after %d", i))
				}
			}
			data, err := f.MarshalState()
			require.NoError(t, err)
			g, err := mk()
			require.NoError(t, err)
			require.NoError(t, g.UnmarshalState(data))
			check(t, g, "restored")
		})
	}
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "<tag>&amp;", "tab\there", "é ünïcode", "\x00\x1f", "\u2028"} {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(appendJSONString(nil, s)), "%q", s)
	}
	long := make(floats, 1000)
	long32 := make(floats32, 1000)
	for i := range long {
		long[i], long32[i] = float64(i)*1.1, float32(i)*1.1
	}
	for _, n := range []int{0, 1, 2, 3, 95, 96, 97, 191, 192, 193, 1000} {
		want, err := json.Marshal(long[:n])
		require.NoError(t, err)
		assert.Equal(t, string(want), string(long[:n].appendJSON(nil)), "%d floats", n)
		want, err = json.Marshal(long32[:n])
		require.NoError(t, err)
		assert.Equal(t, string(want), string(long32[:n].appendJSON(nil)), "%d floats32", n)
		raw, raw32 := make([]byte, 8*n), make([]byte, 4*n)
		for i := range n {
			binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(long[i]))
			binary.LittleEndian.PutUint32(raw32[4*i:], math.Float32bits(long32[i]))
		}
		text, _ := long[:n].MarshalText()
		assert.Equal(t, base64.StdEncoding.EncodeToString(raw), string(text), "%d floats", n)
		text, _ = long32[:n].MarshalText()
		assert.Equal(t, base64.StdEncoding.EncodeToString(raw32), string(text), "%d floats32", n)
		var back floats
		var back32 floats32
		require.NoError(t, back.UnmarshalText([]byte(base64.StdEncoding.EncodeToString(raw))))
		require.NoError(t, back32.UnmarshalText([]byte(base64.StdEncoding.EncodeToString(raw32))))
		assert.Equal(t, []float64(long[:n]), []float64(back), "%d floats", n)
		assert.Equal(t, []float32(long32[:n]), []float32(back32), "%d floats32", n)
	}
	assert.Equal(t, "null", string(appendJSONArray(nil, []int(nil), appendJSONInt)))
	assert.Equal(t, "null", string(appendJSONArray(nil, []string(nil), appendJSONStringAt)))
	assert.Equal(t, "null", string(appendJSONArray(nil, []floats32(nil), (*floats32).appendJSON)))
}

// modelOf is the Model behind a stateful forecaster.
func modelOf(f statefulForecaster) *Model {
	if a, ok := f.(*Auto); ok {
		return a.Model
	}
	return f.(*Model)
}

// A state saved by an Auto with fewer candidates (a release before the
// last ones were added) restores: the saved choice forecasts as before,
// and the added candidates join at the next selection. A state listing a
// candidate this Auto lacks, or listing them in another order, is refused.
func TestStateFromFewerCandidates(t *testing.T) {
	const n, k = 700, 400
	y := seasonal(n, 24, 100, 0.02, 30, 4, 7)
	for _, name := range []string{"auto", "auto-two-periods", "auto-combined"} {
		t.Run(name, func(t *testing.T) {
			older := func() *Auto {
				f, err := restartCases[name]()
				require.NoError(t, err)
				a := f.(*Auto)
				a.a.cands = a.a.cands[:len(a.a.cands)-1]
				a.a.chosen = a.a.cands[0]
				return a
			}
			want := older()
			feed(t, want, y[:100], 0)
			forecasts(t, want, y, 100, k)
			data, err := want.MarshalState()
			require.NoError(t, err)
			wantSel := want.Selection()
			// No refit before k+8 (forecasts refits every 17th).
			wantFc := forecasts(t, want, y, k, k+8)

			f, err := restartCases[name]()
			require.NoError(t, err)
			c := f.(*Auto)
			require.NoError(t, c.UnmarshalState(data))
			added := c.a.cands[len(c.a.cands)-1].name()
			require.Equal(t, wantSel, c.Selection())
			last := c.a.cands[len(c.a.cands)-1].(stater)
			assert.False(t, last.save(false).Fitted, "%s restored unfitted", added)
			feed(t, c, y[:k], 0)
			got := forecasts(t, c, y, k, k+8)
			require.Equal(t, wantFc, got, "the saved choice forecasts as before the restart")
			forecasts(t, c, y, k+8, n)
			assert.True(t, last.save(false).Fitted, "%s fitted by the next selection", added)

			// The other way round: a state with a candidate this Auto
			// lacks is refused, naming the configuration.
			full, err := c.MarshalState()
			require.NoError(t, err)
			err = older().UnmarshalState(full)
			require.ErrorIs(t, err, ErrBadState)
			assert.Contains(t, err.Error(), "saved by")

			// Candidates saved in another order are refused too.
			swapped := older()
			cs := swapped.a.cands
			cs[1], cs[2] = cs[2], cs[1]
			err = c.UnmarshalState(func() []byte {
				feed(t, swapped, y[:50], 0)
				d, err := swapped.MarshalState()
				require.NoError(t, err)
				return d
			}())
			require.ErrorIs(t, err, ErrBadState)
		})
	}
}

// A gap filled before the first fit (by interpolation) is kept in the
// state like one filled after it: a restore that takes the window back
// from a history source that knows the missing value puts the fill there,
// as the saved model had it, and the two refit and forecast alike.
func TestStateKeepsFillsBeforeTheFirstFit(t *testing.T) {
	mk := func() *Model {
		m, err := NewHoltWinters(Config{Period: 24, Trend: TrendNone, RefitEvery: 30})
		require.NoError(t, err)
		return m
	}
	y := seasonal(100, 24, 100, 0, 30, 4, 8)
	a := mk()
	for i, v := range y {
		if i == 5 {
			continue // a missed sample, long before the first fit
		}
		require.NoError(t, a.Observe(t0.Add(time.Duration(i)*time.Minute), v))
	}
	require.True(t, a.Fitted())
	data, err := a.MarshalState()
	require.NoError(t, err)
	b := mk()
	require.NoError(t, b.UnmarshalState(data))
	feed(t, b, y, 0) // the history source has the value at slot 5
	for i := 100; i < 140; i++ {
		v := 100 + 30*math.Sin(2*math.Pi*float64(i)/24)
		at := t0.Add(time.Duration(i) * time.Minute)
		require.NoError(t, a.Observe(at, v))
		require.NoError(t, b.Observe(at, v))
	}
	want, err := a.Forecast(24, 0.9)
	require.NoError(t, err)
	got, err := b.Forecast(24, 0.9)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}
