package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/shadowscale/shadowscale/drivers/k8s"
	"github.com/shadowscale/shadowscale/drivers/prometheus"
	"github.com/shadowscale/shadowscale/forecast"
	"github.com/shadowscale/shadowscale/policy"
	"github.com/shadowscale/shadowscale/shadow"
)

// startupTimeout bounds the checks that the workload and Prometheus answer.
const startupTimeout = 30 * time.Second

// serve builds the clients from the options, checks that both ends answer,
// and runs the Controller until ctx ends.
func serve(ctx context.Context, o options, log *slog.Logger) error {
	restCfg, err := k8s.RESTConfig(o.kubeconfig)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	promClient, err := api.NewClient(api.Config{Address: o.prometheus.String()})
	if err != nil {
		return fmt.Errorf("prometheus client: %w", err)
	}
	app, err := build(o, client, promv1.NewAPI(promClient), log)
	if err != nil {
		return err
	}
	if err := app.check(ctx, time.Now(), log); err != nil {
		return err
	}
	log.Info("running", "workload", app.workload.Config().String(), "prometheus", o.prometheus.String(),
		"interval", o.interval, "dry_run", o.dryRun)
	return app.ctrl.Run(ctx)
}

// app is the wired Controller and the drivers it runs on.
type app struct {
	ctrl     *shadow.Controller
	workload *k8s.Workload
	source   *prometheus.Source
	policy   policy.Policy
}

// build wires drivers/prometheus and drivers/k8s around a Controller with
// the predictive policy stack and an automatically selected forecaster.
func build(o options, client kubernetes.Interface, prom prometheus.QueryAPI, log *slog.Logger) (*app, error) {
	w, err := k8s.NewWorkload(client, k8s.Config{Namespace: o.namespace, Name: o.deployment, Kind: o.kind})
	if err != nil {
		return nil, err
	}
	src, err := prometheus.NewSource(prom, prometheus.Config{
		Queries:     map[shadow.Metric]string{shadow.RequestRate: o.query},
		Timeout:     o.queryTimeout,
		ScrapeTimes: o.scrapeTimes,
		OnWarnings: func(w prometheus.Warnings) {
			log.Warn("prometheus warnings", "metric", string(w.Metric), "query", w.Query, "warnings", w.Messages)
		},
	})
	if err != nil {
		return nil, err
	}
	fc, err := forecast.NewAuto(forecast.AutoConfig{Step: o.interval, Periods: forecast.SeasonalPeriods(o.interval)})
	if err != nil {
		return nil, fmt.Errorf("forecaster: %w", err)
	}
	pcfg := policy.DefaultPredictiveConfig()
	pol, err := policy.Predictive(pcfg)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	ctrl, err := shadow.New(shadow.Config{
		Interval:          o.interval,
		LeadTime:          o.leadTime,
		Metric:            shadow.RequestRate,
		PerReplica:        o.perReplica,
		TargetUtilization: o.target,
		MinReplicas:       o.min,
		MaxReplicas:       o.max,
		ForecastOnly:      o.dryRun,
		SourceLookback:    o.lookback,
		// The interval whose upper bound is the quantile the stack
		// provisions for: the forecaster's calibrated quantile, not one
		// converted from another level.
		Level: 2*pcfg.Quantile - 1,
	}, shadow.Deps{Source: src, Forecaster: fc, Policy: pol, Production: w},
		shadow.WithLogger(log),
		stateStore(o),
		shadow.WithReportHandler(func(r shadow.Report, err error) { logReport(log, r, err) }),
	)
	if err != nil {
		return nil, err
	}
	return &app{ctrl: ctrl, workload: w, source: src, policy: pol}, nil
}

// check reads the workload and the query once, so that a wrong name, a
// missing permission, an unreachable server or a bad query fails at start
// rather than every pass. A query with no data yet (a service that has not
// served a request) is only logged.
func (a *app) check(ctx context.Context, now time.Time, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	if _, err := a.workload.Current(ctx); err != nil {
		return err
	}
	if _, err := a.source.Sample(ctx, now); err != nil {
		if !errors.Is(err, prometheus.ErrNoData) {
			return err
		}
		log.Warn("no load data yet", "error", err.Error())
	}
	return nil
}

// logReport writes one line per pass.
func logReport(log *slog.Logger, r shadow.Report, err error) {
	attrs := []any{
		"load", r.Load, "load_valid", r.LoadValid,
		"desired", r.State.Desired, "ready", r.State.Ready,
		"decision", r.Decision.String(), "actuated", r.Actuated,
	}
	if r.Forecast.Len() > 0 {
		mean, upper := r.Forecast.Peak(r.LeadSteps)
		attrs = append(attrs, "forecast_peak", mean, "forecast_upper", upper, "model", r.Forecast.Model)
	}
	if err != nil {
		log.Warn("pass", append(attrs, "error", err.Error())...)
		return
	}
	log.Info("pass", attrs...)
}

// stateStore keeps the Controller's state in -state FILE, named after the
// workload, or nothing without the flag.
func stateStore(o options) shadow.Option {
	if o.stateFile == "" {
		return nil
	}
	return shadow.WithStateStore(shadow.FileStore{Path: o.stateFile}, o.namespace+"/"+o.deployment)
}
