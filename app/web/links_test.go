package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/models"
)

// rowStatuses lists the data-status of every row of the links table, in
// page order.
func rowStatuses(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	for _, n := range testutil.ByTestID(testutil.ParseHTML(t, body), "link-row") {
		out = append(out, testutil.Attr(n, "data-status"))
	}
	return out
}

// wantRows checks the statuses of the rows of the links table, ignoring
// order.
func wantRows(want ...string) func(t *testing.T, e *env, res *http.Response, body string) {
	return func(t *testing.T, e *env, res *http.Response, body string) {
		t.Helper()
		got := rowStatuses(t, body)
		slices.Sort(got)
		w := slices.Clone(want)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("rows with statuses %v, want %v", got, w)
		}
	}
}

// linkURLs are the copyable links on a page.
func linkURLs(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	for _, n := range testutil.ByTestID(testutil.ParseHTML(t, body), "link-url") {
		v := testutil.Attr(n, "value")
		if v == "" {
			v = testutil.TextOf(n)
		}
		out = append(out, v)
	}
	return out
}

// checkLinkURL checks that u is a link built from the configured base URL
// with a 256-bit token, and that it is the stored link's token.
func checkLinkURL(t *testing.T, e *env, u, linkID string) {
	t.Helper()
	prefix := testutil.BaseURL + "/connect/"
	if !strings.HasPrefix(u, prefix) {
		t.Fatalf("link %q does not start with %q", u, prefix)
	}
	token := strings.TrimPrefix(u, prefix)
	if len(token) != 43 {
		t.Errorf("token %q has %d characters, want 43 (256 bits, base64url)", token, len(token))
	}
	if got := e.row(t, linkID).TokenHash; got != secret.HashToken(token) {
		t.Errorf("the page shows a token that is not the link's")
	}
}

var createdRe = regexp.MustCompile(`^/w/([0-9a-f-]{36})/sources/access-requests/([0-9a-f-]{36})\?created=1$`)

