package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
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

// TestReasons: with -reasons, each row of -out gives, after the five
// contract columns (unchanged), the upper bound, the action and the
// pass's reason, quoted CSV that encoding/csv reads back; without -out the
// flag is refused.
func TestReasons(t *testing.T) {
	tr := synthetic(t, 3, 1, 0)
	for _, pol := range []string{"predictive", "reactive"} {
		t.Run(pol, func(t *testing.T) {
			args := []string{"-trace", tr, "-per-replica", "100", "-ready-delay", "10m", "-policy", pol}
			plain := simulate(t, args...)
			require.Zero(t, plain.code, plain.stderr)
			out := filepath.Join(t.TempDir(), "steps.csv")
			var so, se bytes.Buffer
			require.Zero(t, run(context.Background(), append(args, "-out", out, "-reasons", "-quiet"), &so, &se), se.String())
			assert.Equal(t, plain.stdout, so.String(), "the summary does not change")
			f, err := os.Open(out)
			require.NoError(t, err)
			defer f.Close()
			rows, err := csv.NewReader(f).ReadAll()
			require.NoError(t, err)
			require.Equal(t, []string{"timestamp", "demand", "forecast", "desired", "ready", "upper", "action", "reason"}, rows[0])
			require.Len(t, rows, len(plain.steps))
			actions := map[string]int{}
			for i, r := range rows[1:] {
				require.Equal(t, plain.steps[i+1], r[:5], "row %d: the contract columns are those of a run without -reasons", i+2)
				require.NotEmpty(t, r[7], "row %d", i+2)
				actions[r[6]]++
				if i == 0 {
					continue
				}
				prev := atof(t, rows[i][3])
				switch d := atof(t, r[3]); r[6] {
				case "scale_up":
					assert.Greater(t, d, prev, "row %d", i+2)
				case "scale_down":
					assert.Less(t, d, prev, "row %d", i+2)
				case "no_change":
				default:
					t.Fatalf("row %d: action %q", i+2, r[6])
				}
				if pol == "predictive" && i > 100 {
					assert.GreaterOrEqual(t, atof(t, r[5]), atof(t, r[2]), "row %d: the upper bound below the mean", i+2)
				}
			}
			assert.Positive(t, actions["scale_up"])
			assert.Positive(t, actions["scale_down"])
		})
	}
	var so, se bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"-trace", tr, "-policy", "reactive", "-reasons", "-quiet"}, &so, &se))
	assert.Contains(t, se.String(), "-reasons adds columns to the rows -out writes: give -out FILE")
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
		{"negative per-replica", []string{"-per-replica", "-3"}, "-per-replica -3 must be in (0, 1e+15]"},
		{"zero per-replica", []string{"-per-replica", "0"}, "-per-replica 0 must be in (0, 1e+15]"},
		{"NaN per-replica", []string{"-per-replica", "NaN"}, "-per-replica NaN must be in (0, 1e+15]"},
		{"huge per-replica", []string{"-per-replica", "1e308"}, "-per-replica 1e+308 must be in (0, 1e+15]"},
		{"zero quantile", []string{"-quantile", "0"}, "-quantile 0 must be in (0, 1)"},
		{"quantile 1", []string{"-quantile", "1"}, "-quantile 1 must be in (0, 1)"},
		{"NaN quantile", []string{"-quantile", "NaN"}, "-quantile NaN must be in (0, 1)"},
		{"negative downscale", []string{"-downscale-threshold", "-1"}, "-downscale-threshold -1 must be in (0, 1)"},
		{"NaN downscale", []string{"-downscale-threshold", "NaN"}, "-downscale-threshold NaN must be in (0, 1)"},
		{"zero downscale", []string{"-downscale-threshold", "0"}, "-downscale-threshold 0 must be in (0, 1)"},
		{"large downscale", []string{"-downscale-threshold", "5"}, "-downscale-threshold 5 must be in (0, 1)"},
		{"negative stabilization", []string{"-scale-down-stabilization", "-1m"}, "-scale-down-stabilization -1m0s must not be negative"},
		{"bad forecast select", []string{"-forecast-select", "best"}, `-forecast-select "best": want one of default, backtest, aicc, combined`},
		{"zero ramp window", []string{"-ramp-window", "0"}, "-ramp-window 0 must be at least 3"},
		{"negative residual window", []string{"-residual-window", "-1"}, "-residual-window -1 must not be negative"},
		{"negative forecast horizon", []string{"-forecast-horizon", "-1"}, "-forecast-horizon -1 must not be negative"},
		{"negative bias window", []string{"-bias-window", "-1h"}, "-bias-window -1h0m0s must not be negative"},
		{"zero step", []string{"-step", "0s"}, "-step 0s must be positive"},
		{"NaN target", []string{"-target-utilization", "NaN"}, "-target-utilization NaN"},
		{"sweep and policy", []string{"-sweep", "-policy", "reactive"}, "-sweep runs both policies"},
		{"scenario and policy", []string{"-scenario", "regression", "-policy", "reactive"}, "takes no -policy"},
		{"reasons and sweep", []string{"-sweep", "-reasons"}, "-reasons adds columns to the rows -out writes"},
		{"positional trace", []string{good}, `unexpected argument "` + good + `": give a trace with -trace FILE`},
		{"unknown flag", []string{"-traec", good}, "flag provided but not defined: -traec (see -help)"},
		{"missing file", []string{"-trace", filepath.Join(dir, "nope.csv")}, "no such file"},
		{"one row", []string{"-trace", write("h.csv", "time,v\n1,2\n")}, "need at least 2 rows, got 1"},
		{"non-numeric", []string{"-trace", write("n.csv", "timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,abc\n")}, "line 3: value \"abc\" is not a number"},
		{"NaN", []string{"-trace", write("nan.csv", "timestamp,value\n2026-01-01T00:00:00Z,NaN\n")}, "line 2: value \"NaN\" is not a finite number"},
		{"huge", []string{"-trace", write("huge.csv", "timestamp,value\n2026-01-01T00:00:00Z,1\n2026-01-01T00:01:00Z,1e308\n")}, "line 3: value \"1e308\" exceeds the largest accepted value 1e+15"},
		{"negative", []string{"-trace", write("neg.csv", "timestamp,value\n2026-01-01T00:00:00Z,-4\n")}, "line 2: value \"-4\" is negative"},
		{"gap", []string{"-trace", write("irr.csv", "timestamp,value\n0,1\n60,1\n180,1\n")}, "line 4: gap of 1 missing samples between 1970-01-01T00:01:00Z on line 3"},
		{"two samples in one slot", []string{"-trace", write("slot.csv", "timestamp,value\n31,1\n91,1\n121,1\n")}, "line 4: two samples in one slot: 1970-01-01T00:02:01Z is only 30s after 1970-01-01T00:01:31Z on line 3"},
		{"backwards", []string{"-trace", write("back.csv", "timestamp,value\n60,1\n0,1\n")}, "line 3: timestamp 1970-01-01T00:00:00Z is not after the previous one"},
		{"step with timestamps", []string{"-trace", good, "-step", "5m"}, "-step 5m0s: the trace has timestamps with a step of 5m0s"},
		{"bad scenario", []string{"-trace", good, "-scenario", "x"}, `-scenario "x"`},
		{"ready delay as long as the trace", []string{"-trace", good, "-ready-delay", "24h"}, "-ready-delay 24h0m0s must be shorter than the trace (288 steps of 5m0s)"},
		{"bad chart", []string{"-trace", good, "-policy", "reactive", "-per-replica", "100", "-chart", filepath.Join(dir, "c.gif")}, "want a .svg or .png"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := simulate(t, tc.args...)
			assert.NotZero(t, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assert.True(t, strings.HasPrefix(r.stderr, "simulate: "), r.stderr)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(r.stderr), "\n")+1, "one line: %q", r.stderr)
		})
	}
}

