package main

import (
	"strings"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/internal/browser"
)

func (s *shooter) tour(w *world) error {
	steps := []func() error{
		func() error { return s.viewport(desktopWidth, desktopHeight, false) },
		s.step("login page", chromedp.Navigate(s.base+"/login"), chromedp.WaitVisible(css(`[data-testid="login-form"]`))),
		s.snap("login.png", false),

		// An admin of a Pro workspace.
		func() error { return s.signIn("adam@acme-agency.example") },
		s.snap("accounts.png", false),
		s.step("open the user menu",
			chromedp.Click(css(`[data-testid="user-menu"] summary`)),
			chromedp.WaitVisible(css(`[data-testid="logout-everywhere"]`)),
		),
		s.snap("user-menu.png", false),
		func() error {
			s.expect(422, s.base+"/account/password") // the form sent empty, to show its errors
			return s.do("change password page",
				chromedp.Navigate(s.base+"/account/password"),
				chromedp.WaitVisible(css(`[data-testid="password-form"]`)),
				chromedp.Click(css(`[data-testid="password-submit"]`)),
				chromedp.WaitVisible(css(`[data-testid="password-form"] [role="alert"], [data-testid^="password-"][data-testid$="-error"]`)),
			)
		},
		s.snap("change-password.png", false),
		s.step("back to the workspace",
			chromedp.Navigate(s.base+"/"),
			chromedp.WaitVisible(css(`nav[aria-label="Main"] a[href$="/sources/access-requests"]`)),
		),
		s.openLinks,
		s.step("rows", chromedp.WaitVisible(css(`[data-testid="links-table"]`))),
		s.snap("links.png", false),

		// The generate dialog, search, then a generated link.
		s.step("open the dialog",
			chromedp.Click(css(`[data-testid="generate-button"]`)),
			chromedp.WaitVisible(css(`#modal[open] [data-testid="generate-form"]`)),
		),
		s.snap("generate-dialog.png", false),
		func() error {
			return s.do("search", chromedp.SendKeys(css(`[data-source-search]`), "ads"),
				chromedp.WaitNotVisible(css(`[data-testid="source-sandbox"]`)))
		},
		s.snap("generate-search.png", false),
		s.step("generate",
			chromedp.Click(css(`label:has([data-testid="source-google_ads"])`)),
			chromedp.Click(css(`[data-testid="generate-submit"]`)),
			chromedp.WaitVisible(css(`#modal[open] [data-testid="generated"]`)),
		),
		s.snap("link-created.png", false),
		s.step("copy in the dialog",
			chromedp.Click(css(`#modal [data-testid="copy-link"]`)),
			browser.WaitTrue(`document.querySelector('#modal [data-testid="copy-link"]').textContent.includes("Copied")`),
		),
		s.snap("link-copied.png", false),
		s.step("close the dialog",
			chromedp.Click(css(`#modal [data-close-modal].btn`)),
			chromedp.WaitNotVisible(css(`#modal`)),
		),
		// The confirmation and the toast after a delete.
		s.step("delete",
			chromedp.Click(css(`[data-testid="link-row"]:nth-child(2) [data-testid="delete-link"]`)),
			chromedp.WaitVisible(css(`#modal[open] [data-testid="confirm"]`)),
		),
		s.snap("confirm-delete.png", false),
		s.step("confirm",
			chromedp.Click(css(`[data-testid="confirm-delete"]`)),
			chromedp.WaitVisible(css(`[data-testid="toast"]`)),
		),
		s.snap("link-deleted.png", false),

		// One link and its history.
		s.step("detail",
			chromedp.Click(css(`[data-testid="link-row"]:first-child [data-testid="link-source"]`)),
			chromedp.WaitVisible(css(`[data-testid="timeline"]`)),
		),
		s.snap("link-detail.png", false),

		// API keys: the list with one key's history open, a new key shown
		// once, and the revoke confirmation.
		s.step("api keys",
			chromedp.Click(css(`nav[aria-label="Main"] a[href$="/settings/api-keys"]`)),
			chromedp.WaitVisible(css(`[data-testid="api-keys-table"]`)),
			chromedp.Click(css(`[data-testid="api-key-row"]:first-child [data-testid="api-key-history"] summary`)),
		),
		s.both("api-keys"),
		s.step("create a key",
			chromedp.SendKeys(css(`#api-key-name`), "Client dashboard"),
			chromedp.Click(css(`[data-testid="create-api-key"]`)),
			chromedp.WaitVisible(css(`[data-testid="api-key-secret"]`)),
		),
		s.snap("api-key-created.png", false),
		s.step("revoke",
			chromedp.Click(css(`[data-testid="api-key-row"]:first-child [data-testid="revoke-api-key"]`)),
			chromedp.WaitVisible(css(`[data-testid="revoke-confirm"]`)),
		),
		s.snap("api-key-revoke.png", false),

		// Webhooks: the endpoints, then one endpoint with its delivery log.
		s.step("webhooks",
			chromedp.Navigate(s.base+"/w/"+w.reporting.ID+"/settings/webhooks"),
			chromedp.WaitVisible(css(`[data-testid="endpoints-table"]`)),
		),
		s.snap("webhooks.png", false),
		s.step("webhook log",
			chromedp.Click(css(`[data-testid="endpoint-row"] a`)),
			chromedp.WaitVisible(css(`[data-testid="delivery-log"]`)),
		),
		s.snap("webhook-log.png", false),

		// The workspace switcher, then the empty states of the second workspace.
		s.step("switcher",
			chromedp.Click(css(`[data-testid="workspace-switcher"] summary`)),
			chromedp.WaitVisible(css(`[data-testid="workspace-switcher"] ul`)),
		),
		s.snap("workspace-switcher.png", false),
		s.step("switch",
			chromedp.Click(css(`[data-testid="workspace-switcher"] a[href="/w/`+w.internal.ID+`/sources"]`)),
			chromedp.WaitVisible(css(`[data-testid="accounts-empty"]`)),
		),
		s.snap("accounts-empty.png", false),
		s.openLinks,
		s.step("empty", chromedp.WaitVisible(css(`[data-testid="links-empty"]`))),
		s.snap("links-empty.png", false),

		// Phone.
		func() error { return s.viewport(mobileWidth, mobileHeight, true) },
		s.step("mobile links",
			chromedp.Navigate(s.base+"/w/"+w.reporting.ID+"/sources/access-requests"),
			chromedp.WaitVisible(css(`[data-testid="links-table"]`)),
		),
		s.snap("links-mobile.png", true),
		s.step("mobile accounts",
			chromedp.Navigate(s.base+"/w/"+w.reporting.ID+"/sources"),
			chromedp.WaitVisible(css(`[data-testid="accounts-table"]`)),
		),
		s.snap("accounts-mobile.png", true),
		s.step("back to the links",
			chromedp.Navigate(s.base+"/w/"+w.reporting.ID+"/sources/access-requests"),
			chromedp.WaitVisible(css(`[data-testid="links-table"]`)),
		),
		s.step("mobile dialog",
			chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`),
			chromedp.Click(css(`[data-testid="generate-button"]`)),
			chromedp.WaitVisible(css(`#modal[open] [data-testid="generate-form"]`)),
		),
		s.snap("generate-dialog-mobile.png", false),
		s.closeDialog,
		s.signOut,
		s.snap("login-mobile.png", false),
		func() error { return s.viewport(desktopWidth, desktopHeight, false) },

		// The organization's owner reads that more sources can be enabled.
		func() error { return s.signIn("olivia@acme-agency.example") },
		s.step("owner's dialog",
			chromedp.Navigate(s.base+"/w/"+w.reporting.ID+"/sources/access-requests"),
			chromedp.WaitVisible(css(`[data-testid="links-table"]`)),
			chromedp.Click(css(`[data-testid="generate-button"]`)),
			chromedp.WaitVisible(css(`#modal[open] [data-testid="more-sources"]`)),
		),
		s.snap("generate-dialog-owner.png", false),
		s.closeDialog,
		s.signOut,

		// An editor: the role gate.
		func() error { return s.signIn("mia@acme-agency.example") },
		s.openLinks,
		s.step("gate", chromedp.WaitVisible(css(`[data-testid="gate"]`))),
		s.snap("links-member.png", false),
		s.signOut,

		// The Free plan: the plan gate.
		func() error { return s.signIn("fred@soloshop.example") },
		s.openLinks,
		s.step("gate", chromedp.WaitVisible(css(`[data-testid="gate"]`))),
		s.snap("links-free.png", false),

		// A page that does not exist, inside the app shell.
		func() error {
			notFound := s.base + "/w/" + w.reporting.ID + "/sources"
			s.expect(404, notFound)
			return s.do("not found",
				chromedp.Navigate(notFound),
				chromedp.WaitVisible(css(`[data-testid="error"]`)),
			)
		},
		s.snap("error-404.png", false),
		s.signOut,
	}
	return runSteps(steps)
}

