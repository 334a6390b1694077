// Command simulate replays a demand trace through the real shadow.Controller
// and compares the predictive stack with the reactive HPA baseline.
//
// With no flags it replays an embedded real trace (NASA Kennedy Space
// Center WWW server, July 1995, requests per minute) with both policies,
// prints a side-by-side table and writes a chart:
//
//	go run ./examples/simulate
//
// One policy, with the per-step output other tools read:
//
//	go run ./examples/simulate -trace FILE.csv -per-replica C -ready-delay 10m \
//	    -policy predictive|reactive [-target-utilization 0.7] [-min 1] [-max 10000] \
//	    -out steps.csv [-chart chart.svg]
//
// The trace is read by package series: timestamp,value rows on a regular
// grid, or a single value column laid on -step (default one minute), with
// or without a header. steps.csv has the header
// timestamp,demand,forecast,desired,ready and one row per trace step; the
// last line of stdout is a JSON summary. With -reasons each row also gives
// upper,action,reason: the upper bound made at the previous step (as the
// forecast column is), and what the step's pass did and why, as the policy
// and the Controller's safety rules worded it. -help lists every flag; a flag out
// of range, an output path that cannot be written and a positional argument
// are errors (exit status 2) found before any replay. -sweep runs
// both policies over target utilizations and draws both trade-off
// frontiers; -scenario regression drops per-replica capacity by 30% part-way
// through and compares the predictive stack with and without shadows.
//
// -restart-at STEP restarts the Controller before that trace step, as a
// deploy or an OOM kill would: the first Controller saves a snapshot after
// every pass (shadow.WithStateStore), and a new Controller, forecaster and
// policy restore it and read the history back from the trace (a
// shadow.HistorySource); the production and shadow groups and the mirror
// live on. The restarted replay runs next to the uninterrupted one: the
// table gains a line and the JSON summary a "restart" field with the step,
// whether the snapshot was restored, how many steps differ (requested,
// ready or shadow replicas, action, shadow trigger, or the one-step
// forecast and its upper bound beyond 1e-9 relative; 0 when the restart
// changes nothing) and the restarted replay's own summary. Encoding a
// snapshot on every pass makes that replay several times slower than a
// plain one.
package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/internal/syncbuf"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/series"
)

//go:embed data/nasa-ksc-jul95-1min.csv
var embeddedTrace []byte

