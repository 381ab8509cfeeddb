package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"golang.org/x/crypto/bcrypt"
)

func init() { access.PasswordCost = bcrypt.MinCost }

// listen opens a listener on a port the kernel picks, for the program to
// serve on (withListener): the test holds the port from the start.
func listen(t *testing.T) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return ln, port
}

// lockedBuffer collects the program's log; waitFor waits for a line.
type lockedBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed at the next write
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// next is a channel closed at the next write.
func (l *lockedBuffer) next() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed == nil {
		l.changed = make(chan struct{})
	}
	return l.changed
}

// waitFor waits until the log contains s; it gives up when stopped
// delivers the program's end (which it puts back) or after 30 seconds.
func (l *lockedBuffer) waitFor(s string, stopped chan error) error {
	timeout := time.After(30 * time.Second)
	for {
		changed := l.next()
		if strings.Contains(l.String(), s) {
			return nil
		}
		select {
		case <-changed:
		case err := <-stopped:
			stopped <- err
			return fmt.Errorf("the program ended (%v) before logging %q", err, s)
		case <-timeout:
			return fmt.Errorf("no %q in the log within 30s", s)
		}
	}
}

// serveFor runs `app serve` on a listener of its own (env["PORT"] is set
// to its port; opts may wrap it) until stop is called, which waits for run to return and
// reports its error. It returns once the program has logged that it
// serves and /readyz answers 200.
func serveFor(t *testing.T, env map[string]string, opts ...runOption) (base string, logs *lockedBuffer, stop func() error) {
	t.Helper()
	ln, port := listen(t)
	env["PORT"] = port
	ctx, cancel := context.WithCancel(context.Background())
	logs = &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		getenv := func(k string) string {
			if v, ok := env[k]; ok {
				return v
			}
			if k == "SHUTDOWN_DRAIN" {
				return "0s" // no drain unless the test asks for one
			}
			return ""
		}
		done <- run(ctx, []string{"serve"}, getenv, strings.NewReader(""), io.Discard, logs, append([]runOption{withListener(ln)}, opts...)...)
	}()
	base = "http://127.0.0.1:" + port
	if err := logs.waitFor(`"msg":"serving"`, done); err != nil {
		cancel()
		t.Fatalf("server not ready: %v\n%s", err, logs.String())
	}
	res, err := http.Get(base + "/readyz")
	if err != nil {
		cancel()
		t.Fatalf("server not ready: %v\n%s", err, logs.String())
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("server not ready: /readyz %d\n%s", res.StatusCode, logs.String())
	}
	return base, logs, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return fmt.Errorf("serve did not stop within 30s")
		}
	}
}

func login(t *testing.T, base, email, password string) int {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(base+"/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DATA_DIR": dir, "DEMO_PASSWORD": "demo-password-123", "DATABASE_URL": ""}

	base, logs, stop := serveFor(t, env)
	if !strings.Contains(logs.String(), "demo data created") {
		t.Fatalf("first start did not seed the demo data:\n%s", logs.String())
	}
	if got := login(t, base, "admin@demo.test", "demo-password-123"); got != http.StatusSeeOther {
		t.Fatalf("demo login: %d", got)
	}
	if err := stop(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Fatalf("no clean stop in the log:\n%s", logs.String())
	}

	// Second start: same data directory, same generated key, no new seed.
	base, logs, stop = serveFor(t, env)
	defer stop()
	if strings.Contains(logs.String(), "demo data created") || strings.Contains(logs.String(), "generated a development key") {
		t.Fatalf("restart seeded again or made a new key:\n%s", logs.String())
	}
	if got := login(t, base, "admin@demo.test", "demo-password-123"); got != http.StatusSeeOther {
		t.Fatalf("login after restart: %d", got)
	}
}

// watchReads wraps the program's listener: each of marks is closed once
// the bytes the program has read from one connection contain its marker;
// closed is closed when the server closes the listener, the first step of
// its shutdown.
//
// Reading a marker does not by itself mean the server holds a request:
// net/http reads whatever has arrived, so a marker sent with the request's
// header is read while the server is still parsing it, and a connection
// whose request is not yet parsed when the shutdown begins is dropped
// (conn.serve returns once readRequest does). Only bytes sent after the
// server has read the whole header are read by the handler.
type watchReads struct {
	net.Listener
	marks     []*mark
	closeOnce sync.Once
	closed    chan struct{}
}

