package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/webhooks"
)

// Job kinds: fixed names, also the labels of the queue metrics.
const (
	KindEvent    = "event"
	KindDelivery = "webhook_delivery"
	KindSweep    = "link_expiry_sweep"
)

// Kinds lists every job kind.
var Kinds = []string{KindEvent, KindDelivery, KindSweep}

// EventArgs is an event to fan out to its subscribers.
type EventArgs struct {
	Event access.OutEvent `json:"event"`
}

// Kind implements river.JobArgs.
func (EventArgs) Kind() string { return KindEvent }

// DeliveryArgs is one message to deliver to one endpoint, retried on the
// webhook schedule.
type DeliveryArgs struct {
	EndpointID string `json:"endpoint_id"`
	MessageID  string `json:"message_id"`
}

// Kind implements river.JobArgs.
func (DeliveryArgs) Kind() string { return KindDelivery }

// SweepArgs is the periodic look for links that expired unused.
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return KindSweep }

// eventWorker fans an event out: in one transaction, each subscriber's
// jobs and the completion of this job.
type eventWorker struct {
	river.WorkerDefaults[EventArgs]
	e *Engine
}

func (w *eventWorker) Work(ctx context.Context, job *river.Job[EventArgs]) error {
	ev := job.Args.Event
	return w.e.gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, err := sqlTx(tx)
		if err != nil {
			return err
		}
		ins := w.e.inserter(ctx, t)
		subs := append([]Subscriber{w.e.webhookSubscriber}, w.e.o.Subscribers...)
		for _, sub := range subs {
			if err := sub(ctx, tx, ins, ev); err != nil {
				return err
			}
		}
		_, err = river.JobCompleteTx[riverdriver.Driver[*sql.Tx]](ctx, t, job)
		return err
	})
}

// webhookSubscriber queues one delivery per endpoint that wants ev.
func (e *Engine) webhookSubscriber(ctx context.Context, tx *gorm.DB, ins Inserter, ev access.OutEvent) error {
	ids, err := e.svc.WebhookTargets(tx, ev)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := ins(DeliveryArgs{EndpointID: id, MessageID: ev.ID}, nil); err != nil {
			return err
		}
	}
	return nil
}

// deliveryWorker makes one delivery attempt; a failure is retried on the
// engine's schedule with the same message, so the same webhook-id.
type deliveryWorker struct {
	river.WorkerDefaults[DeliveryArgs]
	e *Engine
}

func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[DeliveryArgs]) error {
	svc := w.e.svc
	d, err := svc.PrepareWebhookDelivery(ctx, job.Args.EndpointID, job.Args.MessageID)
	if errors.Is(err, access.ErrWebhookGone) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	res := w.e.o.Sender.Send(ctx, webhooks.Request{URL: d.URL, ID: d.MessageID, Time: time.Now(), Payload: d.Payload, Secrets: d.Secrets})
	a := access.WebhookAttempt{EndpointID: d.EndpointID, MessageID: d.MessageID, LinkID: d.LinkID, Attempt: job.Attempt,
		OK: res.OK, StatusCode: res.StatusCode, Latency: res.Latency, Excerpt: res.Excerpt}
	if res.Err != nil {
		a.Error = res.Err.Error()
	}
	// The attempt is logged even if the job's own context ended meanwhile.
	disabled, err := svc.RecordWebhookAttempt(context.WithoutCancel(ctx), a)
	if err != nil {
		return err
	}
	switch {
	case res.OK:
		return nil
	case disabled:
		return river.JobCancel(fmt.Errorf("endpoint disabled after failing: %s", a.Error))
	}
	return fmt.Errorf("delivery failed: %s", a.Error)
}

// NextRetry follows the engine's schedule.
func (w *deliveryWorker) NextRetry(job *river.Job[DeliveryArgs]) time.Time {
	s := w.e.schedule
	i := min(max(job.Attempt-1, 0), len(s)-1)
	return time.Now().Add(s[i])
}

// Timeout bounds one attempt beyond the sender's own limit.
func (w *deliveryWorker) Timeout(*river.Job[DeliveryArgs]) time.Duration {
	return webhooks.Timeout + 20*time.Second
}

// sweepWorker announces links that expired unused and prunes the
// webhook log.
type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	e *Engine
}

func (w *sweepWorker) Work(ctx context.Context, job *river.Job[SweepArgs]) error {
	for {
		n, err := w.e.svc.AnnounceExpiredLinks(ctx, 200)
		if err != nil {
			return err
		}
		if n < 200 {
			break
		}
	}
	// And the webhook log past its retention, a batch per sweep.
	_, err := w.e.svc.PruneWebhookLog(ctx, 1000)
	return err
}
