package web_test

// What the links page and the generate dialog show (issue 7, items 19, 21
// and 22), checked in the HTML by data-testid.

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// primaryButtons are the elements styled as primary buttons inside <main>.
func primaryButtons(t *testing.T, body string) []*html.Node {
	t.Helper()
	mains := testutil.FindAll(testutil.ParseHTML(t, body), func(n *html.Node) bool { return n.Data == "main" })
	if len(mains) != 1 {
		t.Fatalf("%d <main> elements, want 1", len(mains))
	}
	return testutil.FindAll(mains[0], func(n *html.Node) bool {
		return strings.Contains(" "+testutil.Attr(n, "class")+" ", " btn-primary ")
	})
}

// wantOnePrimary checks that the page offers one primary button, the one
// with data-testid id.
func wantOnePrimary(id string) func(t *testing.T, e *env, res *http.Response, body string) {
	return func(t *testing.T, e *env, res *http.Response, body string) {
		t.Helper()
		buttons := primaryButtons(t, body)
		if len(buttons) != 1 {
			var texts []string
			for _, b := range buttons {
				texts = append(texts, testutil.TextOf(b))
			}
			t.Fatalf("%d primary buttons %q, want one", len(buttons), texts)
		}
		if got := testutil.Attr(buttons[0], "data-testid"); got != id {
			t.Errorf("the primary button is %q, want %q", got, id)
		}
	}
}

// TestLinksEmptyStateOneAction (item 21): with no link yet, the empty
// state's button is the page's only primary button; once there is a link
// (or under a status filter) the header's Generate button is there.
func TestLinksEmptyStateOneAction(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.run(t, []scenario{
		{
			name: "Empty", as: "admin", url: "{links}", status: http.StatusOK,
			testids: []string{"links-empty", "generate-first"}, noTestid: []string{"generate-button"},
			check: wantOnePrimary("generate-first"),
		},
		{
			name: "EmptyFiltered", as: "admin", url: "{links}?status=used", status: http.StatusOK,
			testids: []string{"links-empty", "show-all", "generate-button"}, noTestid: []string{"generate-first"},
			check: wantOnePrimary("generate-button"),
		},
		{
			name: "WithLinks", as: "admin", url: "{links}", status: http.StatusOK,
			setup:   func(t *testing.T, e *env) { e.generate(t, "admin", e.f.Reporting.ID, "google_ads") },
			testids: []string{"links-table", "generate-button"}, noTestid: []string{"links-empty", "generate-first"},
			check: wantOnePrimary("generate-button"),
		},
	})
}

// TestLinkRowWhen (item 21): a row says when the link expires while it
// works, when it was used once used, and when it expired once expired;
// a link made a minute ago expires "in 7 days".
func TestLinkRowWhen(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const day = 24 * time.Hour
	used := e.generate(t, "admin", e.f.Reporting.ID, "sandbox")
	e.set(t, used.ID, map[string]any{"used_at": testNow.Add(-2 * day)})
	expired := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	e.set(t, expired.ID, map[string]any{"created_at": testNow.Add(-10 * day), "expires_at": testNow.Add(-3 * day)})
	active := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	e.clock.Advance(time.Minute)

	// when is the text of a row's time cell.
	when := func(t *testing.T, body, linkID string) string {
		t.Helper()
		rows := testutil.FindAll(testutil.ParseHTML(t, body), func(n *html.Node) bool { return testutil.Attr(n, "id") == "link-"+linkID })
		if len(rows) != 1 {
			t.Fatalf("no row for link %s", linkID)
		}
		cells := testutil.FindAll(rows[0], func(n *html.Node) bool { return testutil.Attr(n, "data-testid") == "link-when" })
		if len(cells) != 1 {
			t.Fatalf("row %s has %d time cells, want 1", linkID, len(cells))
		}
		return testutil.TextOf(cells[0])
	}
	e.run(t, []scenario{
		{
			name: "List", as: "admin", url: "{links}", status: http.StatusOK,
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				for _, c := range []struct {
					id, want string
				}{
					{active.ID, "Expires Mar 8, 2026 in 7 days"},
					{used.ID, "Used Feb 27, 2026 2 days ago"},
					{expired.ID, "Expired Feb 26, 2026 3 days ago"},
				} {
					if got := when(t, body, c.id); got != c.want {
						t.Errorf("row %s says %q, want %q", c.id, got, c.want)
					}
				}
				for _, id := range []string{used.ID, expired.ID} {
					if got := when(t, body, id); strings.Contains(got, "Expires") || strings.Contains(got, "in ") {
						t.Errorf("a row no longer usable says %q", got)
					}
				}
			},
		},
		{
			name: "UsedLinkPage", as: "admin", url: "{links}/" + used.ID, status: http.StatusOK,
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				if text := testutil.TextOf(testutil.ParseHTML(t, body)); strings.Contains(text, "in 6 days") || strings.Contains(text, "in 5 days") || strings.Contains(text, "Expires") {
					t.Errorf("the used link's page speaks of its expiry: %s", excerpt(text))
				}
				if testutil.ByTestID(testutil.ParseHTML(t, body), "link-expiry") != nil {
					t.Error("the used link's page shows an expiry")
				}
			},
		},
		{
			name: "ExpiredLinkPage", as: "admin", url: "{links}/" + expired.ID, status: http.StatusOK,
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				if got := testutil.TestIDText(t, body, "link-expiry"); !strings.Contains(got, "(3 days ago)") {
					t.Errorf("expiry %q, want it to say 3 days ago", got)
				}
				if !strings.Contains(testutil.TextOf(testutil.ParseHTML(t, body)), "Expired Feb 26, 2026") {
					t.Error(`the expired link's page does not say "Expired Feb 26, 2026"`)
				}
			},
		},
		{
			name: "ActiveLinkPage", as: "admin", url: "{links}/" + active.ID, status: http.StatusOK,
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				if got := testutil.TestIDText(t, body, "link-expiry"); !strings.Contains(got, "(in 7 days)") {
					t.Errorf("expiry %q, want in 7 days", got)
				}
			},
		},
	})
}

