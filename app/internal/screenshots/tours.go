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
		func() error {
			return s.do("login page", chromedp.Navigate(s.base+"/login"), chromedp.WaitVisible(css(`[data-testid="login-form"]`)))
		},
		func() error { return s.shot("login.png", false) },

		// An admin of a Pro workspace.
		func() error { return s.signIn("adam@acme-agency.example") },
		func() error { return s.shot("accounts.png", false) },
		func() error {
			return s.do("open the user menu",
				chromedp.Click(css(`[data-testid="user-menu"] summary`)),
				chromedp.WaitVisible(css(`[data-testid="logout-everywhere"]`)),
			)
		},
		func() error { return s.shot("user-menu.png", false) },
		func() error {
			s.expect(422, s.base+"/account/password") // the form sent empty, to show its errors
			return s.do("change password page",
				chromedp.Navigate(s.base+"/account/password"),
				chromedp.WaitVisible(css(`[data-testid="password-form"]`)),
				chromedp.Click(css(`[data-testid="password-submit"]`)),
				chromedp.WaitVisible(css(`[data-testid="password-form"] [role="alert"], [data-testid^="password-"][data-testid$="-error"]`)),
			)
		},
		func() error { return s.shot("change-password.png", false) },
		func() error {
			return s.do("back to the workspace",
				chromedp.Navigate(s.base+"/"),
				chromedp.WaitVisible(css(`nav[aria-label="Main"] a[href$="/sources/access-requests"]`)),
			)
		},
		s.openLinks,
		func() error {
			return s.do("rows", chromedp.WaitVisible(css(`[data-testid="links-table"]`)))
		},
		func() error { return s.shot("links.png", false) },

		// The generate dialog, search, then a generated link.
		func() error {
			return s.do("open the dialog",
				chromedp.Click(css(`[data-testid="generate-button"]`)),
				chromedp.WaitVisible(css(`#modal[open] [data-testid="generate-form"]`)),
			)
		},
		func() error { return s.shot("generate-dialog.png", false) },
		func() error {
			return s.do("search", chromedp.SendKeys(css(`[data-source-search]`), "ads"),
				chromedp.WaitNotVisible(css(`[data-testid="source-sandbox"]`)))
		},
		func() error { return s.shot("generate-search.png", false) },
		func() error {
			return s.do("generate",
				chromedp.Click(css(`label:has([data-testid="source-google_ads"])`)),
				chromedp.Click(css(`[data-testid="generate-submit"]`)),
				chromedp.WaitVisible(css(`#modal[open] [data-testid="generated"]`)),
			)
		},
		func() error { return s.shot("link-created.png", false) },
		func() error {
			return s.do("copy in the dialog",
				chromedp.Click(css(`#modal [data-testid="copy-link"]`)),
				browser.WaitTrue(`document.querySelector('#modal [data-testid="copy-link"]').textContent.includes("Copied")`),
			)
		},
		func() error { return s.shot("link-copied.png", false) },
		func() error {
			return s.do("close the dialog",
				chromedp.Click(css(`#modal [data-close-modal].btn`)),
				chromedp.WaitNotVisible(css(`#modal`)),
			)
		},
		// The confirmation and the toast after a delete.
		func() error {
			return s.do("delete",
				chromedp.Click(css(`[data-testid="link-row"]:nth-child(2) [data-testid="delete-link"]`)),
				chromedp.WaitVisible(css(`#modal[open] [data-testid="confirm"]`)),
			)
		},
		func() error { return s.shot("confirm-delete.png", false) },
		func() error {
			return s.do("confirm",
				chromedp.Click(css(`[data-testid="confirm-delete"]`)),
				chromedp.WaitVisible(css(`[data-testid="toast"]`)),
			)
		},
		func() error { return s.shot("link-deleted.png", false) },

		// One link and its history.
		func() error {
			return s.do("detail",
				chromedp.Click(css(`[data-testid="link-row"]:first-child [data-testid="link-source"]`)),
				chromedp.WaitVisible(css(`[data-testid="timeline"]`)),
			)
		},
		func() error { return s.shot("link-detail.png", false) },

		// API keys: the list with one key's history open, a new key shown
		// once, and the revoke confirmation.
		func() error {
			return s.do("api keys",
				chromedp.Click(css(`nav[aria-label="Main"] a[href$="/settings/api-keys"]`)),
				chromedp.WaitVisible(css(`[data-testid="api-keys-table"]`)),
				chromedp.Click(css(`[data-testid="api-key-row"]:first-child [data-testid="api-key-history"] summary`)),
			)
		},
		s.both("api-keys"),
		func() error {
			return s.do("create a key",
				chromedp.SendKeys(css(`#api-key-name`), "Client dashboard"),
				chromedp.Click(css(`[data-testid="create-api-key"]`)),
				chromedp.WaitVisible(css(`[data-testid="api-key-secret"]`)),
			)
		},
		func() error { return s.shot("api-key-created.png", false) },
		func() error {
			return s.do("revoke",
				chromedp.Click(css(`[data-testid="api-key-row"]:first-child [data-testid="revoke-api-key"]`)),
				chromedp.WaitVisible(css(`[data-testid="revoke-confirm"]`)),
			)
		},
		func() error { return s.shot("api-key-revoke.png", false) },

		// Webhooks: the endpoints, then one endpoint with its delivery log.
		func() error {
			return s.do("webhooks",
				chromedp.Navigate(s.base+"/w/"+w.reporting.ID+"/settings/webhooks"),
				chromedp.WaitVisible(css(`[data-testid="endpoints-table"]`)),
			)
		},
		func() error { return s.shot("webhooks.png", false) },
		func() error {
			return s.do("webhook log",
				chromedp.Click(css(`[data-testid="endpoint-row"] a`)),
				chromedp.WaitVisible(css(`[data-testid="delivery-log"]`)),
			)
		},
		func() error { return s.shot("webhook-log.png", false) },

		// The workspace switcher, then the empty states of the second workspace.
		func() error {
			return s.do("switcher",
				chromedp.Click(css(`[data-testid="workspace-switcher"] summary`)),
				chromedp.WaitVisible(css(`[data-testid="workspace-switcher"] ul`)),
			)
		},
		func() error { return s.shot("workspace-switcher.png", false) },
		func() error {
			return s.do("switch",
				chromedp.Click(css(`[data-testid="workspace-switcher"] a[href="/w/`+w.internal.ID+`/sources"]`)),
				chromedp.WaitVisible(css(`[data-testid="accounts-empty"]`)),
			)
		},
		func() error { return s.shot("accounts-empty.png", false) },
		s.openLinks,
		func() error { return s.do("empty", chromedp.WaitVisible(css(`[data-testid="links-empty"]`))) },
		func() error { return s.shot("links-empty.png", false) },

		// Phone.
		func() error { return s.viewport(mobileWidth, mobileHeight, true) },
		func() error {
			return s.do("mobile links",
				chromedp.Navigate(s.base+"/w/"+w.reporting.ID+"/sources/access-requests"),
				chromedp.WaitVisible(css(`[data-testid="links-table"]`)),
			)
		},
		func() error { return s.shot("links-mobile.png", true) },
		func() error {
			return s.do("mobile accounts",
				chromedp.Navigate(s.base+"/w/"+w.reporting.ID+"/sources"),
				chromedp.WaitVisible(css(`[data-testid="accounts-table"]`)),
			)
		},
		func() error { return s.shot("accounts-mobile.png", true) },
		func() error {
			return s.do("back to the links",
				chromedp.Navigate(s.base+"/w/"+w.reporting.ID+"/sources/access-requests"),
				chromedp.WaitVisible(css(`[data-testid="links-table"]`)),
			)
		},
		func() error {
			return s.do("mobile dialog",
				chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`),
				chromedp.Click(css(`[data-testid="generate-button"]`)),
				chromedp.WaitVisible(css(`#modal[open] [data-testid="generate-form"]`)),
			)
		},
		func() error { return s.shot("generate-dialog-mobile.png", false) },
		s.closeDialog,
		s.signOut,
		func() error { return s.shot("login-mobile.png", false) },
		func() error { return s.viewport(desktopWidth, desktopHeight, false) },

		// The organization's owner reads that more sources can be enabled.
		func() error { return s.signIn("olivia@acme-agency.example") },
		func() error {
			return s.do("owner's dialog",
				chromedp.Navigate(s.base+"/w/"+w.reporting.ID+"/sources/access-requests"),
				chromedp.WaitVisible(css(`[data-testid="links-table"]`)),
				chromedp.Click(css(`[data-testid="generate-button"]`)),
				chromedp.WaitVisible(css(`#modal[open] [data-testid="more-sources"]`)),
			)
		},
		func() error { return s.shot("generate-dialog-owner.png", false) },
		s.closeDialog,
		s.signOut,

		// An editor: the role gate.
		func() error { return s.signIn("mia@acme-agency.example") },
		s.openLinks,
		func() error { return s.do("gate", chromedp.WaitVisible(css(`[data-testid="gate"]`))) },
		func() error { return s.shot("links-member.png", false) },
		s.signOut,

		// The Free plan: the plan gate.
		func() error { return s.signIn("fred@soloshop.example") },
		s.openLinks,
		func() error { return s.do("gate", chromedp.WaitVisible(css(`[data-testid="gate"]`))) },
		func() error { return s.shot("links-free.png", false) },

		// A page that does not exist, inside the app shell.
		func() error {
			notFound := s.base + "/w/" + w.reporting.ID + "/sources"
			s.expect(404, notFound)
			return s.do("not found",
				chromedp.Navigate(notFound),
				chromedp.WaitVisible(css(`[data-testid="error"]`)),
			)
		},
		func() error { return s.shot("error-404.png", false) },
		s.signOut,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
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
		if err := s.viewport(mobileWidth, mobileHeight, true); err != nil {
			return err
		}
		if err := s.do("reload at phone size", chromedp.Reload()); err != nil {
			return err
		}
		if err := s.shot(name+"-mobile.png", true); err != nil {
			return err
		}
		return s.viewport(desktopWidth, desktopHeight, false)
	}
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
	// The sandbox's pages have no icon, so the browser asks for one.
	s.expect(404, s.base+"/favicon.ico")
	steps := []func() error{
		func() error { return s.viewport(desktopWidth, desktopHeight, false) },

		// The consent page of an active sandbox link.
		func() error {
			return s.do("consent page", chromedp.Navigate(link), chromedp.WaitVisible(css(`[data-testid="consent"]`)))
		},
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
		func() error { return s.do("start", start, atSandbox) },
		s.both("sandbox-consent"),

		// Deny: nothing is connected, the link still works.
		later(w, time.Minute),
		func() error {
			return s.do("deny",
				chromedp.Click(css(`button[name="action"][value="deny"]`)),
				chromedp.WaitVisible(css(`[data-testid="connect-error"] [data-testid="retry"]`)),
			)
		},
		func() error { return s.shot("connect-denied.png", true) },

		// Try again, pick an account, Allow: connected.
		later(w, time.Minute),
		func() error {
			return s.do("try again",
				chromedp.Click(css(`[data-testid="retry"]`)),
				chromedp.WaitVisible(css(`[data-testid="consent"]`)),
				start, atSandbox,
			)
		},
		later(w, time.Minute),
		func() error {
			return s.do("allow",
				chromedp.Click(css(`[data-testid="account-sandbox-user-2"]`)),
				chromedp.Click(css(`button[name="action"][value="allow"]`)),
				chromedp.WaitVisible(css(`[data-testid="connect-success"]`)),
			)
		},
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
		func() error {
			return s.do("decline",
				chromedp.Navigate(w.links["decline"]),
				chromedp.WaitVisible(css(`[data-testid="consent"]`)),
				chromedp.Click(css(`[data-testid="decline-toggle"]`)),
				chromedp.WaitVisible(css(`[data-testid="decline-form"] textarea`)),
				chromedp.SendKeys(css(`[data-testid="decline-form"] textarea`), "Our ads are managed by another agency until June."),
				chromedp.Click(css(`[data-testid="decline"]`)),
				chromedp.WaitVisible(css(`[data-testid="connect-declined"]`)),
			)
		},
		func() error { return s.shot("connect-declined.png", true) },

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
		func() error { return s.shot("consent-shopify-error.png", true) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}
