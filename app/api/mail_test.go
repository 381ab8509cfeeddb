package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/api/client"
)

// TestCreateLinkByEmail: POST /links takes recipient_email and note (the
// same names as the generate dialog), validated by the domain; the link's
// representation shows them.
func TestCreateLinkByEmail(t *testing.T) {
	e, c := parallelAPIClient(t, access.WithMail(true))
	to, note := "client@customer.example", "For the monthly report"
	r := must(c.CreateLinkWithResponse(e.ctx, nil, client.CreateLinkJSONRequestBody{Source: "sandbox", RecipientEmail: &to, Note: &note}))
	if r.StatusCode() != http.StatusCreated || r.JSON201.RecipientEmail == nil || *r.JSON201.RecipientEmail != to || r.JSON201.Note == nil || *r.JSON201.Note != note {
		t.Fatalf("create: %d %s", r.StatusCode(), r.Body)
	}
	g := must(c.GetLinkWithResponse(e.ctx, r.JSON201.Id))
	if g.JSON200 == nil || g.JSON200.RecipientEmail == nil || *g.JSON200.RecipientEmail != to {
		t.Fatalf("get: %d %s", g.StatusCode(), g.Body)
	}
	bad := "client@customer.example\r\nBcc: all@evil.example"
	r = must(c.CreateLinkWithResponse(e.ctx, nil, client.CreateLinkJSONRequestBody{Source: "sandbox", RecipientEmail: &bad}))
	if r.StatusCode() != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "valid email address") {
		t.Fatalf("bad recipient: %d %s", r.StatusCode(), r.Body)
	}
}
