package config

import (
	"strings"
	"testing"
)

func TestMailSettings(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{"DATA_DIR": t.TempDir()}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	t.Run("OK", func(t *testing.T) {
		c, err := Load(env("SMTP_URL", "smtp://user:p%40ss%3Aword@mail.example.com", "MAIL_FROM", "Access <access@example.com>"))
		if err != nil {
			t.Fatal(err)
		}
		s := c.SMTP
		if s.Host != "mail.example.com" || s.Port != 587 || s.Username != "user" || s.Password != "p@ss:word" || s.ImplicitTLS || s.Loopback() {
			t.Fatalf("got %+v", s)
		}
		if s.String() != "smtp://user@mail.example.com:587" || c.MailFrom != `"Access" <access@example.com>` {
			t.Fatalf("String = %q, MailFrom = %q", s.String(), c.MailFrom)
		}
	})
	t.Run("ImplicitTLS", func(t *testing.T) {
		c, err := Load(env("SMTP_URL", "smtps://u:p@mail.example.com", "MAIL_FROM", "a@example.com"))
		if err != nil || !c.SMTP.ImplicitTLS || c.SMTP.Port != 465 {
			t.Fatalf("%+v %v", c, err)
		}
	})
	t.Run("DevelopmentDefault", func(t *testing.T) {
		c, err := Load(env())
		if err != nil || c.SMTP != nil || c.MailFrom == "" {
			t.Fatalf("%+v %v", c, err)
		}
	})
	for name, tc := range map[string]struct{ url, from, want string }{
		"ErrScheme":   {"http://u:p@mail.example.com", "a@example.com", "SMTP_URL must start with smtp://"},
		"ErrNoHost":   {"smtp://u:p@:25", "a@example.com", "SMTP_URL has no host"},
		"ErrPort":     {"smtp://u:p@mail.example.com:99999", "a@example.com", "port that is not a number"},
		"ErrPath":     {"smtp://u:p@mail.example.com/x", "a@example.com", "no path"},
		"ErrNoFrom":   {"smtp://u:p@mail.example.com", "", "MAIL_FROM is required"},
		"ErrBadFrom":  {"smtp://u:p@mail.example.com", "not an address", "MAIL_FROM must be an address"},
		"ErrInjected": {"smtp://u:p@mail.example.com", "a@example.com\r\nBcc: x@evil.example", "MAIL_FROM must be an address"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(env("SMTP_URL", tc.url, "MAIL_FROM", tc.from))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), ":p@") {
				t.Fatal("the error repeats the password")
			}
		})
	}
}
