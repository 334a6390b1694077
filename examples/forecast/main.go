// Command forecast reads a load series as CSV and prints a forecast with a
// prediction interval, using package forecast.
//
// Usage:
//
//	forecast -period P -horizon H [-period2 P2] [-model auto|hw-additive|hw-multiplicative|seasonal-naive|naive]
//	         [-level 0.95] [-in FILE] < series.csv
//
// Input: CSV with a header and rows `timestamp,value` (RFC 3339 or unix
// seconds) or a single `value` column. Output: the header
// `step,mean,lower,upper` and exactly H rows, step = 1..H. On bad input the
// command prints one line on stderr naming the problem (and the line number
// for data) and exits with a non-zero status.
//
// Extra models: hw-damped (additive, damped trend), dshw (double-seasonal,
// needs -period2), drift and ewma.
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
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole command; it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if err := forecastCmd(args, stdin, stdout); err != nil {
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

type options struct {
	period, period2, horizon int
	model                    string
	level                    float64
	in                       string
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("forecast", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&o.period, "period", 0, "seasonal period in steps (≥ 2)")
	fs.IntVar(&o.period2, "period2", 0, "second, longer seasonal period in steps (optional)")
	fs.IntVar(&o.horizon, "horizon", 0, "number of steps to forecast (≥ 1)")
	fs.StringVar(&o.model, "model", "auto", "auto|hw-additive|hw-multiplicative|hw-damped|dshw|seasonal-naive|naive|drift|ewma")
	fs.Float64Var(&o.level, "level", 0.95, "prediction interval level in (0, 1)")
	fs.StringVar(&o.in, "in", "", "input CSV file (default: standard input)")
	if err := fs.Parse(args); err != nil {
		return o, usageError{fmt.Errorf("flags: %w", err)}
	}
	if fs.NArg() > 0 {
		return o, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if o.period < 2 {
		return o, usageError{fmt.Errorf("-period %d must be ≥ 2", o.period)}
	}
	if o.horizon < 1 {
		return o, usageError{fmt.Errorf("-horizon %d must be ≥ 1", o.horizon)}
	}
	if o.period2 != 0 && o.period2 <= o.period {
		return o, usageError{fmt.Errorf("-period2 %d must exceed -period %d", o.period2, o.period)}
	}
	if !(o.level > 0 && o.level < 1) {
		return o, usageError{fmt.Errorf("-level %v must lie in (0, 1)", o.level)}
	}
	switch o.model {
	case "auto", "hw-additive", "hw-multiplicative", "hw-damped", "seasonal-naive", "naive", "drift", "ewma":
	case "dshw":
		if o.period2 == 0 {
			return o, usageError{errors.New("-model dshw needs -period2")}
		}
	default:
		return o, usageError{fmt.Errorf("-model %q: want auto, hw-additive, hw-multiplicative, hw-damped, dshw, seasonal-naive, naive, drift or ewma", o.model)}
	}
	return o, nil
}

func forecastCmd(args []string, stdin io.Reader, stdout io.Writer) error {
	o, err := parseFlags(args)
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
	s, err := forecast.ReadCSV(in)
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
func predict(s forecast.Series, o options) (forecast.Forecast, error) {
	n := len(s.Values)
	if n == 0 {
		return forecast.Forecast{}, errors.New("no data rows after the header")
	}
	need := 2 * o.period
	if o.model == "naive" || o.model == "drift" || o.model == "ewma" {
		need = 2
	}
	if o.model == "dshw" {
		need = 2 * o.period2
	}
	if o.model == "naive" {
		need = 1
	}
	if n < need {
		return forecast.Forecast{}, fmt.Errorf("%d data rows (lines 2–%d): -model %s needs at least %d (2 full seasons of %d)",
			n, n+1, o.model, need, need/2)
	}
	step := time.Minute
	times := s.Times
	window := n
	if times != nil {
		if st := s.Step(); st > 0 {
			step = st
		}
		window = int(times[n-1].Sub(times[0])/step) + 1
	} else {
		times = make([]time.Time, n)
		for i := range times {
			times[i] = time.Unix(0, 0).Add(time.Duration(i) * step)
		}
	}
	if o.model == "hw-multiplicative" {
		for i, v := range s.Values {
			if v <= 0 {
				return forecast.Forecast{}, fmt.Errorf("line %d: value %v: -model hw-multiplicative needs values > 0", i+2, v)
			}
		}
	}
	cfg := forecast.Config{Step: step, Period: o.period, Period2: o.period2, Window: window, MaxGap: window}
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
		f, err = forecast.NewAuto(forecast.AutoConfig{Step: step, Periods: periods, Horizon: o.horizon, Window: window, MaxGap: window})
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
	}
	if err != nil {
		return forecast.Forecast{}, err
	}
	for i, v := range s.Values {
		if err := f.Observe(times[i], v); err != nil && !errors.Is(err, forecast.ErrInsufficientHistory) {
			return forecast.Forecast{}, fmt.Errorf("line %d: %w", i+2, err)
		}
	}
	if err := f.Refit(); err != nil {
		return forecast.Forecast{}, err
	}
	return f.Forecast(o.horizon, o.level)
}