const embeddedName = "NASA KSC WWW server, July 1995 (requests per minute, embedded)"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	trace          string
	perReplica     float64
	readyDelay     time.Duration
	policy         string
	target         float64
	min, max       int
	out            string
	chart          string
	sweep          bool
	scenario       string
	shadows        bool
	quiet          bool
	quantile       float64
	downscale      float64
	scaleIn        bool
	ramp           bool
	rampWindow     int
	step           time.Duration
	set            map[string]bool // flags given on the command line
	rule           string
	stabilize      time.Duration
	selectName     string
	residualWindow int
	horizon        int
	biasWindow     time.Duration
	restartAt      int
	reasons        bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c config
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	var flagOut bytes.Buffer
	fs.SetOutput(&flagOut)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHead)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.trace, "trace", "", "trace CSV `file` read by package series (timestamp,value or value only); empty: the embedded NASA July 1995 trace")
	fs.DurationVar(&c.step, "step", time.Minute, "interval between the samples of a trace without timestamps")
	fs.Float64Var(&c.perReplica, "per-replica", 0, "demand one replica serves at 100% utilization, in (0, 1e15] (default: trace maximum / 40)")
	fs.DurationVar(&c.readyDelay, "ready-delay", 10*time.Minute, "time from a replica request until it serves, shorter than the trace; 0: at once")
	fs.StringVar(&c.policy, "policy", "", "predictive or reactive (empty: both, side by side)")
	fs.Float64Var(&c.target, "target-utilization", 0.7, "utilization both policies aim for, in (0, 1]")
	fs.IntVar(&c.min, "min", 1, "minimum replicas")
	fs.IntVar(&c.max, "max", 10000, "maximum replicas")
	fs.StringVar(&c.out, "out", "", "write per-step rows to this CSV `file`")
	fs.BoolVar(&c.reasons, "reasons", false, "with -out: add three columns after the five the file always has: upper (the upper bound made at the previous step, as forecast is: the bound on the lead window's peak, else the step's own), and the action and reason of this step's pass")
	fs.StringVar(&c.chart, "chart", "", "write a chart to this SVG or PNG `file` (default: simulate.svg comparing both policies, frontier.svg with -sweep, regression.svg with -scenario; none with -policy)")
	fs.BoolVar(&c.sweep, "sweep", false, "run both policies over target utilizations 0.50..0.95 and draw both frontiers")
	fs.StringVar(&c.scenario, "scenario", "", "regression: per-replica capacity drops 30% at 60% of the trace; compares with and without shadows")
	fs.BoolVar(&c.shadows, "shadows", true, "predictive: run the shadow pool and use its signal")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress lines on stderr")
	fs.Float64Var(&c.quantile, "quantile", policy.DefaultQuantile, "predictive: forecast quantile provisioned for, in (0, 1)")
	fs.Float64Var(&c.downscale, "downscale-threshold", policy.DefaultPredictiveConfig().Threshold.DownscaleThreshold,
		"predictive: scale down when the predicted peak needs less than this fraction of current capacity at the target, in (0, 1)")
	fs.BoolVar(&c.scaleIn, "forecast-scale-in", false, "predictive: let the forecast scale in below what the observed load needs")
	fs.BoolVar(&c.ramp, "ramp", true, "predictive: lift the forecast along the load's recent slope when it climbs (policy.Ramp)")
	fs.IntVar(&c.rampWindow, "ramp-window", 10, "predictive: passes the ramp slope is fitted on, at least 3 (more when the ready delay spans more passes)")
	fs.IntVar(&c.restartAt, "restart-at", 0, "restart the Controller before this trace `step`: a new Controller restores the snapshot the first saved and reads the history back from the trace; the restarted replay is reported next to the uninterrupted one (0: no restart)")
	fs.DurationVar(&c.stabilize, "scale-down-stabilization", 0, "predictive: a scale-down of the stack goes no lower than its highest ask within this window (policy.Stabilize; 0: off)")
	fs.StringVar(&c.selectName, "forecast-select", "default", "predictive: how the forecaster chooses its model: default, backtest, combined (median of three selections) or aicc (forecast.AutoConfig.Select)")
	fs.IntVar(&c.horizon, "forecast-horizon", 0, "predictive: steps ahead the forecaster's backtest scores its candidates (forecast.AutoConfig.Horizon; 0: the default, 15 steps and at most 75 minutes)")
	fs.DurationVar(&c.biasWindow, "bias-window", time.Hour, "predictive: time constant of the tracking signal that refits the forecaster early when its forecasts run high, at least 12 trace steps (forecast.AutoConfig.BiasWindow; 0: never)")
	fs.IntVar(&c.residualWindow, "residual-window", 0, "predictive: time constant, in trace steps, of the forecaster's error scale (forecast.AutoConfig.ResidualWindow; 0: the default, two hours of steps and at least 24)")
	fs.StringVar(&c.rule, "rule", "threshold", "predictive: forecast rule, threshold (follows the lead-window peak) or planner (plans over the lead window and beyond, as a bill counts)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.Copy(stdout, &flagOut)
			return 0
		}
		fmt.Fprintf(stderr, "simulate: %v (see -help)\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "simulate: unexpected argument %q: give a trace with -trace FILE (see -help)\n", fs.Arg(0))
		return 2
	}
	c.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	if err := c.validate(); err != nil {
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		return 2
	}
	if err := c.run(ctx, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "simulate: %v\n", err)
		if errors.As(err, new(flagError)) {
			return 2
		}
		return 1
	}
	return 0
}

// selectNames are the -forecast-select values: the names of the
// forecast.SelectMethod values, indexed by them.
var selectNames = func() []string {
	var names []string
	for m := forecast.SelectDefault; m <= forecast.SelectCombined; m++ {
		names = append(names, m.String())
	}
	return names
}()

const usageHead = `Usage: simulate [flags]

Replays a demand trace through the shadow.Controller and compares the
predictive stack with the reactive HPA baseline. With no flags: the embedded
NASA July 1995 trace, both policies, a table and simulate.svg. The trace is
given with -trace FILE; positional arguments are refused.

Flags:
`