// TestLinksPage: an admin generates a link, sees it ready to copy, and finds
// it in the list with its status, expiry and creator.
func TestLinksPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	expiry := testNow.Add(access.LinkLifetime).Format("Jan 2, 2006") // Mar 8, 2026
	e.vars["expiry"] = expiry

	e.run(t, []scenario{
		{
			name: "Empty", as: "admin", url: "{links}", status: http.StatusOK,
			testids:  []string{"links-empty", "generate-first"},
			noTestid: []string{"links-table", "link-row", "gate", "generate-button"},
			contains: []string{"No access links yet", "Accounts access requests"},
		},
		{
			name: "Empty/Filtered", as: "admin", url: "{links}?status=used", status: http.StatusOK,
			testids: []string{"links-empty"}, noTestid: []string{"link-row"}, absent: []string{"No access links yet"},
		},
		{
			name: "NewLinkForm", as: "admin", url: "{links}/new", status: http.StatusOK,
			testids: []string{"generate-form", "source-google_ads", "source-sandbox"}, contains: []string{"<html"},
		},
		{
			name: "NewLinkForm/HTMX", as: "admin", url: "{links}/new", header: []string{"HX-Request", "true"}, status: http.StatusOK,
			testids: []string{"generate-form"}, absent: []string{"<html", "<body"},
		},
		{
			name: "Generate", as: "admin", method: "POST", url: "{links}", form: url.Values{"source": {"google_ads"}},
			status: http.StatusSeeOther,
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				loc := res.Header.Get("Location")
				m := createdRe.FindStringSubmatch(loc)
				if m == nil || m[1] != e.f.Reporting.ID {
					t.Fatalf("Location = %q, want the new link's page in Client reporting with ?created=1", loc)
				}
				e.vars["new"] = m[2]
				l := e.row(t, m[2])
				if l.SourceKey != "google_ads" || l.CreatedBy == nil || *l.CreatedBy != e.f.Admin.ID || l.WorkspaceID != e.f.Reporting.ID {
					t.Errorf("stored link = %+v", l)
				}
				if want := testNow.Add(access.LinkLifetime); !l.ExpiresAt.Equal(want) {
					t.Errorf("expires at %v, want %v", l.ExpiresAt, want)
				}
			},
		},
		{
			name: "LinkPage/JustCreated", as: "admin", url: "{links}/{new}?created=1", status: http.StatusOK,
			testids:  []string{"generated", "link-url", "copy-link", "link-status", "timeline"},
			contains: []string{"Single use, expires on", "{expiry}", "Adam Admin", "Google Ads"},
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				urls := linkURLs(t, body)
				if len(urls) == 0 {
					t.Fatal("no link to copy")
				}
				for _, u := range urls {
					checkLinkURL(t, e, u, e.vars["new"])
				}
				if got := testutil.TestIDText(t, body, "link-status"); got != "Active" {
					t.Errorf("status badge %q, want Active", got)
				}
			},
		},
		{
			name: "LinkPage/Later", as: "admin", url: "{links}/{new}", status: http.StatusOK,
			testids: []string{"link-url", "timeline", "link-creator", "link-expiry"}, noTestid: []string{"generated"},
			contains: []string{"Adam Admin", "{expiry}"},
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				if !strings.Contains(body, `data-type="created"`) {
					t.Error("the history has no created event")
				}
			},
		},
		{
			name: "List", as: "admin", url: "{links}", status: http.StatusOK,
			testids:  []string{"links-table", "link-row", "link-status", "link-expiry", "link-creator", "link-url", "delete-link"},
			noTestid: []string{"links-empty", "gate"},
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				wantRows("active")(t, e, res, body)
				for id, want := range map[string]string{"link-status": "Active", "link-expiry": e.vars["expiry"], "link-creator": "Adam Admin", "link-source": "Google Ads"} {
					if got := testutil.TestIDText(t, body, id); !strings.Contains(got, want) {
						t.Errorf("%s = %q, want %q", id, got, want)
					}
				}
				urls := linkURLs(t, body)
				if len(urls) != 1 {
					t.Fatalf("links to copy: %v, want 1", urls)
				}
				checkLinkURL(t, e, urls[0], e.vars["new"])
			},
		},
		{
			name: "Generate/HTMX", as: "admin", method: "POST", url: "{links}", form: url.Values{"source": {"sandbox"}},
			header: []string{"HX-Request", "true"}, status: http.StatusCreated,
			setup:    func(t *testing.T, e *env) { e.clock.Advance(time.Minute) },
			testids:  []string{"generated", "link-url"},
			headers:  map[string]string{"HX-Trigger": "links-changed"},
			contains: []string{"Single use, expires on", "{expiry}", "{base}/connect/"},
			absent:   []string{"<html", "<body"},
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				var l models.AccessLink
				if err := testutil.DBOf(e.svc).Where("workspace_id = ? AND source_key = ?", e.f.Reporting.ID, "sandbox").Take(&l).Error; err != nil {
					t.Fatalf("no sandbox link stored: %v", err)
				}
				urls := linkURLs(t, body)
				if len(urls) != 1 {
					t.Fatalf("links to copy: %v, want 1", urls)
				}
				checkLinkURL(t, e, urls[0], l.ID)
			},
		},
		{
			name: "List/NewestFirst", as: "admin", url: "{links}", status: http.StatusOK,
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				wantRows("active", "active")(t, e, res, body)
				var names []string
				for _, n := range testutil.ByTestID(testutil.ParseHTML(t, body), "link-source") {
					names = append(names, testutil.TextOf(n))
				}
				want := []string{e.svc.Sources().Get("sandbox").Name, "Google Ads"}
				if !slices.Equal(names, want) {
					t.Errorf("sources in order %v, want %v (newest first)", names, want)
				}
			},
		},
		{
			name: "Rows/HTMXFragment", as: "admin", url: "{links}?fragment=rows", header: []string{"HX-Request", "true"}, status: http.StatusOK,
			testids: []string{"link-row"}, absent: []string{"<html", "links-table"},
		},
		{
			// A status tab or the refresh after a new link: the tabs and the
			// table, and the Generate button swapped out of band, cut from
			// the page itself (no hx-select anywhere).
			name: "Region/HTMXFragment", as: "admin", url: "{links}?fragment=region", header: []string{"HX-Request", "true"}, status: http.StatusOK,
			testids:  []string{"link-row", "links-table", "filter-All", "generate-button"},
			contains: []string{`<div id="page-actions" hx-swap-oob="true">`, `id="links-region"`, `hx-push-url="/w/`},
			absent:   []string{"<html", "hx-select", "Accounts access requests"},
		},
		{
			name: "Region/FullPage", as: "admin", url: "{links}", status: http.StatusOK,
			testids: []string{"link-row", "generate-button"}, contains: []string{"<html", `<div id="page-actions">`, "fragment=region"},
			absent: []string{"hx-swap-oob", "hx-select"},
		},
	})
}

