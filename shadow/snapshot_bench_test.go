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

func savedDay(b *testing.B, every int) {
	i, now, load := 0, t0, 0.0
	src := shadow.SourceFunc(func(context.Context, time.Time) (shadow.Sample, error) {
		return shadow.Sample{Values: map[shadow.Metric]float64{shadow.RequestRate: load}}, nil
	})
	fc, err := forecast.NewAuto(forecast.AutoConfig{Step: time.Minute, Periods: forecast.SeasonalPeriods(time.Minute)})
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