// TestOutputPathsCheckedFirst: a chart or output file that cannot be
// written is refused before the replay, whatever the mode.
func TestOutputPathsCheckedFirst(t *testing.T) {
	good := synthetic(t, 1, 1, 0)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing directory", []string{"-chart", "/nonexistent/x.svg"}, "-chart: /nonexistent/x.svg: cannot write to /nonexistent: no such file or directory"},
		{"pdf", []string{"-chart", filepath.Join(dir, "out.pdf")}, "want a .svg or .png file"},
		{"directory", []string{"-chart", filepath.Join(dir, "d.svg")}, "d.svg is a directory"},
		{"sweep", []string{"-sweep", "-chart", "/nonexistent/f.png"}, "cannot write to /nonexistent"},
		{"regression", []string{"-scenario", "regression", "-chart", "/nonexistent/r.svg"}, "cannot write to /nonexistent"},
		{"single policy", []string{"-policy", "reactive", "-chart", "/nonexistent/r.svg"}, "cannot write to /nonexistent"},
		{"steps file", []string{"-policy", "reactive", "-out", "/nonexistent/steps.csv"}, "-out: /nonexistent/steps.csv: cannot write"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "d.svg"), 0o755))
			var so, se bytes.Buffer
			code := run(context.Background(), append([]string{"-trace", good, "-per-replica", "100"}, tc.args...), &so, &se)
			assert.Equal(t, 2, code)
			assert.True(t, strings.HasPrefix(se.String(), "simulate: -"), se.String())
			assert.Contains(t, se.String(), tc.want)
			assert.NotContains(t, se.String(), "%", "no replay progress")
			assert.Empty(t, so.String())
		})
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "the checks leave nothing behind")
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-help", "--help", "-h"} {
		var so, se bytes.Buffer
		code := run(context.Background(), []string{arg}, &so, &se)
		assert.Equal(t, 0, code)
		assert.Empty(t, se.String())
		assert.True(t, strings.HasPrefix(so.String(), "Usage: simulate [flags]"), so.String())
		for _, f := range []string{"-trace", "-step", "-per-replica", "-quantile", "-downscale-threshold", "-ramp-window", "-chart", "-sweep", "-scenario"} {
			assert.Regexp(t, "\n  "+f+"[ \n]", so.String())
		}
	}
}