// TestLinkStatusFilter: the list filters by status, derived from the
// timestamps; an unknown filter is refused with a message.
func TestLinkStatusFilter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	active := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	used := e.generate(t, "admin", e.f.Reporting.ID, "sandbox")
	e.set(t, used.ID, map[string]any{"used_at": testNow.Add(-time.Hour)})
	expired := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	e.set(t, expired.ID, map[string]any{"created_at": testNow.Add(-8 * 24 * time.Hour), "expires_at": testNow.Add(-24 * time.Hour)})
	deleted := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	e.set(t, deleted.ID, map[string]any{"deleted_at": testNow.Add(-time.Minute), "deleted_by": e.f.Admin.ID})
	e.vars["active"], e.vars["used"], e.vars["expired"], e.vars["deleted"] = active.ID, used.ID, expired.ID, deleted.ID

	onlyActiveCopyable := func(t *testing.T, e *env, res *http.Response, body string) {
		t.Helper()
		for _, u := range linkURLs(t, body) {
			if u != active.URL {
				t.Errorf("a used or expired link is offered for copying: %q", u)
			}
		}
	}
	// ended is the filter for a status whose links are listed, badged
	// badge, without the others and offered for copying no more.
	ended := func(badge, status string, others ...string) scenario {
		var absent []string
		for _, o := range others {
			absent = append(absent, "link-{"+o+"}")
		}
		return scenario{
			name: badge, as: "admin", url: "{links}?status=" + status, status: http.StatusOK,
			contains: []string{"link-{" + status + "}"}, absent: absent,
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				wantRows(status)(t, e, res, body)
				onlyActiveCopyable(t, e, res, body)
				if got := testutil.TestIDText(t, body, "link-status"); got != badge {
					t.Errorf("badge %q, want %s", got, badge)
				}
			},
		}
	}
	e.run(t, []scenario{
		{
			name: "All", as: "admin", url: "{links}", status: http.StatusOK,
			testids: []string{"links-table"}, contains: []string{"Active", "Used", "Expired"},
			absent: []string{"link-{deleted}"},
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				wantRows("active", "used", "expired")(t, e, res, body)
				onlyActiveCopyable(t, e, res, body)
				if urls := linkURLs(t, body); len(urls) != 1 {
					t.Errorf("links to copy %v, want only the active one", urls)
				}
			},
		},
		{name: "AllExplicit", as: "admin", url: "{links}?status=all", status: http.StatusOK, check: wantRows("active", "used", "expired")},
		{
			name: "Active", as: "admin", url: "{links}?status=active", status: http.StatusOK,
			contains: []string{"link-{active}"}, absent: []string{"link-{used}", "link-{expired}", "link-{deleted}"},
			check: wantRows("active"),
		},
		ended("Used", "used", "active", "expired"),
		ended("Expired", "expired", "active", "used"),
		{
			name: "Junk", as: "admin", url: "{links}?status=junk", status: http.StatusUnprocessableEntity,
			testids: []string{"error-message"}, contains: []string{"Unknown status filter"}, noTestid: []string{"link-row"},
		},
		{
			name: "Deleted/NotAFilter", as: "admin", url: "{links}?status=deleted", status: http.StatusUnprocessableEntity,
			noTestid: []string{"link-row"}, absent: []string{"link-{deleted}"},
		},
		{
			name: "Junk/HTMX", as: "admin", url: "{links}?status=%3Cscript%3Ealert(1)%3C/script%3E", header: []string{"HX-Request", "true"},
			status: http.StatusUnprocessableEntity, testids: []string{"error-message"}, absent: []string{"<script>alert(1)"},
		},
		{
			// A malformed cursor is a bad request since item 6.
			name: "BadCursor", as: "admin", url: "{links}?cursor=not-a-cursor", status: http.StatusBadRequest,
			testids: []string{"error-message"},
		},
		// The clock moves past the active link's expiry: it is expired at
		// once, with no job to run.
		{
			name: "ExpiresWithTheClock", as: "admin", url: "{links}?status=expired", status: http.StatusOK,
			setup: func(t *testing.T, e *env) {
				e.clock.Set(active.ExpiresAt)
				t.Cleanup(func() { e.clock.Set(testNow) })
				// A session does not last the week: sign in again.
				delete(e.clients, "admin")
			},
			contains: []string{"link-{active}", "link-{expired}"},
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				wantRows("expired", "expired")(t, e, res, body)
				if urls := linkURLs(t, body); len(urls) != 0 {
					t.Errorf("expired links offered for copying: %v", urls)
				}
			},
		},
	})
}

