package web_test

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// TestBrowserGermanMail: in Chromium, the generate dialog's Mail language
// is chosen as Deutsch next to the recipient; the link's mail in the
// development mailbox is German (subject, heading, html lang) and fits a
// phone. With MAIL_SCREENSHOTS=<dir> it saves mail-link-de.png there.
func TestBrowserGermanMail(t *testing.T) {
	tab, problems := newBrowserTab(t)
	svc, f := mailService(t, testutil.NewClock(testNow))
	srv := testutil.NewServer(t, svc)
	links := srv.LinksURL(f.Reporting.ID)

	browserDo(t, tab, "sign in", browserSignedIn(srv.URL, f.Admin.Email, chromedp.EmulateViewport(1280, 900))...)
	browserDo(t, tab, "fill the generate form",
		chromedp.Navigate(links+"/new"),
		chromedp.WaitVisible(browserCSS(`[data-testid="mail-language"]`)),
		chromedp.Click(browserCSS(`[data-testid="source-google_ads"]`)),
		chromedp.SendKeys(browserCSS(`[data-testid="link-label"]`), "Bäckerei Schmidt"),
		chromedp.SendKeys(browserCSS(`[data-testid="recipient-email"]`), "inhaberin@baeckerei.example"),
		chromedp.SetValue(browserCSS(`[data-testid="mail-language"]`), "de"),
		chromedp.SendKeys(browserCSS(`[data-testid="link-note"]`), "Hallo Frau Schmidt, das ist für den monatlichen Bericht."),
		chromedp.Click(browserCSS(`[data-testid="generate-submit"]`)),
		chromedp.WaitVisible(browserCSS(`[data-testid="generated-emailed"]`)),
	)
	mails := waitMailbox(t, svc, 1)
	if mails[0].Kind != access.MailLink {
		t.Fatalf("mail kind %s", mails[0].Kind)
	}
	browserDo(t, tab, "the mail on a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile),
		chromedp.Navigate(srv.URL+"/dev/mailbox/"+mails[0].ID+"/html"),
		chromedp.WaitVisible(browserCSS(`[data-testid="mail-heading"]`)))
	heading := browserEval[string](t, tab, `document.querySelector('[data-testid="mail-heading"]').textContent`)
	lang := browserEval[string](t, tab, `document.documentElement.lang`)
	title := browserEval[string](t, tab, `document.title`)
	if heading != "Verbinden Sie Ihr Google Ads-Konto für Bäckerei Schmidt" || lang != "de" ||
		!strings.HasPrefix(title, "Adam Admin bittet Sie, Google Ads für Bäckerei Schmidt") {
		t.Errorf("mail: heading %q, lang %q, subject %q", heading, lang, title)
	}
	if w := browserEval[int](t, tab, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the German mail is %d px wide on a 390 px phone", w)
	}
	browserShot(t, tab, os.Getenv("MAIL_SCREENSHOTS"), "mail-link-de.png", true)
	if p := problems.List(); len(p) > 0 {
		t.Fatalf("browser problems: %v", p)
	}
}
