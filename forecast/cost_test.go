package forecast

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the user and system CPU time of the process so far: on a
// shared machine, the wall time of a benchmark also counts other work.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAutoDailyWeekly measures the cost of one service in the
// Controller for 1-minute data with daily and weekly periods and a week of
// history: five weeks are replayed through Auto (Periods 1440 and 10080,
// Window 10080, a refit every 1440 steps as the Controller's default), each
// step an Observe and a 15-step Forecast. It reports the amortized time per
// pass, refits and selections included, over the first week (warmup-ns/pass
// and warmup-cpu-ns/pass:
// the history fills and the selection runs each time a candidate becomes
// eligible) and over the next four (ns/pass and, in CPU time of the whole
// process, cpu-ns/pass: the steady state, a selection per week and a
// cheaper refit every day), and the heap the forecaster
// retains after the replay (retained-B, measured after a garbage
// collection).
//
//	go test ./forecast -run '^$' -bench AutoDailyWeekly -benchmem -benchtime 1x
func BenchmarkAutoDailyWeekly(b *testing.B) {
	const week = 10080
	y := seasonal(5*week, 1440, 300, 0, 120, 25, 45)
	w := seasonal(5*week, week, 0, 0, 60, 0, 1)
	for i := range y {
		y[i] += w[i]
	}
	var retained, passes, warmPasses float64
	var elapsed, warm, cpu, warmCPU time.Duration
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		cpu0 := cpuTime(b)
		a, err := NewAuto(AutoConfig{Periods: []int{1440, week}, Window: week, RefitEvery: 1440})
		if err != nil {
			b.Fatal(err)
		}
		for i, v := range y {
			if i == week {
				warm += time.Since(start)
				warmCPU += cpuTime(b) - cpu0
				warmPasses += week
				start = time.Now()
				cpu0 = cpuTime(b)
			}
			if err := a.Observe(t0.Add(time.Duration(i)*time.Minute), v); err != nil {
				b.Fatal(err)
			}
			if a.Fitted() {
				if _, err := a.Forecast(15, 0.95); err != nil {
					b.Fatal(err)
				}
			}
		}
		elapsed += time.Since(start)
		cpu += cpuTime(b) - cpu0
		passes += float64(len(y) - week)
		runtime.GC()
		runtime.ReadMemStats(&after)
		retained = float64(after.HeapAlloc) - float64(before.HeapAlloc)
		runtime.KeepAlive(a)
	}
	b.ReportMetric(float64(warm.Nanoseconds())/warmPasses, "warmup-ns/pass")
	b.ReportMetric(float64(warmCPU.Nanoseconds())/warmPasses, "warmup-cpu-ns/pass")
	b.ReportMetric(float64(elapsed.Nanoseconds())/passes, "ns/pass")
	b.ReportMetric(float64(cpu.Nanoseconds())/passes, "cpu-ns/pass")
	b.ReportMetric(retained, "retained-B")
}

// BenchmarkHeldZeroRun measures a pass while Auto holds back a run of zeros
// (an outage): three days of a daily cycle at 1-minute steps, then 2,000
// zeros, each an Observe, a 15-step Forecast and a 10-step PeakUpper, as the
// Controller calls them. The forecasts skip the steps of the run, so a pass
// should cost about what it costs without one (ns/pass over the run's
// steps; the run is checked to be held throughout).
//
//	go test ./forecast -run '^$' -bench HeldZeroRun -benchmem
func BenchmarkHeldZeroRun(b *testing.B) {
	const day, run = 1440, 2000
	y := seasonal(3*day, day, 300, 0, 120, 25, 5)
	var elapsed time.Duration
	passes := 0
	for b.Loop() {
		a, err := NewAuto(AutoConfig{Periods: []int{day}, Window: 3 * day, RefitEvery: day})
		if err != nil {
			b.Fatal(err)
		}
		for i, v := range y {
			if err := a.Observe(t0.Add(time.Duration(i)*time.Minute), v); err != nil {
				b.Fatal(err)
			}
		}
		if err := a.Refit(); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for i := range run {
			if err := a.Observe(t0.Add(time.Duration(len(y)+i)*time.Minute), 0); err != nil {
				b.Fatal(err)
			}
			if !a.a.zr.pending {
				b.Fatalf("zero %d not held back (%s)", i, a.Name())
			}
			if _, err := a.Forecast(15, 0.95); err != nil {
				b.Fatal(err)
			}
			if _, err := a.PeakUpper(10, 0.9); err != nil {
				b.Fatal(err)
			}
		}
		elapsed += time.Since(start)
		passes += run
	}
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(passes), "ns/pass")
}