// TestGenerateInvalidSource: the source must exist and be configured;
// nothing is stored otherwise.
func TestGenerateInvalidSource(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	nothingStored := func(t *testing.T, e *env, res *http.Response, body string) {
		t.Helper()
		if n := e.countLinks(t, e.f.Reporting.ID); n != 0 {
			t.Errorf("%d links stored after an invalid request", n)
		}
	}
	invalid := func(name string, form url.Values, message string) scenario {
		return scenario{
			name: name, as: "admin", method: "POST", url: "{links}", form: form,
			status:   http.StatusUnprocessableEntity,
			testids:  []string{"generate-form", "generate-error"},
			contains: []string{message},
			check:    nothingStored,
		}
	}
	e.run(t, []scenario{
		invalid("Unknown", url.Values{"source": {"nope"}}, "That source does not exist."),
		invalid("UnknownLookalike", url.Values{"source": {"Google_Ads"}}, "That source does not exist."),
		invalid("Empty", url.Values{"source": {""}}, "Choose a source"),
		invalid("Blank", url.Values{"source": {"   "}}, "Choose a source"),
		invalid("Missing", url.Values{}, "Choose a source"),
		invalid("NotConfigured", url.Values{"source": {"shopify"}}, "Shopify is not configured"),
		invalid("NotConfigured/Xero", url.Values{"source": {"xero"}}, "not configured"),
		invalid("TooLong", url.Values{"source": {strings.Repeat("x", 5000)}}, "That source does not exist."),
		{
			name: "Markup", as: "admin", method: "POST", url: "{links}", form: url.Values{"source": {`"><script>alert(1)</script>`}},
			status: http.StatusUnprocessableEntity, testids: []string{"generate-error"},
			absent: []string{"<script>alert(1)"}, check: nothingStored,
		},
		{
			name: "Unknown/HTMX", as: "admin", method: "POST", url: "{links}", form: url.Values{"source": {"nope"}},
			header: []string{"HX-Request", "true"}, status: http.StatusUnprocessableEntity,
			testids: []string{"generate-form", "generate-error"}, contains: []string{"That source does not exist."},
			absent: []string{"<html"}, noHeader: []string{"HX-Redirect"}, check: nothingStored,
		},
		{
			name: "Configured/Sandbox", as: "admin", method: "POST", url: "{links}", form: url.Values{"source": {"sandbox"}},
			status: http.StatusSeeOther,
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				if !createdRe.MatchString(res.Header.Get("Location")) {
					t.Errorf("Location = %q", res.Header.Get("Location"))
				}
				if n := e.countLinks(t, e.f.Reporting.ID); n != 1 {
					t.Errorf("%d links stored, want 1", n)
				}
			},
		},
	})
}

