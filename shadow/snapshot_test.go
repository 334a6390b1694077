package shadow_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
)

// learner runs a Controller whose replicas take four minutes to become
// ready, on a climbing load, so that it learns its lead time.
func learner(t *testing.T, store shadow.StateStore, service string, start time.Time, passes int) (*shadow.Controller, shadow.Report, error) {
	t.Helper()
	now := start
	grp := actuatortest.NewGroup(2, 4*time.Minute, func() time.Time { return now })
	src := &shadowtest.Source{Script: func(at time.Time) map[shadow.Metric]float64 {
		return map[shadow.Metric]float64{shadow.RequestRate: 20 + at.Sub(t0).Minutes()}
	}}
	c, err := shadow.New(shadow.Config{PerReplica: 10, MaxReplicas: 200},
		shadow.Deps{Source: src, Forecaster: &driftForecaster{k: 5, step: time.Minute}, Policy: peakPolicy, Production: grp},
		shadow.WithStateStore(store, service), shadow.WithLogger(testLogger(&syncBuffer{})))
	require.NoError(t, err)
	var r shadow.Report
	var firstErr error
	for i := range passes {
		var err error
		r, err = c.Step(context.Background(), now)
		if i == 0 {
			firstErr = err
		}
		now = now.Add(time.Minute)
	}
	return c, r, firstErr
}

func TestSnapshotRestoresLearnedState(t *testing.T) {
	store := shadow.FileStore{Path: filepath.Join(t.TempDir(), "state")}
	a, _, err := learner(t, store, "checkout", t0, 120)
	require.NoError(t, err)
	learned := a.LeadTime()
	require.NotEqual(t, 10*time.Minute, learned, "the first Controller learned its lead time")

	b, r, err := learner(t, store, "checkout", t0.Add(121*time.Minute), 1)
	require.NoError(t, err)
	assert.True(t, r.Restored)
	assert.Equal(t, learned, b.LeadTime(), "the lead time survives the restart")
}

func TestBadSnapshotsIgnored(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	_, _, err := learner(t, shadow.FileStore{Path: good}, "checkout", t0, 60)
	require.NoError(t, err)
	data, err := os.ReadFile(good)
	require.NoError(t, err)
	flip := bytes.Clone(data)
	flip[len(flip)/2] ^= 0x20
	cases := []struct {
		name    string
		data    []byte
		service string
		start   time.Time
		want    string
	}{
		{"flipped byte", flip, "checkout", t0.Add(61 * time.Minute), "checksum mismatch"},
		{"truncated", data[:len(data)-40], "checkout", t0.Add(61 * time.Minute), "checksum mismatch"},
		{"empty", []byte{}, "checkout", t0.Add(61 * time.Minute), "no header line"},
		{"not a snapshot", []byte("{}\n{}"), "checkout", t0.Add(61 * time.Minute), "not a snapshot header"},
		{"newer version", bytes.Replace(data, []byte("snapshot v4 "), []byte("snapshot v9 "), 1), "checkout", t0.Add(61 * time.Minute), "schema version 9, this Controller reads 1 to 4"},
		{"unknown checksum", bytes.Replace(data, []byte(" crc32c="), []byte(" md5="), 1), "checkout", t0.Add(61 * time.Minute), "names no known checksum"},
		{"version 0", bytes.Replace(data, []byte("snapshot v4 "), []byte("snapshot v0 "), 1), "checkout", t0.Add(61 * time.Minute), "schema version 0"},
		{"header and payload disagree", bytes.Replace(data, []byte("snapshot v4 "), []byte("snapshot v2 "), 1), "checkout", t0.Add(61 * time.Minute), "payload version 4, header version 2"},
		{"another service", data, "payments", t0.Add(61 * time.Minute), `saved by service "checkout"`},
		{"from the future", data, "checkout", t0.Add(-time.Hour), "after the pass"},
		{"stale", data, "checkout", t0.Add(30 * 24 * time.Hour), "older than the history window"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			require.NoError(t, os.WriteFile(p, tc.data, 0o600))
			c, r, err := learner(t, shadow.FileStore{Path: p}, tc.service, tc.start, 1)
			require.Error(t, err)
			assert.ErrorIs(t, err, shadow.ErrBadSnapshot)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "state: ")
			assert.False(t, r.Restored)
			assert.Equal(t, 10*time.Minute, c.LeadTime(), "a clean start")
		})
	}
}

func TestFileStoreNoSnapshot(t *testing.T) {
	_, err := shadow.FileStore{Path: filepath.Join(t.TempDir(), "none")}.Load(context.Background())
	assert.ErrorIs(t, err, shadow.ErrNoSnapshot)
}
