package web_test

// The weight of the invitee's pages (issue 12, item 5): each page and every
// file it references, fetched as a browser would with Brotli and with gzip,
// stays within its budget, so a later change that adds a script or a
// stylesheet fails here. The figures are in docs/benchmarks.md.

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// inviteePageBudget is the most an invitee's page and all its files may
// weigh, compressed: one eighth of Nango's Connect UI (166 KB gzip).
const inviteePageBudget = 20 * 1024

// pageRefs are the files a page makes a browser fetch: stylesheets, icons,
// scripts, images.
var pageRefs = regexp.MustCompile(`<(?:link|script|img)\b[^>]*?\s(?:href|src)="(/[^"]*)"`)

// fetchRaw GETs url with Accept-Encoding: enc and returns the bytes on the
// wire (not decoded) and the response.
func fetchRaw(t *testing.T, c *http.Client, url, enc string) ([]byte, *http.Response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", enc)
	req.Header.Set("Accept-Language", "en")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b, res
}

// pageWeight is a page's and its files' bytes on the wire with enc; it
// fails the test on a file that is not compressed.
func pageWeight(t *testing.T, c *http.Client, base, url, enc, wantEncoding string) (total int, detail []string) {
	t.Helper()
	page, res := fetchRaw(t, c, url, enc)
	if got := res.Header.Get("Content-Encoding"); got != wantEncoding {
		t.Errorf("%s with %q: Content-Encoding %q, want %q", url, enc, got, wantEncoding)
	}
	if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("%s: Vary %q, want Accept-Encoding", url, res.Header.Get("Vary"))
	}
	total += len(page)
	detail = append(detail, fmt.Sprintf("page %d", len(page)))
	// The references, read from the page as the browser reads it.
	html, _ := fetchRaw(t, c, url, "identity")
	seen := map[string]bool{}
	for _, m := range pageRefs.FindAllStringSubmatch(string(html), -1) {
		ref := m[1]
		if seen[ref] {
			continue
		}
		seen[ref] = true
		if strings.Contains(ref, "htmx") {
			t.Errorf("%s loads htmx (%s): the invitee's pages need none", url, ref)
		}
		if strings.Contains(ref, "/js/app.") || strings.Contains(ref, "/app.") && strings.HasSuffix(ref, ".css") {
			t.Errorf("%s loads the app's own %s: the invitee's pages have their own", url, ref)
		}
		b, res := fetchRaw(t, c, base+ref, enc)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", ref, res.StatusCode)
		}
		if got := res.Header.Get("Content-Encoding"); got != wantEncoding && !strings.HasSuffix(ref, ".png") {
			t.Errorf("%s with %q: Content-Encoding %q, want %q", ref, enc, got, wantEncoding)
		}
		total += len(b)
		detail = append(detail, fmt.Sprintf("%s %d", ref, len(b)))
	}
	return total, detail
}

func TestInviteePageWeight(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	// A client that sends Accept-Encoding itself, so it neither adds nor
	// decodes gzip: the bytes counted are the bytes on the wire.
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	active := e.GenerateLink(t, testutil.SandboxKey)
	deleted := e.GenerateLink(t, testutil.SandboxKey)
	e.DeleteLink(t, deleted.ID)
	pages := []struct{ name, url string }{
		{"consent", active.URL},
		{"unknown link", deleted.URL},
	}
	for _, p := range pages {
		for _, enc := range []struct{ accept, want string }{{"br", "br"}, {"gzip", "gzip"}} {
			total, detail := pageWeight(t, c, e.AppURL, p.url, enc.accept, enc.want)
			t.Logf("%s, %s: %d bytes (%s)", p.name, enc.want, total, strings.Join(detail, ", "))
			if total > inviteePageBudget {
				t.Errorf("%s with %s: %d bytes, over the budget of %d", p.name, enc.want, total, inviteePageBudget)
			}
		}
	}
	if st := e.LinkStatus(t, active.ID); st != access.StatusActive {
		t.Errorf("fetching the page changed the link: %s", st)
	}
}