// validate checks every flag and fixes the chart path of the mode, so that
// nothing is found wrong only after a replay.
func (c *config) validate() error {
	switch {
	case c.policy != "" && c.policy != "predictive" && c.policy != "reactive":
		return fmt.Errorf("-policy %q: want predictive or reactive", c.policy)
	case c.set["per-replica"] && !(c.perReplica > 0 && c.perReplica <= series.DefaultMaxValue):
		return fmt.Errorf("-per-replica %v must be in (0, %g]", c.perReplica, series.DefaultMaxValue)
	case c.step <= 0:
		return fmt.Errorf("-step %s must be positive", c.step)
	case !(c.quantile > 0 && c.quantile < 1):
		return fmt.Errorf("-quantile %v must be in (0, 1)", c.quantile)
	case !(c.downscale > 0 && c.downscale < 1):
		return fmt.Errorf("-downscale-threshold %v must be in (0, 1)", c.downscale)
	case c.rampWindow < 3:
		return fmt.Errorf("-ramp-window %d must be at least 3", c.rampWindow)
	case c.readyDelay < 0:
		return fmt.Errorf("-ready-delay %s must not be negative", c.readyDelay)
	case !(c.target > 0 && c.target <= 1):
		return fmt.Errorf("-target-utilization %v must be in (0, 1]", c.target)
	case c.min < 0:
		return fmt.Errorf("-min %d must not be negative", c.min)
	case c.min > c.max:
		return fmt.Errorf("-min %d must not exceed -max %d", c.min, c.max)
	case c.max < 1:
		return fmt.Errorf("-max %d must be at least 1", c.max)
	case c.scenario != "" && c.scenario != "regression":
		return fmt.Errorf("-scenario %q: want regression", c.scenario)
	case c.sweep && (c.scenario != "" || c.policy != ""):
		return errors.New("-sweep runs both policies: it takes neither -policy nor -scenario")
	case c.scenario != "" && c.policy != "":
		return errors.New("-scenario regression runs every policy: it takes no -policy")
	case c.residualWindow < 0:
		return fmt.Errorf("-residual-window %d must not be negative", c.residualWindow)
	case c.horizon < 0:
		return fmt.Errorf("-forecast-horizon %d must not be negative", c.horizon)
	case c.biasWindow < 0:
		return fmt.Errorf("-bias-window %s must not be negative", c.biasWindow)
	case c.stabilize < 0:
		return fmt.Errorf("-scale-down-stabilization %s must not be negative", c.stabilize)
	case !slices.Contains(selectNames, c.selectName):
		return fmt.Errorf("-forecast-select %q: want one of %s", c.selectName, strings.Join(selectNames, ", "))
	case c.rule != "planner" && c.rule != "threshold":
		return fmt.Errorf("-rule %q: want planner or threshold", c.rule)
	case c.restartAt < 0:
		return fmt.Errorf("-restart-at %d must not be negative", c.restartAt)
	case c.reasons && (c.out == "" || c.sweep || c.scenario != ""):
		return errors.New("-reasons adds columns to the rows -out writes: give -out FILE, with -policy or the side-by-side run")
	case c.restartAt > 0 && (c.sweep || c.scenario != ""):
		return errors.New("-restart-at compares one replay with its restarted twin: it takes neither -sweep nor -scenario")
	}
	if c.chart == "" {
		switch {
		case c.sweep:
			c.chart = "frontier.svg"
		case c.scenario == "regression":
			c.chart = "regression.svg"
		case c.policy == "":
			c.chart = "simulate.svg"
		}
	}
	if c.chart != "" {
		if ext := strings.ToLower(filepath.Ext(c.chart)); ext != ".svg" && ext != ".png" {
			return fmt.Errorf("-chart %s: want a .svg or .png file", c.chart)
		}
		if err := checkWritable(c.chart); err != nil {
			return fmt.Errorf("-chart: %w", err)
		}
	}
	if c.out != "" {
		if err := checkWritable(c.out); err != nil {
			return fmt.Errorf("-out: %w", err)
		}
	}
	return nil
}

// givenStep is -step if given, else 0.
func (c *config) givenStep() time.Duration {
	if c.set["step"] {
		return c.step
	}
	return 0
}

func (c *config) loadTrace() (Trace, string, error) {
	if c.trace == "" {
		tr, err := readTrace(bytes.NewReader(embeddedTrace), c.givenStep())
		return tr, embeddedName, err
	}
	f, err := os.Open(c.trace)
	if err != nil {
		return Trace{}, "", err
	}
	defer f.Close()
	tr, err := readTrace(f, c.givenStep())
	if err != nil {
		return Trace{}, "", fmt.Errorf("%s: %w", c.trace, err)
	}
	return tr, c.trace, nil
}

