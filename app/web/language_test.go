package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// getIn fetches target in the invitee's browser with an Accept-Language.
func getIn(t *testing.T, e *testutil.FlowEnv, inv *testutil.Invitee, target, acceptLanguage string) (*http.Response, string) {
	t.Helper()
	req := testutil.NewRequest(t, http.MethodGet, e.AppURL+target, nil)
	req.Header.Set("X-Forwarded-For", inv.IP)
	req.Header.Set("Accept-Language", acceptLanguage)
	res, err := inv.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func wantIn(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

// TestInviteeLanguage (issue 12): the invitee's pages speak the browser's
// language, a choice made on the page sticks in a cookie and wins over the
// browser's, and the switcher's links never repeat the token.
func TestInviteeLanguage(t *testing.T) {
	e := testutil.NewFlowEnv(t, testutil.FlowOptions{})
	link := e.GenerateLink(t, testutil.SandboxKey)
	inv := e.NewInvitee("lang")
	path := "/connect/" + link.Token

	t.Run("FromAcceptLanguage", func(t *testing.T) {
		res, body := getIn(t, e, inv, path, "de-AT,de;q=0.9,en;q=0.5")
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Language") != "de" {
			t.Fatalf("status %d, Content-Language %q", res.StatusCode, res.Header.Get("Content-Language"))
		}
		wantIn(t, body, `<html lang="de">`, "Starten", "Beispielberichte lesen", "läuft in 7 Tagen ab", `href="?lang=fr"`)
		if strings.Contains(body, "?lang=de\"") {
			t.Error("the current language is a link")
		}
	})

	t.Run("UnknownIsEnglish", func(t *testing.T) {
		_, body := getIn(t, e, inv, path+"?lang=tlh", "ja-JP")
		wantIn(t, body, `<html lang="en">`, "expires in 7 days", "Read sample reports")
	})

	t.Run("SwitchKeptInCookie", func(t *testing.T) {
		res, body := getIn(t, e, inv, path+"?lang=pt-BR", "de-DE")
		wantIn(t, body, `<html lang="pt-BR">`, "Começar", "Ler relatórios de exemplo")
		var ck *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == "lang" {
				ck = c
			}
		}
		if ck == nil || ck.Value != "pt-BR" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.MaxAge <= 0 {
			t.Fatalf("lang cookie %+v", ck)
		}
		_, body = getIn(t, e, inv, path, "de-DE")
		wantIn(t, body, `<html lang="pt-BR">`)
		// The next pages follow the choice: Decline's answer, a 303 to the
		// thank-you page. That page is a GET that can be loaded again, so
		// its switcher's links load it again, in another language.
		post := inv.DeclinePost(t, link.Token, "")
		if post.Status != http.StatusSeeOther || strings.Contains(post.Body, "language-switcher") {
			t.Errorf("decline: status %d; a POST's answer offers the switcher (its links would GET another page)", post.Status)
		}
		p := inv.Get(t, e.AppURL+post.Location)
		wantIn(t, p.Body, `<html lang="pt-BR">`, "Obrigado por nos avisar", `href="?lang=fr"`)
		if !strings.HasSuffix(p.URL, "/declined") {
			t.Errorf("thank-you page at %s", p.URL)
		}
	})

	t.Run("UnknownLinkToo", func(t *testing.T) {
		_, body := getIn(t, e, e.NewInvitee("other"), "/connect/nope?lang=nl", "")
		wantIn(t, body, `<html lang="nl">`, "Deze link is niet beschikbaar", `data-testid="language-switcher"`)
	})
}
