package operator

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"os"
	"time"

	"k8s.io/client-go/rest"
)

// Options configure Run. ParseFlags fills them from the command line; the
// zero value of each field selects the default documented on it.
type Options struct {
	// RESTConfig, when set, is the API server to use (tests pass the
	// configuration of the server they started). Nil loads Kubeconfig.
	RESTConfig *rest.Config
	// Kubeconfig is the kubeconfig file; empty means in-cluster, else
	// $KUBECONFIG or ~/.kube/config.
	Kubeconfig string
	// Prometheus is the default base URL of the Prometheus API, for
	// PredictiveScalers that do not name one.
	Prometheus string
	// MetricsAddr serves /metrics. Default ":8080"; "0" disables it.
	MetricsAddr string
	// HealthAddr serves /healthz and /readyz. Default ":8081"; "0"
	// disables it.
	HealthAddr string
	// Namespace limits the operator to one namespace; empty watches all.
	Namespace string
	// Shards is how many Leases the PredictiveScalers are shared over.
	// Default 8.
	Shards int
	// LeaseDuration is how long a shard's Lease is valid without renewal.
	// Default 15s.
	LeaseDuration time.Duration
	// RenewDeadline is how long the holder keeps trying to renew before it
	// gives the shard up. Default 2/3 of LeaseDuration.
	RenewDeadline time.Duration
	// RetryPeriod is the time between attempts to take or renew a Lease.
	// Default LeaseDuration/7.5 (2s for 15s).
	RetryPeriod time.Duration
	// Identity names this replica in the Leases. Default the host name.
	Identity string
	// LeaseNamespace holds the shard Leases. Default the namespace the
	// operator runs in (from the service account), else "default".
	LeaseNamespace string
	// Workers bounds the passes that run at once. Default 4.
	Workers int
	// KubeAPIQPS is the client-side rate limit, in requests per second,
	// of the operator's calls to the API server for its objects and
	// workloads (the caches, status writes, Events, scales, state
	// ConfigMaps), all of which share one limiter. Default 20,
	// controller-runtime's default (client-go's own, 5, throttles a few
	// dozen objects passing every few seconds). The shard and membership
	// Leases have a client and a limiter of their own, sized from Shards
	// and RetryPeriod, so that a renewal never waits behind the passes.
	KubeAPIQPS float32
	// KubeAPIBurst is how many requests above KubeAPIQPS may go at once.
	// Default 30.
	KubeAPIBurst int
	// Logger receives the operator's log. Nil logs text to stderr.
	Logger *slog.Logger
}

// withDefaults returns o with each zero field set to its default.
func (o Options) withDefaults() Options {
	if o.MetricsAddr == "" {
		o.MetricsAddr = ":8080"
	}
	if o.HealthAddr == "" {
		o.HealthAddr = ":8081"
	}
	if o.Shards == 0 {
		o.Shards = 8
	}
	if o.LeaseDuration == 0 {
		o.LeaseDuration = 15 * time.Second
	}
	if o.RenewDeadline == 0 {
		o.RenewDeadline = o.LeaseDuration * 2 / 3
	}
	if o.RetryPeriod == 0 {
		o.RetryPeriod = o.LeaseDuration * 2 / 15
	}
	if o.Identity == "" {
		if h, err := os.Hostname(); err == nil {
			o.Identity = h
		}
	}
	if o.LeaseNamespace == "" {
		o.LeaseNamespace = podNamespace()
	}
	if o.Workers == 0 {
		o.Workers = 4
	}
	if o.KubeAPIQPS == 0 {
		o.KubeAPIQPS = 20
	}
	if o.KubeAPIBurst == 0 {
		o.KubeAPIBurst = 30
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return o
}

// podNamespace is the namespace of the service account the operator runs
// under, or "default" outside a Pod.
func podNamespace() string {
	b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
	if err != nil || len(b) == 0 {
		return "default"
	}
	return string(b)
}

// Validate reports the first invalid field, naming it and its value.
func (o Options) Validate() error {
	if o.Prometheus != "" {
		if err := checkURL(o.Prometheus); err != nil {
			return fmt.Errorf("prometheus %q: %w", o.Prometheus, err)
		}
	}
	if o.Shards < 1 || o.Shards > 1024 {
		return fmt.Errorf("shards %d: must be in [1, 1024]", o.Shards)
	}
	if o.LeaseDuration < time.Second || o.LeaseDuration%time.Second != 0 {
		return fmt.Errorf("lease-duration %s: must be a whole number of seconds, at least 1s (a Lease counts seconds)", o.LeaseDuration)
	}
	// client-go's own rules, checked here so the message names the flags.
	if o.RenewDeadline <= 0 || o.RenewDeadline >= o.LeaseDuration {
		return fmt.Errorf("renew-deadline %s: must be positive and below the lease duration %s", o.RenewDeadline, o.LeaseDuration)
	}
	if o.RetryPeriod <= 0 || float64(o.RenewDeadline) <= 1.2*float64(o.RetryPeriod) {
		return fmt.Errorf("retry-period %s: must be positive and below the renew deadline %s / 1.2", o.RetryPeriod, o.RenewDeadline)
	}
	if o.Identity == "" {
		return errors.New("identity: must not be empty (no host name to default to)")
	}
	if o.Workers < 1 {
		return fmt.Errorf("workers %d: must be at least 1", o.Workers)
	}
	if !(o.KubeAPIQPS > 0) || math.IsInf(float64(o.KubeAPIQPS), 0) {
		return fmt.Errorf("kube-api-qps %g: must be positive", o.KubeAPIQPS)
	}
	if o.KubeAPIBurst < 1 {
		return fmt.Errorf("kube-api-burst %d: must be at least 1", o.KubeAPIBurst)
	}
	return nil
}

// checkURL accepts an http or https URL with a host.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("need an http or https URL with a host")
	}
	return nil
}

