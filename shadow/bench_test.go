package shadow_test

import (
	"context"
	"io"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
)

// weekly is a 1-minute load with daily and weekly cycles and noise.
func weekly(i int) float64 {
	day := float64(i) / 1440
	v := 100 + 40*math.Sin(2*math.Pi*day) + 15*math.Sin(2*math.Pi*day/7)
	return v * (1 + 0.03*math.Sin(float64(i)*12.9898))
}

// benchService is one service's Controller on the library's defaults for
// one-minute data (Auto over forecast.SeasonalPeriods: the daily period,
// and the weekly one as a profile outside the window; the Predictive
// stack), after a week of passes, the fake production group it scales and
// its forecaster, which chooses its model by sel.
func benchService(b *testing.B, sel forecast.SelectMethod) (*shadow.Controller, *actuatortest.Group, func(), *forecast.Auto) {
	b.Helper()
	i, now := 0, t0
	load := 0.0
	src := shadow.SourceFunc(func(context.Context, time.Time) (shadow.Sample, error) {
		return shadow.Sample{Values: map[shadow.Metric]float64{shadow.RequestRate: load}}, nil
	})
	fc, err := forecast.NewAuto(forecast.AutoConfig{Step: time.Minute, Periods: forecast.SeasonalPeriods(time.Minute), Select: sel})
	if err != nil {
		b.Fatal(err)
	}
	pol, err := policy.Predictive(policy.DefaultPredictiveConfig())
	if err != nil {
		b.Fatal(err)
	}
	grp := actuatortest.NewGroup(15, 5*time.Minute, func() time.Time { return now })
	c, err := shadow.New(shadow.Config{PerReplica: 10}, shadow.Deps{Source: src, Forecaster: fc, Policy: pol, Production: grp},
		shadow.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	step := func() {
		load = weekly(i)
		if _, err := c.Step(context.Background(), now); err != nil {
			b.Fatal(err)
		}
		i++
		now = now.Add(time.Minute)
	}
	for range 7 * 1440 {
		step()
	}
	return c, grp, step, fc
}

// BenchmarkStepDay measures one day of one-minute passes (refits included)
// of a service with a week of history; it reports the amortized cost per
// pass and the live heap the service holds (KiB/service). The heap is that
// of a second service, built after a first one: what the first pays once
// for the whole process (the global meter's delegates, the tables regexp
// and fmt build on first use, sync.Pools) is not a service's. The fake
// production group keeps a log of its Scale calls, which a real actuator
// does not; KiB/fake-log is that log's share (the same calls replayed into
// a fresh fake), and KiB/service is the heap without it.
func BenchmarkStepDay(b *testing.B) { stepDay(b, forecast.SelectDefault) }

// BenchmarkStepDayCombined is BenchmarkStepDay with the forecaster
// forecasting the median of three selections (SelectCombined),
// the default only at horizons of a season or more: what a combination
// would cost the Controller.
func BenchmarkStepDayCombined(b *testing.B) { stepDay(b, forecast.SelectCombined) }

func stepDay(b *testing.B, sel forecast.SelectMethod) {
	first, _, _, _ := benchService(b, sel)
	runtime.GC()
	runtime.GC() // and what sync.Pools kept through the first
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	c, grp, step, fc := benchService(b, sel)
	runtime.GC()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	fakeLog := callLogHeap(grp.Calls())
	heap := float64(after.HeapAlloc) - float64(before.HeapAlloc) - fakeLog
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		for range 1440 {
			step()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*1440)/1e3, "µs/pass")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*1440)/1e3, "cpu-µs/pass")
	b.ReportMetric(heap/1024, "KiB/service")
	b.ReportMetric(fakeLog/1024, "KiB/fake-log")
	if !strings.Contains(fc.Name(), "season(10080)") {
		b.Fatalf("the weekly profile is not in use: %s", fc.Name())
	}
	runtime.KeepAlive(c)
	runtime.KeepAlive(first)
}

// callLogHeap is the heap a fresh actuatortest.Group holds after the same
// Scale calls: the fake's log of them, which grows by one entry a call.
func callLogHeap(calls []actuatortest.Call) float64 {
	runtime.GC()
	runtime.GC() // and what sync.Pools kept through the first
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	g := actuatortest.NewGroup(0, 0, func() time.Time { return t0 })
	for _, cl := range calls {
		_ = g.Scale(context.Background(), cl.Target)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(g)
	runtime.KeepAlive(calls)
	return float64(after.HeapAlloc) - float64(before.HeapAlloc)
}

// BenchmarkStepLoop is one pass of the loop alone: a naive forecaster and a
// fixed policy, so that what is measured is gather, decide and apply.
func BenchmarkStepLoop(b *testing.B) {
	now, load := t0, 100.0
	src := shadow.SourceFunc(func(context.Context, time.Time) (shadow.Sample, error) {
		return shadow.Sample{Values: map[shadow.Metric]float64{shadow.RequestRate: load}}, nil
	})
	fc, err := forecast.NewNaive(forecast.Config{Step: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	grp := actuatortest.NewGroup(15, 0, func() time.Time { return now })
	c, err := shadow.New(shadow.Config{PerReplica: 10}, shadow.Deps{Source: src, Forecaster: fc, Policy: peakPolicy, Production: grp},
		shadow.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	cpu0 := cpuTime()
	for b.Loop() {
		load = weekly(i)
		if _, err := c.Step(context.Background(), now); err != nil {
			b.Fatal(err)
		}
		i++
		now = now.Add(time.Minute)
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/1e3, "cpu-µs/pass")
}

// cpuTime is the process's user + system CPU time: unlike the wall clock,
// it does not count time spent waiting for a core on a busy machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