// both saves the whole page at desktop size as name.png, then on a phone
// as name-mobile.png, and goes back to desktop size. The page is loaded
// again at phone size, as a phone would load it (Chromium applies the
// meta viewport and text sizing at load): every page shot this way shows
// the same again when reloaded, the success page too (a repeated callback
// shows the first result).
func (s *shooter) both(name string) func() error {
	return func() error {
		if err := s.shot(name+".png", true); err != nil {
			return err
		}
		return s.atPhoneSize(name)
	}
}

// atPhoneSize is the end of both and tallBoth: the page loaded again on a
// phone, saved whole as name-mobile.png, then desktop size again.
func (s *shooter) atPhoneSize(name string) error {
	return runSteps([]func() error{
		func() error { return s.viewport(mobileWidth, mobileHeight, true) },
		s.step("reload at phone size", chromedp.Reload()),
		s.snap(name+"-mobile.png", true),
		func() error { return s.viewport(desktopWidth, desktopHeight, false) },
	})
}

// inLanguage opens the consent page of link in lang, as its language
// switcher does (the choice is kept in a cookie).
func (s *shooter) inLanguage(link, lang string) func() error {
	return func() error {
		// Loaded twice: the first load can still see the phone-sized
		// viewport of the shot before.
		ready := chromedp.WaitVisible(css(`html[lang="` + lang + `"] [data-testid="consent"]`))
		return s.do("consent page in "+lang, chromedp.Navigate(link+"?lang="+lang), ready, chromedp.Reload(), ready)
	}
}

