// Command screenshots runs the app in process on a temporary SQLite
// database with realistic sample data, drives it with headless Chromium
// through the real sign-in form and, as an invitee in a browser context of
// their own, through the real OAuth flow against the sandbox provider
// (mounted on the app's own listener, as outside production), and saves
// PNGs of the main screens:
//
//	go run ./app/internal/screenshots [-out docs/screenshots]
//
// The clock is fixed, so the pictures change only when the UI does.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/browser"
	"github.com/accessrequests/accessrequests/app/internal/fakeclock"
	"github.com/accessrequests/accessrequests/app/sandbox"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/app/web"
	"github.com/accessrequests/accessrequests/models"
)

const password = "screenshots password"

// sandboxSecret is the sandbox client's secret, shared by the catalog (the
// app's side) and the sandbox provider.
const sandboxSecret = "screenshots-sandbox-secret"

// Sizes of the pictures: a laptop, and a phone 390 CSS pixels wide.
const (
	desktopWidth, desktopHeight = 1280, 800
	mobileWidth, mobileHeight   = 390, 844
)

func main() {
	out := flag.String("out", "docs/screenshots", "directory for the PNG files")
	verbose := flag.Bool("v", false, "print the server log")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := run(ctx, *out, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

// env configures three real sources, so the dialog has a few to offer (it
// lists only sources with credentials), and Shopify's consent page can ask
// for the shop.
func env(key string) string {
	switch key {
	case "SOURCE_GOOGLE_ADS_CLIENT_ID", "SOURCE_FACEBOOK_ADS_CLIENT_ID", "SOURCE_SHOPIFY_CLIENT_ID":
		return "screenshot-client"
	case "SOURCE_GOOGLE_ADS_CLIENT_SECRET", "SOURCE_FACEBOOK_ADS_CLIENT_SECRET", "SOURCE_SHOPIFY_CLIENT_SECRET":
		return "screenshot-secret"
	}
	return ""
}

// world is the app and the sample data.
type world struct {
	svc       *access.Service
	db        *gorm.DB
	clock     *fakeclock.Clock
	url       string // where the server listens
	reporting models.Workspace
	internal  models.Workspace
	users     map[string]*models.User // by email
	// links are the URLs of the sample links the invitee opens, by name.
	links map[string]string
}

func run(ctx context.Context, out string, verbose bool) error {
	if !browser.Available() {
		return fmt.Errorf("chromium not found at %s (apt-get install chromium)", browser.ExecPath)
	}
	tmp, err := os.MkdirTemp("", "screenshots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}

	logOut := io.Discard
	if verbose {
		logOut = os.Stderr
	}
	logger := slog.New(slog.NewTextHandler(logOut, nil))
	// The sandbox's OIDC library logs some warnings (a denied request) to
	// the default logger.
	slog.SetDefault(logger)
	w, stop, err := start(ctx, tmp, logger)
	if err != nil {
		return err
	}
	defer stop()
	if err := w.sample(ctx); err != nil {
		return fmt.Errorf("sample data: %w", err)
	}

	allocCtx, cancelAlloc := browser.NewAllocator(ctx, filepath.Join(tmp, "chromium"))
	defer cancelAlloc()
	problems := &browser.Problems{}
	tab, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(problems.Listener))
	defer cancelTab()
	// The first Do starts the browser and ties it to tab, not to the
	// per-step timeouts below.
	if err := chromedp.Do(tab, browser.ReduceMotion()); err != nil {
		return fmt.Errorf("start chromium: %w", err)
	}

	s := &shooter{ctx: tab, out: out, base: w.url, record: &record{}}

	// The invitee first, in a browser context of their own (no cookies of
	// the admin), like a client opening the link on their own machine: the
	// connected accounts page of the admin's tour then shows the account.
	inviteeTab, cancelInvitee := chromedp.NewContext(tab, chromedp.WithNewBrowserContext(), chromedp.WithListener(problems.Listener))
	defer cancelInvitee()
	if err := chromedp.Do(inviteeTab, browser.ReduceMotion()); err != nil {
		return fmt.Errorf("open the invitee's browser context: %w", err)
	}
	if err := s.on(inviteeTab).inviteeTour(w); err != nil {
		return err
	}
	cancelInvitee()
	if err := s.tour(w); err != nil {
		return err
	}
	var bad []string
	for _, p := range problems.List() {
		if !s.wanted(p) {
			bad = append(bad, p)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("the pages reported problems:\n  %s", strings.Join(bad, "\n  "))
	}
	fmt.Printf("saved %d screenshots in %s\n", len(s.saved), out)
	for _, name := range s.saved {
		fmt.Println("  " + name)
	}
	return nil
}

// start builds the app on a fresh SQLite file and serves it on a local
// port.
func start(ctx context.Context, dir string, logger *slog.Logger) (*world, func(), error) {
	gdb, err := db.Open("", filepath.Join(dir, "app.db"))
	if err != nil {
		return nil, nil, err
	}
	if err := db.Migrate(ctx, gdb, logger); err != nil {
		return nil, nil, err
	}
	key := make([]byte, secret.KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, nil, err
	}
	keys, err := secret.NewKeyring(key)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	// Links, the redirect URI and the sandbox issuer all name the real
	// listener, so the browser can follow every one of them.
	base, _ := url.Parse("http://" + ln.Addr().String())
	cat, err := sources.Load(sources.Options{Getenv: env, SandboxURL: base.String() + "/sandbox", SandboxSecret: sandboxSecret})
	if err != nil {
		return nil, nil, err
	}
	provider, err := sandbox.New(sandbox.Options{
		Issuer:       base.String() + "/sandbox",
		ClientID:     sources.SandboxClientID,
		ClientSecret: sandboxSecret,
		RedirectURIs: []string{base.String() + "/oauth/callback"},
		Logger:       logger.With("component", "sandbox"),
	})
	if err != nil {
		return nil, nil, err
	}
	clk := fakeclock.New(time.Date(2026, time.March, 12, 9, 30, 0, 0, time.UTC))
	svc := access.New(gdb, keys, access.WithSources(cat), access.WithBaseURL(base.String()), access.WithClock(clk.Now))
	h := web.New(web.Options{
		Service: svc,
		Keys:    keys,
		Log:     logger,
		BaseURL: base,
		Ready:   func(ctx context.Context) error { return db.Ping(ctx, gdb) },
		Sandbox: provider,
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("serve", "err", err)
		}
	}()
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		db.SQL(gdb).Close()
	}
	return &world{svc: svc, db: gdb, clock: clk, url: base.String(), users: map[string]*models.User{}, links: map[string]string{}}, stop, nil
}

// sample creates the organizations, users, links and accounts the pictures
// show.
func (w *world) sample(ctx context.Context) error {
	users := []access.NewUser{
		{Email: "olivia@acme-agency.example", Name: "Olivia Grant", Organization: "Acme Agency", Plan: models.PlanPro, OrgRole: models.OrgRoleOwner},
		{Email: "adam@acme-agency.example", Name: "Adam Novak", Organization: "Acme Agency", OrgRole: models.OrgRoleMember, Workspace: "Client reporting", WorkspaceRole: models.WorkspaceRoleAdmin},
		{Email: "priya@acme-agency.example", Name: "Priya Raman", Organization: "Acme Agency", OrgRole: models.OrgRoleMember, Workspace: "Client reporting", WorkspaceRole: models.WorkspaceRoleAdmin},
		{Email: "mia@acme-agency.example", Name: "Mia Lopez", Organization: "Acme Agency", OrgRole: models.OrgRoleMember, Workspace: "Client reporting", WorkspaceRole: models.WorkspaceRoleEditor},
		{Email: "fred@soloshop.example", Name: "Fred Hill", Organization: "Solo Shop", Plan: models.PlanFree, OrgRole: models.OrgRoleOwner, Workspace: "Main", WorkspaceRole: models.WorkspaceRoleAdmin},
	}
	for _, n := range users {
		n.Password = password
		u, err := w.svc.CreateUser(ctx, n)
		if err != nil {
			return err
		}
		w.users[n.Email] = u
	}
	if err := w.db.Where("name = ?", "Client reporting").Take(&w.reporting).Error; err != nil {
		return err
	}
	// Adam is admin of a second, empty workspace too: the switcher has two
	// entries and the empty states have a home.
	now := w.clock.Now()
	w.internal = models.Workspace{ID: access.NewID(), OrganizationID: w.reporting.OrganizationID, Name: "Internal", CreatedAt: now}
	if err := w.db.Create(&w.internal).Error; err != nil {
		return err
	}
	adam := w.users["adam@acme-agency.example"]
	if err := w.db.Create(&models.WorkspaceMember{WorkspaceID: w.internal.ID, UserID: adam.ID, Role: models.WorkspaceRoleAdmin, CreatedAt: now}).Error; err != nil {
		return err
	}

	member, err := w.svc.Membership(ctx, adam.ID, w.reporting.ID)
	if err != nil {
		return err
	}
	type sampleLink struct {
		name    string // the invitee opens it: its URL is kept under this name
		ago     time.Duration
		source  string
		creator string
		usedAgo time.Duration // > 0: used that long ago
		account string        // connected account for a used link
		email   string
		deleted bool
	}
	day := 24 * time.Hour
	links := []sampleLink{
		{ago: 11 * day, source: "facebook_ads", creator: "olivia@acme-agency.example"},
		// Expired two days ago.
		{name: "expired", ago: 9 * day, source: "google_ads", creator: "priya@acme-agency.example"},
		{ago: 8 * day, source: "facebook_ads", creator: "adam@acme-agency.example", deleted: true},
		{ago: 6 * day, source: "facebook_ads", creator: "adam@acme-agency.example", usedAgo: 5*day + 3*time.Hour, account: "Northwind Outdoor — Ads", email: "marketing@northwind.example"},
		{ago: 3*day + 4*time.Hour, source: "google_ads", creator: "olivia@acme-agency.example", usedAgo: 2*day + 6*time.Hour, account: "Northwind Outdoor (123-456-7890)", email: "ads@northwind.example"},
		{name: "decline", ago: 26 * time.Hour, source: "facebook_ads", creator: "priya@acme-agency.example"},
		{name: "shopify", ago: 5*time.Hour + 20*time.Minute, source: "shopify", creator: "olivia@acme-agency.example"},
		// The invitee walks the whole flow through the sandbox with it.
		{name: "sandbox", ago: 2*time.Hour + 40*time.Minute, source: "sandbox", creator: "adam@acme-agency.example"},
		{ago: 2*time.Hour + 10*time.Minute, source: "google_ads", creator: "adam@acme-agency.example"},
	}
	for _, s := range links {
		creator := w.users[s.creator]
		w.clock.Set(now.Add(-s.ago))
		l, err := w.svc.GenerateLink(ctx, member, access.Actor{UserID: creator.ID, Name: creator.Name, IP: "203.0.113.7", UserAgent: "Mozilla/5.0"}, s.source)
		if err != nil {
			return err
		}
		if s.name != "" {
			w.links[s.name] = l.URL
		}
		if s.deleted {
			if err := w.svc.DeleteLink(ctx, member, access.Actor{UserID: creator.ID, Name: creator.Name}, l.ID); err != nil {
				return err
			}
		}
		if s.usedAgo > 0 {
			used := now.Add(-s.usedAgo)
			acct := models.ConnectedAccount{
				ID: access.NewID(), WorkspaceID: w.reporting.ID, SourceKey: s.source,
				ExternalID: access.NewID(), DisplayName: s.account, Email: s.email,
				Scopes: strings.Join(w.svc.Sources().Get(s.source).ScopeNames(), " "),
				LinkID: &l.ID, Status: "connected", CreatedAt: used, UpdatedAt: used,
			}
			if err := w.db.Create(&acct).Error; err != nil {
				return err
			}
			if err := w.db.Model(&models.AccessLink{}).Where("id = ?", l.ID).
				Updates(map[string]any{"used_at": used, "connected_account_id": acct.ID}).Error; err != nil {
				return err
			}
		}
	}
	w.clock.Set(now)
	return nil
}

// shooter drives one tab and saves its pictures.
type shooter struct {
	ctx  context.Context
	out  string
	base string
	*record
}

// record is what the shooters of every tab share.
type record struct {
	saved []string
	// expected are the error statuses pages answer on purpose (404, 410,
	// 422), each with the URL it is expected for.
	expected []expectedStatus
}

type expectedStatus struct {
	status int
	url    string
}

// on returns a shooter for another tab that saves into the same record.
func (s *shooter) on(tab context.Context) *shooter {
	return &shooter{ctx: tab, out: s.out, base: s.base, record: s.record}
}

// expect notes that url answers status on purpose, so the browser's
// "Failed to load resource" for it is no problem.
func (s *shooter) expect(status int, url string) {
	s.expected = append(s.expected, expectedStatus{status, url})
}

// wanted reports whether a problem the browser reported is an expected
// error status.
func (s *shooter) wanted(problem string) bool {
	for _, e := range s.expected {
		if strings.Contains(problem, fmt.Sprintf("status of %d", e.status)) && strings.Contains(problem, e.url) {
			return true
		}
	}
	return false
}

func (s *shooter) do(what string, actions ...chromedp.Action[chromedp.Void]) error {
	tctx, cancel := context.WithTimeout(s.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, actions...); err != nil {
		// A picture of the page as it was helps to see why.
		if buf, serr := chromedp.Run(s.ctx, chromedp.CaptureScreenshot()); serr == nil {
			_ = os.WriteFile(filepath.Join(os.TempDir(), "screenshots-failure.png"), buf, 0o644)
			err = fmt.Errorf("%w (page saved as %s)", err, filepath.Join(os.TempDir(), "screenshots-failure.png"))
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// viewport sets the window size; mobile also turns on the mobile meta
// viewport and touch.
func (s *shooter) viewport(width, height int64, mobile bool) error {
	if mobile {
		return s.do("viewport", chromedp.EmulateViewport(width, height, chromedp.EmulateScale(1), chromedp.EmulateMobile))
	}
	return s.do("viewport", chromedp.EmulateViewport(width, height, chromedp.EmulateScale(1)))
}

// shot saves the viewport, or the whole page when full is set.
func (s *shooter) shot(name string, full bool) error {
	tctx, cancel := context.WithTimeout(s.ctx, 20*time.Second)
	defer cancel()
	// Wait for web fonts, so text is drawn in its final face.
	if err := chromedp.Do(tctx, chromedp.Evaluate[chromedp.Void](`document.fonts.ready`, chromedp.EvalAwaitPromise)); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	// Nothing may stick out sideways: that is a page a phone can scroll
	// sideways by accident.
	over, err := chromedp.Run(tctx, chromedp.Evaluate[string](`(function () {
		var w = document.documentElement.clientWidth;
		if (document.documentElement.scrollWidth <= w) return "";
		var worst = "";
		document.querySelectorAll("body *").forEach(function (el) {
			var r = el.getBoundingClientRect();
			if (r.right > w + 1 && !worst) worst = el.tagName + "." + el.className + " (right " + Math.round(r.right) + ")";
		});
		return "page is " + document.documentElement.scrollWidth + "px wide for a " + w + "px window: " + worst;
	})()`))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if over != "" {
		return fmt.Errorf("%s: %s", name, over)
	}
	var buf []byte
	if full {
		buf, err = chromedp.Run(tctx, chromedp.FullScreenshot(100))
	} else {
		buf, err = chromedp.Run(tctx, chromedp.CaptureScreenshot())
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := os.WriteFile(filepath.Join(s.out, name), buf, 0o644); err != nil {
		return err
	}
	s.saved = append(s.saved, name)
	return nil
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// signIn fills the real sign-in form and waits for the app shell.
func (s *shooter) signIn(email string) error {
	return s.do("sign in as "+email,
		chromedp.Navigate(s.base+"/login"),
		chromedp.WaitVisible(css(`[data-testid="login-form"]`)),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(css(`[data-testid="login-form"] button[type="submit"]`)),
		chromedp.WaitVisible(css(`[data-testid="user-name"]`)),
	)
}

func (s *shooter) signOut() error {
	return s.do("sign out",
		chromedp.Click(css(`[data-testid="logout"]`)),
		chromedp.WaitVisible(css(`[data-testid="login-form"]`)),
	)
}

// openLinks follows the sidebar to the access requests page.
func (s *shooter) openLinks() error {
	return s.do("open the links page",
		chromedp.Click(css(`nav[aria-label="Main"] a[href$="/sources/access-requests"]`)),
		chromedp.WaitVisible(css(`nav[aria-label="Main"] a[aria-current="page"][href$="/sources/access-requests"]`)),
	)
}

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
		func() error {
			return s.do("close", chromedp.Click(css(`#modal a[data-close-modal].btn`)), chromedp.WaitNotVisible(css(`#modal`)))
		},
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
		func() error {
			return s.do("close", chromedp.Click(css(`#modal a[data-close-modal].btn`)), chromedp.WaitNotVisible(css(`#modal`)))
		},
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
