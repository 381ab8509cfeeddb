package sandbox

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets/sandbox.css
var stylesheet []byte

// scopeText says what each known scope lets the client do, in plain words.
var scopeText = map[string]scopeView{
	oidc.ScopeOpenID:        {Title: "Know which account you picked", Description: "The account's ID, so the app can tell which account is connected."},
	oidc.ScopeProfile:       {Title: "See the account's name", Description: "Used to label the account in the app."},
	oidc.ScopeEmail:         {Title: "See the account's email address", Description: "Used to label the account in the app."},
	"reports.read":          {Title: "Read sample reports", Description: "Made-up figures for trying the product. Nothing can be changed."},
	oidc.ScopeOfflineAccess: {Title: "Stay connected", Description: "Keep access while you are away, until the connection is removed."},
}

// ui serves the login/consent page, its stylesheet and a few message pages.
type ui struct {
	provider *op.Provider
	store    *storage
	client   *client
	issuer   string
	prefix   string
	accounts []Account
	tmpl     *template.Template
	cssHref  string
}

func newUI(provider *op.Provider, store *storage, cl *client, issuer, prefix string, accounts []Account) (*ui, error) {
	tmpl, err := template.ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(stylesheet)
	return &ui{
		provider: provider,
		store:    store,
		client:   cl,
		issuer:   issuer,
		prefix:   prefix,
		accounts: accounts,
		tmpl:     tmpl,
		cssHref:  prefix + cssPath + "?v=" + hex.EncodeToString(sum[:6]),
	}, nil
}

// pageBase is what every page's layout needs.
type pageBase struct {
	Title string
	CSS   string
}

type scopeView struct {
	Title       string
	Description string
}

type accountView struct {
	Account
	Initials string
	Tone     int
	Checked  bool
}

type loginPage struct {
	pageBase
	Action       string
	RequestID    string
	ClientID     string
	RedirectHost string
	Scopes       []scopeView
	Accounts     []accountView
	Error        string
}

type messagePage struct {
	pageBase
	Heading string
	Text    string
}

// showLogin handles GET {issuer}/login?id=...: the consent page for a
// pending authorization request.
func (u *ui) showLogin(w http.ResponseWriter, r *http.Request) {
	req, err := u.store.pending(r.Context(), r.URL.Query().Get("id"))
	if err != nil {
		u.failed(w, err)
		return
	}
	u.renderLogin(w, http.StatusOK, req, "", "")
}

// submitLogin handles POST {issuer}/login (id, account, action=allow|deny).
// Allow completes the request for the chosen account and continues at the
// library's callback, which redirects to the client with code and state.
// Deny sends access_denied with the original state to the client.
func (u *ui) submitLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		u.message(w, http.StatusBadRequest, "Something went wrong", "The form could not be read. Go back to the app and start again.")
		return
	}
	id := r.PostForm.Get("id")
	ctx := op.ContextWithIssuer(r.Context(), u.issuer)
	r = r.WithContext(ctx)

	switch r.PostForm.Get("action") {
	case "deny":
		req, err := u.store.deny(ctx, id)
		if err != nil {
			u.failed(w, err)
			return
		}
		denied := oidc.ErrAccessDenied().WithDescription("The account owner denied the request.")
		op.AuthRequestError(w, r, req, denied, u.provider)
	case "allow":
		req, err := u.store.pending(ctx, id)
		if err != nil {
			u.failed(w, err)
			return
		}
		account := r.PostForm.Get("account")
		if !slices.ContainsFunc(u.accounts, func(a Account) bool { return a.ID == account }) {
			u.renderLogin(w, http.StatusBadRequest, req, account, "Choose one of the sample accounts.")
			return
		}
		if err := u.store.approve(ctx, id, account); err != nil {
			u.failed(w, err)
			return
		}
		http.Redirect(w, r, op.AuthCallbackURL(u.provider)(ctx, id), http.StatusSeeOther)
	default:
		req, err := u.store.pending(ctx, id)
		if err != nil {
			u.failed(w, err)
			return
		}
		u.renderLogin(w, http.StatusBadRequest, req, r.PostForm.Get("account"), "Choose Allow or Deny.")
	}
}

