package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"

	"golang.org/x/sync/errgroup"
)

// replayAll runs the replays with at most two at a time and returns the
// results in the order of opts.
func replayAll(ctx context.Context, tr Trace, opts []options) ([]*result, error) {
	res := make([]*result, len(opts))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for i, o := range opts {
		g.Go(func() error {
			r, err := replay(ctx, tr, o)
			if err != nil {
				return fmt.Errorf("%s: %w", o.Label, err)
			}
			res[i] = r
			return nil
		})
	}
	return res, g.Wait()
}

// perfect is the perfect-foresight policy: ready = ceil(demand / C) at
// every step. It returns its capacity ratio.
func perfect(tr Trace, perReplica float64) float64 {
	var c, d float64
	for _, v := range tr.Values {
		c += math.Ceil(v/perReplica-1e-9) * perReplica
		d += v
	}
	if d == 0 {
		return 0
	}
	return c / d
}

func header(w io.Writer, name string, tr Trace, o options) {
	fmt.Fprintf(w, "trace: %s\n%d steps of %s; per-replica capacity %.4g; ready delay %s; target utilization %.2f\n\n",
		name, tr.Len(), tr.Step, o.PerReplica, o.ReadyDelay, o.Target)
}

func (c *config) runCompare(ctx context.Context, tr Trace, name string, base options, stdout io.Writer) error {
	p, r := base, base
	p.Policy, p.Label = "predictive", "predictive"
	r.Policy, r.Label = "reactive", "reactive"
	opts := []options{p, r}
	if c.restartAt > 0 {
		q := p
		q.RestartAt, q.Label = c.restartAt, "predictive (restarted)"
		opts = append(opts, q)
	}
	res, err := replayAll(ctx, tr, opts)
	if err != nil {
		return err
	}
	pred, reac := res[0], res[1]
	if c.restartAt > 0 {
		pred.Summary.Restart = compareRestart(pred, res[2])
	}
	header(stdout, name, tr, base)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\tpredictive + shadows\treactive (HPA)\tperfect foresight\t\n")
	fmt.Fprintf(tw, "under-provisioned steps\t%.2f%%\t%.2f%%\t0%%\t\n", 100*pred.Summary.Under, 100*reac.Summary.Under)
	pf := perfect(tr, base.PerReplica)
	fmt.Fprintf(tw, "capacity ratio (Σ ready×C / Σ demand)\t%.3f\t%.3f\t%.3f\t\n", pred.Summary.CapacityRatio, reac.Summary.CapacityRatio, pf)
	fmt.Fprintf(tw, "paid capacity ratio (Σ requested×C / Σ demand)\t%.3f\t%.3f\t%.3f\t\n", pred.Summary.PaidCapacityRatio, reac.Summary.PaidCapacityRatio, pf)
	fmt.Fprintf(tw, "replica-hours ready / paid\t%.0f / %.0f\t%.0f / %.0f\t\t\n", pred.Summary.ReplicaHours, pred.Summary.PaidHours, reac.Summary.ReplicaHours, reac.Summary.PaidHours)
	fmt.Fprintf(tw, "scale events\t%d\t%d\t\t\n", pred.Summary.ScaleEvents, reac.Summary.ScaleEvents)
	fmt.Fprintf(tw, "replica starts (Σ increases of requested)\t%d\t%d\t\t\n", pred.Summary.ReplicaStarts, reac.Summary.ReplicaStarts)
	fmt.Fprintf(tw, "worst shortfall (replicas)\t%.1f\t%.1f\t0\t\n", pred.Summary.WorstShortfall, reac.Summary.WorstShortfall)
	fmt.Fprintf(tw, "shadow replica-hours (cost at $%.3f/h)\t%.0f ($%.2f)\t-\t\t\n", shadowCatalog[0].HourlyPrice, pred.Summary.ShadowHours, pred.Summary.ShadowHours*shadowCatalog[0].HourlyPrice)
	fmt.Fprintf(tw, "scale-ups triggered by shadows\t%d\t-\t\t\n", pred.Summary.ShadowScaleUps)
	fmt.Fprintf(tw, "forecast model (last selection)\t%s\t-\t\t\n", pred.Model)
	tw.Flush()
	if r := pred.Summary.Restart; r != nil {
		restartLine(stdout, tr, r)
	}
	chart := c.chart
	if chart == "" {
		chart = "simulate.svg"
	}
	if err := drawReplay(chart, name, tr, []*result{pred, reac}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nchart: %s\n", chart)
	if c.out != "" {
		if err := writeSteps(c.out, pred.Rows, c.reasons); err != nil {
			return err
		}
	}
	return writeJSON(stdout, pred.Summary)
}

// point is one run on the trade-off plane; Cap is the capacity ratio on
// the axis being judged (ready or paid).
type point struct {
	Target float64
	Under  float64
	Cap    float64
}

// churn is one run's scale events and replica starts.
type churn struct {
	Target         float64
	Events, Starts int
}

// frontier keeps the Pareto-optimal points, capacity ascending.
func frontier(pts []point) []point {
	s := append([]point(nil), pts...)
	sort.Slice(s, func(i, j int) bool { return s[i].Cap < s[j].Cap })
	var f []point
	best := math.Inf(1)
	for _, p := range s {
		if p.Under < best {
			f = append(f, p)
			best = p.Under
		}
	}
	return f
}

// underAt interpolates the frontier's under-provisioning at capacity cap.
func underAt(f []point, cap float64) float64 {
	if cap <= f[0].Cap {
		return f[0].Under
	}
	for i := 1; i < len(f); i++ {
		a, b := f[i-1], f[i]
		if a.Cap <= cap && cap <= b.Cap {
			return a.Under + (b.Under-a.Under)*(cap-a.Cap)/(b.Cap-a.Cap)
		}
	}
	return f[len(f)-1].Under
}

// capAt interpolates the capacity the frontier needs to reach under; ok is
// false when no swept point gets that low.
func capAt(f []point, under float64) (float64, bool) {
	if under >= f[0].Under {
		return f[0].Cap, true
	}
	for i := 1; i < len(f); i++ {
		a, b := f[i-1], f[i]
		if b.Under <= under && under <= a.Under {
			if a.Under == b.Under {
				return b.Cap, true
			}
			return a.Cap + (b.Cap-a.Cap)*(a.Under-under)/(a.Under-b.Under), true
		}
	}
	return 0, false
}

func targets(lo, hi float64) []float64 {
	var t []float64
	for x := lo; x <= hi+1e-9; x += 0.05 {
		t = append(t, math.Round(x*100)/100)
	}
	return t
}

func (c *config) runSweep(ctx context.Context, tr Trace, name string, base options, stdout io.Writer) error {
	var opts []options
	rt, pt := targets(0.30, 0.95), targets(0.50, 0.95)
	for _, t := range rt {
		o := base
		o.Policy, o.Target, o.Label, o.Progress = "reactive", t, fmt.Sprintf("reactive@%.2f", t), nil
		opts = append(opts, o)
	}
	for _, t := range pt {
		o := base
		o.Policy, o.Target, o.Label = "predictive", t, fmt.Sprintf("predictive@%.2f", t)
		o.Progress = progressEvery(base.Progress, o.Label)
		opts = append(opts, o)
	}
	res, err := replayAll(ctx, tr, opts)
	if err != nil {
		return err
	}
	var reac, pred, reacPaid, predPaid []point
	var reacChurn, predChurn []churn
	for _, r := range res {
		p := point{Target: r.Opts.Target, Under: r.Summary.Under, Cap: r.Summary.CapacityRatio}
		paid := point{Target: r.Opts.Target, Under: r.Summary.Under, Cap: r.Summary.PaidCapacityRatio}
		ch := churn{Target: r.Opts.Target, Events: r.Summary.ScaleEvents, Starts: r.Summary.ReplicaStarts}
		if r.Opts.Policy == "reactive" {
			reac, reacPaid, reacChurn = append(reac, p), append(reacPaid, paid), append(reacChurn, ch)
		} else {
			pred, predPaid, predChurn = append(pred, p), append(predPaid, paid), append(predChurn, ch)
		}
	}
	pf := perfect(tr, base.PerReplica)
	header(stdout, name, tr, base)
	fmt.Fprintf(stdout, "capacity counted on ready replicas (Σ ready×C / Σ demand):\n\n")
	writeSweepTable(stdout, reac, pred, pf)
	fmt.Fprintf(stdout, "\ncapacity counted as paid, on requested replicas, booting included (Σ requested×C / Σ demand):\n\n")
	writeSweepTable(stdout, reacPaid, predPaid, pf)
	fmt.Fprintf(stdout, "\nscale events and replica starts (Σ increases of requested):\n\n")
	writeChurnTable(stdout, reacChurn, predChurn)
	chart := c.chart
	if chart == "" {
		chart = "frontier.svg"
	}
	if err := drawFrontier(chart, name, reac, pred, pf); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nchart: %s\n", chart)
	return nil
}

// progressEvery passes progress through for one replay of a sweep only, to
// keep stderr readable.
func progressEvery(w io.Writer, label string) io.Writer {
	if w == nil || !strings.HasSuffix(label, "@0.70") {
		return nil
	}
	return w
}

// verdict compares one predictive point with the reactive frontier.
type verdict struct {
	UnderFrontier float64 // the frontier's under-provisioning at the same capacity
	Cut           float64 // 1 − under / UnderFrontier
	CapFrontier   float64 // the frontier's capacity at the same under-provisioning
	HasCap        bool
	Saving        float64 // 1 − cap / CapFrontier
	GapClosed     float64 // (CapFrontier − cap) / (CapFrontier − perfect)
}

func judge(reac []point, p point, perfectCap float64) verdict {
	f := frontier(reac)
	v := verdict{UnderFrontier: underAt(f, p.Cap)}
	if v.UnderFrontier > 0 {
		v.Cut = 1 - p.Under/v.UnderFrontier
	}
	v.CapFrontier, v.HasCap = capAt(f, p.Under)
	if !v.HasCap {
		// No swept reactive setting gets this low: compare with the
		// reactive point that under-provisions least.
		v.CapFrontier = f[len(f)-1].Cap
	}
	v.Saving = 1 - p.Cap/v.CapFrontier
	if v.CapFrontier > perfectCap {
		v.GapClosed = (v.CapFrontier - p.Cap) / (v.CapFrontier - perfectCap)
	}
	return v
}

func writeSweepTable(w io.Writer, reac, pred []point, perfectCap float64) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "target\treactive under\treactive cap\tpredictive under\tpredictive cap\tHPA under at equal cap\tcut\tHPA cap at equal under\tsaving\tgap closed\t\n")
	byT := map[float64]point{}
	for _, p := range reac {
		byT[p.Target] = p
	}
	for _, t := range targets(0.30, 0.95) {
		r := byT[t]
		var pp *point
		for i := range pred {
			if pred[i].Target == t {
				pp = &pred[i]
			}
		}
		if pp == nil {
			fmt.Fprintf(tw, "%.2f\t%.2f%%\t%.3f\t\t\t\t\t\t\t\t\n", t, 100*r.Under, r.Cap)
			continue
		}
		v := judge(reac, *pp, perfectCap)
		cf := fmt.Sprintf("%.3f", v.CapFrontier)
		if !v.HasCap {
			cf = ">" + cf
		}
		fmt.Fprintf(tw, "%.2f\t%.2f%%\t%.3f\t%.2f%%\t%.3f\t%.2f%%\t%.0f%%\t%s\t%.0f%%\t%.0f%%\t\n",
			t, 100*r.Under, r.Cap, 100*pp.Under, pp.Cap, 100*v.UnderFrontier, 100*v.Cut, cf, 100*v.Saving, 100*v.GapClosed)
	}
	fmt.Fprintf(tw, "perfect foresight\t\t\t0%%\t%.3f\t\t\t\t\t\t\n", perfectCap)
	tw.Flush()
}

