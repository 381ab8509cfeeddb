package web_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// FuzzRequestText (item 6) sends arbitrary user agents, search parameters
// and cursors to every route that stores or looks up text from a request:
// the consent page, Start, Decline, Generate, the support pages, the
// support search, the links list and the link page. None may answer 5xx,
// on SQLite or PostgreSQL (PostgreSQL refuses NUL and invalid UTF-8, and
// timestamps out of its range, with errors). The seed corpus runs as a
// normal test; `go test -fuzz FuzzRequestText ./app/web/` explores more.
func FuzzRequestText(f *testing.F) {
	for _, seed := range []struct {
		ua, q, source, date, rawCursor string
		micros                         int64
	}{
		{"Mozilla/5.0 (iPhone) Safari/604.1", "acme", "google_ads", "2026-03-01", "", 1772359200000000},
		{"Mozilla\xff/5.0", "Acme\x00", "\xff", "2026-13-45", "nope", math.MaxInt64},
		{strings.Repeat("a", 399) + "é", "Acme%", "google_ads\x00", "0000-01-01", "!!!", math.MinInt64},
		{strings.Repeat("é", 300), strings.Repeat("€", 200), strings.Repeat("s", 70), "9999-12-31", "MTIz", -1},
		{"\u202egnp.exe", "admin@test.example\xc3", "sandbox", "1969-12-31", base64.RawURLEncoding.EncodeToString([]byte("1|x")), 253402300800000000},
		{"", "https://host/connect/" + strings.Repeat("A", 43), "", "", "", 0},
	} {
		f.Add(seed.ua, seed.q, seed.source, seed.date, seed.rawCursor, seed.micros)
	}

	clock := testutil.NewClock(testNow)
	svc, fx := testutil.NewSeeded(f, clock)
	// Each request comes from its own address (X-Forwarded-For from a
	// trusted proxy), so the rate limits of the public routes do not hide
	// the handlers behind 429s.
	ts := testutil.NewServer(f, svc, testutil.BehindLocalProxy)
	admin := ts.Login(f, fx.Admin.Email)
	support := ts.Login(f, fx.Support.Email)
	browser := ts.Client()
	m := testutil.Member(f, svc, fx.Admin.ID, fx.Reporting.ID)
	link, err := svc.GenerateLink(context.Background(), m, access.Actor{UserID: fx.Admin.ID, Name: fx.Admin.Name}, "google_ads")
	if err != nil {
		f.Fatal(err)
	}
	token := strings.TrimPrefix(link.URL, testutil.BaseURL)
	links := ts.LinksURL(fx.Reporting.ID)
	var n atomic.Int64

	f.Fuzz(func(t *testing.T, ua, q, source, date, rawCursor string, micros int64) {
		ip := n.Add(1)
		header := []string{"User-Agent", headerSafe(ua), "X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", ip>>16&255, ip>>8&255, ip&255)}
		cursors := []string{rawCursor, base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(micros, 10) + "|" + link.ID))}
		search := url.Values{"q": {q}, "source": {source}, "from": {date}, "to": {date}}
		reqs := []fuzzRequest{
			{browser, "GET", token, nil},
			{browser, "POST", token + "/start", url.Values{}},
			{browser, "POST", token + "/decline", url.Values{"reason": {q}}},
			{admin, "POST", links, url.Values{"source": {"google_ads"}}},
			{support, "GET", "/support/links/" + link.ID, nil},
			{support, "GET", "/support/links?" + search.Encode(), nil},
			{admin, "GET", "/w/" + fx.Reporting.ID + "/sources?" + url.Values{"q": {q}, "source": {source}}.Encode(), nil},
			{admin, "GET", links + "?" + url.Values{"q": {q}}.Encode(), nil},
		}
		for _, c := range cursors {
			reqs = append(reqs,
				fuzzRequest{support, "GET", "/support/links?" + url.Values{"q": {"acme"}, "cursor": {c}}.Encode(), nil},
				fuzzRequest{admin, "GET", links + "?cursor=" + url.QueryEscape(c), nil},
				fuzzRequest{admin, "GET", links + "/" + link.ID + "?cursor=" + url.QueryEscape(c), nil},
				fuzzRequest{support, "GET", "/support/links/" + link.ID + "?cursor=" + url.QueryEscape(c), nil})
		}
		for _, r := range reqs {
			target := r.path
			if !strings.HasPrefix(target, "http") {
				target = ts.URL + target
			}
			res, body := testutil.Do(t, r.c, r.method, target, r.form, header...)
			if res.StatusCode >= 500 {
				t.Fatalf("%s %s (user agent %q): status %d\n%s", r.method, r.path, ua, res.StatusCode, excerpt(body))
			}
		}
	})
}

// fuzzRequest is one request of FuzzRequestText.
type fuzzRequest struct {
	c            *http.Client
	method, path string
	form         url.Values
}

// headerSafe drops the bytes net/http refuses to send in a header value
// (controls other than tab); everything else, invalid UTF-8 included,
// reaches the server byte for byte.
func headerSafe(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c >= 0x20 || c == '\t') && c != 0x7f {
			b = append(b, c)
		}
	}
	return string(b)
}
