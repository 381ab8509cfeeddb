package mail

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/jobs"
	"github.com/accessrequests/accessrequests/views"
)

// Args is the job that sends one queued mail.
type Args struct {
	MailID string `json:"mail_id"`
}

// Kind implements river.JobArgs.
func (Args) Kind() string { return jobs.KindMail }

// Mailer queues mails when events fan out (Subscribe) and sends them
// (its worker).
type Mailer struct {
	// Service is the domain; main sets it once built (it needs the job
	// engine, which needs the Mailer).
	Service   *access.Service
	Transport Transport
	From      string
	// BaseURL is the app's address (APP_BASE_URL): every link in a mail.
	BaseURL string
	Log     *slog.Logger
}

// Subscribe is a jobs.Subscriber: in the fan-out's transaction, it queues
// the mails ev causes and one job per mail, so a fan-out that runs again
// queues nothing twice.
func (m *Mailer) Subscribe(ctx context.Context, tx *gorm.DB, ins jobs.Inserter, ev access.OutEvent) error {
	ids, err := m.Service.QueueMails(tx, ev)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := ins(Args{MailID: id}, nil); err != nil {
			return err
		}
	}
	return nil
}

// Register adds the mail worker (jobs.Options.AddWorkers).
func (m *Mailer) Register(w *river.Workers) { river.AddWorker(w, &worker{m: m}) }

// Render lays mail ml out as a message.
func (m *Mailer) Render(ctx context.Context, ml *access.Mail) (*Message, error) {
	mc := views.MailContentOf(ml, m.Service.Sources(), m.BaseURL)
	var html bytes.Buffer
	if err := views.MailHTML(mc).Render(ctx, &html); err != nil {
		return nil, err
	}
	msg := &Message{ID: ml.ID + "@" + host(m.BaseURL), From: m.From, To: ml.ToAddr,
		Subject: mc.Subject, Text: views.MailText(mc), HTML: html.String()}
	if ml.Kind == access.MailLink {
		msg.ReplyTo = ml.RequesterEmail
	}
	return msg, nil
}

func host(base string) string {
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "localhost"
}

// worker sends one mail. A mail marked sent is never sent again, so a job
// that runs again after sending (its completion lost) sends nothing.
type worker struct {
	river.WorkerDefaults[Args]
	m *Mailer
}

func (w *worker) Work(ctx context.Context, job *river.Job[Args]) error {
	svc, id := w.m.Service, job.Args.MailID
	ml, err := svc.PrepareMail(ctx, id)
	if errors.Is(err, access.ErrMailDone) {
		return nil
	}
	if err != nil {
		return err
	}
	msg, err := w.m.Render(ctx, ml)
	if err != nil {
		return err
	}
	if err := w.m.Transport.Send(ctx, msg); err != nil {
		if merr := svc.MarkMailFailed(context.WithoutCancel(ctx), id, err.Error()); merr != nil {
			w.m.log().Warn("mail failure not recorded", "mail", id, "error", merr)
		}
		w.m.log().Warn("mail not sent; will retry", "mail", id, "kind", ml.Kind, "attempt", job.Attempt, "error", err)
		return err
	}
	_, err = svc.MarkMailSent(context.WithoutCancel(ctx), id, w.m.Transport.Name())
	if err == nil {
		w.m.log().Info("mail sent", "mail", id, "kind", ml.Kind, "transport", w.m.Transport.Name())
	}
	return err
}

func (m *Mailer) log() *slog.Logger {
	if m.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return m.Log
}
