package operator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlbuilder "sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/shadowscale/shadowscale/drivers/k8s"
	"github.com/shadowscale/shadowscale/operator/api/v1alpha1"
)

// shutdownTimeout bounds the graceful stop of the HTTP endpoints and of
// the manager's runnables.
const shutdownTimeout = 10 * time.Second

// Run runs the operator until ctx ends: it watches PredictiveScalers,
// takes part in the election of every shard, runs a shadow.Controller for
// each object of the shards it holds, serves /metrics, /healthz and
// /readyz, and on a graceful stop stops its Controllers, then releases its
// Leases. It returns an error when it cannot start.
func Run(ctx context.Context, o Options) error {
	o = o.withDefaults()
	if err := o.Validate(); err != nil {
		return fmt.Errorf("operator: %w", err)
	}
	cfg := o.RESTConfig
	if cfg == nil {
		var err error
		if cfg, err = k8s.RESTConfig(o.Kubeconfig); err != nil {
			return err
		}
	}
	cfg, electCfg := clientConfigs(cfg, o)
	log := o.Logger
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return fmt.Errorf("operator: scheme: %w", err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return fmt.Errorf("operator: scheme: %w", err)
	}
	cacheOpts := cache.Options{}
	if o.Namespace != "" {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{o.Namespace: {}}
	}
	mgr, err := ctrl.NewManager(cfg, manager.Options{
		Scheme:                  scheme,
		Cache:                   cacheOpts,
		Logger:                  logr.FromSlogHandler(log.Handler()),
		Metrics:                 metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:  o.HealthAddr,
		GracefulShutdownTimeout: ptr.To(shutdownTimeout),
	})
	if err != nil {
		return fmt.Errorf("operator: manager: %w", err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("operator: kubernetes client: %w", err)
	}
	electKube, err := kubernetes.NewForConfig(electCfg)
	if err != nil {
		return fmt.Errorf("operator: kubernetes client for the Leases: %w", err)
	}

	reg := promclient.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return fmt.Errorf("operator: prometheus exporter: %w", err)
	}
	meters := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		_ = meters.Shutdown(sctx)
	}()

	w := &writer{client: mgr.GetClient(), kube: kube, recorder: mgr.GetEventRecorder("shadowscale-operator"), log: log}
	b := &builder{kube: kube, prometheus: o.Prometheus, meters: meters, log: log}
	fl := newFleet(o.Shards, o.Workers, &factory{b: b, w: w}, log)

	err = ctrl.NewControllerManagedBy(mgr).
		// Status writes (every pass) change no generation: no reconcile.
		For(&v1alpha1.PredictiveScaler{}, ctrlbuilder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Named("predictivescaler").
		WithOptions(controller.Options{SkipNameValidation: ptr.To(true)}).
		Complete(&reconciler{client: mgr.GetClient(), sink: fl})
	if err != nil {
		return fmt.Errorf("operator: controller: %w", err)
	}
	// The HPA informer starts with the manager, so that readiness covers
	// it and the first conflict check does not wait for it.
	if _, err := mgr.GetCache().GetInformer(ctx, &autoscalingv2.HorizontalPodAutoscaler{}); err != nil {
		return fmt.Errorf("operator: HPA informer: %w", err)
	}
	var synced atomic.Bool
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return fmt.Errorf("operator: healthz: %w", err)
	}
	if err := mgr.AddReadyzCheck("caches", func(*http.Request) error {
		if !synced.Load() {
			return errors.New("caches not synced")
		}
		return nil
	}); err != nil {
		return fmt.Errorf("operator: readyz: %w", err)
	}
	if err := mgr.Add(manager.RunnableFunc(fl.run)); err != nil {
		return fmt.Errorf("operator: %w", err)
	}
	ecfg := electionConfig{
		client: electKube, namespace: o.LeaseNamespace, identity: o.Identity,
		leaseDuration: o.LeaseDuration, renewDeadline: o.RenewDeadline, retryPeriod: o.RetryPeriod,
		log: log,
	}
	err = mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		// Elect only with every object known: a gained shard then starts
		// its objects at once.
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			return nil
		}
		synced.Store(true)
		return elect(ctx, ecfg, o.Shards, fl)
	}))
	if err != nil {
		return fmt.Errorf("operator: %w", err)
	}
	if o.MetricsAddr != "0" {
		if err := mgr.Add(metricsServer(o.MetricsAddr, runningOnly(reg, fl.runningKeys))); err != nil {
			return fmt.Errorf("operator: %w", err)
		}
	}
	log.Info("starting", "identity", o.Identity, "shards", o.Shards, "lease_namespace", o.LeaseNamespace,
		"namespace", o.Namespace, "workers", o.Workers, "lease_duration", o.LeaseDuration,
		"kube_api_qps", o.KubeAPIQPS, "kube_api_burst", o.KubeAPIBurst, "lease_api_qps", electCfg.QPS, "lease_api_burst", electCfg.Burst)
	return mgr.Start(ctx)
}

// metricsServer serves reg on addr at /metrics until its context ends.
func metricsServer(addr string, reg promclient.Gatherer) manager.Runnable {
	return manager.RunnableFunc(func(ctx context.Context) error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve(ln) }()
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-errc
		return nil
	})
}