// A trace with a value column only is laid on the -step grid.
func TestValueOnlyTrace(t *testing.T) {
	var b strings.Builder
	b.WriteString("requests\n")
	for i := range 200 {
		fmt.Fprintf(&b, "%d\n", 500+int(300*math.Sin(float64(i)/20)))
	}
	p := filepath.Join(t.TempDir(), "v.csv")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	r := simulate(t, "-trace", p, "-step", "5m", "-per-replica", "100", "-policy", "reactive")
	require.Zero(t, r.code, r.stderr)
	require.Len(t, r.steps, 201)
	assert.Equal(t, "1970-01-01T00:00:00Z", r.steps[1][0])
	assert.Equal(t, "1970-01-01T00:05:00Z", r.steps[2][0])
	assert.Equal(t, 200, r.sum.Steps)
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
	assert.Equal(t, 3*14, rows, "one row per reactive target in each of the ready, paid and churn tables")
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
	// The JSON line reports the stack with shadows as the table's whole
	// trace row does.
	lines := strings.Split(strings.TrimSpace(so.String()), "\n")
	var sum summary
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &sum))
	for _, l := range lines {
		if strings.Contains(l, "under-provisioned steps, whole trace") {
			f := strings.Fields(l)
			assert.InDelta(t, pct(t, f[len(f)-1]), sum.Under, 0.00005, l)
		}
	}
	assert.Positive(t, sum.Under)
	assert.Greater(t, without, 0.05, "the forecast alone under-provisions after the regression")
	assert.Less(t, with, without/2, "shadows catch the regression: with %.3f, without %.3f, reactive %.3f", with, without, reac)
}

