// Command shadowscale-operator runs the shadowscale Kubernetes operator: it
// watches PredictiveScaler objects (shadowscale.io/v1alpha1) and runs a
// predictive shadow.Controller for each, sharded over Leases among its
// replicas.
//
// Usage:
//
//	shadowscale-operator [-kubeconfig FILE] [-prometheus URL] [-namespace NS]
//	    [-metrics-addr :8080] [-health-addr :8081] [-shards 8] [-workers 4]
//	    [-lease-duration 15s] [-renew-deadline 10s] [-retry-period 2s]
//	    [-identity NAME] [-lease-namespace NS]
//	    [-kube-api-qps 20] [-kube-api-burst 30]
//
// Bad flags print one line naming the problem and exit with status 2; an
// operator that cannot start exits with status 1. SIGINT or SIGTERM stops
// it gracefully: its Controllers stop, then its Leases are released.
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

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/shadowscale/shadowscale/operator"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run is main without the process: it returns the exit status.
func run(args []string, stderr io.Writer) int {
	o, err := operator.ParseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "shadowscale-operator: %v\n", err)
		return 2
	}
	o.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	ctrllog.SetLogger(logr.FromSlogHandler(o.Logger.Handler()))
	klog.SetLogger(logr.FromSlogHandler(o.Logger.Handler()))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := operator.Run(ctx, o); err != nil {
		fmt.Fprintf(stderr, "shadowscale-operator: %v\n", err)
		return 1
	}
	return 0
}