// TestGates: only workspace admins and organization owners on a plan with
// the feature manage links; everyone else is told why, on every route.
func TestGates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	link := e.namedLink(t)
	// A link in the Free organization's workspace (from before a downgrade):
	// the owner may not manage it either.
	freeLink := models.AccessLink{
		ID: access.NewID(), WorkspaceID: e.f.Main.ID, SourceKey: "google_ads",
		TokenHash: secret.HashToken("free-token"), TokenSealed: "x", CreatedBy: &e.f.Free.ID,
		CreatedAt: testNow, ExpiresAt: testNow.Add(access.LinkLifetime),
	}
	if err := testutil.DBOf(e.svc).Create(&freeLink).Error; err != nil {
		t.Fatal(err)
	}
	e.vars["freelink"] = freeLink.ID
	e.vars["mainlinks"] = "/w/" + e.f.Main.ID + "/sources/access-requests"

	unchanged := func(t *testing.T, e *env, res *http.Response, body string) {
		t.Helper()
		if n := e.countLinks(t, e.f.Reporting.ID); n != 1 {
			t.Errorf("links in Client reporting = %d, want 1", n)
		}
		if n := e.countLinks(t, e.f.Main.ID); n != 1 {
			t.Errorf("links in Main = %d, want 1", n)
		}
		if e.row(t, link.ID).DeletedAt != nil || e.row(t, freeLink.ID).DeletedAt != nil {
			t.Error("a refused delete deleted a link")
		}
	}
	gatePage := func(name, who, path, reason string, more ...string) scenario {
		return scenario{
			name: name, as: who, url: path, status: http.StatusOK,
			testids:  []string{"gate", "gate-reason"},
			noTestid: []string{"links-table", "link-row", "link-url", "generate-button", "delete-link", "links-empty"},
			contains: append([]string{reason}, more...),
			absent:   []string{"{base}/connect/"},
		}
	}
	refused := func(name, who, method, path, reason string, header ...string) scenario {
		var form url.Values
		if method == "POST" {
			form = url.Values{"source": {"google_ads"}}
		}
		return scenario{
			name: name, as: who, method: method, url: path, form: form, header: header,
			status: http.StatusForbidden, contains: []string{reason}, absent: []string{"{base}/connect/"},
			check: unchanged,
		}
	}
	e.run(t, []scenario{
		gatePage("Member/LinksPage", "member", "{links}", "{reason_member}"),
		gatePage("Viewer/LinksPage", "viewer", "{links}", "{reason_viewer}"),
		gatePage("FreeOwner/LinksPage", "free", "{mainlinks}", "{reason_free}", "Upgrade", "plan"),
		gatePage("Member/LinksPageFiltered", "member", "{links}?status=active", "{reason_member}"),

		refused("Member/Generate", "member", "POST", "{links}", "{reason_member}"),
		refused("Viewer/Generate", "viewer", "POST", "{links}", "{reason_viewer}"),
		refused("FreeOwner/Generate", "free", "POST", "{mainlinks}", "{reason_free}"),
		refused("Member/Delete", "member", "DELETE", "{links}/{link}", "{reason_member}"),
		refused("Viewer/Delete", "viewer", "DELETE", "{links}/{link}", "{reason_viewer}"),
		refused("FreeOwner/Delete", "free", "DELETE", "{mainlinks}/{freelink}", "{reason_free}"),
		refused("Member/DeleteWithoutJS", "member", "POST", "{links}/{link}/delete", "{reason_member}"),
		refused("FreeOwner/DeleteWithoutJS", "free", "POST", "{mainlinks}/{freelink}/delete", "{reason_free}"),
		refused("Member/LinkPage", "member", "GET", "{links}/{link}", "{reason_member}"),
		refused("Viewer/LinkPage", "viewer", "GET", "{links}/{link}", "{reason_viewer}"),
		refused("FreeOwner/LinkPage", "free", "GET", "{mainlinks}/{freelink}", "{reason_free}"),
		refused("Member/NewLinkForm", "member", "GET", "{links}/new", "{reason_member}"),
		refused("FreeOwner/NewLinkForm", "free", "GET", "{mainlinks}/new", "{reason_free}"),
		refused("Member/ConfirmDelete", "member", "GET", "{links}/{link}/delete", "{reason_member}"),
		refused("Member/Renew", "member", "POST", "{links}/{link}/renew", "{reason_member}"),
		refused("FreeOwner/Renew", "free", "POST", "{mainlinks}/{freelink}/renew", "{reason_free}"),
		{
			name: "Member/Generate/HTMX", as: "member", method: "POST", url: "{links}", form: url.Values{"source": {"google_ads"}},
			header: []string{"HX-Request", "true"}, status: http.StatusForbidden,
			testids: []string{"error-message"}, contains: []string{"{reason_member}"}, absent: []string{"<html"},
			headers: map[string]string{"HX-Trigger": "toast"}, check: unchanged,
		},
		{
			name: "Member/Delete/HTMX", as: "member", method: "DELETE", url: "{links}/{link}",
			header: []string{"HX-Request", "true"}, status: http.StatusForbidden,
			testids: []string{"error-message"}, contains: []string{"{reason_member}"}, check: unchanged,
		},
		// Members still see the connected accounts.
		{
			name: "Member/ConnectedAccounts", as: "member", url: "/w/{reporting}/sources", status: http.StatusOK,
			contains: []string{"Connected accounts"}, noTestid: []string{"gate"},
		},
		// An organization owner without a role in the workspace manages its
		// links.
		{
			name: "OrgOwner/LinksPage", as: "owner", url: "{links}", status: http.StatusOK,
			testids: []string{"links-table", "generate-button"}, noTestid: []string{"gate"},
		},
		{
			name: "OrgOwner/Generate", as: "owner", method: "POST", url: "{links}", form: url.Values{"source": {"google_ads"}},
			status: http.StatusSeeOther,
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				m := createdRe.FindStringSubmatch(res.Header.Get("Location"))
				if m == nil {
					t.Fatalf("Location = %q", res.Header.Get("Location"))
				}
				if got := e.row(t, m[2]).CreatedBy; got == nil || *got != e.f.Owner.ID {
					t.Errorf("created by %v, want the owner", got)
				}
				e.vars["ownerlink"] = m[2]
			},
		},
		{
			name: "OrgOwner/Generate/HTMX", as: "owner", method: "POST", url: "{links}", form: url.Values{"source": {"google_ads"}},
			header: []string{"HX-Request", "true"}, status: http.StatusCreated, testids: []string{"generated"},
		},
		{
			name: "OrgOwner/Delete", as: "owner", method: "DELETE", url: "{links}/{ownerlink}", header: []string{"HX-Request", "true"},
			status: http.StatusOK,
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				if e.row(t, e.vars["ownerlink"]).DeletedAt == nil {
					t.Error("the owner's delete did not delete the link")
				}
			},
		},
	})
}

