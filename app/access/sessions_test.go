package access_test

import (
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

// start signs u in and returns the session.
func (e *domainEnv) start(u models.User) *access.Session {
	e.t.Helper()
	s, err := e.svc.StartSession(e.ctx, u.ID)
	if err != nil {
		e.t.Fatalf("start session for %s: %v", u.Email, err)
	}
	return s
}

// live fails unless token names a live session of u.
func (e *domainEnv) live(t *testing.T, token string, u models.User) *access.Session {
	t.Helper()
	s, err := e.svc.Session(e.ctx, token)
	if err != nil {
		t.Fatalf("session of %s at %v: %v", u.Email, e.clock.Now(), err)
	}
	if s.User == nil || s.User.ID != u.ID {
		t.Fatalf("session user = %+v, want %s", s.User, u.Email)
	}
	return s
}

// ended fails unless token's session has ended.
func (e *domainEnv) ended(t *testing.T, token string) {
	t.Helper()
	_, err := e.svc.Session(e.ctx, token)
	assertCode(t, err, access.EUNAUTHORIZED)
}

func (e *domainEnv) sessionRow(t *testing.T, token string) models.Session {
	t.Helper()
	var row models.Session
	if err := e.svc.DB().Where("id_hash = ?", secret.HashToken(token)).Take(&row).Error; err != nil {
		t.Fatalf("session row: %v", err)
	}
	return row
}

// TestSessions (issue 7, item 4): server-side sessions on SQLite and
// PostgreSQL: the cookie's token is stored only as a hash, a session ends
// at once when asked, after the idle timeout and at the absolute lifetime,
// with the service's clock.
func TestSessions(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	idle, lifetime := e.svc.SessionDurations()
	if idle != 2*time.Hour || lifetime != 12*time.Hour {
		t.Fatalf("default durations %v, %v; want 2h, 12h", idle, lifetime)
	}

	t.Run("OK", func(t *testing.T) {
		s := e.start(e.f.Admin)
		if len(s.Token) < 43 {
			t.Fatalf("token %q is shorter than 256 bits", s.Token)
		}
		got := e.live(t, s.Token, e.f.Admin)
		if got.Flash != "" || !got.ExpiresAt.Equal(e.clock.Now().Add(lifetime)) {
			t.Errorf("session = %+v, want no flash and expiry in %v", got, lifetime)
		}
	})

	t.Run("OnlyTheHashIsStored", func(t *testing.T) {
		s := e.start(e.f.Admin)
		row := e.sessionRow(t, s.Token)
		if row.IDHash == s.Token || row.UserID != e.f.Admin.ID {
			t.Fatalf("row = %+v", row)
		}
		var n int64
		e.svc.DB().Model(&models.Session{}).Where("id_hash = ?", s.Token).Count(&n)
		if n != 0 {
			t.Fatal("the raw token is stored")
		}
	})

	t.Run("ErrUnknownToken", func(t *testing.T) {
		for _, tok := range []string{"", "nope", strings.Repeat("a", 43), "a\x00b", "\xff"} {
			e.ended(t, tok)
		}
	})

	t.Run("IdleTimeout", func(t *testing.T) {
		s := e.start(e.f.Member)
		// Used just before the idle timeout, twice: each use keeps it alive.
		e.clock.Advance(idle - time.Second)
		e.live(t, s.Token, e.f.Member)
		e.clock.Advance(idle - time.Second)
		e.live(t, s.Token, e.f.Member)
		// Then left alone for the idle timeout.
		e.clock.Advance(idle)
		e.ended(t, s.Token)
		if n := e.count(&models.Session{}, "id_hash = ?", secret.HashToken(s.Token)); n != 0 {
			t.Error("the ended session's row is still there")
		}
		// Coming back later does not revive it.
		e.clock.Advance(-idle)
		e.ended(t, s.Token)
	})

	t.Run("LastSeenWrittenAtMostOnceAMinute", func(t *testing.T) {
		s := e.start(e.f.Viewer)
		startedAt := e.sessionRow(t, s.Token).LastSeenAt
		e.clock.Advance(30 * time.Second)
		e.live(t, s.Token, e.f.Viewer)
		if got := e.sessionRow(t, s.Token).LastSeenAt; !got.Equal(startedAt) {
			t.Errorf("last seen written after 30s: %v, want %v", got, startedAt)
		}
		e.clock.Advance(31 * time.Second)
		e.live(t, s.Token, e.f.Viewer)
		if got := e.sessionRow(t, s.Token).LastSeenAt; !got.Equal(e.clock.Now()) {
			t.Errorf("last seen after 61s = %v, want %v", got, e.clock.Now())
		}
	})

	t.Run("AbsoluteLifetime", func(t *testing.T) {
		s := e.start(e.f.Owner)
		// Used every hour: the idle timeout never strikes...
		for e.clock.Now().Add(time.Hour).Before(s.ExpiresAt) {
			e.clock.Advance(time.Hour)
			e.live(t, s.Token, e.f.Owner)
		}
		// ...but the lifetime does.
		e.clock.Set(s.ExpiresAt.Add(-time.Second))
		e.live(t, s.Token, e.f.Owner)
		e.clock.Set(s.ExpiresAt)
		e.ended(t, s.Token)
	})

	t.Run("CustomDurations", func(t *testing.T) {
		svc := *e.svc
		svc.SetSessionTimeouts(10*time.Minute, 30*time.Minute)
		s, err := svc.StartSession(e.ctx, e.f.Admin.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(10 * time.Minute)
		if _, err := svc.Session(e.ctx, s.Token); access.ErrorCode(err) != access.EUNAUTHORIZED {
			t.Fatalf("after the 10-minute idle timeout: %v, want ended", err)
		}
		if !s.ExpiresAt.Equal(s.CreatedAt.Add(30 * time.Minute)) {
			t.Errorf("expires %v, want 30 minutes after %v", s.ExpiresAt, s.CreatedAt)
		}
	})

	t.Run("EndSession", func(t *testing.T) {
		s, other := e.start(e.f.Admin), e.start(e.f.Admin)
		if err := e.svc.EndSession(e.ctx, s.Token); err != nil {
			t.Fatal(err)
		}
		e.ended(t, s.Token)
		e.live(t, other.Token, e.f.Admin)
		if err := e.svc.EndSession(e.ctx, s.Token); err != nil {
			t.Errorf("ending an ended session: %v", err)
		}
	})

	t.Run("EndUserSessions", func(t *testing.T) {
		keep, a, b := e.start(e.f.Free), e.start(e.f.Free), e.start(e.f.Free)
		stranger := e.start(e.f.Support)
		n, err := e.svc.EndUserSessions(e.ctx, e.f.Free.ID, keep.Token)
		if err != nil || n != 2 {
			t.Fatalf("ended %d, %v; want 2", n, err)
		}
		e.live(t, keep.Token, e.f.Free)
		e.ended(t, a.Token)
		e.ended(t, b.Token)
		e.live(t, stranger.Token, e.f.Support)
		n, err = e.svc.EndUserSessions(e.ctx, e.f.Free.ID, "")
		if err != nil || n != 1 {
			t.Fatalf("ended %d, %v; want 1", n, err)
		}
		e.ended(t, keep.Token)
	})

	t.Run("SignOutEverywhere", func(t *testing.T) {
		a, b := e.start(e.f.OtherAdmin), e.start(e.f.OtherAdmin)
		n, err := e.svc.SignOutEverywhere(e.ctx, " OTHER@test.example ")
		if err != nil || n != 2 {
			t.Fatalf("ended %d, %v; want 2", n, err)
		}
		e.ended(t, a.Token)
		e.ended(t, b.Token)
		_, err = e.svc.SignOutEverywhere(e.ctx, "nobody@test.example")
		assertCode(t, err, access.ENOTFOUND)
		_, err = e.svc.SignOutEverywhere(e.ctx, "a\x00@b.c")
		assertCode(t, err, access.ENOTFOUND)
	})

	t.Run("FlashDoesNotExtend", func(t *testing.T) {
		s := e.start(e.f.Admin)
		before := e.sessionRow(t, s.Token)
		e.clock.Advance(30 * time.Second)
		if err := e.svc.SetSessionFlash(e.ctx, s.Token, "Link deleted.\x00\u202e"); err != nil {
			t.Fatal(err)
		}
		after := e.sessionRow(t, s.Token)
		if !after.ExpiresAt.Equal(before.ExpiresAt) || !after.LastSeenAt.Equal(before.LastSeenAt) || !after.CreatedAt.Equal(before.CreatedAt) {
			t.Errorf("saving a flash changed the session's times: %+v -> %+v", before, after)
		}
		if got := e.live(t, s.Token, e.f.Admin).Flash; got != "Link deleted." {
			t.Errorf("flash = %q, want the cleaned message", got)
		}
		if err := e.svc.ClearSessionFlash(e.ctx, s.Token); err != nil {
			t.Fatal(err)
		}
		if got := e.live(t, s.Token, e.f.Admin).Flash; got != "" {
			t.Errorf("flash after clearing = %q", got)
		}
	})

	t.Run("EndedRowsDeletedAtNextSignIn", func(t *testing.T) {
		old := e.start(e.f.Member)
		e.clock.Advance(lifetime)
		e.start(e.f.Viewer)
		if n := e.count(&models.Session{}, "id_hash = ?", secret.HashToken(old.Token)); n != 0 {
			t.Error("an expired session's row survived the next sign-in")
		}
		if n := e.count(&models.Session{}, "expires_at <= ? OR last_seen_at <= ?", e.clock.Now(), e.clock.Now().Add(-idle)); n != 0 {
			t.Errorf("%d ended sessions left", n)
		}
	})

	t.Run("EndedWithTheUser", func(t *testing.T) {
		u, err := e.svc.CreateUser(e.ctx, access.NewUser{Email: "gone@test.example", Name: "Gone", Password: testutil.Password})
		if err != nil {
			t.Fatal(err)
		}
		s := e.start(*u)
		if err := e.svc.DB().Delete(&models.User{}, "id = ?", u.ID).Error; err != nil {
			t.Fatal(err)
		}
		e.ended(t, s.Token)
	})
}

// TestChangePassword (issue 7, item 4): the current password is checked,
// every problem is reported per field, and a change ends every other
// session of the user, on both databases.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	const newPassword = "a brand new password"
	u := e.f.Admin

	t.Run("ErrEveryFieldAtOnce", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			form   access.PasswordChange
			fields []string
		}{
			{"Empty", access.PasswordChange{}, []string{"current", "new", "confirm"}},
			{"WrongCurrentShortNewMismatch", access.PasswordChange{Current: "wrong", New: "short", Confirm: "other"}, []string{"current", "new", "confirm"}},
			{"WrongCurrent", access.PasswordChange{Current: "wrong password", New: newPassword, Confirm: newPassword}, []string{"current"}},
			{"TooLong", access.PasswordChange{Current: testutil.Password, New: strings.Repeat("p", 73), Confirm: strings.Repeat("p", 73)}, []string{"new"}},
			{"Mismatch", access.PasswordChange{Current: testutil.Password, New: newPassword, Confirm: newPassword + "!"}, []string{"confirm"}},
			{"SameAsCurrent", access.PasswordChange{Current: testutil.Password, New: testutil.Password, Confirm: testutil.Password}, []string{"new"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.svc.ChangePassword(e.ctx, u.ID, tt.form)
				de := assertCode(t, err, access.EINVALID)
				for _, f := range tt.fields {
					if de.Fields[f] == "" {
						t.Errorf("no message for %s; fields = %v", f, de.Fields)
					}
				}
				if len(de.Fields) != len(tt.fields) {
					t.Errorf("fields = %v, want only %v", de.Fields, tt.fields)
				}
			})
		}
		if _, err := e.svc.Authenticate(e.ctx, u.Email, testutil.Password); err != nil {
			t.Fatalf("a refused change altered the password: %v", err)
		}
	})

	t.Run("OK", func(t *testing.T) {
		current, other1, other2 := e.start(u), e.start(u), e.start(u)
		stranger := e.start(e.f.Member)
		renewed, err := e.svc.ChangePassword(e.ctx, u.ID, access.PasswordChange{Current: testutil.Password, New: newPassword, Confirm: newPassword})
		if err != nil {
			t.Fatalf("change: %v", err)
		}
		// The browser that changed it goes on in a new session; every
		// other one, and its own old one, ended.
		e.live(t, renewed.Token, u)
		if renewed.Token == current.Token {
			t.Error("the session was not renewed")
		}
		e.ended(t, current.Token)
		e.ended(t, other1.Token)
		e.ended(t, other2.Token)
		e.live(t, stranger.Token, e.f.Member)
		if _, err := e.svc.Authenticate(e.ctx, u.Email, testutil.Password); access.ErrorCode(err) != access.EUNAUTHORIZED {
			t.Errorf("old password still works: %v", err)
		}
		if _, err := e.svc.Authenticate(e.ctx, u.Email, newPassword); err != nil {
			t.Errorf("new password: %v", err)
		}
	})

	t.Run("SetPassword", func(t *testing.T) {
		a, b := e.start(u), e.start(u)
		n, err := e.svc.SetPassword(e.ctx, "ADMIN@test.example", testutil.Password)
		if err != nil || n != 3 { // a, b and the one renewed by the change above
			t.Fatalf("set: %d sessions ended, %v; want 3", n, err)
		}
		e.ended(t, a.Token)
		e.ended(t, b.Token)
		if _, err := e.svc.Authenticate(e.ctx, u.Email, testutil.Password); err != nil {
			t.Errorf("password set by an operator: %v", err)
		}
		_, err = e.svc.SetPassword(e.ctx, u.Email, "short")
		if de := assertCode(t, err, access.EINVALID); de.Fields["password"] == "" {
			t.Errorf("fields = %v, want password", de.Fields)
		}
		_, err = e.svc.SetPassword(e.ctx, "nobody@test.example", testutil.Password)
		assertCode(t, err, access.ENOTFOUND)
	})
}

// TestAuthenticateBadText (issue 7, item 6): an email with NUL, invalid
// UTF-8 or control characters, or an over-long one, is an unknown email
// (the same unauthorized error), never a database error, on both databases.
func TestAuthenticateBadText(t *testing.T) {
	t.Parallel()
	e := newDomainEnv(t)
	for _, email := range []string{"a\x00@b.c", "admin@test.example\x00", "\xff@test.example", "ad\u202emin@test.example", "a\tb@c.d", strings.Repeat("a", 300) + "@test.example", strings.Repeat("é", 200)} {
		_, err := e.svc.Authenticate(e.ctx, email, testutil.Password)
		if de := assertCode(t, err, access.EUNAUTHORIZED); !strings.Contains(de.Message, "do not match") {
			t.Errorf("%q: message %q", email, de.Message)
		}
	}
	if _, err := e.svc.Authenticate(e.ctx, "admin@test.example", "pass\x00word"); access.ErrorCode(err) != access.EUNAUTHORIZED {
		t.Errorf("NUL in the password: %v", err)
	}
}
