// Package jobs is the app's durable job engine: River on the app's own
// database (riverdatabasesql on PostgreSQL, riversqlite on SQLite). It
// implements access.Outbox, so the domain's events are inserted as jobs in
// the transaction of the change that causes them; its workers fan each
// event out to its subscribers (webhook endpoints now, mail later) and
// deliver webhooks with the Standard Webhooks retry schedule. Any number
// of processes on one PostgreSQL share the work; River's tables are
// migrated with the app's (app/db).
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/webhooks"
)

// RetrySchedule is the Standard Webhooks schedule: after the first attempt
// (at once), retries 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after each
// failure, about 28 hours in all.
var RetrySchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// Subscriber turns one event into work inside the fan-out's transaction:
// the jobs it inserts with ins commit together with the fan-out job's
// completion, so an event fans out exactly once whatever crashes.
type Subscriber func(ctx context.Context, tx *gorm.DB, ins Inserter, ev access.OutEvent) error

// Inserter inserts jobs in the transaction it was made for.
type Inserter func(args river.JobArgs, opts *river.InsertOpts) error

// Options configure the engine.
type Options struct {
	Log *slog.Logger
	// Work makes this process run jobs (serve, worker); without it the
	// engine only inserts them (commands).
	Work bool
	// Workers is how many jobs run at once in this process (default 10).
	Workers int
	// Sender delivers webhooks (required with Work).
	Sender *webhooks.Sender
	// Subscribers receive every event besides the webhooks' own.
	Subscribers []Subscriber
	// AddWorkers registers the workers of other job kinds (mail).
	AddWorkers func(*river.Workers)
	// RetrySchedule replaces the package's (tests); its length sets the
	// number of retries.
	RetrySchedule []time.Duration
	// SweepInterval is how often expired links are looked for (default 1
	// minute).
	SweepInterval time.Duration
	// PollInterval is how often idle workers look for jobs (default 1 s;
	// the engine polls: River has no LISTEN/NOTIFY through database/sql,
	// and its SQLite emulation of it polls far more often).
	PollInterval time.Duration
}

// Engine is the job engine of one process.
type Engine struct {
	gdb      *gorm.DB
	client   *river.Client[*sql.Tx]
	o        Options
	svc      *access.Service
	schedule []time.Duration
}

// New builds the engine on gdb. Workers need the domain: Start gives it.
func New(gdb *gorm.DB, o Options) (*Engine, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{gdb: gdb, o: o, schedule: o.RetrySchedule}
	if e.schedule == nil {
		e.schedule = RetrySchedule
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &eventWorker{e: e})
	river.AddWorker(workers, &deliveryWorker{e: e})
	river.AddWorker(workers, &sweepWorker{e: e})
	if o.AddWorkers != nil {
		o.AddWorkers(workers)
	}
	cfg := &river.Config{
		Logger:      o.Log.With("component", "jobs"),
		Workers:     workers,
		MaxAttempts: len(e.schedule) + 1,
		JobTimeout:  time.Minute,
		// A job left running by a process that died (SIGKILL, a lost
		// machine) is picked up again this long after it started, not
		// after River's default hour: an event is late, never lost for an
		// hour. Longer than any job may run (JobTimeout), so a live job is
		// not taken from its worker.
		RescueStuckJobsAfter: 90 * time.Second,
		FetchCooldown:        50 * time.Millisecond,
		// Workers look for jobs every PollInterval on both databases.
		// River's SQLite driver would otherwise emulate LISTEN with a
		// query every 50 ms, for as long as the process lives: 2% of a
		// core on an idle server (docs/benchmarks.md). On PostgreSQL,
		// through database/sql, River polls anyway.
		PollOnly: true,
	}
	if o.PollInterval > 0 {
		cfg.FetchPollInterval = o.PollInterval
		cfg.FetchCooldown = min(cfg.FetchCooldown, o.PollInterval)
	}
	if o.Work {
		n := o.Workers
		if n <= 0 {
			n = 10
		}
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: n}}
		sweep := o.SweepInterval
		if sweep <= 0 {
			sweep = time.Minute
		}
		cfg.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(sweep),
			func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil },
			&river.PeriodicJobOpts{ID: "link_expiry_sweep", RunOnStart: true})}
	}
	var driver riverdriver.Driver[*sql.Tx]
	if db.Dialect(gdb) == db.Postgres {
		driver = riverdatabasesql.New(db.SQL(gdb))
	} else {
		driver = riversqlite.New(db.SQL(gdb))
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	e.client = client
	return e, nil
}

// Start runs this process's workers until ctx ends or Stop.
func (e *Engine) Start(ctx context.Context, svc *access.Service) error {
	e.svc = svc
	if !e.o.Work {
		return nil
	}
	if e.o.Sender == nil {
		return errors.New("jobs: a sender is needed to work")
	}
	return e.client.Start(ctx)
}

// Stop waits for the jobs under way to finish (until ctx ends, then
// cancels them; they run again later).
func (e *Engine) Stop(ctx context.Context) error {
	if !e.o.Work {
		return nil
	}
	return e.client.Stop(ctx)
}

// sqlTx is the database/sql transaction behind a GORM transaction.
func sqlTx(tx *gorm.DB) (*sql.Tx, error) {
	t, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return nil, errors.New("jobs: not inside a transaction")
	}
	return t, nil
}

func txContext(tx *gorm.DB) context.Context {
	if ctx := tx.Statement.Context; ctx != nil {
		return ctx
	}
	return context.Background()
}

// Emit inserts the fan-out job of ev in tx (access.Outbox): one row.
func (e *Engine) Emit(tx *gorm.DB, ev access.OutEvent) error {
	t, err := sqlTx(tx)
	if err != nil {
		return err
	}
	_, err = e.client.InsertTx(txContext(tx), t, EventArgs{Event: ev}, nil)
	return err
}

// Deliver inserts one delivery job in tx (access.Outbox).
func (e *Engine) Deliver(tx *gorm.DB, endpointID, messageID string) error {
	t, err := sqlTx(tx)
	if err != nil {
		return err
	}
	_, err = e.client.InsertTx(txContext(tx), t, DeliveryArgs{EndpointID: endpointID, MessageID: messageID}, nil)
	return err
}

// inserter inserts jobs in t.
func (e *Engine) inserter(ctx context.Context, t *sql.Tx) Inserter {
	return func(args river.JobArgs, opts *river.InsertOpts) error {
		_, err := e.client.InsertTx(ctx, t, args, opts)
		return err
	}
}