// TestCrossWorkspace: IDs of another workspace answer 404, never 403, and
// change nothing.
func TestCrossWorkspace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	own := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	foreign := e.generate(t, "other", e.f.Internal.ID, "google_ads")
	e.vars["own"], e.vars["foreign"] = own.ID, foreign.ID
	e.vars["internallinks"] = "/w/" + e.f.Internal.ID + "/sources/access-requests"
	e.vars["foreignurl"] = foreign.URL

	intact := func(t *testing.T, e *env, res *http.Response, body string) {
		t.Helper()
		if e.row(t, foreign.ID).DeletedAt != nil {
			t.Fatal("the foreign link was deleted")
		}
		if e.row(t, own.ID).DeletedAt != nil {
			t.Fatal("the admin's own link was deleted")
		}
		if n := e.countLinks(t, e.f.Internal.ID); n != 1 {
			t.Errorf("links in Internal = %d, want 1", n)
		}
	}
	e.vars["ownurl"] = own.URL
	notFound := func(name, who, method, path string) scenario {
		var form url.Values
		if method == "POST" {
			form = url.Values{"source": {"google_ads"}}
		}
		// Nothing of the other workspace leaks: not its links, not who
		// made them, not that the request was merely forbidden.
		absent := []string{"{foreignurl}", "{ownurl}", "Not allowed", "/connect/"}
		switch who {
		case "admin":
			absent = append(absent, "Ines Internal")
		case "other", "free":
			absent = append(absent, "Adam Admin")
		}
		return scenario{
			name: name, as: who, method: method, url: path, form: form,
			status: http.StatusNotFound, testids: []string{"error"},
			absent: absent, check: intact,
		}
	}
	e.run(t, []scenario{
		notFound("ForeignWorkspace/LinksPage", "admin", "GET", "{internallinks}"),
		notFound("ForeignWorkspace/ConnectedAccounts", "admin", "GET", "/w/{internal}/sources"),
		notFound("ForeignWorkspace/Link", "admin", "GET", "{internallinks}/{foreign}"),
		notFound("ForeignWorkspace/Generate", "admin", "POST", "{internallinks}"),
		notFound("ForeignWorkspace/Delete", "admin", "DELETE", "{internallinks}/{foreign}"),
		notFound("ForeignLinkInOwnWorkspace/Page", "admin", "GET", "{links}/{foreign}"),
		notFound("ForeignLinkInOwnWorkspace/ConfirmDelete", "admin", "GET", "{links}/{foreign}/delete"),
		notFound("ForeignLinkInOwnWorkspace/Delete", "admin", "DELETE", "{links}/{foreign}"),
		notFound("ForeignLinkInOwnWorkspace/DeleteWithoutJS", "admin", "POST", "{links}/{foreign}/delete"),
		notFound("ForeignLinkInOwnWorkspace/Renew", "admin", "POST", "{links}/{foreign}/renew"),
		notFound("OtherAdmin/OwnLinkOfReporting", "other", "GET", "{internallinks}/{own}"),
		notFound("OtherAdmin/DeleteReportingLink", "other", "DELETE", "{internallinks}/{own}"),
		notFound("OtherOrganization/Workspace", "free", "GET", "/w/{reporting}/sources"),
		notFound("OtherOrganization/Link", "free", "GET", "{links}/{own}"),
		notFound("OrgOwner/OtherOrganization", "owner", "GET", "/w/{main}/sources/access-requests"),
		{
			name: "ForeignLinkInOwnWorkspace/Delete/HTMX", as: "admin", method: "DELETE", url: "{links}/{foreign}",
			header: []string{"HX-Request", "true"}, status: http.StatusNotFound, check: intact,
		},
		{
			name: "OwnList/WithoutForeignLinks", as: "admin", url: "{links}", status: http.StatusOK,
			contains: []string{"link-{own}"}, absent: []string{"{foreign}", "{foreignurl}"}, check: wantRows("active"),
		},
		// The organization owner sees both workspaces.
		{
			name: "OrgOwner/ForeignLink", as: "owner", url: "{internallinks}/{foreign}", status: http.StatusOK,
			testids: []string{"link-url"}, contains: []string{"Ines Internal"},
		},
	})
}

