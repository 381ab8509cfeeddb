package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/config"
	"github.com/accessrequests/accessrequests/app/jobs"
	"github.com/accessrequests/accessrequests/app/webhooks"
)

// The job engine's part of the program: `serve` runs the workers beside
// the HTTP server, `worker` runs them alone (for operators who split them),
// every other command only queues jobs.

// newJobs builds the job engine on gdb; with work it also runs jobs.
func newJobs(gdb *gorm.DB, cfg *config.Config, log *slog.Logger, work bool) (*jobs.Engine, error) {
	o := jobs.Options{Log: log, Work: work}
	if work {
		o.Sender = webhooks.NewSender(webhooks.Options{Production: cfg.Production(), UserAgent: "AccessRequests-Webhooks/1"})
	}
	return jobs.New(gdb, o)
}

// startJobs runs o's workers until ctx ends; stop waits up to 15 s for
// the jobs under way (the rest run again later, elsewhere or after a
// restart).
func startJobs(ctx context.Context, o *opened, log *slog.Logger) (stop func(), err error) {
	if err := o.jobs.Start(context.WithoutCancel(ctx), o.svc); err != nil {
		return nil, err
	}
	log.Info("job workers started")
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := o.jobs.Stop(sctx); err != nil {
			log.Warn("job workers stopped with jobs still running", "error", err)
		}
	}, nil
}

// jobsRegistry is the metrics registry with the job queue's health, for
// /metrics.
func jobsRegistry(gdb *gorm.DB) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(jobs.NewCollector(gdb))
	return reg
}

// worker is `app worker`: the job workers without the HTTP server, until
// SIGINT or SIGTERM.
func worker(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	o, err := openWith(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer o.close()
	stop, err := startJobs(ctx, o, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down: finishing jobs under way")
	stop()
	log.Info("stopped")
	return nil
}