// ParseFlags parses the operator's command line into Options with the
// defaults applied and validated. -h prints the usage on stderr and returns
// flag.ErrHelp; every other problem is the returned error, naming the flag.
func ParseFlags(args []string, stderr io.Writer) (Options, error) {
	fs := flag.NewFlagSet("shadowscale-operator", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o Options
	fs.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster, else $KUBECONFIG or ~/.kube/config)")
	fs.StringVar(&o.Prometheus, "prometheus", "", "default Prometheus base URL for PredictiveScalers that name none")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", ":8080", "address of the /metrics endpoint (0 disables it)")
	fs.StringVar(&o.HealthAddr, "health-addr", ":8081", "address of /healthz and /readyz (0 disables them)")
	fs.StringVar(&o.Namespace, "namespace", "", "watch only this namespace (default: all)")
	fs.IntVar(&o.Shards, "shards", 8, "number of shard Leases the PredictiveScalers are shared over")
	fs.DurationVar(&o.LeaseDuration, "lease-duration", 15*time.Second, "validity of a shard Lease without renewal")
	fs.DurationVar(&o.RenewDeadline, "renew-deadline", 0, "how long the holder tries to renew before giving a shard up (default 2/3 of -lease-duration)")
	fs.DurationVar(&o.RetryPeriod, "retry-period", 0, "time between attempts to take or renew a Lease (default -lease-duration/7.5)")
	fs.StringVar(&o.Identity, "identity", "", "name of this replica in the Leases (default: host name)")
	fs.StringVar(&o.LeaseNamespace, "lease-namespace", "", "namespace of the shard Leases (default: the operator's own)")
	fs.IntVar(&o.Workers, "workers", 4, "passes that may run at once")
	var qps float64
	fs.Float64Var(&qps, "kube-api-qps", 20, "requests per second to the API server for objects and workloads (the Leases have their own limit)")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", 30, "bursts of requests to the API server above -kube-api-qps")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprintln(stderr, "usage: shadowscale-operator [flags]")
			fs.PrintDefaults()
		}
		return Options{}, err
	}
	o.KubeAPIQPS = float32(qps)
	if fs.NArg() > 0 {
		return Options{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	// Zero selects the default in Options; on the command line it is a
	// value, and a wrong one.
	switch {
	case o.Shards == 0:
		return Options{}, errors.New("-shards 0: must be in [1, 1024]")
	case o.Workers == 0:
		return Options{}, errors.New("-workers 0: must be at least 1")
	case o.LeaseDuration == 0:
		return Options{}, errors.New("-lease-duration 0s: must be positive")
	case o.KubeAPIQPS == 0:
		return Options{}, errors.New("-kube-api-qps 0: must be positive")
	case o.KubeAPIBurst == 0:
		return Options{}, errors.New("-kube-api-burst 0: must be at least 1")
	}
	o = o.withDefaults()
	if err := o.Validate(); err != nil {
		return Options{}, flagError(err)
	}
	return o, nil
}

// flagError marks the name a Validate message starts with as the flag it
// comes from.
func flagError(err error) error {
	return fmt.Errorf("-%s", err.Error())
}
