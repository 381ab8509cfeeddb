package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/api/client"
)

// TestCreateLinkLanguage: POST /links takes the email's language; the
// link's representation shows it (en when none was chosen) and a renewal
// keeps it; an unknown language is a 422 problem that names the field and
// the languages there are.
func TestCreateLinkLanguage(t *testing.T) {
	e, c := parallelAPIClient(t, access.WithMail(true))
	to, pt := "client@customer.example", client.CreateLinkInputBodyLanguagePtBR
	r := must(c.CreateLinkWithResponse(e.ctx, nil, client.CreateLinkJSONRequestBody{Source: "sandbox", RecipientEmail: &to, Language: &pt}))
	if r.StatusCode() != http.StatusCreated || r.JSON201.Language != client.LinkLanguagePtBR {
		t.Fatalf("create: %d %s", r.StatusCode(), r.Body)
	}
	id := r.JSON201.Id
	if g := must(c.GetLinkWithResponse(e.ctx, id)); g.JSON200 == nil || g.JSON200.Language != client.LinkLanguagePtBR {
		t.Fatalf("get: %d %s", g.StatusCode(), g.Body)
	}
	if r := must(c.CreateLinkWithResponse(e.ctx, nil, client.CreateLinkJSONRequestBody{Source: "sandbox"})); r.JSON201 == nil || r.JSON201.Language != client.LinkLanguageEn {
		t.Fatalf("create without a language: %d %s, want en", r.StatusCode(), r.Body)
	}

	// Renewed once expired: the same language.
	if err := e.DB.Exec("UPDATE access_links SET created_at = ?, expires_at = ? WHERE id = ?",
		r.JSON201.CreatedAt.Add(-8*24*time.Hour), r.JSON201.CreatedAt.Add(-24*time.Hour), id).Error; err != nil {
		t.Fatal(err)
	}
	if rn := must(c.RenewLinkWithResponse(e.ctx, id, nil)); rn.JSON201 == nil || rn.JSON201.Language != client.LinkLanguagePtBR {
		t.Fatalf("renew: %d %s, want pt-BR kept", rn.StatusCode(), rn.Body)
	}

	for _, lang := range []string{`"klingon"`, `"pt-PT"`, `"DE"`, `""`, `7`} {
		res, body := e.raw(t, http.MethodPost, "/links", `{"source":"sandbox","recipient_email":"a@b.example","language":`+lang+`}`)
		if res.StatusCode != http.StatusUnprocessableEntity || problem(t, res, body).Code != "invalid" ||
			!strings.Contains(string(body), "body.language") || (lang != "7" && !strings.Contains(string(body), "pt-BR")) {
			t.Errorf("language %s: %d %s, want a 422 problem naming body.language and the languages", lang, res.StatusCode, body)
		}
	}
}