func pct(t *testing.T, s string) float64 {
	return atof(t, strings.TrimSuffix(s, "%")) / 100
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A replay whose Controller restarts part-way, from its snapshot and the
// trace's history, decides exactly as the uninterrupted replay.
func TestRestartAt(t *testing.T) {
	tr := synthetic(t, 4, 5, 0)
	r := simulate(t, "-trace", tr, "-per-replica", "100", "-policy", "predictive", "-restart-at", "700")
	require.Zero(t, r.code, r.stderr)
	require.NotNil(t, r.sum.Restart)
	assert.Equal(t, 700, r.sum.Restart.At)
	assert.True(t, r.sum.Restart.Restored)
	assert.Zero(t, r.sum.Restart.DifferingSteps)
	whole := r.sum
	whole.Restart = nil
	assert.Equal(t, whole, r.sum.Restart.Summary)

	c := simulate(t, "-trace", tr, "-per-replica", "100", "-restart-at", "700", "-chart", filepath.Join(t.TempDir(), "c.svg"))
	require.Zero(t, c.code, c.stderr)
	assert.Contains(t, c.stdout, "restart before step 700 (2026-03-04T10:20:00Z): snapshot restored true; 0 of 1152 steps differ")

	for _, args := range [][]string{{"-restart-at", "-1"}, {"-restart-at", "1152"}, {"-restart-at", "5", "-sweep"}} {
		bad := simulate(t, append([]string{"-trace", tr, "-per-replica", "100"}, args...)...)
		assert.Equal(t, 2, bad.code, "%v: %s", args, bad.stderr)
		assert.Contains(t, bad.stderr, "-restart-at")
	}
}

// TestScaleDownStabilization: the window reaches the predictive stack; a
// scale-down goes no lower than the highest ask within the window, so the
// stack releases and requests again less often.
func TestScaleDownStabilization(t *testing.T) {
	tr := synthetic(t, 4, 7, 0)
	base := simulate(t, "-trace", tr, "-per-replica", "100", "-policy", "predictive")
	require.Zero(t, base.code, base.stderr)
	held := simulate(t, "-trace", tr, "-per-replica", "100", "-policy", "predictive", "-scale-down-stabilization", "30m")
	require.Zero(t, held.code, held.stderr)
	assert.Less(t, held.sum.ReplicaStarts, base.sum.ReplicaStarts)
	assert.Less(t, held.sum.ScaleEvents, base.sum.ScaleEvents)
	assert.LessOrEqual(t, held.sum.Under, base.sum.Under)
	// A scale-up is the stack's own ask; for the next 25 minutes (five
	// 5-minute steps, inside the window) nothing goes below it.
	desired := make([]float64, 0, len(held.steps))
	for _, row := range held.steps[1:] {
		d, err := strconv.ParseFloat(row[3], 64)
		require.NoError(t, err)
		desired = append(desired, d)
	}
	rises := 0
	for j := 1; j < len(desired); j++ {
		if desired[j] <= desired[j-1] {
			continue
		}
		rises++
		for i := j + 1; i <= min(j+5, len(desired)-1); i++ {
			require.GreaterOrEqual(t, desired[i], desired[j], "step %d went below the scale-up of step %d", i, j)
		}
	}
	require.NotZero(t, rises)
}

// TestForecastSelect: -forecast-select reaches the forecaster. At the
// Controller's horizon (15 steps, a daily period of 288) the default is the
// backtest pick, so naming it changes nothing; the combination forecasts
// differently.
func TestForecastSelect(t *testing.T) {
	tr := synthetic(t, 4, 9, 0)
	args := []string{"-trace", tr, "-per-replica", "100", "-policy", "predictive"}
	def := simulate(t, args...)
	require.Zero(t, def.code, def.stderr)
	bt := simulate(t, append(args, "-forecast-select", "backtest")...)
	require.Zero(t, bt.code, bt.stderr)
	assert.Equal(t, def.steps, bt.steps)
	comb := simulate(t, append(args, "-forecast-select", "combined")...)
	require.Zero(t, comb.code, comb.stderr)
	differ := 0
	for i := 1; i < len(def.steps); i++ {
		if def.steps[i][2] != comb.steps[i][2] {
			differ++
		}
	}
	assert.Greater(t, differ, len(def.steps)/10, "forecast column of the combination vs the default")
}

// TestForecasterFlags: -residual-window and -forecast-horizon reach the
// forecaster. At 5-minute steps their defaults are 24 steps (two hours)
// and 15 steps, so naming them changes nothing; another value (the
// residual window's former default, 120 steps; a 3-step backtest; no
// early refits) provisions differently.
func TestForecasterFlags(t *testing.T) {
	tr := synthetic(t, 4, 9, 0)
	args := []string{"-trace", tr, "-per-replica", "100", "-policy", "predictive"}
	def := simulate(t, args...)
	require.Zero(t, def.code, def.stderr)
	for _, tc := range []struct{ flag, same, other string }{
		{"-residual-window", "24", "120"},
		{"-forecast-horizon", "15", "3"},
		{"-bias-window", "1h", "0"},
	} {
		same := simulate(t, append(args, tc.flag, tc.same)...)
		require.Zero(t, same.code, same.stderr)
		assert.Equal(t, def.steps, same.steps, "%s %s", tc.flag, tc.same)
		other := simulate(t, append(args, tc.flag, tc.other)...)
		require.Zero(t, other.code, other.stderr)
		assert.NotEqual(t, def.steps, other.steps, "%s %s", tc.flag, tc.other)
	}
}

// TestTraceStartingWithZeros: a load that begins after two days of zeros
// (metrics exported before the service takes traffic) is provisioned near
// what the reactive baseline holds from its first day, not at several
// times the load while forecasters fitted on the zeros forecast nothing.
func TestTraceStartingWithZeros(t *testing.T) {
	src := synthetic(t, 4, 3, 0)
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i := 1; i <= 2*288; i++ {
		ts, _, _ := strings.Cut(lines[i], ",")
		lines[i] = ts + ",0"
	}
	tr := filepath.Join(t.TempDir(), "zeros-first.csv")
	require.NoError(t, os.WriteFile(tr, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	args := []string{"-trace", tr, "-per-replica", "100", "-target-utilization", "0.7"}
	pred := simulate(t, append(args, "-policy", "predictive")...)
	require.Zero(t, pred.code, pred.stderr)
	reac := simulate(t, append(args, "-policy", "reactive")...)
	require.Zero(t, reac.code, reac.stderr)
	ready := func(r runOut) float64 {
		var sum float64
		for _, row := range r.steps[1+2*288 : 1+3*288] { // the first day of load
			v, err := strconv.ParseFloat(row[4], 64)
			require.NoError(t, err)
			sum += v
		}
		return sum
	}
	p, r := ready(pred), ready(reac)
	require.Positive(t, r)
	t.Logf("first day of load: predictive %.2f times the reactive baseline's ready replica-steps", p/r)
	assert.Less(t, p, 1.6*r, "replica-steps ready on the first day of load: predictive %.0f, reactive %.0f", p, r)
}

// TestZeroReadyDelayIsNoLeadTime: -ready-delay 0 gives the Controller no
// lead time, not shadow.Config's 10-minute default.
func TestZeroReadyDelayIsNoLeadTime(t *testing.T) {
	assert.Less(t, leadTime(0), time.Duration(0), "a negative LeadTime selects none")
	assert.Equal(t, 3*time.Minute, leadTime(3*time.Minute))
}
