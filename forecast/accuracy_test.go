package forecast

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refSeries is one series of testdata/series.csv with R's forecasts.
type refSeries struct {
	name         string
	period, per2 int
	y            []float64
	r            map[string][3][]float64 // method → mean, lower, upper
}

func loadReference(t testing.TB) []refSeries {
	t.Helper()
	man := readCSVFile(t, "testdata/series.csv")
	ref := readCSVFile(t, "testdata/r_reference.csv")
	var out []refSeries
	for _, row := range man[1:] {
		p, err := strconv.Atoi(row[1])
		require.NoError(t, err)
		p2, err := strconv.Atoi(row[2])
		require.NoError(t, err)
		f, err := os.Open("testdata/" + row[0] + ".csv")
		require.NoError(t, err)
		s, err := ReadCSV(f)
		f.Close()
		require.NoError(t, err, row[0])
		out = append(out, refSeries{name: row[0], period: p, per2: p2, y: s.Values, r: map[string][3][]float64{}})
	}
	for _, row := range ref[1:] {
		for i := range out {
			if out[i].name != row[0] {
				continue
			}
			v := out[i].r[row[1]]
			for k := range 3 {
				x, err := strconv.ParseFloat(row[3+k], 64)
				if err != nil {
					x = math.NaN()
				}
				v[k] = append(v[k], x)
			}
			out[i].r[row[1]] = v
		}
	}
	return out
}

func readCSVFile(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return rows
}

// batchForecast fits model on train as examples/forecast does and forecasts h steps.
func batchForecast(model string, train []float64, p, p2, h int) (Forecast, string, error) {
	n := len(train)
	cfg := Config{Period: p, Window: n, MaxGap: n}
	var f interface {
		Forecaster
		Refitter
		Namer
	}
	var err error
	switch model {
	case "auto":
		periods := []int{p}
		if p2 > 0 {
			periods = append(periods, p2)
		}
		f, err = NewAuto(AutoConfig{Periods: periods, Horizon: h, Window: n, MaxGap: n})
	case "hw-additive":
		f, err = NewHoltWinters(cfg)
	case "seasonal-naive":
		f, err = NewSeasonalNaive(cfg)
	}
	if err != nil {
		return Forecast{}, "", err
	}
	t0 := time.Unix(0, 0)
	for i, v := range train {
		if err := f.Observe(t0.Add(time.Duration(i)*time.Minute), v); err != nil {
			return Forecast{}, "", err
		}
	}
	if err := f.Refit(); err != nil {
		return Forecast{}, "", err
	}
	fc, err := f.Forecast(h, 0.95)
	return fc, f.Name(), err
}

type accRow struct {
	series          string
	period, period2 int
	mase            map[string]float64
	covered, points map[string]int
	chosen          string
}

