package shadow_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shadowscale/shadowscale/actuator/actuatortest"
	"github.com/shadowscale/shadowscale/shadow"
	"github.com/shadowscale/shadowscale/shadow/shadowtest"
)

// testdata/snapshot-v2 was saved by the version 2 Controller of
// restartable (without an anomaly detector) on the daily series, after
// pass v2Pass.
const v2Pass = 2*288 + 30

// A version 2 snapshot is read and upgraded, not refused: the restarted
// Controller decides exactly as the uninterrupted one, its anomaly
// detector starts clean without an error, and the next save is version 4.
func TestSnapshotUpgradeFromV2(t *testing.T) {
	data, err := os.ReadFile("testdata/snapshot-v2")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(data), "shadowscale-snapshot v2 "))
	const n = v2Pass + 100
	series := &shadowtest.Series{Fn: daily, Start: t0}
	var now time.Time
	clock := func() time.Time { return now }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
	grpA := actuatortest.NewGroup(10, 10*time.Minute, clock)
	// A version 2 snapshot predates the adapted level of the forecaster's
	// peak bound: both Controllers bound the peak at the static level, so
	// that the restarted one can decide exactly as the other. Both
	// forecasters keep the error scale's time constant the snapshot was
	// saved with (120 steps, the default before it followed the step).
	a := restartableAt(t, -1, 120, series, grpA)
	want, grpB := uninterrupted(t, a, grpA, &now, n, v2Pass)
	store := &memStore{data: data}
	logs := &syncBuffer{}
	c := restartableAt(t, -1, 120, series, grpB, shadow.WithStateStore(store, "checkout"), shadow.WithLogger(testLogger(logs)))
	for i := v2Pass; i < n; i++ {
		now = at(i)
		r, err := c.Step(context.Background(), now)
		require.NoError(t, err, "pass %d", i)
		if i == v2Pass {
			assert.True(t, r.Restored)
			assert.Contains(t, logs.String(), "snapshot upgraded")
			assert.Contains(t, logs.String(), "from_version=2")
			assert.True(t, strings.HasPrefix(string(store.data), "shadowscale-snapshot v4 "), "saved in the current version")
		}
		requireSamePass(t, i, want[i], r)
	}
	assert.Equal(t, a.LeadTime(), c.LeadTime())

	// With the default error-scale window, which now follows the step (24
	// at 5-minute steps), the forecasters' states restore all the same.
	now = at(v2Pass)
	logs = &syncBuffer{}
	d := restartableAt(t, -1, 0, series, actuatortest.NewGroup(10, 10*time.Minute, clock),
		shadow.WithStateStore(&memStore{data: data}, "checkout"), shadow.WithLogger(testLogger(logs)))
	r, err := d.Step(context.Background(), now)
	require.NoError(t, err)
	assert.True(t, r.Restored)
	assert.NotContains(t, logs.String(), "starts clean")
}

// testdata/snapshot-v3 was saved by the version 3 Controller of
// restartable with newDetector's anomaly detector on the daily series,
// after pass v3Pass: the forecaster's and the detector's states were base64
// text inside the JSON then.
const v3Pass = 2*288 + 30

// A version 3 snapshot is read as the current one would be: the restarted
// Controller, its forecaster and anomaly detector restored without a
// report, decides exactly as the uninterrupted one, and the next save is
// version 4.
func TestSnapshotUpgradeFromV3(t *testing.T) {
	data, err := os.ReadFile("testdata/snapshot-v3")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(data), "shadowscale-snapshot v3 "))
	const n = v3Pass + 100
	series := &shadowtest.Series{Fn: daily, Start: t0}
	var now time.Time
	clock := func() time.Time { return now }
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 5 * time.Minute) }
	grpA := actuatortest.NewGroup(10, 10*time.Minute, clock)
	a := restartable(t, series, grpA, shadow.WithAnomalyDetector(newDetector(t, 0)))
	want, grpB := uninterrupted(t, a, grpA, &now, n, v3Pass)
	store := &memStore{data: data}
	logs := &syncBuffer{}
	c := restartable(t, series, grpB, shadow.WithStateStore(store, "checkout"), shadow.WithLogger(testLogger(logs)),
		shadow.WithAnomalyDetector(newDetector(t, 0)))
	for i := v3Pass; i < n; i++ {
		now = at(i)
		r, err := c.Step(context.Background(), now)
		require.NoError(t, err, "pass %d", i)
		if i == v3Pass {
			assert.True(t, r.Restored)
			assert.Contains(t, logs.String(), "from_version=3")
			assert.NotContains(t, logs.String(), "starts clean")
			assert.True(t, strings.HasPrefix(string(store.data), "shadowscale-snapshot v4 "), "saved in the current version")
		}
		requireSamePass(t, i, want[i], r)
		require.Equal(t, want[i].Alerts, r.Alerts, "pass %d", i)
	}
}