// TestDelete: deleting with htmx removes the row and says accounts stay
// connected; without JavaScript a confirmation page and a redirect with a
// flash do the same. Deleting twice is harmless.
func TestDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	htmx := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	nojs := e.generate(t, "admin", e.f.Reporting.ID, "sandbox")
	keep := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	e.vars["htmx"], e.vars["nojs"], e.vars["keep"] = htmx.ID, nojs.ID, keep.ID

	// An account connected through the htmx link: deleting the link must not
	// touch it.
	account := models.ConnectedAccount{
		ID: access.NewID(), WorkspaceID: e.f.Reporting.ID, SourceKey: "google_ads", ExternalID: "123-456-7890",
		DisplayName: "Client Ads Account", Extra: "{}", LinkID: &htmx.ID, Status: "connected",
		CreatedAt: testNow, UpdatedAt: testNow,
	}
	if err := testutil.DBOf(e.svc).Create(&account).Error; err != nil {
		t.Fatal(err)
	}
	e.set(t, htmx.ID, map[string]any{"used_at": testNow, "connected_account_id": account.ID})

	deletedOnce := func(id string) func(t *testing.T, e *env, res *http.Response, body string) {
		return func(t *testing.T, e *env, res *http.Response, body string) {
			t.Helper()
			l := e.row(t, id)
			if l.DeletedAt == nil {
				t.Fatal("the link is not deleted")
			}
			if l.DeletedBy == nil || *l.DeletedBy != e.f.Admin.ID {
				t.Errorf("deleted by %v, want the admin", l.DeletedBy)
			}
			var n int64
			if err := testutil.DBOf(e.svc).Model(&models.LinkEvent{}).Where("link_id = ? AND type = ?", id, access.EventDeleted).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("%d deleted events, want exactly 1", n)
			}
			if e.row(t, keep.ID).DeletedAt != nil {
				t.Error("another link was deleted too")
			}
		}
	}
	e.run(t, []scenario{
		{
			name: "HTMX", as: "admin", method: "DELETE", url: "{links}/{htmx}", header: []string{"HX-Request", "true"},
			status: http.StatusOK, headers: map[string]string{"HX-Trigger": "stay connected"},
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				if strings.TrimSpace(body) != "" {
					t.Errorf("body %q, want empty so that htmx removes the row", body)
				}
				deletedOnce(htmx.ID)(t, e, res, body)
			},
		},
		{
			name: "HTMX/Again", as: "admin", method: "DELETE", url: "{links}/{htmx}", header: []string{"HX-Request", "true"},
			status: http.StatusOK, check: deletedOnce(htmx.ID),
		},
		{
			name: "AccountStaysConnected", as: "admin", url: "/w/{reporting}/sources", status: http.StatusOK,
			testids: []string{"account-row"}, contains: []string{"Client Ads Account"},
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				var a models.ConnectedAccount
				if err := testutil.DBOf(e.svc).Where("id = ?", account.ID).Take(&a).Error; err != nil {
					t.Fatalf("the connected account is gone: %v", err)
				}
				if a.Status != "connected" {
					t.Errorf("account status %q, want connected", a.Status)
				}
			},
		},
		{
			name: "DeletedLinkLeavesList", as: "admin", url: "{links}", status: http.StatusOK,
			contains: []string{"link-{keep}", "link-{nojs}"}, absent: []string{"link-{htmx}"},
			noTestid: []string{"flash"},
		},
		{
			name: "DeletedLinkKeepsHistory", as: "admin", url: "{links}/{htmx}", status: http.StatusOK,
			noTestid: []string{"link-url", "copy-link"},
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				if got := testutil.TestIDText(t, body, "link-status"); got != "Deleted" {
					t.Errorf("status badge %q, want Deleted", got)
				}
				if !strings.Contains(body, `data-type="deleted"`) {
					t.Error("the history has no deleted event")
				}
			},
		},
		{
			name: "WithoutJS/Confirm", as: "admin", url: "{links}/{nojs}/delete", status: http.StatusOK,
			testids: []string{"delete-confirm"}, contains: []string{`action="/w/{reporting}/sources/access-requests/{nojs}/delete"`},
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				if e.row(t, nojs.ID).DeletedAt != nil {
					t.Error("the confirmation page deleted the link")
				}
			},
		},
		{
			name: "WithoutJS/Delete", as: "admin", method: "POST", url: "{links}/{nojs}/delete", form: url.Values{},
			status: http.StatusSeeOther, location: "/w/{reporting}/sources/access-requests",
			check: deletedOnce(nojs.ID),
		},
		{
			name: "WithoutJS/FlashOnNextPage", as: "admin", url: "{links}", status: http.StatusOK,
			testids: []string{"flash"}, contains: []string{"stay connected", "link-{keep}"}, absent: []string{"link-{nojs}"},
		},
		{
			name: "WithoutJS/FlashOnlyOnce", as: "admin", url: "{links}", status: http.StatusOK,
			noTestid: []string{"flash"},
		},
		{
			name: "WithoutJS/Again", as: "admin", method: "POST", url: "{links}/{nojs}/delete", form: url.Values{},
			status: http.StatusSeeOther, check: deletedOnce(nojs.ID),
		},
		{
			name: "Remaining", as: "admin", url: "{links}", status: http.StatusOK,
			contains: []string{"link-{keep}"}, check: wantRows("active"),
		},
	})
}

