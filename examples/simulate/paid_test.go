package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPaidMetrics: the JSON line's paid capacity ratio and replica starts
// are what steps.csv's desired column says, under their documented keys.
func TestPaidMetrics(t *testing.T) {
	tr := synthetic(t, 3, 5, 0)
	for _, args := range [][]string{
		{"-policy", "predictive"},
		{"-policy", "predictive", "-rule", "planner"},
		{"-policy", "reactive"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := simulate(t, append([]string{"-trace", tr, "-per-replica", "100", "-ready-delay", "10m"}, args...)...)
			require.Zero(t, r.code, r.stderr)
			var paid, dem float64
			starts, events := 0, 0
			for i := 1; i < len(r.steps); i++ {
				des := atof(t, r.steps[i][3])
				paid += des * 100
				dem += atof(t, r.steps[i][1])
				if i > 1 {
					prev := atof(t, r.steps[i-1][3])
					starts += int(max(0, des-prev))
					if des != prev {
						events++
					}
				}
			}
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			var raw map[string]any
			require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &raw))
			for _, k := range []string{"policy", "steps", "under_provisioned_fraction", "capacity_ratio", "scale_events", "paid_capacity_ratio", "replica_starts"} {
				assert.Contains(t, raw, k)
			}
			assert.InDelta(t, paid/dem, r.sum.PaidCapacityRatio, 1e-9)
			assert.Equal(t, starts, r.sum.ReplicaStarts)
			assert.Equal(t, events, r.sum.ScaleEvents)
			// Requested capacity includes the booting replicas.
			assert.GreaterOrEqual(t, r.sum.PaidCapacityRatio, r.sum.CapacityRatio-1e-9)
		})
	}
}

// TestPlannerStartsFewerThanThreshold: on a noisy daily cycle the planner
// starts far fewer replicas than the threshold rule, at a paid capacity
// no higher than the threshold rule's plus a tenth.
func TestPlannerStartsFewerThanThreshold(t *testing.T) {
	tr := synthetic(t, 4, 9, 0)
	base := []string{"-trace", tr, "-per-replica", "100", "-ready-delay", "10m", "-policy", "predictive"}
	pl := simulate(t, append(base, "-rule", "planner")...)
	th := simulate(t, base...)
	require.Zero(t, pl.code, pl.stderr)
	require.Zero(t, th.code, th.stderr)
	assert.Less(t, pl.sum.ReplicaStarts, th.sum.ReplicaStarts*2/3, "planner %d starts, threshold %d", pl.sum.ReplicaStarts, th.sum.ReplicaStarts)
	assert.Less(t, pl.sum.PaidCapacityRatio, th.sum.PaidCapacityRatio+0.1)
}

func TestBadRule(t *testing.T) {
	var so, se bytes.Buffer
	code := run(context.Background(), []string{"-rule", "magic", "-quiet"}, &so, &se)
	assert.NotZero(t, code)
	assert.Contains(t, se.String(), `-rule "magic": want planner or threshold`)
}

// TestSweepShowsBothAxes: -sweep judges the predictive stack on ready and
// on paid capacity and lists scale events and starts.
func TestSweepShowsBothAxes(t *testing.T) {
	tr := synthetic(t, 2, 4, 0)
	var so, se bytes.Buffer
	code := run(context.Background(), []string{"-trace", tr, "-per-replica", "100", "-sweep", "-chart", filepath.Join(t.TempDir(), "f.svg"), "-quiet"}, &so, &se)
	require.Zero(t, code, se.String())
	out := so.String()
	assert.Contains(t, out, "capacity counted on ready replicas")
	assert.Contains(t, out, "capacity counted as paid, on requested replicas")
	assert.Contains(t, out, "starts vs reactive")
	assert.Equal(t, 2, strings.Count(out, "perfect foresight"), out)
}
