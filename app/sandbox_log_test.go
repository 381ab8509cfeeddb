package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

var (
	requestIDRe = regexp.MustCompile(`name="id" value="([^"]+)"`)
	traceIDRe   = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// TestSandboxLogsAreJSONWithoutState (issue 7 item 10): an invitee who
// denies at the sandbox makes the OAuth library warn; the warning is a JSON
// line of the app's log, from the sandbox, without the flow's state or the
// sandbox's request ID, and no plain-text line reaches stderr.
func TestSandboxLogsAreJSONWithoutState(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir(), "DEMO_PASSWORD": "demo-password-123", "DATABASE_URL": ""}
	base, logs, stop := serveFor(t, env)
	defer stop()
	token := generateDemoLink(t, base)

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	traceparent := ""
	send := func(method, target string, form url.Values, want int) *http.Response {
		t.Helper()
		req := testutil.NewRequest(t, method, target, form)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if traceparent != "" {
			req.Header.Set("Traceparent", traceparent)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d", method, target, res.StatusCode, want)
		}
		return res
	}
	res := send("POST", base+"/connect/"+token+"/start", url.Values{}, http.StatusSeeOther)
	authorize, err := url.Parse(res.Header.Get("Location"))
	if err != nil || authorize.Query().Get("state") == "" {
		t.Fatalf("start redirected to %q", res.Header.Get("Location"))
	}
	state := authorize.Query().Get("state")
	res = send("GET", authorize.String(), nil, http.StatusFound)
	loginURL, _ := authorize.Parse(res.Header.Get("Location"))
	res = send("GET", loginURL.String(), nil, http.StatusOK)
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := requestIDRe.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no request ID on the sandbox's page:\n%s", page)
	}
	id := string(m[1])
	generatedID := res.Header.Get("X-Request-Id")
	if !traceIDRe.MatchString(generatedID) {
		t.Errorf("X-Request-Id without a traceparent: %q, want 32 hex digits", generatedID)
	}
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	traceparent = "00-" + traceID + "-00f067aa0ba902b7-01"
	res = send("POST", loginURL.Scheme+"://"+loginURL.Host+loginURL.Path, url.Values{"id": {id}, "action": {"deny"}}, http.StatusFound)
	if !strings.Contains(res.Header.Get("Location"), "error=access_denied") {
		t.Fatalf("deny redirected to %q", res.Header.Get("Location"))
	}

	if got := res.Header.Get("X-Request-Id"); got != traceID {
		t.Errorf("X-Request-Id with a traceparent: %q, want its trace ID %s", got, traceID)
	}

	out := logs.String()
	warned, logged := false, false
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("plain-text line on stderr: %q", line)
			continue
		}
		if rec["component"] == "sandbox" && rec["msg"] == "auth request" {
			warned = true
			if rec["request_id"] != traceID {
				t.Errorf("the sandbox's warning has request_id %v, want %s: %s", rec["request_id"], traceID, line)
			}
		}
		if rec["msg"] == "request" {
			if rec["route"] == "/sandbox/*" && rec["request_id"] == traceID {
				logged = true
			}
			if !traceIDRe.MatchString(fmt.Sprint(rec["request_id"])) {
				t.Errorf("a request's line without its ID: %s", line)
			}
		}
		if rec["request_id"] == generatedID && rec["route"] != "/sandbox/*" {
			t.Errorf("the consent page's request ID %s on another request's line: %s", generatedID, line)
		}
	}
	if !logged {
		t.Errorf("no request line with the traceparent's ID:\n%s", out)
	}
	if !warned {
		t.Errorf("the library's access_denied warning is not in the app's log:\n%s", out)
	}
	for name, v := range map[string]string{"state": state, "request ID": id} {
		if strings.Contains(out, v) {
			t.Errorf("the log holds the %s:\n%s", name, out)
		}
	}
}
