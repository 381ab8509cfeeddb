package jobs_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/jobs"
)

// The figures of docs/benchmarks.md ("Webhooks"). Run one at a time:
//
//	go test -run '^$' -bench 'Fanout|EventCost' -benchtime 1x ./app/jobs/
//
// and with DATABASE_URL for PostgreSQL.

// BenchmarkFanout: 10,000 events of one workspace fanned out to 3
// endpoints on a local receiver; reports deliveries per second, from the
// moment the workers start with every event queued to the last delivery.
func BenchmarkFanout(b *testing.B) {
	const events, endpoints = 10000, 3
	for range b.N {
		gdb := testutil.OpenDB(b)
		engine := newEngine(b, gdb, func(o *jobs.Options) { o.Workers = 20; o.PollInterval = 50 * time.Millisecond })
		svc := testutil.NewService(b, gdb, nil, access.WithOutbox(engine))
		f := testutil.Seed(b, svc)
		m := testutil.Member(b, svc, f.Admin.ID, f.Reporting.ID)
		var got atomic.Int64
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got.Add(1)
			w.WriteHeader(http.StatusNoContent)
		}))
		b.Cleanup(recv.Close)
		for i := range endpoints {
			if _, _, err := svc.CreateWebhookEndpoint(context.Background(), m, access.Actor{UserID: f.Admin.ID}, access.NewWebhookEndpoint{URL: fmt.Sprintf("%s/%d", recv.URL, i)}); err != nil {
				b.Fatal(err)
			}
		}
		// Queue the events, 500 per transaction.
		for i := 0; i < events; i += 500 {
			err := gdb.Transaction(func(tx *gorm.DB) error {
				for j := i; j < i+500; j++ {
					ev := access.OutEvent{ID: access.NewMessageID(), Type: access.HookLinkCreated, WorkspaceID: f.Reporting.ID,
						Timestamp: time.Now(), Data: map[string]any{"n": j}}
					if err := engine.Emit(tx, ev); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		t0 := time.Now()
		stop := start(b, engine, svc)
		for got.Load() < events*endpoints {
			if time.Since(t0) > 20*time.Minute {
				b.Fatalf("only %d deliveries after 20 minutes", got.Load())
			}
			time.Sleep(20 * time.Millisecond)
		}
		elapsed := time.Since(t0)
		b.StopTimer()
		stop()
		b.ReportMetric(float64(events*endpoints)/elapsed.Seconds(), "deliveries/s")
		b.ReportMetric(elapsed.Seconds(), "s_total")
	}
}

// BenchmarkEventCost: what an event adds to the request that causes it.
// Generating a link (its transaction: the link, its history event, and
// with an outbox the event's job) with and without the outbox; the
// difference is the one INSERT into river_job.
func BenchmarkEventCost(b *testing.B) {
	for _, withOutbox := range []bool{false, true} {
		b.Run(fmt.Sprintf("outbox=%v", withOutbox), func(b *testing.B) {
			gdb := testutil.OpenDB(b)
			var opts []access.Option
			if withOutbox {
				engine, err := jobs.New(gdb, jobs.Options{})
				if err != nil {
					b.Fatal(err)
				}
				opts = append(opts, access.WithOutbox(engine))
			}
			svc := testutil.NewService(b, gdb, nil, opts...)
			f := testutil.Seed(b, svc)
			m := testutil.Member(b, svc, f.Admin.ID, f.Reporting.ID)
			actor := access.Actor{UserID: f.Admin.ID}
			b.ResetTimer()
			for range b.N {
				if _, err := svc.GenerateLink(context.Background(), m, actor, "google_ads"); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			var jobsN int64
			gdb.Raw("SELECT count(*) FROM river_job").Scan(&jobsN)
			b.ReportMetric(float64(jobsN)/float64(b.N), "jobs/op")
		})
	}
}
