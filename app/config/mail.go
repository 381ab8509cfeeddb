package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// SMTP is where mail is sent (SMTP_URL). Its String never shows the
// password.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	// ImplicitTLS is smtps:// (TLS from the first byte, usually port 465);
	// otherwise STARTTLS is required unless Host is a loopback address.
	ImplicitTLS bool
}

// String is the URL without its password, for logs.
func (s *SMTP) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port))}
	if s.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if s.Username != "" {
		u.User = url.User(s.Username)
	}
	return u.String()
}

// Loopback reports whether the server is on this machine (plain SMTP is
// then accepted, for a local relay or a test server).
func (s *SMTP) Loopback() bool {
	if strings.EqualFold(s.Host, "localhost") {
		return true
	}
	ip := net.ParseIP(s.Host)
	return ip != nil && ip.IsLoopback()
}

// DefaultMailFrom is the sender outside production when MAIL_FROM is not
// set.
const DefaultMailFrom = "Access requests <no-reply@localhost>"

// loadMail reads SMTP_URL and MAIL_FROM. Errors never repeat the URL, so
// a password in it cannot reach a log.
func (c *Config) loadMail(getenv func(string) string) []error {
	var problems []error
	if raw := strings.TrimSpace(getenv("SMTP_URL")); raw != "" {
		s, err := ParseSMTPURL(raw)
		if err != nil {
			problems = append(problems, err)
		}
		c.SMTP = s
	}
	from := strings.TrimSpace(getenv("MAIL_FROM"))
	switch {
	case from == "" && c.SMTP != nil:
		problems = append(problems, errors.New("MAIL_FROM is required with SMTP_URL (for example \"Access requests <access@example.com>\")"))
	case from == "":
		from = DefaultMailFrom
	}
	if from != "" {
		if a, err := mail.ParseAddress(from); err != nil || strings.ContainsAny(from, "\r\n") {
			problems = append(problems, fmt.Errorf("MAIL_FROM must be an address such as access@example.com or \"Access requests <access@example.com>\", not %q", from))
		} else {
			c.MailFrom = a.String()
		}
	}
	return problems
}

// ParseSMTPURL reads smtp://user:pass@host:587 or smtps://user:pass@host:465.
func ParseSMTPURL(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("SMTP_URL is not a URL (smtp://user:password@host:587 or smtps://user:password@host:465; percent-encode special characters in the password)")
	}
	s := &SMTP{Host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.ImplicitTLS = true
	default:
		return nil, fmt.Errorf("SMTP_URL must start with smtp:// (STARTTLS) or smtps:// (TLS), not %q", u.Scheme+"://")
	}
	if s.Host == "" {
		return nil, errors.New("SMTP_URL has no host (smtp://user:password@host:587)")
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("SMTP_URL must have no path or query after host:port")
	}
	s.Port = 587
	if s.ImplicitTLS {
		s.Port = 465
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, errors.New("SMTP_URL has a port that is not a number from 1 to 65535")
		}
		s.Port = n
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
		if s.Username == "" {
			return nil, errors.New("SMTP_URL has a password but no user name")
		}
	}
	return s, nil
}