func (c *config) run(ctx context.Context, stdout, stderr io.Writer) error {
	tr, name, err := c.loadTrace()
	if err != nil {
		return err
	}
	// The forecast horizon is the ready delay: one as long as the trace
	// would forecast past its end on every pass.
	if span := time.Duration(tr.Len()) * tr.Step; c.readyDelay >= span {
		return flagError{fmt.Errorf("-ready-delay %s must be shorter than the trace (%d steps of %s)", c.readyDelay, tr.Len(), tr.Step)}
	}
	if c.restartAt >= tr.Len() {
		return flagError{fmt.Errorf("-restart-at %d: the trace has %d steps", c.restartAt, tr.Len())}
	}
	if c.perReplica == 0 {
		mx := 0.0
		for _, v := range tr.Values {
			mx = max(mx, v)
		}
		if mx == 0 {
			return errors.New("-per-replica: the trace is all zeros; give -per-replica")
		}
		c.perReplica = mx / 40
	}
	var progress io.Writer
	if !c.quiet {
		// Replays run two at a time and share the writer.
		progress = &syncbuf.Writer{W: stderr}
	}
	base := options{PerReplica: c.perReplica, ReadyDelay: c.readyDelay, Target: c.target, Min: c.min, Max: c.max,
		Shadows: c.shadows, Progress: progress, RegressionFactor: 0.7,
		Quantile: c.quantile, DownscaleThreshold: c.downscale, ForecastScaleIn: c.scaleIn,
		NoRamp: !c.ramp, RampWindow: c.rampWindow, Rule: c.rule, ScaleDownStabilization: c.stabilize,
		Select: forecast.SelectMethod(slices.Index(selectNames, c.selectName)), ResidualWindow: c.residualWindow, Horizon: c.horizon,
		BiasWindow: c.biasWindow, Reasons: c.reasons}
	if c.biasWindow == 0 {
		base.BiasWindow = -1
	}
	switch {
	case c.sweep:
		return c.runSweep(ctx, tr, name, base, stdout)
	case c.scenario == "regression":
		return c.runRegression(ctx, tr, name, base, stdout)
	case c.policy == "":
		return c.runCompare(ctx, tr, name, base, stdout)
	}
	o := base
	o.Policy, o.Label = c.policy, c.policy
	res, err := replayWithRestart(ctx, tr, o, c.restartAt)
	if err != nil {
		return err
	}
	if c.out != "" {
		if err := writeSteps(c.out, res.Rows, c.reasons); err != nil {
			return err
		}
	}
	if c.chart != "" {
		if err := drawReplay(c.chart, name, tr, []*result{res}); err != nil {
			return err
		}
	}
	return writeJSON(stdout, res.Summary)
}

// flagError is a flag found out of range once the trace is read, before
// any replay: exit status 2, as for the other flag errors.
type flagError struct{ error }

// replayWithRestart replays o and, with restartAt > 0, the same replay
// restarted before step restartAt, which it reports in the Summary.
func replayWithRestart(ctx context.Context, tr Trace, o options, restartAt int) (*result, error) {
	if restartAt <= 0 {
		return replay(ctx, tr, o)
	}
	r := o
	r.RestartAt, r.Label = restartAt, o.Label+" (restarted)"
	res, err := replayAll(ctx, tr, []options{o, r})
	if err != nil {
		return nil, err
	}
	res[0].Summary.Restart = compareRestart(res[0], res[1])
	return res[0], nil
}

// compareRestart counts the steps where the restarted replay's row (its
// requested, ready and shadow replicas, its action, the shadow trigger and
// the forecast and its upper bound, to 1e-9 relative) differs from the
// uninterrupted one's.
func compareRestart(whole, restarted *result) *restartResult {
	out := &restartResult{At: restarted.Opts.RestartAt, Restored: restarted.restored, Summary: restarted.Summary}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b))) }
	for i, r := range whole.Rows {
		q := restarted.Rows[i]
		if q.Desired != r.Desired || q.Ready != r.Ready || q.Shadows != r.Shadows || q.Action != r.Action || q.ShadowUp != r.ShadowUp ||
			!near(q.Forecast, r.Forecast) || !near(q.Upper, r.Upper) {
			out.DifferingSteps++
		}
	}
	return out
}

// restartLine says how the restarted replay compares.
func restartLine(w io.Writer, tr Trace, r *restartResult) {
	fmt.Fprintf(w, "\nrestart before step %d (%s): snapshot restored %t; %d of %d steps differ from the uninterrupted replay; restarted: under-provisioned %.2f%%, capacity ratio %.3f, scale events %d\n",
		r.At, tr.Times[r.At].Format(time.RFC3339), r.Restored, r.DifferingSteps, tr.Len(), 100*r.Summary.Under, r.Summary.CapacityRatio, r.Summary.ScaleEvents)
}

func writeJSON(w io.Writer, s summary) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// writeSteps writes the per-step contract file; with reasons, each row
// also gives the upper bound made at the previous step, and the action and
// reason of the step's pass.
func writeSteps(path string, rows []row, reasons bool) error {
	var b strings.Builder
	b.WriteString("timestamp,demand,forecast,desired,ready")
	if reasons {
		b.WriteString(",upper,action,reason")
	}
	b.WriteByte('\n')
	for _, r := range rows {
		b.WriteString(r.Time.Format(time.RFC3339))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(r.Demand, 'f', -1, 64))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(r.Forecast, 'f', 6, 64))
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(r.Desired))
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(r.Ready))
		if reasons {
			b.WriteByte(',')
			b.WriteString(strconv.FormatFloat(r.Upper, 'f', 6, 64))
			b.WriteByte(',')
			b.WriteString(r.Action.String())
			b.WriteString(",\"")
			b.WriteString(strings.ReplaceAll(r.Reason, "\"", "\"\""))
			b.WriteByte('"')
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	return nil
}