// writeChurnTable writes scale events and replica starts per target, and
// the predictive stack's starts relative to the reactive ones.
func writeChurnTable(w io.Writer, reac, pred []churn) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "target\treactive events\treactive starts\tpredictive events\tpredictive starts\tstarts vs reactive\t\n")
	byT := map[float64]churn{}
	for _, p := range pred {
		byT[p.Target] = p
	}
	for _, r := range reac {
		p, ok := byT[r.Target]
		if !ok {
			fmt.Fprintf(tw, "%.2f\t%d\t%d\t\t\t\t\n", r.Target, r.Events, r.Starts)
			continue
		}
		ratio := "-"
		if r.Starts > 0 {
			ratio = fmt.Sprintf("%.2f×", float64(p.Starts)/float64(r.Starts))
		}
		fmt.Fprintf(tw, "%.2f\t%d\t%d\t%d\t%d\t%s\t\n", r.Target, r.Events, r.Starts, p.Events, p.Starts, ratio)
	}
	tw.Flush()
}

func (c *config) runRegression(ctx context.Context, tr Trace, name string, base options, stdout io.Writer) error {
	base.RegressionAt = 0.6
	r, p, s := base, base, base
	r.Policy, r.Label, r.Shadows = "reactive", "reactive", false
	p.Policy, p.Label, p.Shadows = "predictive", "predictive without shadows", false
	s.Policy, s.Label, s.Shadows = "predictive", "predictive with shadows", true
	res, err := replayAll(ctx, tr, []options{r, p, s})
	if err != nil {
		return err
	}
	header(stdout, name, tr, base)
	at := tr.Times[int(base.RegressionAt*float64(tr.Len()))]
	fmt.Fprintf(stdout, "regression: per-replica capacity drops to %.0f%% from %s\n\n", 100*base.RegressionFactor, at.Format("2006-01-02 15:04"))
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\treactive (HPA)\tpredictive without shadows\tpredictive with shadows\t\n")
	after := func(x *result) float64 { return underAfter(x, base.RegressionAt) }
	fmt.Fprintf(tw, "under-provisioned steps after the regression\t%.2f%%\t%.2f%%\t%.2f%%\t\n", 100*after(res[0]), 100*after(res[1]), 100*after(res[2]))
	fmt.Fprintf(tw, "under-provisioned steps, whole trace\t%.2f%%\t%.2f%%\t%.2f%%\t\n", 100*res[0].Summary.UnderEffective, 100*res[1].Summary.UnderEffective, 100*res[2].Summary.UnderEffective)
	fmt.Fprintf(tw, "capacity ratio\t%.3f\t%.3f\t%.3f\t\n", res[0].Summary.CapacityRatio, res[1].Summary.CapacityRatio, res[2].Summary.CapacityRatio)
	fmt.Fprintf(tw, "paid capacity ratio\t%.3f\t%.3f\t%.3f\t\n", res[0].Summary.PaidCapacityRatio, res[1].Summary.PaidCapacityRatio, res[2].Summary.PaidCapacityRatio)
	fmt.Fprintf(tw, "replica starts\t%d\t%d\t%d\t\n", res[0].Summary.ReplicaStarts, res[1].Summary.ReplicaStarts, res[2].Summary.ReplicaStarts)
	fmt.Fprintf(tw, "worst shortfall (replicas)\t%.1f\t%.1f\t%.1f\t\n", res[0].Summary.WorstShortfall, res[1].Summary.WorstShortfall, res[2].Summary.WorstShortfall)
	fmt.Fprintf(tw, "scale-ups triggered by shadows\t-\t-\t%d\t\n", res[2].Summary.ShadowScaleUps)
	fmt.Fprintf(tw, "shadow replica-hours\t-\t-\t%.0f\t\n", res[2].Summary.ShadowHours)
	tw.Flush()
	chart := c.chart
	if chart == "" {
		chart = "regression.svg"
	}
	drop := int(base.RegressionAt * float64(tr.Len()))
	lo, hi := regressionWindow(tr, drop)
	if err := drawReplayWindow(chart, name+", capacity regression", tr, res, lo, hi, drop); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nchart: %s\n", chart)
	// The JSON line reports the stack with shadows as the table does:
	// under-provisioning against the capacity replicas really have.
	sum := res[2].Summary
	sum.Under = sum.UnderEffective
	return writeJSON(stdout, sum)
}

// underAfter is the under-provisioned fraction, against effective
// capacity, of the steps from the regression on.
func underAfter(r *result, at float64) float64 {
	from := int(at * float64(len(r.Rows)))
	n, u := 0, 0
	for _, x := range r.Rows[from:] {
		n++
		if x.Demand > float64(x.Ready)*x.Capacity+1e-9 {
			u++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(u) / float64(n)
}
