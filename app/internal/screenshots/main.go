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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
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
	if err := s.agencyTour(ctx, w, problems); err != nil {
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
		label   string
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
		// A long label: the list cuts it short (in full in its title), so
		// the table still fits a laptop's width.
		{name: "shopify", ago: 5*time.Hour + 20*time.Minute, source: "shopify", creator: "olivia@acme-agency.example",
			label: "Bluebird Bakery storefront — quarterly sales, orders and inventory reporting"},
		// The invitee walks the whole flow through the sandbox with it.
		{name: "sandbox", ago: 2*time.Hour + 40*time.Minute, source: "sandbox", creator: "adam@acme-agency.example"},
		{ago: 2*time.Hour + 10*time.Minute, source: "google_ads", creator: "adam@acme-agency.example"},
	}
	for _, s := range links {
		creator := w.users[s.creator]
		w.clock.Set(now.Add(-s.ago))
		l, err := w.svc.GenerateLinkWith(ctx, member, access.Actor{UserID: creator.ID, Name: creator.Name, IP: "203.0.113.7", UserAgent: "Mozilla/5.0"},
			access.NewLink{Source: s.source, Label: s.label})
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
	if err := w.sampleKeys(ctx, now, member); err != nil {
		return err
	}
	if err := w.sampleWebhooks(ctx, now, member); err != nil {
		return err
	}
	w.clock.Set(now)
	return nil
}

// sampleKeys makes the API keys page's sample: a key in use, one made from
// the command line, and a revoked one, each with its history.
func (w *world) sampleKeys(ctx context.Context, now time.Time, member *access.Membership) error {
	day := 24 * time.Hour
	type use struct {
		ago     time.Duration
		ip, app string
	}
	for _, k := range []struct {
		name, creator string // creator "": the command line
		ago, revoked  time.Duration
		uses          []use
	}{
		{name: "Old CRM sync", creator: "priya@acme-agency.example", ago: 60 * day, revoked: 10 * day,
			uses: []use{{58 * day, "198.51.100.14", "crm-sync/2.3"}}},
		{name: "Nightly export", ago: 40 * day, uses: []use{{39 * day, "198.51.100.20", "curl/8.5.0"}, {26 * time.Hour, "198.51.100.20", "curl/8.5.0"}}},
		{name: "Onboarding form (Zapier)", creator: "olivia@acme-agency.example", ago: 20 * day,
			uses: []use{{19 * day, "34.231.10.8", "Zapier"}, {3 * time.Hour, "54.86.22.1", "Zapier"}}},
	} {
		w.clock.Set(now.Add(-k.ago))
		var raw string
		var err error
		var key *access.APIKey
		if k.creator == "" {
			key, raw, err = w.svc.CreateAPIKeyForWorkspace(ctx, w.reporting.ID, k.name)
		} else {
			u := w.users[k.creator]
			key, raw, err = w.svc.CreateAPIKey(ctx, member, access.Actor{UserID: u.ID, Name: u.Name, IP: "203.0.113.7"}, k.name)
		}
		if err != nil {
			return err
		}
		// A fixed prefix, so the picture changes only when the page does
		// (the sample keys themselves are never shown).
		prefix := access.APIKeyPrefix + strings.ToUpper(k.name[:1]) + "x7Qm2"
		if err := w.db.Model(&models.APIKey{}).Where("id = ?", key.ID).Update("prefix", prefix).Error; err != nil {
			return err
		}
		for _, u := range k.uses {
			w.clock.Set(now.Add(-u.ago))
			if _, err := w.svc.AuthenticateAPIKey(ctx, raw, u.ip, u.app); err != nil {
				return err
			}
		}
		if k.revoked > 0 {
			w.clock.Set(now.Add(-k.revoked))
			adam := w.users["adam@acme-agency.example"]
			if err := w.svc.RevokeAPIKey(ctx, member, access.Actor{UserID: adam.ID, Name: adam.Name}, key.ID); err != nil {
				return err
			}
		}
	}
	return nil
}
