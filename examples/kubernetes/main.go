// Command kubernetes runs the shadowscale Controller against one Kubernetes
// Deployment: production load comes from a PromQL query (drivers/prometheus),
// replicas are scaled through the Deployment's scale subresource
// (drivers/k8s), and the predictive policy stack decides.
//
// Usage:
//
//	kubernetes -deployment web -namespace shop -prometheus http://prometheus:9090 \
//	    -query 'sum(rate(http_requests_total{job="web"}[1m]))' -per-replica 50 \
//	    [-interval 1m] [-lead-time 10m] [-min 1] [-max 100] [-dry-run] [-state FILE] [-kubeconfig FILE]
//
// -per-replica is the load (in the query's unit) one replica serves at 100%
// utilization. With no -kubeconfig the in-cluster configuration is used when
// running in a Pod, else $KUBECONFIG or ~/.kube/config. -dry-run runs the
// Controller in forecast-only mode: it decides and logs every pass exactly
// as a live one would from the observed state, but never scales. -state
// FILE saves the learned state (lead time, statistics) after every pass and
// restores it at start. Extra flags: -kind (Deployment,
// StatefulSet, ReplicaSet), -target-utilization, -query-timeout.
//
// Every pass logs one line on stderr with the load, the forecast peak, the
// replicas and the decision. Bad flags print one line naming the problem and
// exit with status 2; a Deployment or Prometheus that cannot be reached at
// start exits with status 1. SIGINT or SIGTERM stops the loop.
//
// RBAC: get on the workload (deployments, statefulsets or replicasets), get
// and update on its scale subresource, list on horizontalpodautoscalers in
// the namespace (README.md has the Role).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status. -help
// writes the usage to stdout and returns 0, as the other example commands
// do; everything else goes to stderr.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "kubernetes: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := serve(ctx, o, log); err != nil {
		fmt.Fprintf(stderr, "kubernetes: %v\n", err)
		return 1
	}
	return 0
}
