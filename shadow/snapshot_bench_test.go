package shadow_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
)

// BenchmarkSavedDay is BenchmarkStepDay's service with a StateStore (in
// memory): one day of one-minute passes, each saving a snapshot (the
// default Config.SaveEvery). It reports the cost per pass, to compare with
// BenchmarkStepDay's, and the size of the snapshot.
func BenchmarkSavedDay(b *testing.B) { savedDay(b, 1) }

// BenchmarkSavedDayEvery10 is BenchmarkSavedDay with Config.SaveEvery 10.
func BenchmarkSavedDayEvery10(b *testing.B) { savedDay(b, 10) }

// BenchmarkSavedYoung is BenchmarkSavedDay's service over its first two
// days, from the first pass: a young history, whose window the
// forecaster's state holds (forecast.AutoConfig.StateWindow); the
// snapshot size is the last pass's (2,880 values in the window).
func BenchmarkSavedYoung(b *testing.B) { savedYoung(b, 0) }

// BenchmarkSavedYoungNoWindow is BenchmarkSavedYoung with states that
// hold no window (StateWindow −1), as before it was kept.
func BenchmarkSavedYoungNoWindow(b *testing.B) { savedYoung(b, -1) }

func savedYoung(b *testing.B, stateWindow int) {
	var size int
	var cpu time.Duration
	for b.Loop() {
		store, step := savedService(b, 1, stateWindow)
		cpu0 := cpuTime()
		for range 2 * 1440 {
			step()
		}
		cpu += cpuTime() - cpu0
		size = len(store.data)
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*2*1440)/1e3, "cpu-µs/pass")
	b.ReportMetric(float64(size)/1024, "KiB/snapshot")
}

// savedService builds BenchmarkSavedDay's service, saving every every
// passes, its forecaster's states holding windows of up to stateWindow
// values, and returns its store and the function that runs its next pass.
func savedService(b *testing.B, every, stateWindow int) (*memStore, func()) {
	i, now, load := 0, t0, 0.0
	src := shadow.SourceFunc(func(context.Context, time.Time) (shadow.Sample, error) {
		return shadow.Sample{Values: map[shadow.Metric]float64{shadow.RequestRate: load}}, nil
	})
	fc, err := forecast.NewAuto(forecast.AutoConfig{Step: time.Minute, Periods: forecast.SeasonalPeriods(time.Minute), StateWindow: stateWindow})
	if err != nil {
		b.Fatal(err)
	}
	pol, err := policy.Predictive(policy.DefaultPredictiveConfig())
	if err != nil {
		b.Fatal(err)
	}
	store := &memStore{}
	grp := actuatortest.NewGroup(15, 5*time.Minute, func() time.Time { return now })
	c, err := shadow.New(shadow.Config{PerReplica: 10, SaveEvery: every}, shadow.Deps{Source: src, Forecaster: fc, Policy: pol, Production: grp},
		shadow.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), shadow.WithStateStore(store, "bench"))
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
	return store, step
}

func savedDay(b *testing.B, every int) {
	store, step := savedService(b, every, 0)
	for range 7 * 1440 {
		step()
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		for range 1440 {
			step()
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*1440)/1e3, "cpu-µs/pass")
	b.ReportMetric(float64(len(store.data))/1024, "KiB/snapshot")
}
