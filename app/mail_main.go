package main

import (
	"log/slog"

	"github.com/accessrequests/accessrequests/app/config"
	"github.com/accessrequests/accessrequests/app/mail"
)

// mailOn reports whether this configuration sends mail: through SMTP, or
// outside production to the development mailbox.
func mailOn(cfg *config.Config) bool { return cfg.SMTP != nil || !cfg.Production() }

// newMailer builds the mail subscriber and worker, or nil when no mail is
// sent (production without SMTP_URL). With work it says in the log where
// mail goes (never the SMTP password).
func newMailer(cfg *config.Config, log *slog.Logger, work bool) *mail.Mailer {
	var t mail.Transport
	switch {
	case cfg.SMTP != nil:
		t = mail.NewSMTP(cfg.SMTP, mail.SMTPOptions{})
		if work {
			log.Info("mail is sent through SMTP", "smtp", cfg.SMTP.String(), "from", cfg.MailFrom)
		}
	case mailOn(cfg):
		t = mail.Mailbox{}
		if work {
			log.Info("no SMTP_URL: mail goes to the development mailbox", "url", cfg.BaseURL.String()+"/dev/mailbox")
		}
	default:
		if work {
			log.Warn("no SMTP_URL: no mail is sent (links cannot be emailed, notifications are off)")
		}
		return nil
	}
	return &mail.Mailer{Transport: t, From: cfg.MailFrom, BaseURL: cfg.BaseURL.String(), Log: log.With("component", "mail")}
}
