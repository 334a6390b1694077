package forecast

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"testing"
	"time"
)

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("timestamp,value\n2026-01-01T00:00:00Z,1\n1767225660,2.5\n"))
	f.Add([]byte("value\n1\n\n2\n"))
	f.Add([]byte("value\n\"1\nNaN\n"))
	f.Add([]byte("a,b\n1e308,1e309\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := ReadCSV(bytes.NewReader(in))
		if err != nil {
			return
		}
		for i, v := range s.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				t.Fatalf("value %d is %v", i, v)
			}
		}
		if s.Times != nil && len(s.Times) != len(s.Values) {
			t.Fatalf("%d times for %d values", len(s.Times), len(s.Values))
		}
		for i := 1; i < len(s.Times); i++ {
			if !s.Times[i].After(s.Times[i-1]) {
				t.Fatalf("times not increasing at %d", i)
			}
		}
	})
}

// FuzzFit feeds arbitrary values (and gaps, and runs of zeros) to every
// model and checks that forecasts are finite, ordered and non-negative.
func FuzzFit(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, uint8(4), uint8(3))
	f.Add(bytes.Repeat([]byte{0}, 64), uint8(2), uint8(5))
	f.Add(bytes.Repeat([]byte{255, 0, 0, 0, 0, 0, 0, 0x7f}, 40), uint8(3), uint8(7))
	// A seasonal pattern, a run of zeros, the pattern again.
	runs := bytes.Repeat([]byte{100, 0, 140, 0, 180, 0, 140, 0}, 24)
	runs = append(runs, make([]byte, 40)...)
	runs = append(runs, bytes.Repeat([]byte{100, 0, 140, 0, 180, 0, 140, 0}, 4)...)
	f.Add(runs, uint8(2), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, period, gapEvery uint8) {
		p := int(period%12) + 2
		var y []float64
		for len(data) >= 2 {
			var v float64
			if len(data) >= 8 && data[0]&1 == 1 {
				v = math.Abs(math.Float64frombits(binary.LittleEndian.Uint64(data)))
				data = data[8:]
			} else {
				v = float64(binary.LittleEndian.Uint16(data))
				data = data[2:]
			}
			y = append(y, v)
		}
		makers := []func() (Forecaster, error){
			func() (Forecaster, error) { return NewHoltWinters(Config{Period: p}) },
			func() (Forecaster, error) {
				return NewHoltWinters(Config{Period: p, Seasonality: Multiplicative, Trend: TrendDamped})
			},
			func() (Forecaster, error) { return NewDoubleSeasonal(Config{Period: p, Period2: 2 * p}) },
			func() (Forecaster, error) { return NewEWMA(Config{}) },
			func() (Forecaster, error) { return NewHolt(Config{Trend: TrendDamped}) },
			func() (Forecaster, error) { return NewAuto(AutoConfig{Periods: []int{p}, Horizon: 3}) },
			func() (Forecaster, error) {
				return NewAuto(AutoConfig{Periods: []int{p}, Horizon: 3, Select: SelectAICc})
			},
			func() (Forecaster, error) {
				return NewAuto(AutoConfig{Periods: []int{p}, Horizon: 3, Select: SelectCombined})
			},
			func() (Forecaster, error) {
				return NewAuto(AutoConfig{Periods: []int{p}, Horizon: 3, ZeroRun: 5})
			},
			// Early refits within the few values a fuzz input holds.
			func() (Forecaster, error) {
				return NewAuto(AutoConfig{Periods: []int{p}, Horizon: 3, Select: SelectAICc, BiasWindow: 3})
			},
		}
		for _, mk := range makers {
			m, err := mk()
			if err != nil {
				t.Fatal(err)
			}
			slot := 0
			for i, v := range y {
				if gapEvery > 0 && i%int(gapEvery%16+1) == 0 {
					slot += 2
				} else {
					slot++
				}
				err := m.Observe(t0.Add(time.Duration(slot)*time.Minute), v)
				if err != nil && (checkValue(v) == nil) && !isFitErr(err) {
					t.Fatalf("observe %v: %v", v, err)
				}
			}
			restored := roundTrip(t, m, mk)
			fc, err := m.Forecast(2*p, 0.95)
			if err != nil {
				continue
			}
			if restored != nil {
				again, err := restored.Forecast(2*p, 0.95)
				if err != nil {
					t.Fatalf("restored: %v", err)
				}
				if !reflect.DeepEqual(fc, again) {
					t.Fatalf("restored forecast %v, want %v", again, fc)
				}
			}
			if a, ok := m.(*Auto); ok {
				u, err := a.PeakUpper(p, 0.9)
				if err != nil || math.IsNaN(u) || u < 0 {
					t.Fatalf("PeakUpper: %v, %v", u, err)
				}
			}
			for i := range fc.Mean {
				for _, x := range []float64{fc.Mean[i], fc.Lower[i], fc.Upper[i]} {
					if math.IsNaN(x) || math.IsInf(x, 0) && !math.IsInf(fc.Mean[i], 0) || x < 0 {
						t.Fatalf("step %d: mean %v lower %v upper %v", i, fc.Mean[i], fc.Lower[i], fc.Upper[i])
					}
				}
				if fc.Lower[i] > fc.Mean[i] || fc.Upper[i] < fc.Mean[i] {
					t.Fatalf("step %d: unordered %v %v %v", i, fc.Lower[i], fc.Mean[i], fc.Upper[i])
				}
			}
		}
	})
}

// roundTrip saves m's state and restores it into a new forecaster from mk:
// whatever state a forecaster saves, the same build must read back. It
// returns the restored forecaster, nil if m keeps no state.
func roundTrip(t *testing.T, m Forecaster, mk func() (Forecaster, error)) Forecaster {
	t.Helper()
	st, ok := m.(Stateful)
	if !ok {
		return nil
	}
	data, err := st.MarshalState()
	if err != nil {
		t.Fatalf("%T MarshalState: %v", m, err)
	}
	c, err := mk()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.(Stateful).UnmarshalState(data); err != nil {
		t.Fatalf("%T refuses the state it saved: %v\n%s", m, err, data)
	}
	return c
}

// isFitErr reports errors a fit may legitimately return (multiplicative
// models on zeros).
func isFitErr(err error) bool {
	return err != nil && bytes.Contains([]byte(err.Error()), []byte("positive values"))
}