// mark is a marker and the channel closed once it is read.
type mark struct {
	marker []byte
	once   sync.Once
	seen   chan struct{}
}

func newMark(marker string) *mark { return &mark{marker: []byte(marker), seen: make(chan struct{})} }

func (l *watchReads) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

func (l *watchReads) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &watchedConn{Conn: c, l: l}, nil
}

// watchedConn keeps what the program read (a marker may be split across
// reads).
type watchedConn struct {
	net.Conn
	l    *watchReads
	mu   sync.Mutex
	read []byte
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.read = append(c.read, p[:n]...)
	for _, m := range c.l.marks {
		if bytes.Contains(c.read, m.marker) {
			m.once.Do(func() { close(m.seen) })
		}
	}
	c.mu.Unlock()
	return n, err
}

// waitSeen waits until the program has read m's marker.
func waitSeen(t *testing.T, m *mark, what string) {
	t.Helper()
	select {
	case <-m.seen:
	case <-time.After(30 * time.Second):
		t.Fatalf("the server never read %s", what)
	}
}

func TestGracefulShutdownFinishesRequestsInFlight(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir(), "DEMO_PASSWORD": "demo-password-123"}
	header, body, closed := newMark("X-In-Flight: yes\r\n\r\n"), newMark("email=admin"), make(chan struct{})
	watch := func(l *listeners) {
		l.public = &watchReads{Listener: l.public, marks: []*mark{header, body}, closed: closed}
	}
	base, _, stop := serveFor(t, env, watch)

	// A request whose body arrives slowly is in flight when the shutdown
	// starts; it must still get its answer. A connection of its own: new,
	// not one kept alive from serveFor; written by hand, so that its header
	// and its body arrive apart.
	form := []string{"email=admin%40demo.test&", "password=demo-password-123"}
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req, _ := http.NewRequest(http.MethodPost, base+"/login", nil)
	_, err = fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nX-In-Flight: yes\r\n\r\n",
		req.Host, len(form[0])+len(form[1]))
	if err != nil {
		t.Fatal(err)
	}
	waitSeen(t, header, "the request's header")
	// The server has the whole header: the body's first part is read by
	// the handler, with the request parsed and the connection active.
	if _, err := io.WriteString(conn, form[0]); err != nil {
		t.Fatal(err)
	}
	waitSeen(t, body, "the request's body")
	result := make(chan int, 1)
	go func() {
		res, err := http.ReadResponse(bufio.NewReader(conn), req)
		if err != nil {
			t.Logf("in-flight request: %v", err)
			result <- -1
			return
		}
		res.Body.Close()
		result <- res.StatusCode
	}()

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	select {
	case <-closed: // the shutdown has begun
	case err := <-stopped:
		t.Fatalf("stopped (%v) before closing the listener", err)
	}
	if _, err := io.WriteString(conn, form[1]); err != nil {
		t.Fatalf("the rest of the body: %v", err)
	}
	if got := <-result; got != http.StatusSeeOther {
		t.Fatalf("in-flight request got %d, want 303", got)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still answers after shutdown")
	}
}

// onlyDataDir is an environment with DATA_DIR=dir and nothing else.
func onlyDataDir(dir string) func(string) string {
	return func(k string) string {
		if k == "DATA_DIR" {
			return dir
		}
		return ""
	}
}

func TestUserAdd(t *testing.T) {
	dir := t.TempDir()
	getenv := onlyDataDir(dir)
	var out bytes.Buffer
	args := []string{"user", "add", "-email", "Ana@Example.com", "-name", "Ana Lytic", "-org", "Data Co", "-plan", "agency", "-org-role", "member", "-workspace", "Reports", "-role", "admin"}
	if err := run(context.Background(), args, getenv, strings.NewReader("a long password\n"), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "created user ana@example.com") {
		t.Fatalf("output %q", out.String())
	}
	t.Run("ErrDuplicate", func(t *testing.T) {
		err := run(context.Background(), args, getenv, strings.NewReader("a long password\n"), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("err = %v, want already exists", err)
		}
	})
	t.Run("ErrEveryProblemAtOnce", func(t *testing.T) {
		err := run(context.Background(), []string{"user", "add", "-email", "nope", "-workspace", "W", "-org", "O", "-role", "boss"}, getenv, strings.NewReader("short"), io.Discard, io.Discard)
		if err == nil {
			t.Fatal("invalid user created")
		}
		for _, want := range []string{"-email", "-name", "-password", "-role"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %s", err, want)
			}
		}
	})
	t.Run("SignsIn", func(t *testing.T) {
		env := map[string]string{"DATA_DIR": dir}
		base, _, stop := serveFor(t, env)
		defer stop()
		if got := login(t, base, "ana@example.com", "a long password"); got != http.StatusSeeOther {
			t.Fatalf("login: %d", got)
		}
	})
}

