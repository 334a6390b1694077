package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// synthetic writes a trace of days × 288 five-minute steps with a daily
// cycle, noise and a surge, and returns its path.
func synthetic(t *testing.T, days int, seed uint64, mutateFrom int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	for i := 0; i < days*288; i++ {
		h := float64(i%288) / 12
		v := 1000 + 700*math.Sin(2*math.Pi*(h-9)/24) + 60*rng.NormFloat64()
		if i%288 > 200 && i%288 < 215 {
			v *= 1.6
		}
		if mutateFrom > 0 && i >= mutateFrom {
			v *= 2.5
		}
		fmt.Fprintf(&b, "%s,%.0f\n", start.Add(time.Duration(i)*5*time.Minute).Format(time.RFC3339), math.Max(0, v))
	}
	p := filepath.Join(t.TempDir(), "trace.csv")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	return p
}

type runOut struct {
	code   int
	stdout string
	stderr string
	steps  [][]string
	sum    summary
}

func simulate(t *testing.T, args ...string) runOut {
	t.Helper()
	out := filepath.Join(t.TempDir(), "steps.csv")
	var so, se bytes.Buffer
	code := run(context.Background(), append(args, "-out", out, "-quiet"), &so, &se)
	r := runOut{code: code, stdout: so.String(), stderr: se.String()}
	if code != 0 {
		return r
	}
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		r.steps = append(r.steps, strings.Split(l, ","))
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &r.sum))
	return r
}

func TestContract(t *testing.T) {
	tr := synthetic(t, 4, 1, 0)
	for _, pol := range []string{"predictive", "reactive"} {
		t.Run(pol, func(t *testing.T) {
			r := simulate(t, "-trace", tr, "-per-replica", "100", "-ready-delay", "10m", "-policy", pol)
			require.Zero(t, r.code, r.stderr)
			require.Equal(t, []string{"timestamp", "demand", "forecast", "desired", "ready"}, r.steps[0])
			require.Len(t, r.steps, 4*288+1)
			assert.Equal(t, pol, r.sum.Policy)
			assert.Equal(t, 4*288, r.sum.Steps)
			assert.Equal(t, "2026-03-02T00:00:00Z", r.steps[1][0])

			// Ready only rises to what was requested one ready delay (two
			// steps) earlier; the JSON line matches the rows.
			var capSum, demSum float64
			under := 0
			for i := 1; i < len(r.steps); i++ {
				d := atof(t, r.steps[i][1])
				ready := atof(t, r.steps[i][4])
				capSum += ready * 100
				demSum += d
				if d > ready*100 {
					under++
				}
				if i > 1 && ready > atof(t, r.steps[i-1][4]) {
					require.Greater(t, i, 2, "ready rose at row %d without a request", i)
					assert.GreaterOrEqual(t, atof(t, r.steps[i-2][3]), ready, "row %d", i)
				}
			}
			assert.InDelta(t, float64(under)/float64(r.sum.Steps), r.sum.Under, 1e-12)
			assert.InDelta(t, capSum/demSum, r.sum.CapacityRatio, 1e-9)
		})
	}
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	var v float64
	_, err := fmt.Sscan(s, &v)
	require.NoError(t, err)
	return v
}

// TestNoLookAhead changes the trace after a cut: no row before it may
// change.
func TestNoLookAhead(t *testing.T) {
	cut := 3 * 288
	a := simulate(t, "-trace", synthetic(t, 4, 7, 0), "-per-replica", "100", "-policy", "predictive")
	b := simulate(t, "-trace", synthetic(t, 4, 7, cut), "-per-replica", "100", "-policy", "predictive")
	require.Zero(t, a.code, a.stderr)
	require.Zero(t, b.code, b.stderr)
	for i := 1; i <= cut; i++ {
		require.Equal(t, a.steps[i], b.steps[i], "row %d", i)
	}
	assert.NotEqual(t, a.steps[cut+20], b.steps[cut+20], "the change after the cut shows")
}

func TestReproducible(t *testing.T) {
	tr := synthetic(t, 3, 3, 0)
	a := simulate(t, "-trace", tr, "-per-replica", "100", "-policy", "predictive")
	b := simulate(t, "-trace", tr, "-per-replica", "100", "-policy", "predictive")
	require.Zero(t, a.code, a.stderr)
	assert.Equal(t, a.steps, b.steps)
	assert.Equal(t, a.stdout, b.stdout)
}

// TestPredictiveBeatsReactive checks the product's claim on a trace with a
// daily cycle and a daily surge the reactive rule cannot see coming.
func TestPredictiveBeatsReactive(t *testing.T) {
	tr := synthetic(t, 5, 11, 0)
	p := simulate(t, "-trace", tr, "-per-replica", "100", "-policy", "predictive")
	r := simulate(t, "-trace", tr, "-per-replica", "100", "-policy", "reactive")
	require.Zero(t, p.code, p.stderr)
	require.Zero(t, r.code, r.stderr)
	assert.Less(t, p.sum.Under, r.sum.Under/2, "predictive %+v, reactive %+v", p.sum, r.sum)
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(s), 0o644))
		return p
	}
	good := synthetic(t, 1, 1, 0)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"bad policy", []string{"-policy", "magic"}, `-policy "magic"`},
		{"target", []string{"-target-utilization", "1.5"}, "-target-utilization 1.5"},
		{"min > max", []string{"-min", "5", "-max", "2"}, "-min 5 must not exceed -max 2"},
		{"negative delay", []string{"-ready-delay", "-1m"}, "-ready-delay -1m0s"},
		{"negative per-replica", []string{"-per-replica", "-3"}, "-per-replica -3"},
		{"missing file", []string{"-trace", filepath.Join(dir, "nope.csv")}, "no such file"},
		{"header", []string{"-trace", write("h.csv", "time,v\n1,2\n")}, "line 1: header"},
		{"non-numeric", []string{"-trace", write("n.csv", "timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,abc\n")}, "line 3: value \"abc\""},
		{"NaN", []string{"-trace", write("nan.csv", "timestamp,value\n2026-01-01T00:00:00Z,NaN\n")}, "line 2: value \"NaN\""},
		{"negative", []string{"-trace", write("neg.csv", "timestamp,value\n2026-01-01T00:00:00Z,-4\n")}, "line 2: value -4 is negative"},
		{"irregular", []string{"-trace", write("irr.csv", "timestamp,value\n0,1\n60,1\n180,1\n")}, "line 4: step 2m0s differs"},
		{"backwards", []string{"-trace", write("back.csv", "timestamp,value\n60,1\n0,1\n")}, "line 3: timestamp 0 is not after"},
		{"bad scenario", []string{"-trace", good, "-scenario", "x"}, `-scenario "x"`},
		{"bad chart", []string{"-trace", good, "-policy", "reactive", "-per-replica", "100", "-chart", filepath.Join(dir, "c.gif")}, "want a .svg or .png"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := simulate(t, tc.args...)
			assert.NotZero(t, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(r.stderr), "\n")+1, "one line: %q", r.stderr)
		})
	}
}

