// Command forecast reads a load series as CSV and prints a forecast with a
// prediction interval, using package forecast.
//
// Usage:
//
//	forecast -period P -horizon H [-period2 P2] [-model auto|hw-additive|hw-multiplicative|seasonal-naive|naive]
//	         [-level 0.95] [-in FILE] < series.csv
//
// Input: CSV read by package series — rows of `timestamp,value`
// (RFC 3339 or unix seconds, on a regular grid) or a single value column,
// with or without a header line. Output: the header `step,mean,lower,upper`
// and exactly H rows, step = 1..H. On bad input the command prints one line
// on stderr naming the problem (and the line number for data) and exits
// with status 1; bad flags exit with status 2; -help prints the usage on
// stdout and exits 0.
//
// Extra models: hw-damped (additive, damped trend), dshw (double-seasonal,
// needs -period2), drift, ewma, holt and holt-damped (a level and a slope
// without a season: Holt's linear trend and its damped form).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/series"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole command; it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if err := forecastCmd(args, stdin, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		msg := strings.ReplaceAll(err.Error(), "\n", " ")
		fmt.Fprintln(stderr, "forecast: "+msg)
		var u usageError
		if errors.As(err, &u) {
			return 2
		}
		return 1
	}
	return 0
}

type usageError struct{ error }

// maxHorizon bounds -horizon: the output is held in memory.
const maxHorizon = 1_000_000

type options struct {
	period, period2, horizon int
	model                    string
	level                    float64
	in                       string
}

const usageHead = `Usage: forecast -period P -horizon H [flags] [-in FILE | < FILE]

Reads a load series as CSV (timestamp,value or a single value column, with
or without a header; timestamps RFC 3339 or unix seconds on a regular grid)
and prints step,mean,lower,upper for H steps ahead.

Flags:
`

// parseFlags parses and checks the flags; -help writes the usage to help
// and returns flag.ErrHelp.
func parseFlags(args []string, help io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("forecast", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.IntVar(&o.period, "period", 0, "seasonal period in steps (≥ 2)")
	fs.IntVar(&o.period2, "period2", 0, "second, longer seasonal period in steps (optional)")
	fs.IntVar(&o.horizon, "horizon", 0, "number of steps to forecast, 1 to 1000000")
	fs.StringVar(&o.model, "model", "auto", "auto|hw-additive|hw-multiplicative|hw-damped|dshw|seasonal-naive|naive|drift|ewma|holt|holt-damped")
	fs.Float64Var(&o.level, "level", 0.95, "prediction interval level in (0, 1)")
	fs.StringVar(&o.in, "in", "", "input CSV `file` (default: standard input)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(help, usageHead)
			fs.SetOutput(help)
			fs.PrintDefaults()
			return o, err
		}
		return o, usageError{fmt.Errorf("flags: %w (see -help)", err)}
	}
	if fs.NArg() > 0 {
		return o, usageError{fmt.Errorf("unexpected argument %q: give the input with -in FILE or on standard input", fs.Arg(0))}
	}
	if o.period == 0 {
		return o, usageError{errors.New("-period is required: the seasonal period in steps, e.g. 1440 for a daily cycle at one sample a minute")}
	}
	if o.period < 2 {
		return o, usageError{fmt.Errorf("-period %d must be ≥ 2", o.period)}
	}
	if o.horizon < 1 || o.horizon > maxHorizon {
		return o, usageError{fmt.Errorf("-horizon %d must be in [1, %d]", o.horizon, maxHorizon)}
	}
	if o.period2 != 0 && o.period2 <= o.period {
		return o, usageError{fmt.Errorf("-period2 %d must exceed -period %d", o.period2, o.period)}
	}
	if !(o.level > 0 && o.level < 1) {
		return o, usageError{fmt.Errorf("-level %v must lie in (0, 1)", o.level)}
	}
	switch o.model {
	case "auto", "hw-additive", "hw-multiplicative", "hw-damped", "seasonal-naive", "naive", "drift", "ewma", "holt", "holt-damped":
	case "dshw":
		if o.period2 == 0 {
			return o, usageError{errors.New("-model dshw needs -period2")}
		}
	default:
		return o, usageError{fmt.Errorf("-model %q: want auto, hw-additive, hw-multiplicative, hw-damped, dshw, seasonal-naive, naive, drift, ewma, holt or holt-damped", o.model)}
	}
	return o, nil
}

