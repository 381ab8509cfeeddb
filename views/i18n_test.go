package views_test

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"
	"go.yaml.in/yaml/v3"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
	"github.com/accessrequests/accessrequests/views"
	"github.com/accessrequests/accessrequests/views/locale"
)

// TestInviteePagesInEveryLanguage renders every invitee page in every
// language: the page says its language, and no message ID (a key missing
// from the catalogs), no English sentence of the catalog (words left in a
// template) and no slot marker reaches a page in another language.
func TestInviteePagesInEveryLanguage(t *testing.T) {
	raw, err := os.ReadFile("locale/messages/active.en.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var en map[string]any
	if err := yaml.Unmarshal(raw, &en); err != nil {
		t.Fatal(err)
	}
	var ids []string
	var english []string
	for id, v := range en {
		ids = append(ids, id)
		if s, ok := v.(string); ok && len(s) > 14 && !strings.Contains(s, "{{") && id != "DateTimeLayout" {
			english = append(english, templ.EscapeString(s))
		}
	}
	idWord := regexp.MustCompile(`\b(` + strings.Join(ids, "|") + `)\b`)

	cat := builtinSources(t)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	link := &access.PublicLink{AccessLink: models.AccessLink{ExpiresAt: now.Add(access.LinkLifetime - time.Minute)},
		WorkspaceName: "Client reporting", OrganizationName: "Acme Agency", CreatorName: "Ana", AccountLabel: "Ana (ana@example.test)"}
	src := cat.Get("sandbox")
	failed := func(code, reason, msg string) views.FlowView {
		return views.FlowView{Outcome: &access.FlowOutcome{Kind: access.FlowFailed, Err: &access.Error{Code: code, Reason: reason, Message: msg}}, Source: src, ConsentURL: "/connect/tk"}
	}
	pages := map[string]templ.Component{
		"consent":       views.ConsentPage(&views.ConsentView{Link: link, Source: src, Token: "tk", Now: now}),
		"consent-write": views.ConsentPage(&views.ConsentView{Link: link, Source: cat.Get("google_ads"), Token: "tk", Now: now}),
		"consent-shop":  views.ConsentPage(&views.ConsentView{Link: link, Source: cat.Get("shopify"), Token: "tk", NeedsShop: true, ShopInvalid: true, Now: now}),
		"used":          views.LinkUnavailablePage(access.StatusUsed, link, src),
		"expired":       views.LinkUnavailablePage(access.StatusExpired, link, src),
		"unknown":       views.LinkUnavailablePage(access.StatusDeleted, nil, nil),
		"declined":      views.DeclinedPage(link, src),
		"too-many":      views.TooManyRequestsPage(),
		"unavailable":   views.SourceUnavailablePage(),
		"connected":     views.FlowPage(views.FlowView{Outcome: &access.FlowOutcome{Kind: access.FlowConnected, Account: "Ana (ana@example.test)"}, Source: src}),
		"pending":       views.FlowPage(views.FlowView{Outcome: &access.FlowOutcome{Kind: access.FlowPending}, Source: src, CallbackURL: "/oauth/callback?state=s"}),
		"abandoned":     views.FlowPage(views.FlowView{Outcome: &access.FlowOutcome{Kind: access.FlowAbandoned}, Source: src}),
		"state":         views.FlowPage(failed(access.EFLOWSTATE, "flow_expired", "This sign-in took longer than 10 minutes.")),
		"denied":        views.FlowPage(failed(access.EPROVIDER, "access_denied", "The owner said no.")),
		"provider":      views.FlowPage(failed(access.EPROVIDER, "server_error", "Oops.")),
		"not-stored":    views.FlowPage(failed(access.ENOTSTORED, "not_stored", "")),
		"scopes":        views.FlowPage(failed(access.ESCOPES, "scopes_missing", "Some permissions were not granted: reports.read")),
		"token":         views.FlowPage(failed(access.ETOKEN, "token", "")),
	}
	for _, tag := range locale.Supported {
		for name, page := range pages {
			t.Run(tag.String()+"/"+name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := page.Render(locale.With(context.Background(), tag, true), &buf); err != nil {
					t.Fatal(err)
				}
				html := buf.String()
				if !strings.Contains(html, `<html lang="`+tag.String()+`">`) {
					t.Errorf("the page does not say lang=%s", tag)
				}
				if strings.ContainsAny(html, "\uE000\uE001") || strings.Contains(html, "{{") || strings.Contains(html, "<no value>") {
					t.Error("a placeholder or slot marker reached the page")
				}
				if tag == locale.Supported[0] {
					return
				}
				if m := idWord.FindString(html); m != "" {
					t.Errorf("message ID %q on the page", m)
				}
				for _, s := range english {
					if strings.Contains(html, s) {
						t.Errorf("English on the %s page: %q", tag, s)
					}
				}
			})
		}
	}
	var buf bytes.Buffer
	_ = pages["scopes"].Render(locale.With(context.Background(), locale.Supported[1], false), &buf)
	if !strings.Contains(buf.String(), "reports.read") || strings.Contains(buf.String(), "language-switcher") {
		t.Error("the missing-scopes page names the scope and offers no switcher where the page is not switchable")
	}
}
