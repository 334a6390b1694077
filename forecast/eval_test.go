package forecast

import (
	"errors"
	"flag"
	"fmt"
	"iter"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The evaluation against R runs only when asked, because the double-seasonal
// series take tens of seconds:
//
//	go test ./forecast -run TestEvaluation -eval val -v
//
// -eval dev scores the development half (where methods are chosen), -eval
// val the validation half, -eval fresh to fresh4 the later halves, and a
// comma-separated list pools the series of several (the numbers reported
// in README.md).
var (
	evalHalf    = flag.String("eval", "", "run TestEvaluation on the `halves` (comma-separated: dev, val, fresh, fresh2, fresh3, fresh4) of testdata/bench; the summary pools their series")
	evalMethods = flag.String("eval-methods", "auto", "comma-separated Auto selection methods to evaluate (auto, backtest, aicc, combined)")
	evalShort   = flag.Bool("eval-short", false, "TestEvaluation: score a quarter of a season ahead (the first ⌊period/4⌋ held-out steps, at least one, with Horizon set to it) instead of two seasons")
)

// benchSeries is one series of testdata/bench with R's forecasts.
type benchSeries struct {
	name         string
	period, per2 int
	half         string
	y            []float64
	ref          map[string][3][]float64 // method → mean, lower, upper
	refModel     map[string]string
}

func loadBench(t testing.TB, dir, half string) []*benchSeries {
	t.Helper()
	man := readCSVFile(t, filepath.Join(dir, "series.csv"))
	byName := map[string]*benchSeries{}
	var out []*benchSeries
	for _, row := range man[1:] {
		if row[3] != half {
			continue
		}
		p, err := strconv.Atoi(row[1])
		require.NoError(t, err)
		p2, err := strconv.Atoi(row[2])
		require.NoError(t, err)
		f, err := os.Open(filepath.Join(dir, row[0]+".csv"))
		require.NoError(t, err)
		s, err := ReadCSV(f)
		f.Close()
		require.NoError(t, err, row[0])
		b := &benchSeries{name: row[0], period: p, per2: p2, half: row[3], y: s.Values,
			ref: map[string][3][]float64{}, refModel: map[string]string{}}
		byName[b.name] = b
		out = append(out, b)
	}
	for _, row := range readCSVFile(t, filepath.Join(dir, "r_reference.csv"))[1:] {
		b := byName[row[0]]
		if b == nil {
			continue
		}
		v := b.ref[row[1]]
		b.refModel[row[1]] = row[2]
		for k := range 3 {
			x, err := strconv.ParseFloat(row[4+k], 64)
			if err != nil {
				x = math.NaN()
			}
			v[k] = append(v[k], x)
		}
		b.ref[row[1]] = v
	}
	return out
}

// evalForecast fits Auto with the selection method on train in one go, as
// examples/forecast does, and forecasts h steps at the 95% level.
func evalForecast(method SelectMethod, train []float64, p, p2, h int) (Forecast, string, error) {
	n := len(train)
	periods := []int{p}
	if p2 > 0 {
		periods = append(periods, p2)
	}
	a, err := NewAuto(AutoConfig{Periods: periods, Horizon: h, Window: n, MaxGap: n, Select: method})
	if err != nil {
		return Forecast{}, "", err
	}
	t0 := time.Unix(0, 0)
	for i, v := range train {
		if err := a.Observe(t0.Add(time.Duration(i)*time.Minute), v); err != nil {
			return Forecast{}, "", err
		}
	}
	if err := a.Refit(); err != nil {
		return Forecast{}, "", err
	}
	fc, err := a.Forecast(h, 0.95)
	return fc, a.Name(), err
}

// coverage is the fraction of actual inside [lower, upper].
func coverage(actual, lower, upper []float64) float64 {
	in := 0
	for i, a := range actual {
		if a >= lower[i] && a <= upper[i] {
			in++
		}
	}
	return float64(in) / float64(len(actual))
}

// TestEvaluation scores Auto against R's ets (dshw for double-seasonal
// series, stlf on both periods where dshw refuses zeros) on one half of testdata/bench: the last two short seasons of each
// series held out, forecast in one go. It prints one row per series and the
// summary: the geometric mean over series of MASE(Auto)/MASE(R), the mean
// and the lowest 95% interval coverage, and the geometric mean of
// MSIS(Auto)/MSIS(R ets) (the 95% intervals' scaled interval score: width
// and misses; R's ets, which dshw and stlf do not replace here, since dshw
// has no interval).
func TestEvaluation(t *testing.T) {
	if *evalHalf == "" {
		t.Skip("run with -eval dev, -eval val, -eval fresh or -eval fresh2")
	}
	var series []*benchSeries
	for _, half := range strings.Split(*evalHalf, ",") {
		hs := loadBench(t, "testdata/bench", half)
		require.NotEmpty(t, hs, "no series in half %q", half)
		series = append(series, hs...)
	}
	methods := map[string]SelectMethod{"auto": SelectDefault, "backtest": SelectBacktest, "aicc": SelectAICc, "combined": SelectCombined}
	for _, mname := range strings.Split(*evalMethods, ",") {
		method, ok := methods[mname]
		require.True(t, ok, "unknown method %q", mname)
		var b strings.Builder
		fmt.Fprintf(&b, "\nmethod %s on %s\n| series | m | n | MASE | R | R model | ratio | coverage | R coverage | MSIS | R ets MSIS | chosen |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n", mname, *evalHalf)
		var logRatio, logMSIS, covSum, rCovSum, logSingle float64
		minCov := 1.0
		nr, nSingle := 0, 0
		for _, s := range series {
			h := 2 * s.period
			train, test := s.y[:len(s.y)-h], s.y[len(s.y)-h:]
			ref := s.ref
			if *evalShort {
				// The same training part; only the first steps of the
				// held-out part, and R's forecasts of them, are scored.
				h = max(1, s.period/4)
				test = test[:h]
				ref = map[string][3][]float64{}
				for k, r := range s.ref {
					var c [3][]float64
					for i, v := range r {
						if v != nil {
							c[i] = v[:h]
						}
					}
					ref[k] = c
				}
			}
			start := time.Now()
			fc, name, err := evalForecast(method, train, s.period, s.per2, h)
			require.NoError(t, err, s.name)
			el := time.Since(start)
			m, err := MASE(test, fc.Mean, train, s.period)
			require.NoError(t, err, s.name)
			rm := "ets"
			for _, k := range []string{"dshw", "stlf"} {
				if _, ok := ref[k]; ok {
					rm = k
				}
			}
			r := ref[rm]
			require.Len(t, r[0], h, "%s %s", s.name, rm)
			rMASE, err := MASE(test, r[0], train, s.period)
			require.NoError(t, err)
			cov := coverage(test, fc.Lower, fc.Upper)
			e := ref["ets"]
			rCov := coverage(test, e[1], e[2])
			is, err := MSIS(test, fc.Lower, fc.Upper, train, s.period, 0.95)
			require.NoError(t, err, s.name)
			rIS, err := MSIS(test, e[1], e[2], train, s.period, 0.95)
			require.NoError(t, err, s.name)
			logRatio += math.Log(m / rMASE)
			if s.per2 == 0 {
				logSingle += math.Log(m / rMASE)
				nSingle++
			}
			logMSIS += math.Log(is / rIS)
			covSum += cov
			rCovSum += rCov
			minCov = min(minCov, cov)
			nr++
			per := strconv.Itoa(s.period)
			if s.per2 > 0 {
				per += "/" + strconv.Itoa(s.per2)
			}
			chosen := strings.SplitN(strings.TrimPrefix(name, "auto:"), "(", 2)[0]
			fmt.Fprintf(&b, "| %s | %s | %d | %.3f | %.3f | %s %s | %.3f | %.1f%% | %.1f%% | %.2f | %.2f | %s (%.1fs) |\n",
				s.name, per, len(train), m, rMASE, rm, s.refModel[rm], m/rMASE, 100*cov, 100*rCov, is, rIS, chosen, el.Seconds())
		}
		fmt.Fprintf(&b, "geometric-mean MASE ratio to R %.3f; 95%% coverage mean %.1f%% (R ets %.1f%%), lowest %.1f%%; geometric-mean MSIS ratio to R ets %.3f\n",
			math.Exp(logRatio/float64(nr)), 100*covSum/float64(nr), 100*rCovSum/float64(nr), 100*minCov, math.Exp(logMSIS/float64(nr)))
		if nSingle > 0 {
			// The series testdata/bench/combinations.R scores R's
			// methods on (one period: the reference is ets).
			fmt.Fprintf(&b, "single-period series (%d): geometric-mean MASE ratio to R ets %.3f\n", nSingle, math.Exp(logSingle/float64(nSingle)))
		}
		t.Log(b.String())
	}
}

var evalTraces = flag.String("traces", "", "run TestPeakUpperTraces on the timestamp,value CSV traces in `dir`")

// readTraces yields the timestamped CSV traces of -traces whose names
// match pattern, by path.
func readTraces(t *testing.T, pattern string) iter.Seq2[string, Series] {
	files, err := filepath.Glob(filepath.Join(*evalTraces, pattern))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return func(yield func(string, Series) bool) {
		for _, path := range files {
			f, err := os.Open(path)
			require.NoError(t, err)
			s, err := ReadCSV(f)
			f.Close()
			require.NoError(t, err, path)
			require.NotNil(t, s.Times, path)
			if !yield(path, s) {
				return
			}
		}
	}
}

// TestPeakUpperTraces replays each trace of -traces through Auto as the
// Controller does (periods from SeasonalPeriods, a refit every day, the
// default window) and measures, over each half of the trace after two days
// of warm-up and over both, how often the realized peak of the next 10 minutes stays
// under PeakUpper at the 90% level, with its level adapted (the default)
// and static (PeakAdaptRate −1), and, for comparison, under the largest
// per-step upper bound of the 80% central interval (the same one-sided 90%
// level per step). The first halves are where the adaptation rate was
// chosen; the second halves are reported:
//
//	go test ./forecast -run TestPeakUpperTraces -traces ../traces -v
func TestPeakUpperTraces(t *testing.T) {
	if *evalTraces == "" {
		t.Skip("run with -traces DIR")
	}
	var b strings.Builder
	b.WriteString("\n| trace | step | periods | half | points | PeakUpper(90%) covers, adapted | static | per-step 80% upper covers |\n|---|---|---|---|---|---|---|---|\n")
	for path, s := range readTraces(t, "*.csv") {
		step := s.Times[1].Sub(s.Times[0])
		lead := int(10 * time.Minute / step)
		periods := SeasonalPeriods(step)
		fs := [2]*Auto{traceAuto(t, step, 0), traceAuto(t, step, -1)}
		warm := int(48 * time.Hour / step)
		var in [2][3]int // [half][adapted, static, per-step]
		var total [2]int
		for i, v := range s.Values {
			// A history restarted by an outage longer than the history
			// before it forecasts nothing for a step: those points are
			// not counted.
			if _, err := fs[1].Forecast(1, 0.8); i >= warm && i+lead <= len(s.Values) && !errors.Is(err, ErrInsufficientHistory) {
				h := 0
				if i >= (len(s.Values)+warm)/2 {
					h = 1
				}
				peak := slices.Max(s.Values[i : i+lead])
				for k, a := range fs {
					u, err := a.PeakUpper(lead, 0.9)
					require.NoError(t, err)
					if peak <= u {
						in[h][k]++
					}
				}
				fc, err := fs[1].Forecast(lead, 0.8)
				require.NoError(t, err)
				if _, upper := fc.Peak(lead); peak <= upper {
					in[h][2]++
				}
				total[h]++
			}
			for _, a := range fs {
				require.NoError(t, a.Observe(s.Times[i], v), "%s index %d", path, i)
			}
		}
		for h, name := range []string{"first", "second", "both"} {
			tot, got := 0, [3]int{}
			for k := range 2 {
				if h == k || h == 2 {
					tot += total[k]
					for j := range got {
						got[j] += in[k][j]
					}
				}
			}
			n := float64(tot) / 100
			fmt.Fprintf(&b, "| %s | %s | %v | %s | %d | %.1f%% | %.1f%% | %.1f%% |\n", filepath.Base(path), step, periods, name, tot,
				float64(got[0])/n, float64(got[1])/n, float64(got[2])/n)
		}
	}
	t.Log(b.String())
}

// TestLongSeasonTraces replays each one-minute trace of -traces through
// Auto as the Controller does, once with the daily period alone and once
// with the weekly period too (modeled outside the window), and compares
// the mean absolute error of the forecasts 10 and 60 minutes ahead and the
// coverage of PeakUpper(10 minutes, 90%) over each half of the trace after
// a week of warm-up (the first half is where the long season's constants
// were chosen; the second is reported):
//
//	go test ./forecast -run TestLongSeasonTraces -traces ../traces -v
func TestLongSeasonTraces(t *testing.T) {
	if *evalTraces == "" {
		t.Skip("run with -traces DIR")
	}
	var b strings.Builder
	b.WriteString("\n| trace | half | MAE 10 min daily | weekly/daily | MAE 60 min daily | weekly/daily | PeakUpper(90%) covers, daily | weekly |\n|---|---|---|---|---|---|---|---|\n")
	for path, s := range readTraces(t, "*1min.csv") {
		const step, lead, far = time.Minute, 10, 60
		periods := SeasonalPeriods(step)
		type score struct{ ae10, ae60, n10, n60, in, npk float64 }
		var sc [2][2]score // [model][half]
		for m, p := range [][]int{periods[:1], periods} {
			a, err := NewAuto(AutoConfig{Step: step, Periods: p, RefitEvery: 1440})
			require.NoError(t, err)
			warm := 7 * 1440
			for i, v := range s.Values {
				if i >= warm && a.Fitted() {
					h := 0
					if i >= (len(s.Values)+warm)/2 {
						h = 1
					}
					fc, err := a.Forecast(far, 0.8)
					require.NoError(t, err)
					c := &sc[m][h]
					if i+lead <= len(s.Values) {
						c.ae10 += math.Abs(fc.Mean[lead-1] - s.Values[i+lead-1])
						c.n10++
						u, err := a.PeakUpper(lead, 0.9)
						require.NoError(t, err)
						if slices.Max(s.Values[i:i+lead]) <= u {
							c.in++
						}
						c.npk++
					}
					if i+far <= len(s.Values) {
						c.ae60 += math.Abs(fc.Mean[far-1] - s.Values[i+far-1])
						c.n60++
					}
				}
				require.NoError(t, a.Observe(s.Times[i], v), "%s index %d", path, i)
			}
		}
		for h, name := range []string{"first", "second"} {
			d, w := sc[0][h], sc[1][h]
			fmt.Fprintf(&b, "| %s | %s | %.2f | %.3f | %.2f | %.3f | %.1f%% | %.1f%% |\n", filepath.Base(path), name,
				d.ae10/d.n10, (w.ae10/w.n10)/(d.ae10/d.n10), d.ae60/d.n60, (w.ae60/w.n60)/(d.ae60/d.n60),
				100*d.in/d.npk, 100*w.in/w.npk)
		}
	}
	t.Log(b.String())
}

// traceAuto is Auto as the Controller runs it on a trace of step: periods
// from SeasonalPeriods, a refit every day, the default window, the peak
// adaptation at rate (0: the default, negative: off).
func traceAuto(t *testing.T, step time.Duration, rate float64) *Auto {
	t.Helper()
	a, err := NewAuto(AutoConfig{Step: step, Periods: SeasonalPeriods(step), RefitEvery: int(24 * time.Hour / step), PeakAdaptRate: rate})
	require.NoError(t, err)
	return a
}

// TestPeakUpperTracesLeadChanges replays each trace of -traces as
// TestPeakUpperTraces does, but with the lead alternating every 360 steps
// between 10 minutes and one step more (a learned lead time on a boundary),
// and measures over the whole trace after two days how often the peak of
// the lead window stays under PeakUpper at 90%:
//
//	go test ./forecast -run TestPeakUpperTracesLeadChanges -traces ../traces -v
func TestPeakUpperTracesLeadChanges(t *testing.T) {
	if *evalTraces == "" {
		t.Skip("run with -traces DIR")
	}
	var b strings.Builder
	b.WriteString("\n| trace | forecasts | PeakUpper(90%) covers |\n|---|---|---|\n")
	for path, s := range readTraces(t, "*.csv") {
		step := s.Times[1].Sub(s.Times[0])
		base := int(10 * time.Minute / step)
		a := traceAuto(t, step, 0)
		warm := int(48 * time.Hour / step)
		in, total := 0, 0
		for i, v := range s.Values {
			lead := base + (i/360)%2
			if i >= warm && i+lead <= len(s.Values) {
				u, err := a.PeakUpper(lead, 0.9)
				if !errors.Is(err, ErrInsufficientHistory) {
					require.NoError(t, err)
					if slices.Max(s.Values[i:i+lead]) <= u {
						in++
					}
					total++
				}
			}
			require.NoError(t, a.Observe(s.Times[i], v), "%s index %d", path, i)
		}
		fmt.Fprintf(&b, "| %s | %d | %.1f%% |\n", filepath.Base(path), total, 100*float64(in)/float64(total))
	}
	t.Log(b.String())
}

// TestFirstDaysTraces replays the first three days of each trace of
// -traces as the Controller feeds its forecaster (periods from the step, a
// refit every day) and compares the one-step forecast error, and the error
// of the forecast peak of the next 10 minutes, with the naive forecast's
// (the last value), over the origins whose next 10 minutes hold no zero
// the forecaster held back as an outage (neither forecast is asked to
// predict an outage):
//
//	go test ./forecast -run TestFirstDaysTraces -traces ../traces -v
//
// A young history is refitted each time it doubles; without that the
// first fit, on two values, lasted the whole first day.
func TestFirstDaysTraces(t *testing.T) {
	if *evalTraces == "" {
		t.Skip("run with -traces DIR")
	}
	var b strings.Builder
	b.WriteString("\n| trace | origins | one-step MAE / naive's | 10-minute peak MAE / naive's |\n|---|---|---|---|\n")
	for path, s := range readTraces(t, "*.csv") {
		step := s.Times[1].Sub(s.Times[0])
		lead := max(1, int(10*time.Minute/step))
		a := traceAuto(t, step, 0)
		n := min(len(s.Values)-lead, int(72*time.Hour/step))
		type origin struct {
			i              int
			e1, n1, ep, np float64
		}
		var origins []origin
		held := make([]bool, n+lead)
		for i := range n + lead {
			require.NoError(t, a.Observe(s.Times[i], s.Values[i]))
			if since, k := a.HeldZeros(); k > 0 {
				for j := i; j >= 0 && !held[j] && !s.Times[j].Before(since); j-- {
					held[j] = true
				}
			}
			if i >= n {
				continue
			}
			fc, err := a.Forecast(lead, 0.9)
			if errors.Is(err, ErrInsufficientHistory) {
				continue
			}
			require.NoError(t, err)
			next := s.Values[i+1 : i+1+lead]
			peak, _ := fc.Peak(lead)
			origins = append(origins, origin{i,
				math.Abs(fc.Mean[0] - next[0]), math.Abs(s.Values[i] - next[0]),
				math.Abs(peak - slices.Max(next)), math.Abs(s.Values[i] - slices.Max(next))})
		}
		var e1, n1, ep, np float64
		scored := 0
		for _, o := range origins {
			if slices.Contains(held[o.i+1:o.i+1+lead], true) {
				continue
			}
			e1, n1, ep, np = e1+o.e1, n1+o.n1, ep+o.ep, np+o.np
			scored++
		}
		fmt.Fprintf(&b, "| %s | %d | %.3f | %.3f |\n", filepath.Base(path), scored, e1/n1, ep/np)
		defer func() {
			assert.Less(t, e1/n1, 1.05, "%s: one-step error of the first three days against the naive forecast's", path)
			assert.Less(t, ep/np, 1.05, "%s: peak error of the first three days against the naive forecast's", path)
		}()
	}
	t.Log(b.String())
}
