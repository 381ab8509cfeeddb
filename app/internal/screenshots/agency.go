package main

import (
	"context"
	"fmt"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/browser"
	"github.com/accessrequests/accessrequests/models"
)

// agencyTour pictures what issue 11 added for agencies, after the other
// tours (so their pictures do not change): the generate dialog with a label
// and the expiry choice, an expired link's page with "Send a new link" and
// the renewed link's page (with its label form), an account's details and
// its disconnect confirmation, the owner's link defaults; then, as the invitee in a browser context of their own, a
// reconnect link's consent page, which names the account, and the page of
// a sign-in as another account. Each at desktop size and 390 px wide.
func (s *shooter) agencyTour(ctx context.Context, w *world, problems *browser.Problems) error {
	adam := w.users["adam@acme-agency.example"]
	member, err := w.svc.Membership(ctx, adam.ID, w.reporting.ID)
	if err != nil {
		return err
	}
	actor := access.Actor{UserID: adam.ID, Name: adam.Name, IP: "203.0.113.7", UserAgent: "Mozilla/5.0"}
	// A labelled link that expired yesterday.
	now := w.clock.Now()
	w.clock.Set(now.Add(-8 * 24 * time.Hour))
	expired, err := w.svc.GenerateLinkWith(ctx, member, actor, access.NewLink{Source: "google_ads", Label: "Harbor Lights Cafe – Google Ads", ExpiresIn: 7 * 24 * time.Hour})
	w.clock.Set(now)
	if err != nil {
		return err
	}
	// The account the invitee tour connected through the sandbox, and a
	// reconnect link for it.
	var acct models.ConnectedAccount
	if err := w.db.Where("workspace_id = ? AND source_key = ?", w.reporting.ID, "sandbox").Take(&acct).Error; err != nil {
		return fmt.Errorf("the sandbox account of the invitee tour: %w", err)
	}
	// Its token lifetime on the pictures' clock, not the sandbox's real one.
	if err := w.db.Model(&acct).Update("token_expires_at", now.Add(time.Hour)).Error; err != nil {
		return err
	}
	reconnect, err := w.svc.GenerateReconnectLink(ctx, member, actor, acct.ID)
	if err != nil {
		return err
	}
	links := s.base + "/w/" + w.reporting.ID + "/sources/access-requests"
	account := s.base + "/w/" + w.reporting.ID + "/sources/accounts/" + acct.ID

	// fillDialog opens the generate dialog on the links page and fills in
	// a source, a label and 14 days.
	fillDialog := func() error {
		return s.do("the dialog with a label and 14 days",
			chromedp.Navigate(links),
			chromedp.WaitVisible(css(`[data-testid="links-table"]`)),
			chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`),
			chromedp.Click(css(`[data-testid="generate-button"]`)),
			chromedp.WaitVisible(css(`#modal[open] [data-testid="generate-form"]`)),
			chromedp.Click(css(`#modal label:has([data-testid="source-google_ads"])`)),
			chromedp.SendKeys(css(`#modal [data-testid="link-label"]`), "Acme Bakery – Google Ads"),
			chromedp.SetValue(css(`#modal [data-testid="expires-in-days"]`), "14"),
			// The chosen source and the fields below the list in view.
			chromedp.Evaluate[chromedp.Void](`document.querySelector('#modal [data-testid="label-expiry"]').scrollIntoView({block: "end"})`),
		)
	}
	admin := []func() error{
		func() error { return s.viewport(desktopWidth, desktopHeight, false) },
		func() error { return s.signIn("adam@acme-agency.example") },
		fillDialog,
		s.snap("generate-label-expiry.png", false),
		func() error { return s.viewport(mobileWidth, mobileHeight, true) },
		fillDialog,
		s.snap("generate-label-expiry-mobile.png", false),
		func() error { return s.viewport(desktopWidth, desktopHeight, false) },

		// An expired link offers "Send a new link"; the new link's page.
		s.step("expired link", chromedp.Navigate(links+"/"+expired.ID), chromedp.WaitVisible(css(`[data-testid="link-renew"]`))),
		s.both("link-expired-renew"),
		s.step("send a new link",
			chromedp.Click(css(`[data-testid="link-renew"]`)),
			chromedp.WaitVisible(css(`[data-testid="generated"]`)),
		),
		s.tallBoth("link-renewed"),

		// An account's details, then its disconnect confirmation.
		s.step("account details", chromedp.Navigate(account), chromedp.WaitVisible(css(`[data-testid="account-scopes"]`))),
		s.tallBoth("account-detail"),
		s.step("disconnect",
			chromedp.Click(css(`[data-testid="account-disconnect"]`)),
			chromedp.WaitVisible(css(`[data-testid="disconnect-confirm"]`)),
		),
		s.both("disconnect-confirm"),
		s.signOut,

		// The organization's owner sets how long new links live.
		func() error { return s.signIn("olivia@acme-agency.example") },
		s.step("link defaults",
			chromedp.Navigate(s.base+"/w/"+w.reporting.ID+"/settings/link-defaults"),
			chromedp.WaitVisible(css(`[data-testid="link-defaults-form"]`)),
		),
		s.both("link-defaults"),
		// Loaded again at desktop size, where the sidebar's sign-out is.
		s.step("link defaults at desktop size", chromedp.Reload(), chromedp.WaitVisible(css(`[data-testid="logout"]`))),
		s.signOut,
	}
	if err := runSteps(admin); err != nil {
		return err
	}

	inviteeTab, cancel := chromedp.NewContext(s.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(problems.Listener))
	defer cancel()
	if err := chromedp.Do(inviteeTab, browser.ReduceMotion()); err != nil {
		return fmt.Errorf("open the invitee's browser context: %w", err)
	}
	inv := s.on(inviteeTab)
	// Signed in at the sandbox as Acme Ads, not Northwind Store: refused
	// with 409, the link still usable.
	s.expect(409, s.base+"/oauth/callback")
	wrongAccount := func() error {
		return inv.do("sign in as another account",
			chromedp.Click(css(`[data-testid="start"]`)),
			chromedp.WaitVisible(css(`form.consent input[name="account"]`)),
			chromedp.Click(css(`[data-testid="account-sandbox-user-1"]`)),
			chromedp.Click(css(`button[name="action"][value="allow"]`)),
			chromedp.WaitVisible(css(`[data-testid="connect-error"] [data-testid="retry"]`)),
		)
	}
	invitee := []func() error{
		func() error { return inv.viewport(desktopWidth, desktopHeight, false) },
		inv.step("reconnect consent", chromedp.Navigate(reconnect.URL), chromedp.WaitVisible(css(`[data-testid="consent-reconnect"]`))),
		inv.both("consent-reconnect"),
		// Loaded again at desktop size, so that nothing moves under the
		// click on Start.
		inv.step("reconnect consent again", chromedp.Navigate(reconnect.URL), chromedp.WaitVisible(css(`[data-testid="consent-reconnect"]`))),
		later(w, time.Minute),
		wrongAccount,
		inv.snap("connect-wrong-account.png", true),
		// The page answers a callback whose flow is spent: at phone size
		// the invitee goes through it again.
		func() error { return inv.viewport(mobileWidth, mobileHeight, true) },
		inv.step("try again", chromedp.Click(css(`[data-testid="retry"]`)), chromedp.WaitVisible(css(`[data-testid="consent-reconnect"]`))),
		later(w, time.Minute),
		wrongAccount,
		inv.snap("connect-wrong-account-mobile.png", true),
	}
	return runSteps(invitee)
}

// tallBoth is both for a page taller than the desktop window: the window
// is made as tall as the page for the desktop picture, so the sidebar
// reaches the bottom as it does on a tall screen.
func (s *shooter) tallBoth(name string) func() error {
	return func() error {
		h, err := chromedp.Run(s.ctx, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
		if err != nil {
			return err
		}
		if h > desktopHeight {
			if err := s.viewport(desktopWidth, h, false); err != nil {
				return err
			}
		}
		if err := s.shot(name+".png", false); err != nil {
			return err
		}
		return s.atPhoneSize(name)
	}
}
