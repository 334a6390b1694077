package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"time"

	"github.com/shadowscale/shadowscale/drivers/k8s"
)

// defaultQuery is the request rate of the whole service.
const defaultQuery = `sum(rate(http_requests_total[1m]))`

// options are the parsed and validated flags.
type options struct {
	kubeconfig   string
	namespace    string
	deployment   string
	kind         k8s.Kind
	prometheus   *url.URL
	query        string
	queryTimeout time.Duration
	lookback     time.Duration
	scrapeTimes  bool
	perReplica   float64
	target       float64
	interval     time.Duration
	leadTime     time.Duration
	min, max     int
	dryRun       bool
	stateFile    string
}

// parse turns the arguments into options, or an error naming the flag and
// its value. Only -h prints (the usage, on help) and returns flag.ErrHelp;
// every other problem is the returned error, for the caller to print on
// one line.
func parse(args []string, help io.Writer) (options, error) {
	fs := flag.NewFlagSet("kubernetes", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o options
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster, else $KUBECONFIG or ~/.kube/config)")
	fs.StringVar(&o.namespace, "namespace", "default", "namespace of the workload")
	fs.StringVar(&o.deployment, "deployment", "", "name of the Deployment to scale (required)")
	kind := fs.String("kind", "Deployment", "kind of workload: Deployment, StatefulSet or ReplicaSet")
	prom := fs.String("prometheus", "", "Prometheus base URL, http or https (required)")
	fs.StringVar(&o.query, "query", defaultQuery, "PromQL query giving the production load (one series)")
	fs.DurationVar(&o.queryTimeout, "query-timeout", 0, "server-side limit of each query (0: server default)")
	fs.DurationVar(&o.lookback, "prometheus-lookback", 5*time.Minute, "the server's --query.lookback-delta: how long it serves a sample again when the next scrape is missing (a copy of a glitch within it confirms nothing)")
	fs.BoolVar(&o.scrapeTimes, "scrape-times", true, "also ask timestamp(query), so that a sample the server serves again is told from a new reading whatever its size (one more query per pass)")
	fs.Float64Var(&o.perReplica, "per-replica", 0, "load one replica serves at 100% utilization, in the query's unit (required)")
	fs.Float64Var(&o.target, "target-utilization", 0.7, "utilization the policy aims for, in (0, 1]")
	fs.DurationVar(&o.interval, "interval", time.Minute, "time between passes")
	fs.DurationVar(&o.leadTime, "lead-time", 10*time.Minute, "initial provisioning lead time (learned from then on)")
	fs.IntVar(&o.min, "min", 1, "fewest replicas")
	fs.IntVar(&o.max, "max", 100, "most replicas")
	fs.BoolVar(&o.dryRun, "dry-run", false, "forecast-only: decide and log as a live controller would, never scale")
	fs.StringVar(&o.stateFile, "state", "", "file that keeps the learned state across restarts (default: none)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(help)
			fmt.Fprintln(help, "usage: kubernetes -deployment NAME -prometheus URL -per-replica C [flags]")
			fs.PrintDefaults()
		}
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.deployment == "" {
		return options{}, errors.New("-deployment is required")
	}
	if o.namespace == "" {
		return options{}, errors.New("-namespace must not be empty")
	}
	k, err := k8s.ParseKind(*kind)
	if err != nil {
		return options{}, fmt.Errorf("-kind %q: want Deployment, StatefulSet or ReplicaSet", *kind)
	}
	o.kind = k
	if *prom == "" {
		return options{}, errors.New("-prometheus is required")
	}
	u, err := url.Parse(*prom)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return options{}, fmt.Errorf("-prometheus %q: need an http or https URL with a host", *prom)
	}
	o.prometheus = u
	if o.query == "" {
		return options{}, errors.New("-query must not be empty")
	}
	if o.queryTimeout < 0 {
		return options{}, fmt.Errorf("-query-timeout %s: must not be negative", o.queryTimeout)
	}
	if o.lookback <= 0 {
		return options{}, fmt.Errorf("-prometheus-lookback %s: must be positive", o.lookback)
	}
	if !(o.perReplica > 0) || math.IsInf(o.perReplica, 0) {
		return options{}, fmt.Errorf("-per-replica %v: must be a positive number", o.perReplica)
	}
	if !(o.target > 0 && o.target <= 1) {
		return options{}, fmt.Errorf("-target-utilization %v: must be in (0, 1]", o.target)
	}
	if o.interval <= 0 {
		return options{}, fmt.Errorf("-interval %s: must be positive", o.interval)
	}
	if o.leadTime < 0 {
		return options{}, fmt.Errorf("-lead-time %s: must not be negative", o.leadTime)
	}
	if o.min < 0 {
		return options{}, fmt.Errorf("-min %d: must not be negative", o.min)
	}
	if o.max < 1 || o.max < o.min {
		return options{}, fmt.Errorf("-max %d: must be at least 1 and at least -min (%d)", o.max, o.min)
	}
	return o, nil
}
