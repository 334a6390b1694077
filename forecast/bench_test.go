package forecast

import (
	"fmt"
	"testing"
	"time"
)

// Benchmarks. BenchmarkSSEPass, one objective evaluation of the Holt-Winters
// fit on 10,080 points, is the baseline the fit benchmarks are read against
// (a fit costs about as many passes as Nelder–Mead evaluations).

func weekOfMinutes() []float64 { return seasonal(10080, 1440, 300, 0, 120, 25, 42) }

func BenchmarkObserve(b *testing.B) {
	m, err := NewHoltWinters(Config{Period: 1440})
	if err != nil {
		b.Fatal(err)
	}
	y := weekOfMinutes()
	feed(b, m, y[:4*1440], 0)
	i := 4 * 1440
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = m.Observe(t0.Add(time.Duration(i)*time.Minute), y[i%len(y)])
		i++
	}
}

func BenchmarkForecast15(b *testing.B) {
	m, err := NewHoltWinters(Config{Period: 1440})
	if err != nil {
		b.Fatal(err)
	}
	feed(b, m, weekOfMinutes()[:3*1440], 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Forecast(15, 0.95); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSSEPass(b *testing.B) {
	y := weekOfMinutes()
	h := &hw{m: 1440, trend: TrendAdditive, phi: 1, s0: make([]float64, 1440), work: make([]float64, 1440)}
	h.initial(y, h.s0)
	for b.Loop() {
		h.sse(y, 0.3, 0.01, 0.1, 1)
	}
}

// BenchmarkFitHoltWinters is a full cold fit with parameter optimization on one
// week of 1-minute data (10,080 points, period 1440).
func BenchmarkFitHoltWinters(b *testing.B) {
	m, err := NewHoltWinters(Config{Period: 1440, Window: 10080})
	if err != nil {
		b.Fatal(err)
	}
	feed(b, m, weekOfMinutes(), 0)
	for b.Loop() {
		m.m.(*hw).fitted = false // a cold fit: six starts, two searches
		if err := m.Refit(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFitDoubleSeasonal fits double-seasonal Holt-Winters on four weeks
// of 5-minute data (8,064 points, periods 288 and 2016).
func BenchmarkFitDoubleSeasonal(b *testing.B) {
	y := seasonal(8064, 288, 300, 0, 100, 20, 43)
	w := seasonal(8064, 2016, 0, 0, 60, 0, 1)
	for i := range y {
		y[i] += w[i]
	}
	m, err := NewDoubleSeasonal(Config{Period: 288, Period2: 2016, Window: 8064, Trend: TrendNone})
	if err != nil {
		b.Fatal(err)
	}
	feed(b, m, y, 0)
	for b.Loop() {
		m.m.(*dshw).fitted = false
		if err := m.Refit(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAutoReplay replays 45,000 one-minute steps through Auto as the
// Controller does: Observe and Forecast(15, 0.95) each step, a refit every
// 1440 or 300 steps.
func BenchmarkAutoReplay(b *testing.B) {
	y := seasonal(45000, 1440, 300, 0, 120, 25, 44)
	for _, every := range []int{1440, 300} {
		b.Run(fmt.Sprintf("refit=%d", every), func(b *testing.B) {
			for b.Loop() {
				a, err := NewAuto(AutoConfig{Periods: []int{1440}, RefitEvery: every})
				if err != nil {
					b.Fatal(err)
				}
				for i, v := range y {
					if err := a.Observe(t0.Add(time.Duration(i)*time.Minute), v); err != nil {
						b.Fatal(err)
					}
					if a.Fitted() {
						if _, err := a.Forecast(15, 0.95); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
		})
	}
}