// TestRenewLink: an expired link's page offers "Send a new link", which
// opens the new link ready to copy; the two pages link to each other.
func TestRenewLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	active := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	expired := e.generate(t, "admin", e.f.Reporting.ID, "google_ads")
	e.set(t, expired.ID, map[string]any{"created_at": testNow.Add(-3*24*time.Hour - time.Hour), "expires_at": testNow.Add(-time.Hour)})
	e.vars["active"], e.vars["expired"] = active.ID, expired.ID
	e.run(t, []scenario{
		{name: "ActiveHasNoRenew", as: "admin", url: "{links}/{active}", status: http.StatusOK, noTestid: []string{"link-renew"}},
		{name: "ActiveRefused", as: "admin", method: "POST", url: "{links}/{active}/renew", status: http.StatusConflict,
			contains: []string{"Only an expired, declined or failed link can be renewed."}},
		{name: "ExpiredOffersRenew", as: "admin", url: "{links}/{expired}", status: http.StatusOK, testids: []string{"link-renew"}, contains: []string{"Send a new link"}},
		{name: "Renew", as: "admin", method: "POST", url: "{links}/{expired}/renew", status: http.StatusSeeOther,
			check: func(t *testing.T, e *env, res *http.Response, body string) {
				old := e.row(t, expired.ID)
				if old.RenewedToID == nil || !strings.HasSuffix(res.Header.Get("Location"), "/"+*old.RenewedToID+"?created=1") {
					t.Fatalf("Location %q, renewed_to_id %v: want the new link's page", res.Header.Get("Location"), old.RenewedToID)
				}
				e.vars["new"] = *old.RenewedToID
			}},
		{name: "NewLinkReady", as: "admin", url: "{links}/{new}?created=1", status: http.StatusOK, testids: []string{"generated", "link-renewed-from"}},
		{name: "OldLinksToNew", as: "admin", url: "{links}/{expired}", status: http.StatusOK, testids: []string{"link-renewed-to"}, noTestid: []string{"link-renew"},
			contains: []string{"Renewed with a new link"}},
		{name: "Again", as: "admin", method: "POST", url: "{links}/{expired}/renew", status: http.StatusConflict, contains: []string{"This link was already renewed."}},
	})
}