// guardAuthorize answers an authorization request that names an unknown
// client or an unregistered redirect URI with a page of its own, never a
// redirect; the library refuses these too, with a plain-text error. It also
// refuses repeated parameters (RFC 6749 section 3.1).
func (u *ui) guardAuthorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			next.ServeHTTP(w, r) // e.g. a CORS preflight, which the library answers
			return
		}
		if err := r.ParseForm(); err != nil {
			u.message(w, http.StatusBadRequest, "Invalid sign-in request", "The request could not be read.")
			return
		}
		for name, values := range r.Form {
			if len(values) > 1 {
				u.message(w, http.StatusBadRequest, "Invalid sign-in request", "The parameter “"+name+"” appears more than once.")
				return
			}
		}
		if r.Form.Get("client_id") != u.client.id {
			u.message(w, http.StatusBadRequest, "Unknown application", "The application that sent you here is not registered with the sandbox provider, so you were not sent back to it.")
			return
		}
		if !slices.Contains(u.client.redirectURIs, r.Form.Get("redirect_uri")) {
			u.message(w, http.StatusBadRequest, "Invalid return address", "The redirect_uri of this sign-in request is missing or not registered for the application, so you were not sent back to it.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loggedOut handles GET {issuer}/logged-out, where end_session lands
// without a registered post-logout redirect URI.
func (u *ui) loggedOut(w http.ResponseWriter, _ *http.Request) {
	u.message(w, http.StatusOK, "Signed out", "The sandbox provider has forgotten this session. You can close this page.")
}

// css handles GET {issuer}/assets/sandbox.css.
func (u *ui) css(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(stylesheet)
}

// failed answers a request the consent page could not act on: expired (or
// answered) when it is gone, a server error when the database failed.
func (u *ui) failed(w http.ResponseWriter, err error) {
	if errors.Is(err, errNotFound) {
		u.expired(w)
		return
	}
	u.message(w, http.StatusInternalServerError, "Something went wrong",
		"The sign-in request could not be read. Try again in a moment.")
}

func (u *ui) expired(w http.ResponseWriter) {
	u.message(w, http.StatusBadRequest, "This request has expired",
		"Sign-in requests last 10 minutes and can be answered once. Go back to the app and start the connection again.")
}

func (u *ui) message(w http.ResponseWriter, status int, heading, text string) {
	u.render(w, status, "message", messagePage{
		pageBase: pageBase{Title: heading, CSS: u.cssHref},
		Heading:  heading,
		Text:     text,
	})
}

func (u *ui) renderLogin(w http.ResponseWriter, status int, req *authRequest, selected, problem string) {
	if selected == "" {
		selected = u.accounts[0].ID
		for _, a := range u.accounts {
			if req.loginHint != "" && (a.ID == req.loginHint || strings.EqualFold(a.Email, req.loginHint)) {
				selected = a.ID
			}
		}
	}
	accounts := make([]accountView, len(u.accounts))
	for i, a := range u.accounts {
		accounts[i] = accountView{Account: a, Initials: initials(a.Name), Tone: i % 4, Checked: a.ID == selected}
	}
	scopes := make([]scopeView, 0, len(req.scopes))
	for _, s := range req.scopes {
		v, ok := scopeText[s]
		if !ok {
			v = scopeView{Title: "Use the “" + s + "” permission"}
		}
		scopes = append(scopes, v)
	}
	redirectHost := req.redirectURI
	if ru, err := url.Parse(req.redirectURI); err == nil && ru.Host != "" {
		redirectHost = ru.Host
	}
	u.render(w, status, "login", loginPage{
		pageBase:     pageBase{Title: "Allow access", CSS: u.cssHref},
		Action:       u.prefix + loginPath,
		RequestID:    req.id,
		ClientID:     req.clientID,
		RedirectHost: redirectHost,
		Scopes:       scopes,
		Accounts:     accounts,
		Error:        problem,
	})
}

// render buffers the page so that a template error never sends half of it.
func (u *ui) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := u.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		slog.Error("sandbox: render page", "page", name, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// initials are the first letters of the first two words of a name, skipping
// parenthesised words such as "(demo)".
func initials(name string) string {
	var b strings.Builder
	n := 0
	for _, word := range strings.Fields(name) {
		r, _ := utf8.DecodeRuneInString(word)
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
		if n++; n == 2 {
			break
		}
	}
	if b.Len() == 0 {
		return "?"
	}
	return b.String()
}