func forecastCmd(args []string, stdin io.Reader, stdout io.Writer) error {
	o, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	in := stdin
	name := "stdin"
	if o.in != "" && o.in != "-" {
		f, err := os.Open(o.in)
		if err != nil {
			return err
		}
		defer f.Close()
		in, name = f, o.in
	}
	s, err := series.ReadCSV(in)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fc, err := predict(s, o)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var b strings.Builder
	b.WriteString("step,mean,lower,upper\n")
	for i := range o.horizon {
		fmt.Fprintf(&b, "%d,%s,%s,%s\n", i+1, num(fc.Mean[i]), num(fc.Lower[i]), num(fc.Upper[i]))
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// predict fits the selected model on the whole series and forecasts.
func predict(s series.Series, o options) (forecast.Forecast, error) {
	n := s.Len()
	need, why := 2*o.period, fmt.Sprintf(" (2 full seasons of %d)", o.period)
	switch o.model {
	case "naive":
		need, why = 1, ""
	case "drift", "ewma":
		need, why = 2, ""
	case "holt", "holt-damped":
		need, why = 4, ""
	case "dshw":
		need, why = 2*o.period2, fmt.Sprintf(" (2 full seasons of %d)", o.period2)
	}
	if n < need {
		return forecast.Forecast{}, fmt.Errorf("%d data rows: -model %s needs at least %d%s", n, o.model, need, why)
	}
	// A value-only series gets a one-minute grid; the output counts steps,
	// so the choice does not show.
	step := time.Minute
	times := s.Times
	window := n
	if s.Step > 0 {
		step = s.Step
	} else {
		times = make([]time.Time, n)
		for i := range times {
			times[i] = time.Unix(0, 0).Add(time.Duration(i) * step)
		}
	}
	if o.model == "hw-multiplicative" {
		for i, v := range s.Values {
			if v <= 0 {
				return forecast.Forecast{}, fmt.Errorf("data row %d: value %v: -model hw-multiplicative needs values > 0", i+1, v)
			}
		}
	}
	cfg := forecast.Config{Step: step, Period: o.period, Period2: o.period2, Window: window}
	var err error
	var f interface {
		forecast.Forecaster
		forecast.Refitter
	}
	switch o.model {
	case "auto":
		periods := []int{o.period}
		if o.period2 > 0 {
			periods = append(periods, o.period2)
		}
		f, err = forecast.NewAuto(forecast.AutoConfig{Step: step, Periods: periods, Horizon: o.horizon, Window: window})
	case "hw-additive":
		f, err = forecast.NewHoltWinters(cfg)
	case "hw-multiplicative":
		cfg.Seasonality = forecast.Multiplicative
		f, err = forecast.NewHoltWinters(cfg)
	case "hw-damped":
		cfg.Trend = forecast.TrendDamped
		f, err = forecast.NewHoltWinters(cfg)
	case "dshw":
		cfg.Trend = forecast.TrendNone
		f, err = forecast.NewDoubleSeasonal(cfg)
	case "seasonal-naive":
		f, err = forecast.NewSeasonalNaive(cfg)
	case "naive":
		f, err = forecast.NewNaive(cfg)
	case "drift":
		f, err = forecast.NewDrift(cfg)
	case "ewma":
		f, err = forecast.NewEWMA(cfg)
	case "holt":
		f, err = forecast.NewHolt(cfg)
	case "holt-damped":
		cfg.Trend = forecast.TrendDamped
		f, err = forecast.NewHolt(cfg)
	}
	if err != nil {
		return forecast.Forecast{}, err
	}
	for i, v := range s.Values {
		if err := f.Observe(times[i], v); err != nil && !errors.Is(err, forecast.ErrInsufficientHistory) {
			return forecast.Forecast{}, fmt.Errorf("data row %d: %w", i+1, err)
		}
	}
	if err := f.Refit(); err != nil {
		return forecast.Forecast{}, err
	}
	return f.Forecast(o.horizon, o.level)
}
