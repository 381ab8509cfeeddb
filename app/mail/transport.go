// Package mail sends the app's mails: links to their recipients and
// notifications to a link's creator. The domain queues them (one per event
// and kind, in the transaction that fans the event out); this package's
// job renders each with the views and hands it to a Transport: SMTP
// (github.com/wneessen/go-mail), or outside production without SMTP_URL
// the development mailbox, which is the database itself (/dev/mailbox).
package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/config"
)

// Message is one rendered mail.
type Message struct {
	// ID makes the Message-ID header, the same on every attempt.
	ID      string
	From    string
	To      string
	ReplyTo string
	Subject string
	Text    string
	HTML    string
}

// Transport hands a message over.
type Transport interface {
	Send(ctx context.Context, m *Message) error
	// Name is what the mail records as its transport (access.Transport*).
	Name() string
}

// Mailbox is the development mailbox: sending does nothing, because the
// mail is already in the database, where /dev/mailbox renders it.
type Mailbox struct{}

// Send implements Transport.
func (Mailbox) Send(context.Context, *Message) error { return nil }

// Name implements Transport.
func (Mailbox) Name() string { return access.TransportMailbox }

// SMTPOptions are test hooks of the SMTP transport.
type SMTPOptions struct {
	// Dial replaces the network dial (tests point a non-loopback host
	// name at a local server).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLS replaces the TLS settings (tests trust their own certificate).
	TLS *tls.Config
	// Timeout bounds one conversation with the server (default 30 s).
	Timeout time.Duration
}

// SMTP sends through an SMTP server: TLS from the first byte (smtps://),
// or STARTTLS, required unless the server is on a loopback address.
type SMTP struct {
	cfg *config.SMTP
	o   SMTPOptions
}

// NewSMTP returns the transport for cfg.
func NewSMTP(cfg *config.SMTP, o SMTPOptions) *SMTP {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	return &SMTP{cfg: cfg, o: o}
}

// Name implements Transport.
func (s *SMTP) Name() string { return access.TransportSMTP }

// Send implements Transport. Errors name the server without its password.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return fmt.Errorf("mail: sender: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mail: recipient: %w", err)
	}
	if m.ReplyTo != "" {
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			return fmt.Errorf("mail: reply-to: %w", err)
		}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.ID)
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)

	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(s.o.Timeout)}
	switch {
	case s.cfg.ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case s.cfg.Loopback():
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	tc := s.o.TLS
	if tc == nil {
		tc = &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}
	}
	opts = append(opts, gomail.WithTLSConfig(tc))
	if s.cfg.Username != "" {
		// The best mechanism the server offers over TLS; on loopback
		// (a local relay, plain text allowed) PLAIN.
		auth := gomail.SMTPAuthAutoDiscover
		if s.cfg.Loopback() && !s.cfg.ImplicitTLS {
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	if s.o.Dial != nil {
		opts = append(opts, gomail.WithDialContextFunc(s.o.Dial))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("mail: %s: %w", s.cfg, err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: sending through %s: %w", s.cfg, err)
	}
	return nil
}