func TestConfigProblemsStopTheStart(t *testing.T) {
	env := map[string]string{"APP_ENV": "production", "PORT": "x"}
	err := run(context.Background(), nil, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, io.Discard)
	if err == nil {
		t.Fatal("started with a bad configuration")
	}
	for _, want := range []string{"PORT", "APP_SECRET_KEY", "APP_BASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
}

// TestUserPasswordAndSignout (issue 7, item 4): `app user password` sets a
// password read from stdin and ends every session of the user; `app user
// signout` signs the user out everywhere. A client signed in before each
// command is sent to sign-in afterwards.
func TestUserPasswordAndSignout(t *testing.T) {
	dir := t.TempDir()
	getenv := onlyDataDir(dir)
	user := func(t *testing.T, stdin string, args ...string) (string, error) {
		t.Helper()
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"user"}, args...), getenv, strings.NewReader(stdin), &out, io.Discard)
		return out.String(), err
	}
	if _, err := user(t, "first password\n", "add", "-email", "pat@example.com", "-name", "Pat", "-org", "P Co", "-org-role", "owner"); err != nil {
		t.Fatal(err)
	}
	base, _, stop := serveFor(t, map[string]string{"DATA_DIR": dir})
	defer stop()
	signedInClient := func(t *testing.T, password string) *http.Client {
		t.Helper()
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := c.PostForm(base+"/login", url.Values{"email": {"pat@example.com"}, "password": {password}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in: %d", res.StatusCode)
		}
		return c
	}
	// signedIn reports whether c may open the no-workspace page (Pat's
	// organization has no workspace).
	signedIn := func(t *testing.T, c *http.Client) bool {
		t.Helper()
		res, err := c.Get(base + "/no-workspace")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}

	t.Run("Password", func(t *testing.T) {
		c := signedInClient(t, "first password")
		if !signedIn(t, c) {
			t.Fatal("not signed in before the change")
		}
		out, err := user(t, "second password\n", "password", "-email", "Pat@Example.com")
		if err != nil || !strings.Contains(out, "password changed for pat@example.com; 1 sessions ended") {
			t.Fatalf("user password: %q, %v", out, err)
		}
		if signedIn(t, c) {
			t.Error("a session from before the password change still works")
		}
		if got := login(t, base, "pat@example.com", "first password"); got != http.StatusUnauthorized {
			t.Errorf("old password: %d, want 401", got)
		}
	})
	t.Run("ErrPassword", func(t *testing.T) {
		if _, err := user(t, "short\n", "password", "-email", "pat@example.com"); err == nil || !strings.Contains(err.Error(), "-password") {
			t.Errorf("short password: %v, want a -password problem", err)
		}
		if _, err := user(t, "a long password\n", "password", "-email", "nobody@example.com"); err == nil || !strings.Contains(err.Error(), "No user") {
			t.Errorf("unknown email: %v, want no user", err)
		}
		if _, err := user(t, "a long password\n", "password"); err == nil || !strings.Contains(err.Error(), "-email") {
			t.Errorf("no email: %v", err)
		}
	})
	t.Run("Signout", func(t *testing.T) {
		c1, c2 := signedInClient(t, "second password"), signedInClient(t, "second password")
		out, err := user(t, "", "signout", "-email", "pat@example.com")
		if err != nil || !strings.Contains(out, "signed out pat@example.com everywhere; 2 sessions ended") {
			t.Fatalf("user signout: %q, %v", out, err)
		}
		if signedIn(t, c1) || signedIn(t, c2) {
			t.Error("a session survived user signout")
		}
		if _, err := user(t, "", "signout", "-email", "nobody@example.com"); err == nil {
			t.Error("signout of an unknown email succeeded")
		}
	})
}
