package views_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/a-h/templ"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/models"
	"github.com/accessrequests/accessrequests/views"
	"github.com/accessrequests/accessrequests/views/locale"
)

// BenchmarkConsentRender is the consent page's template alone (the
// sandbox source, English, a nonce in the context as the server sets
// it): what rendering costs apart from the statements and the server
// (BenchmarkConsentPage in app/web measures the whole view).
func BenchmarkConsentRender(b *testing.B) {
	cat, err := sources.Load(sources.Options{Getenv: func(string) string { return "x" }, SandboxURL: "https://sandbox.example", SandboxSecret: "s"})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	link := &access.PublicLink{AccessLink: models.AccessLink{ExpiresAt: now.Add(access.LinkLifetime - time.Minute)},
		WorkspaceName: "Client reporting", OrganizationName: "Acme Agency", CreatorName: "Ana", CreatorDomain: "acme.example"}
	view := &views.ConsentView{Link: link, Source: cat.Get("sandbox"), Token: "tok", Now: now}
	ctx := templ.WithNonce(locale.With(context.Background(), locale.Supported[0], true), "nonce")
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := views.ConsentPage(view).Render(ctx, &buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/page")
}