// TestAccuracyAgainstR compares the models with R's forecast::ets,
// stats::HoltWinters and forecast::dshw on the series in testdata, the last
// two seasons held out. Run with -v to print the table of the package doc.
func TestAccuracyAgainstR(t *testing.T) {
	methods := []string{"auto", "hw-additive", "seasonal-naive", "R ets", "R HoltWinters", "R dshw"}
	var rows []accRow
	for _, s := range loadReference(t) {
		h := 2 * s.period
		train, test := s.y[:len(s.y)-h], s.y[len(s.y)-h:]
		row := accRow{series: s.name, period: s.period, period2: s.per2, mase: map[string]float64{}, covered: map[string]int{}, points: map[string]int{}}
		score := func(method string, mean, lower, upper []float64) {
			m, err := MASE(test, mean, train, s.period)
			require.NoError(t, err, "%s %s", s.name, method)
			row.mase[method] = m
			if lower != nil && !math.IsNaN(lower[0]) {
				for i, a := range test {
					if a >= lower[i] && a <= upper[i] {
						row.covered[method]++
					}
				}
				row.points[method] += len(test)
			}
		}
		for _, m := range methods[:3] {
			fc, name, err := batchForecast(m, train, s.period, s.per2, h)
			require.NoError(t, err, "%s %s", s.name, m)
			require.Len(t, fc.Mean, h)
			score(m, fc.Mean, fc.Lower, fc.Upper)
			if m == "auto" {
				row.chosen = name
			}
		}
		for _, m := range []string{"ets", "HoltWinters", "dshw"} {
			if r, ok := s.r[m]; ok {
				require.Len(t, r[0], h, "%s %s", s.name, m)
				score("R "+m, r[0], r[1], r[2])
			}
		}
		rows = append(rows, row)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| series | m | %s | auto chose |\n|---|---|%s---|\n", strings.Join(methods, " | "), strings.Repeat("---|", len(methods)))
	geo := map[string]float64{}
	cov := map[string][2]int{}
	for _, r := range rows {
		per := strconv.Itoa(r.period)
		if r.period2 > 0 {
			per += "/" + strconv.Itoa(r.period2)
		}
		fmt.Fprintf(&b, "| %s | %s |", r.series, per)
		for _, m := range methods {
			if v, ok := r.mase[m]; ok {
				fmt.Fprintf(&b, " %.3f |", v)
				if m != "R dshw" {
					geo[m] += math.Log(v)
				}
			} else {
				b.WriteString(" – |")
			}
			c := cov[m]
			cov[m] = [2]int{c[0] + r.covered[m], c[1] + r.points[m]}
		}
		fmt.Fprintf(&b, " %s |\n", strings.SplitN(strings.TrimPrefix(r.chosen, "auto:"), "(", 2)[0])
	}
	b.WriteString("| geometric mean MASE | |")
	for _, m := range methods {
		if m == "R dshw" {
			b.WriteString(" – |")
			continue
		}
		geo[m] = math.Exp(geo[m] / float64(len(rows)))
		fmt.Fprintf(&b, " %.3f |", geo[m])
	}
	b.WriteString(" |\n| 95% interval coverage | |")
	for _, m := range methods {
		c := cov[m]
		if c[1] == 0 {
			b.WriteString(" – |")
			continue
		}
		fmt.Fprintf(&b, " %.1f%% |", 100*float64(c[0])/float64(c[1]))
	}
	b.WriteString(" |\n")
	t.Log("\n" + b.String())

	autoCov := float64(cov["auto"][0]) / float64(cov["auto"][1])
	assert.LessOrEqual(t, geo["auto"], geo["R ets"], "auto at least as good as R's ets")
	assert.Less(t, geo["auto"], 0.8*geo["seasonal-naive"], "auto clearly better than seasonal naive")
	assert.LessOrEqual(t, geo["hw-additive"], 1.02*geo["R HoltWinters"], "hw-additive within 2%% of R's HoltWinters")
	assert.GreaterOrEqual(t, autoCov, 0.90, "95%% intervals cover at least 90%%")
	assert.LessOrEqual(t, autoCov, 0.98, "95%% intervals cover at most 98%%")
	var tay accRow
	for _, r := range rows {
		if r.series == "taylor" {
			tay = r
		}
	}
	assert.LessOrEqual(t, tay.mase["auto"], 1.02*tay.mase["R dshw"], "double-seasonal as good as R's dshw on taylor")
}

// TestOnlineReplay replays the 5-minute NASA series through Auto the way
// the Controller does (Observe and a 15-step forecast every step, a refit
// every day) and checks short-horizon accuracy and the interval coverage.
func TestOnlineReplay(t *testing.T) {
	f, err := os.Open("testdata/nasa-jul95-5min.csv")
	require.NoError(t, err)
	s, err := ReadCSV(f)
	f.Close()
	require.NoError(t, err)
	const h, p = 15, 288
	a, err := NewAuto(AutoConfig{Step: 5 * time.Minute, Periods: []int{p}, RefitEvery: p})
	require.NoError(t, err)
	var in, above, n int
	var errAuto, errNaive float64
	for i, v := range s.Values {
		if i >= 2*p+h && i+h <= len(s.Values) {
			fc, err := a.Forecast(h, 0.95)
			require.NoError(t, err)
			for k := range h {
				y := s.Values[i+k]
				if y >= fc.Lower[k] && y <= fc.Upper[k] {
					in++
				}
				if y > fc.Upper[k] {
					above++
				}
				n++
				errAuto += math.Abs(y - fc.Mean[k])
				errNaive += math.Abs(y - s.Values[i-1])
			}
		}
		require.NoError(t, a.Observe(t0.Add(time.Duration(i)*5*time.Minute), v))
	}
	cov := float64(in) / float64(n)
	t.Logf("%s: 1–15 step MAE ratio to naive %.3f, coverage %.3f, above upper %.3f", a.Name(), errAuto/errNaive, cov, float64(above)/float64(n))
	assert.Less(t, errAuto/errNaive, 0.95)
	assert.InDelta(t, 0.94, cov, 0.04)
	assert.Less(t, float64(above)/float64(n), 0.05)
}
