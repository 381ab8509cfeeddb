package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestBrowserMailbox sends a link by email from the generate form in
// Chromium, lets the link be declined, fail, get used, and another one
// near its expiry, then reads every mail in the development mailbox: the
// list, one mail's page with its HTML framed, and each mail's HTML at
// phone width. No console error and no CSP violation on the app's pages.
//
// With MAIL_SCREENSHOTS=<dir> (docs/screenshots) it saves generate-dialog-email.png,
// link-emailed.png, link-emailed-detail.png, mailbox.png, mailbox-message.png and mail-<kind>.png
// (link, used, declined, failed, expiring) there.
func TestBrowserMailbox(t *testing.T) {
	tab, problems := newBrowserTab(t)
	clock := testutil.NewClock(testNow)
	svc, f := mailService(t, clock)
	srv := testutil.NewServer(t, svc)
	ctx := context.Background()
	shot := browserShooter(tab, "MAIL_SCREENSHOTS")
	links := srv.LinksURL(f.Reporting.ID)

	browserStep(t, "SendByEmail", func(t *testing.T) {
		browserDo(t, tab, "sign in", browserSignedIn(srv.URL, f.Admin.Email, chromedp.EmulateViewport(1280, 900))...)
		browserDo(t, tab, "fill the generate form",
			chromedp.Navigate(links+"/new"),
			chromedp.WaitVisible(browserCSS(`[data-testid="send-by-email"]`)),
			chromedp.Click(browserCSS(`[data-testid="source-google_ads"]`)),
			chromedp.SendKeys(browserCSS(`[data-testid="recipient-email"]`), "carla@client.example"),
			chromedp.SendKeys(browserCSS(`[data-testid="link-note"]`), "Hi Carla, this is for the monthly ads report. Thanks!"),
		)
		shot(t, "generate-dialog-email.png", true)
		browserDo(t, tab, "generate", chromedp.Click(browserCSS(`[data-testid="generate-submit"]`)),
			chromedp.WaitVisible(browserCSS(`[data-testid="generated-emailed"]`)))
		browserDo(t, tab, "the list", chromedp.Navigate(links), chromedp.WaitVisible(browserCSS(`[data-testid="link-emailed"]`)))
		shot(t, "link-emailed.png", false)
	})

	// The invitee's side, and a second link a day before its expiry.
	page, err := svc.ListLinks(ctx, f.Reporting.ID, access.ListFilter{})
	if err != nil || len(page.Links) != 1 {
		t.Fatalf("links: %v", err)
	}
	l := &page.Links[0]

	// The mailed link's page says to whom it went and in which language.
	browserStep(t, "LinkPage", func(t *testing.T) {
		browserDo(t, tab, "the link's page", chromedp.Navigate(links+"/"+l.ID),
			chromedp.WaitVisible(browserCSS(`[data-testid="link-mail-language"]`)))
		if got := browserEval[string](t, tab, `document.querySelector('[data-testid="link-mail-language"]').textContent.trim()`); got != "English" {
			t.Errorf("email language on the link's page = %q, want English", got)
		}
		shot(t, "link-emailed-detail.png", true)
	})
	invitee := access.Actor{IP: "198.51.100.7", UserAgent: "phone"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(svc.RecordEvent(ctx, &l.AccessLink, invitee, access.EventDeclined, map[string]any{"reason": "I'd rather connect the other ads account first."}))
	must(svc.RecordEvent(ctx, &l.AccessLink, invitee, access.EventProviderError, map[string]any{"kind": "scopes", "error": "scopes_missing"}))
	_, err = svc.ClaimLink(ctx, l.ID, invitee, access.Identity{SourceKey: "google_ads", ExternalID: "123-456-7890", DisplayName: "Client Ads EU",
		Email: "ads@client.example", Scopes: []string{"https://www.googleapis.com/auth/adwords"}, AccessToken: "at", Expiry: clock.Now().Add(time.Hour)})
	must(err)
	m := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
	_, err = svc.GenerateLink(ctx, m, access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}, "sandbox")
	must(err)
	clock.Advance(access.LinkLifetime - 20*time.Hour)
	_, err = svc.RemindExpiringLinks(ctx, 10)
	must(err)
	mails := waitMailbox(t, svc, 5)

	browserStep(t, "Mailbox", func(t *testing.T) {
		// Signed in again: the clock moved days on, past the session.
		browserDo(t, tab, "mailbox", browserSignIn(srv.URL, f.Admin.Email,
			chromedp.WaitVisible(browserCSS(`[data-testid="user-menu"]`)),
			chromedp.Navigate(srv.URL+"/dev/mailbox"),
			chromedp.WaitVisible(browserCSS(`[data-testid="mailbox-list"]`)))...)
		if n := browserEval[int](t, tab, `document.querySelectorAll('[data-testid="mailbox-row"]').length`); n != 5 {
			t.Fatalf("%d rows, want 5", n)
		}
		shot(t, "mailbox.png", false)
		var linkMail string
		for _, ml := range mails {
			if ml.Kind == access.MailLink {
				linkMail = ml.ID
			}
		}
		browserDo(t, tab, "one mail", chromedp.Navigate(srv.URL+"/dev/mailbox/"+linkMail),
			chromedp.WaitVisible(browserCSS(`[data-testid="mail-frame"]`)), chromedp.Sleep(300*time.Millisecond))
		shot(t, "mailbox-message.png", false)
		if p := problems.List(); len(p) > 0 {
			t.Fatalf("browser problems: %v", p)
		}
	})

	browserStep(t, "EachMailOnAPhone", func(t *testing.T) {
		browserDo(t, tab, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile))
		for _, ml := range mails {
			browserDo(t, tab, "mail "+ml.Kind, chromedp.Navigate(srv.URL+"/dev/mailbox/"+ml.ID+"/html"),
				chromedp.WaitVisible(browserCSS(`[data-testid="mail-heading"]`)))
			if w := browserEval[int](t, tab, `document.documentElement.scrollWidth`); w > 390 {
				t.Errorf("mail %s is %d px wide on a 390 px phone", ml.Kind, w)
			}
			shot(t, "mail-"+ml.Kind+".png", true)
		}
	})
}
