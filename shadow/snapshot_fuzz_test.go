package shadow

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
)

// FuzzDecodeSnapshot: no snapshot, however mangled, makes decoding or
// restoring panic; a refused one wraps ErrBadSnapshot, and one whose
// restore fails changes nothing. The seeds are a version 2 snapshot, its
// upgrade saved in the current version with an anomaly detector's state,
// a version 3 snapshot and a version 1 frame.
func FuzzDecodeSnapshot(f *testing.F) {
	v2, err := os.ReadFile("testdata/snapshot-v2")
	require.NoError(f, err)
	f.Add(v2)
	old, err := os.ReadFile("testdata/snapshot-v3")
	require.NoError(f, err)
	f.Add(old)
	sn, err := decodeSnapshot(v2)
	require.NoError(f, err)
	s := fuzzState(f)
	at := sn.SavedAt.Add(5 * time.Minute)
	_, err = s.restore(sn, "checkout", at)
	require.NoError(f, err)
	cur, err := s.snapshot("checkout", sn.SavedAt)
	require.NoError(f, err)
	require.NotEmpty(f, cur.Detector)
	b, err := encodeSnapshot(cur)
	require.NoError(f, err)
	f.Add(b)
	v1 := []byte(`{"version":1,"service":"checkout","saved_at":"2026-01-07T02:25:00Z","metrics":[{"metric":"request_rate","recent":[1,2]}]}`)
	sum := sha256.Sum256(v1)
	frame := append([]byte("shadowscale-snapshot v1 sha256="+hex.EncodeToString(sum[:])+"\n"), v1...)
	up, err := decodeSnapshot(frame)
	require.NoError(f, err)
	require.Equal(f, 1, up.from)
	f.Add(frame)
	f.Fuzz(func(t *testing.T, data []byte) {
		sn, err := decodeSnapshot(data)
		if err != nil {
			require.ErrorIs(t, err, ErrBadSnapshot)
			return
		}
		s := fuzzState(t)
		if _, err := s.restore(sn, "checkout", at); err != nil {
			require.ErrorIs(t, err, ErrBadSnapshot)
			require.False(t, s.refill, "nothing restored")
			return
		}
		_, _ = s.snapshot("checkout", at)
	})
}

// fuzzState is the state of restartable's Controller (shadow_test).
func fuzzState(t testing.TB) *state {
	fc, err := forecast.NewAuto(forecast.AutoConfig{Step: 5 * time.Minute, Periods: forecast.SeasonalPeriods(5 * time.Minute)})
	require.NoError(t, err)
	cfg := policy.DefaultPredictiveConfig()
	cfg.ScaleDownStabilization = 30 * time.Minute
	pol, err := policy.Predictive(cfg)
	require.NoError(t, err)
	hw, err := forecast.NewHoltWinters(forecast.Config{Step: 5 * time.Minute, Period: 288, Trend: forecast.TrendNone, RefitEvery: 100})
	require.NoError(t, err)
	det, err := forecast.NewBrutlag(hw, forecast.BrutlagConfig{Window: 3, Threshold: 2})
	require.NoError(t, err)
	c := Config{Interval: 5 * time.Minute, PerReplica: 10, MaxReplicas: 60}.withDefaults()
	s := newState(c, Deps{Forecaster: fc, Policy: pol}, nil)
	s.detector = det
	return s
}

// snapshotV2 decodes testdata/snapshot-v2 and returns it with a restore
// time five minutes after it was saved.
func snapshotV2(t *testing.T) (snapshot, time.Time) {
	t.Helper()
	v2, err := os.ReadFile("testdata/snapshot-v2")
	require.NoError(t, err)
	sn, err := decodeSnapshot(v2)
	require.NoError(t, err)
	return sn, sn.SavedAt.Add(5 * time.Minute)
}

// The record of left-out samples is restored as saved; a snapshot without
// one (an older build's) leaves the refill to judge the seen values again;
// a record that does not fit is refused.
func TestSnapshotDroppedRecord(t *testing.T) {
	sn, at := snapshotV2(t)
	pass := sn.PassT

	s := fuzzState(t)
	_, err := s.restore(sn, "checkout", at)
	require.NoError(t, err)
	require.True(t, s.metrics[0].dropsUnknown, "version 2 kept no record")

	times := []time.Time{pass.Add(-time.Hour), pass.Add(-10 * time.Minute)}
	sn.Metrics[0].Dropped = &droppedSnapshot{From: pass.Add(-2 * time.Hour), Times: times}
	s = fuzzState(t)
	_, err = s.restore(sn, "checkout", at)
	require.NoError(t, err)
	m := s.metrics[0]
	require.False(t, m.dropsUnknown)
	require.Equal(t, times, m.dropped)
	known, left := m.judged(pass.Add(-time.Hour), time.Minute)
	require.True(t, known && left)
	saved, err := s.snapshot("checkout", at)
	require.NoError(t, err)
	require.Equal(t, sn.Metrics[0].Dropped, saved.Metrics[0].Dropped)

	for name, d := range map[string]*droppedSnapshot{
		"unsorted":        {Times: []time.Time{times[1], times[0]}},
		"after the pass":  {Times: []time.Time{pass.Add(time.Minute)}},
		"before its from": {From: pass, Times: times},
		"too many":        {Times: make([]time.Time, maxDropped+1)},
	} {
		t.Run(name, func(t *testing.T) {
			sn.Metrics[0].Dropped = d
			_, err := fuzzState(t).restore(sn, "checkout", at)
			require.ErrorIs(t, err, ErrBadSnapshot)
			require.ErrorContains(t, err, "left-out sample times")
		})
	}
}

// The recent readings far above (recurs) are restored as saved; a record
// that does not fit is refused.
func TestSnapshotSpikes(t *testing.T) {
	sn, at := snapshotV2(t)
	pass := sn.PassT

	spikes := []spikeSnapshot{{Time: pass.Add(-20 * time.Minute), Value: 240}, {Time: pass.Add(-10 * time.Minute), Value: 260, Scraped: pass.Add(-11 * time.Minute), Taken: true}}
	sn.Metrics[0].Spikes = spikes
	s := fuzzState(t)
	_, err := s.restore(sn, "checkout", at)
	require.NoError(t, err)
	require.Len(t, s.metrics[0].spikes, 2)
	assert.Equal(t, 2, s.metrics[0].recurrences(Observation{Time: pass, Value: 250}, time.Hour))
	assert.True(t, s.metrics[0].recurredBefore(pass))
	saved, err := s.snapshot("checkout", at)
	require.NoError(t, err)
	require.Equal(t, spikes, saved.Metrics[0].Spikes)

	for name, sp := range map[string][]spikeSnapshot{
		"unsorted":       {spikes[1], spikes[0]},
		"after the pass": {{Time: pass.Add(time.Minute), Value: 1}},
		"NaN":            {{Time: pass, Value: math.NaN()}},
		"negative":       {{Time: pass, Value: -1}},
		"too many":       make([]spikeSnapshot, maxSpikes+1),
	} {
		t.Run(name, func(t *testing.T) {
			sn.Metrics[0].Spikes = sp
			_, err := fuzzState(t).restore(sn, "checkout", at)
			require.ErrorIs(t, err, ErrBadSnapshot)
			require.ErrorContains(t, err, "recent readings far above")
		})
	}
}