func TestFrontierJudge(t *testing.T) {
	reac := []point{{0.5, 0.01, 2.0}, {0.7, 0.05, 1.5}, {0.9, 0.20, 1.1}, {0.6, 0.06, 1.8}}
	f := frontier(reac)
	require.Len(t, f, 3, "the dominated point is dropped")
	assert.InDelta(t, 0.05, underAt(f, 1.5), 1e-12)
	assert.InDelta(t, 0.03, underAt(f, 1.75), 1e-12)
	c, ok := capAt(f, 0.03)
	require.True(t, ok)
	assert.InDelta(t, 1.75, c, 1e-12)
	_, ok = capAt(f, 0.001)
	assert.False(t, ok)
	v := judge(reac, point{0.7, 0.01, 1.5}, 1.0)
	assert.InDelta(t, 0.8, v.Cut, 1e-12)
	assert.InDelta(t, 0.25, v.Saving, 1e-12)
	assert.InDelta(t, 0.5, v.GapClosed, 1e-12)
}

func TestServiceModel(t *testing.T) {
	m := defaultService
	low, e := m.at(0.5)
	assert.Zero(t, e)
	assert.Less(t, low, 2*m.service)
	high, _ := m.at(0.97)
	assert.Greater(t, high, 4*m.service, "latency rises as utilization nears 1")
	sat, e := m.at(1.4)
	assert.Equal(t, m.timeout, sat)
	assert.InDelta(t, 1-1/1.4, e, 1e-9)
}

func TestCompareModeWritesTableAndChart(t *testing.T) {
	tr := synthetic(t, 3, 5, 0)
	chart := filepath.Join(t.TempDir(), "c.svg")
	var so, se bytes.Buffer
	code := run(context.Background(), []string{"-trace", tr, "-per-replica", "100", "-chart", chart}, &so, &se)
	require.Zero(t, code, se.String())
	out := so.String()
	for _, want := range []string{"predictive + shadows", "reactive (HPA)", "perfect foresight", "under-provisioned steps", "capacity ratio", "scale events", "shadow replica-hours"} {
		assert.Contains(t, out, want)
	}
	svg, err := os.ReadFile(chart)
	require.NoError(t, err)
	assert.Contains(t, string(svg), "<svg")
	assert.Contains(t, se.String(), "predictive: 100%", "progress on stderr")
}

func TestSweepMode(t *testing.T) {
	tr := synthetic(t, 3, 9, 0)
	chart := filepath.Join(t.TempDir(), "f.png")
	var so, se bytes.Buffer
	code := run(context.Background(), []string{"-trace", tr, "-per-replica", "100", "-sweep", "-chart", chart, "-quiet"}, &so, &se)
	require.Zero(t, code, se.String())
	assert.Contains(t, so.String(), "HPA under at equal cap")
	rows := 0
	for _, l := range strings.Split(so.String(), "\n") {
		if f := strings.Fields(l); len(f) > 2 && strings.HasPrefix(f[0], "0.") {
			rows++
		}
	}
	assert.Equal(t, 14, rows, "one row per reactive target")
	st, err := os.Stat(chart)
	require.NoError(t, err)
	assert.Positive(t, st.Size())
}

// TestRegressionShadowsHelp: after per-replica capacity drops by 30%, the
// shadows' latency triggers scale-ups the forecast alone would not make.
func TestRegressionShadowsHelp(t *testing.T) {
	tr := synthetic(t, 4, 13, 0)
	var so, se bytes.Buffer
	code := run(context.Background(), []string{"-trace", tr, "-per-replica", "100", "-scenario", "regression", "-target-utilization", "0.85", "-chart", filepath.Join(t.TempDir(), "r.svg"), "-quiet"}, &so, &se)
	require.Zero(t, code, se.String())
	var with, without, reac float64
	for _, l := range strings.Split(so.String(), "\n") {
		if strings.Contains(l, "under-provisioned steps after the regression") {
			f := strings.Fields(l)
			n := len(f)
			reac, without, with = pct(t, f[n-3]), pct(t, f[n-2]), pct(t, f[n-1])
		}
	}
	assert.Greater(t, without, 0.05, "the forecast alone under-provisions after the regression")
	assert.Less(t, with, without/2, "shadows catch the regression: with %.3f, without %.3f, reactive %.3f", with, without, reac)
}

func pct(t *testing.T, s string) float64 {
	return atof(t, strings.TrimSuffix(s, "%")) / 100
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