// A version 1 snapshot (the lead time, the robust statistics and the
// pool's state only) is upgraded too: the lead time is restored, the
// forecaster and the policy start clean without an error, and the
// forecaster is refitted on the backfill at once.
func TestSnapshotUpgradeFromV1(t *testing.T) {
	data, err := os.ReadFile("testdata/snapshot-v2")
	require.NoError(t, err)
	_, payload, _ := strings.Cut(string(data), "\n")
	var doc map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(payload), &doc))
	v1 := map[string]json.RawMessage{"version": json.RawMessage("1")}
	for _, k := range []string{"service", "saved_at", "grid_offset", "lead_time", "lead", "forecast_error", "forecast_error_n", "actuation_failures"} {
		if v, ok := doc[k]; ok {
			v1[k] = v
		}
	}
	v1["lead_time"] = json.RawMessage("420000000000") // 7m: not the default
	var metrics []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(doc["metrics"], &metrics))
	for _, m := range metrics {
		for k := range m {
			if !strings.HasPrefix(k, "block") && k != "metric" && k != "recent" {
				delete(m, k)
			}
		}
	}
	v1["metrics"], err = json.Marshal(metrics)
	require.NoError(t, err)
	body, err := json.Marshal(v1)
	require.NoError(t, err)
	sum := sha256.Sum256(body)
	old := fmt.Appendf(nil, "shadowscale-snapshot v1 sha256=%s\n%s", hex.EncodeToString(sum[:]), body)

	series := &shadowtest.Series{Fn: daily, Start: t0}
	now := t0.Add(v2Pass * 5 * time.Minute)
	logs := &syncBuffer{}
	store := &memStore{data: old}
	c := restartable(t, series, actuatortest.NewGroup(10, 10*time.Minute, func() time.Time { return now }),
		shadow.WithStateStore(store, "checkout"), shadow.WithLogger(testLogger(logs)))
	r, err := c.Step(context.Background(), now)
	require.NoError(t, err)
	assert.True(t, r.Restored)
	assert.Contains(t, logs.String(), "from_version=1")
	assert.Equal(t, v2Pass, r.Backfilled, "the whole history read back")
	assert.True(t, strings.HasPrefix(r.Forecast.Model, "auto:hw-"), "refitted on the backfill, got %q", r.Forecast.Model)
	assert.Equal(t, 7*time.Minute, c.LeadTime())
}

// uninterrupted steps a, which scales grpA, through passes [0, n) of the
// 5-minute grid, setting *now to each pass's time, and returns its reports
// and a production group as grpA was after pass k−1, for a Controller
// restarted at pass k (on a clock reading *now).
func uninterrupted(t *testing.T, a *shadow.Controller, grpA *actuatortest.Group, now *time.Time, n, k int) ([]shadow.Report, *actuatortest.Group) {
	t.Helper()
	var want []shadow.Report
	var grpB *actuatortest.Group
	for i := range n {
		*now = t0.Add(time.Duration(i) * 5 * time.Minute)
		r, err := a.Step(context.Background(), *now)
		require.NoError(t, err)
		want = append(want, r)
		if i == k-1 {
			st, _ := grpA.Current(context.Background())
			grpB = actuatortest.NewGroup(st.Ready, 10*time.Minute, func() time.Time { return *now })
			require.NoError(t, grpB.Scale(context.Background(), st.Desired))
		}
	}
	return want, grpB
}