// later moves the app's clock on, so the link's history has distinct,
// ordered times.
func later(w *world, d time.Duration) func() error {
	return func() error {
		w.clock.Set(w.clock.Now().Add(d))
		return nil
	}
}

// inviteeTour is the invitee's side, on a browser context without the
// admin's cookies: the consent page, the sandbox provider's own page, Deny,
// Try again, Allow, the success page, the link opened again, an expired
// link, a declined request and Shopify's shop domain check.
func (s *shooter) inviteeTour(w *world) error {
	link := w.links["sandbox"]
	start := chromedp.Click(css(`[data-testid="start"]`))
	atSandbox := chromedp.WaitVisible(css(`form.consent input[name="account"]`))
	steps := []func() error{
		func() error { return s.viewport(desktopWidth, desktopHeight, false) },

		// The consent page of an active sandbox link.
		s.step("consent page", chromedp.Navigate(link), chromedp.WaitVisible(css(`[data-testid="consent"]`))),
		s.both("consent"),

		// The same page in German and in Brazilian Portuguese (the
		// language switcher's links), then back to English for the rest.
		s.inLanguage(link, "de"),
		s.both("consent-de"),
		s.inLanguage(link, "pt-BR"),
		s.both("consent-pt-BR"),
		s.inLanguage(link, "en"),

		// Start: the sandbox provider's own login/consent page.
		later(w, time.Minute),
		s.step("start", start, atSandbox),
		s.both("sandbox-consent"),

		// Deny: nothing is connected, the link still works.
		later(w, time.Minute),
		s.step("deny",
			chromedp.Click(css(`button[name="action"][value="deny"]`)),
			chromedp.WaitVisible(css(`[data-testid="connect-error"] [data-testid="retry"]`)),
		),
		s.snap("connect-denied.png", true),

		// Try again, pick an account, Allow: connected.
		later(w, time.Minute),
		s.step("try again",
			chromedp.Click(css(`[data-testid="retry"]`)),
			chromedp.WaitVisible(css(`[data-testid="consent"]`)),
			start, atSandbox,
		),
		later(w, time.Minute),
		s.step("allow",
			chromedp.Click(css(`[data-testid="account-sandbox-user-2"]`)),
			chromedp.Click(css(`button[name="action"][value="allow"]`)),
			chromedp.WaitVisible(css(`[data-testid="connect-success"]`)),
		),
		s.both("connect-success"),

		// The same link again: it was single use.
		later(w, time.Minute),
		func() error {
			s.expect(410, link)
			return s.do("used link", chromedp.Navigate(link), chromedp.WaitVisible(css(`[data-testid="connect-used"]`)))
		},
		s.both("connect-used"),

		// A link whose seven days have passed.
		func() error {
			s.expect(410, w.links["expired"])
			return s.do("expired link", chromedp.Navigate(w.links["expired"]), chromedp.WaitVisible(css(`[data-testid="connect-expired"]`)))
		},
		s.both("connect-expired"),

		// Decline, with a reason.
		s.step("decline",
			chromedp.Navigate(w.links["decline"]),
			chromedp.WaitVisible(css(`[data-testid="consent"]`)),
			chromedp.Click(css(`[data-testid="decline-toggle"]`)),
			chromedp.WaitVisible(css(`[data-testid="decline-form"] textarea`)),
			chromedp.SendKeys(css(`[data-testid="decline-form"] textarea`), "Our ads are managed by another agency until June."),
			chromedp.Click(css(`[data-testid="decline"]`)),
			chromedp.WaitVisible(css(`[data-testid="connect-declined"]`)),
		),
		s.snap("connect-declined.png", true),

		// Shopify asks for the store's address and checks it.
		func() error {
			s.expect(422, strings.TrimSuffix(w.links["shopify"], "/")+"/start")
			return s.do("shopify",
				chromedp.Navigate(w.links["shopify"]),
				chromedp.WaitVisible(css(`[data-testid="consent"] #shop`)),
				chromedp.SendKeys(css(`#shop`), "evil.com"),
				start,
				chromedp.WaitVisible(css(`[data-testid="shop-error"]`)),
			)
		},
		s.snap("consent-shopify-error.png", true),
	}
	return runSteps(steps)
}
