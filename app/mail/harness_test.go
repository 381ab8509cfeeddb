package mail_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/config"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/jobs"
	appmail "github.com/accessrequests/accessrequests/app/mail"
	"github.com/accessrequests/accessrequests/app/webhooks"
)

// Test SMTP credentials; the password must never reach a log.
const (
	smtpUser     = "mailer"
	smtpPassword = "s3cret-Smtp-Pa55word"
)

// delivered is one message the test server accepted.
type delivered struct {
	From string
	To   []string
	Data []byte
	Msg  *mail.Message
	Body string
}

// smtpServer is a real SMTP server (emersion/go-smtp) on a loopback port:
// PLAIN authentication with the test credentials, no TLS.
type smtpServer struct {
	addr string
	mu   sync.Mutex
	got  []delivered
	// failNext makes the next DATA answer 451 (after reading it).
	failNext atomic.Int32
	authed   atomic.Int32
}

func newSMTPServer(t testing.TB) *smtpServer {
	t.Helper()
	s := &smtpServer{}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *smtpServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }

// all is a copy of what the server accepted.
func (s *smtpServer) all() []delivered {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivered(nil), s.got...)
}

// waitFor waits until n messages arrived, then a little more for any
// extra one, and returns them.
func (s *smtpServer) waitFor(t testing.TB, n int) []delivered {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(s.all()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %d mails; got %d", n, len(s.all()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(400 * time.Millisecond)
	return s.all()
}

type session struct {
	s        *smtpServer
	from     string
	to       []string
	loggedIn bool
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != smtpUser || pass != smtpPassword {
			return errors.New("invalid credentials")
		}
		ss.loggedIn = true
		ss.s.authed.Add(1)
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.loggedIn {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.s.failNext.Load() > 0 {
		ss.s.failNext.Add(-1)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	d := delivered{From: ss.from, To: ss.to, Data: b}
	if d.Msg, err = mail.ReadMessage(bytes.NewReader(b)); err != nil {
		return err
	}
	body, _ := io.ReadAll(d.Msg.Body)
	d.Body = decodeQP(string(body))
	ss.s.mu.Lock()
	ss.s.got = append(ss.s.got, d)
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// decodeQP undoes quoted-printable soft breaks and the escapes the mails
// use, enough to search the body's text.
func decodeQP(s string) string {
	s = strings.ReplaceAll(s, "=\r\n", "")
	s = strings.ReplaceAll(s, "=\n", "")
	r := strings.NewReplacer("=3D", "=", "=20", " ", "=E2=80=94", "—", "=E2=80=99", "’", "=E2=80=A6", "…")
	return r.Replace(s)
}

// smtpConfig is the transport's configuration for the test server.
func (s *smtpServer) config(t testing.TB) *config.SMTP {
	t.Helper()
	c, err := config.ParseSMTPURL("smtp://" + smtpUser + ":" + smtpPassword + "@" + s.addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// env is a database with the fixture, the job engine with the mailer
// sending to a real SMTP server, and a log that tests search for secrets.
type env struct {
	*testutil.JobsEnv
	mailer *appmail.Mailer
	smtp   *smtpServer
	log    *testutil.LogBuffer // written by several goroutines
}

const baseURL = "http://access.test.example"

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{log: &testutil.LogBuffer{}}
	log := slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.smtp = newSMTPServer(t)
	e.mailer = &appmail.Mailer{Transport: appmail.NewSMTP(e.smtp.config(t), appmail.SMTPOptions{Timeout: 5 * time.Second}),
		From: "Access requests <access@test.example>", BaseURL: baseURL, Log: log}
	e.JobsEnv = testutil.NewJobsEnv(t, func(gdb *gorm.DB) *jobs.Engine {
		eng, err := jobs.New(gdb, jobs.Options{
			Log: log, Work: true, Sender: webhooks.NewSender(webhooks.Options{UserAgent: "test"}),
			Subscribers: []jobs.Subscriber{e.mailer.Subscribe}, AddWorkers: e.mailer.Register,
			RetrySchedule: []time.Duration{200 * time.Millisecond, 300 * time.Millisecond},
			PollInterval:  20 * time.Millisecond, SweepInterval: 100 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		return eng
	}, access.WithMail(true), access.WithBaseURL(baseURL))
	e.mailer.Service = e.Svc
	e.Seed()
	return e
}

// start runs the workers until the test ends.
func (e *env) start() {
	e.T.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.Engine.Start(ctx, e.Svc); err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = e.Engine.Stop(sctx)
		cancel()
	})
}

// link generates a Google Ads link, sent to recipient if not empty.
func (e *env) link(recipient, note string) *access.Link {
	e.T.Helper()
	l, err := e.Svc.GenerateLink(e.Ctx, e.M, e.Admin, "google_ads", access.LinkMail{Recipient: recipient, Note: note})
	if err != nil {
		e.T.Fatal(err)
	}
	return l
}

// byKind counts the delivered mails per subject prefix-free kind, read
// from each mail's To and subject.
func subjects(got []delivered) []string {
	var out []string
	for _, d := range got {
		out = append(out, d.Msg.Header.Get("Subject"))
	}
	return out
}