// TestGenerateDialogSources (item 22): the dialog offers only sources that
// have credentials and never names environment variables; organization
// owners alone read that more sources can be enabled.
func TestGenerateDialogSources(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var configured, unconfigured []string
	for _, s := range e.svc.Sources().All() {
		if s.Configured() {
			configured = append(configured, "source-"+s.Key)
		} else {
			unconfigured = append(unconfigured, "source-"+s.Key)
		}
	}
	if len(unconfigured) == 0 || len(configured) == 0 {
		t.Fatalf("the test catalog needs sources with and without credentials: %v / %v", configured, unconfigured)
	}
	secretWords := []string{"SOURCE_", "CLIENT_ID", "CLIENT_SECRET", "Not configured", "Not set up"}
	e.run(t, []scenario{
		{
			name: "Admin", as: "admin", url: "{links}/new", header: []string{"HX-Request", "true"}, status: http.StatusOK,
			testids: append([]string{"generate-form"}, configured...), noTestid: append([]string{"more-sources", "no-sources"}, unconfigured...),
			absent: secretWords,
		},
		{
			name: "Admin/Page", as: "admin", url: "{links}/new", status: http.StatusOK,
			testids: configured, noTestid: append([]string{"more-sources"}, unconfigured...), absent: secretWords,
		},
		{
			name: "Owner", as: "owner", url: "{links}/new", header: []string{"HX-Request", "true"}, status: http.StatusOK,
			testids: append([]string{"generate-form", "more-sources"}, configured...), noTestid: unconfigured,
			absent: secretWords,
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				if got := testutil.TestIDText(t, body, "more-sources"); !strings.Contains(got, "More sources can be enabled") {
					t.Errorf("owner's note %q", got)
				}
			},
		},
		{
			name: "UnconfiguredPosted", as: "admin", method: "POST", url: "{links}", form: map[string][]string{"source": {"xero"}},
			header: []string{"HX-Request", "true"}, status: http.StatusUnprocessableEntity,
			testids: []string{"generate-form", "generate-error"}, noTestid: unconfigured, absent: secretWords,
		},
	})
}

// TestLoadMoreFragment (item 19): "Load more" gets the next rows, cut from
// the page itself, with no page around them; the last page has no "Load
// more".
func TestLoadMoreFragment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := 0; i < access.PageSize+10; i++ {
		e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
		e.clock.Advance(time.Second)
	}
	first, body := doGet(t, e, "admin", "{links}")
	if first.StatusCode != http.StatusOK {
		t.Fatalf("status %d", first.StatusCode)
	}
	more := fullFirstPage(t, body, "link-row", "load-more")
	// htmx attributes are inherited: nothing around Load more may carry
	// one, or Load more selects from its answer what is not there.
	for n := more; n != nil; n = n.Parent {
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "hx-") && n != more {
				t.Errorf("<%s id=%q> around Load more has %s=%q, which Load more inherits", n.Data, testutil.Attr(n, "id"), a.Key, a.Val)
			}
		}
	}
	if testutil.Attr(more, "hx-select") != "" {
		t.Error("Load more has hx-select")
	}
	res, rows := doGet(t, e, "admin", testutil.Attr(more, "hx-get"), "HX-Request", "true")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("Load more: status %d", res.StatusCode)
	}
	if strings.Contains(rows, "<html") || strings.Contains(rows, "links-table") || strings.Contains(rows, "page-actions") {
		t.Errorf("Load more answers more than rows: %s", excerpt(rows))
	}
	got := testutil.ByTestID(testutil.ParseHTML(t, "<table><tbody>"+rows+"</tbody></table>"), "link-row")
	if len(got) != 10 {
		t.Errorf("Load more gives %d rows, want 10", len(got))
	}
	if strings.Contains(rows, `data-testid="load-more"`) {
		t.Error("the last page still offers Load more")
	}
}

// doGet sends a GET as who and returns the answer.
func doGet(t *testing.T, e *env, who, path string, header ...string) (*http.Response, string) {
	t.Helper()
	target := e.expand(path)
	if !strings.HasPrefix(target, "http") {
		target = e.srv.URL + target
	}
	return testutil.Do(t, e.client(t, who), http.MethodGet, target, nil, header...)
}
