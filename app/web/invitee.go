package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/oauth"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/views"
)

// flowCookie carries the OAuth flow between Start and the callback: sealed
// with the app key, HttpOnly, SameSite=Lax (Strict would lose it on the
// provider's redirect back), 10 minutes.
type flowState struct {
	oauth.Flow
	Token string `json:"tk"`
}

const flowAD = "oauth-flow"

func (s *Server) flowCookieName() string {
	if strings.HasPrefix(s.cookieName, "__Host-") {
		return "__Host-ar_flow"
	}
	return "ar_flow"
}

func (s *Server) setFlow(c echo.Context, f *flowState) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	sealed, err := s.keys.Seal(string(b), flowAD)
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name: s.flowCookieName(), Value: sealed, Path: "/", MaxAge: int(oauth.Lifetime.Seconds()),
		HttpOnly: true, Secure: s.sessions.Options.Secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

func (s *Server) getFlow(c echo.Context) *flowState {
	ck, err := c.Cookie(s.flowCookieName())
	if err != nil {
		return nil
	}
	raw, err := s.keys.Open(ck.Value, flowAD)
	if err != nil {
		return nil
	}
	var f flowState
	if json.Unmarshal([]byte(raw), &f) != nil {
		return nil
	}
	return &f
}

// limitPublic rate-limits the public link routes per client address. Like
// every response, its page is never cached nor sent as a referrer
// (securityHeaders): its URL carries the token too.
func (s *Server) limitPublic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ok, wait := s.publicIP.allow(c.RealIP()); !ok {
			retryAfter(c, wait)
			return render(c, http.StatusTooManyRequests, views.TooManyRequestsPage())
		}
		return next(c)
	}
}

// linkUnavailable renders the page of a link that cannot be used: used,
// expired, or unknown and deleted, which look the same.
func (s *Server) linkUnavailable(c echo.Context, l *access.PublicLink) error {
	st, src := access.StatusDeleted, (*sources.Source)(nil)
	if l != nil {
		st, src = l.Status, s.svc.Sources().Get(l.SourceKey)
	}
	return render(c, linkStatusCode(st), views.LinkUnavailablePage(st, l, src))
}

// openActive loads the link of the URL's token; when it cannot be used, it
// renders the matching page and returns nil, nil.
func (s *Server) openActive(c echo.Context) (*access.PublicLink, *sources.Source, error) {
	l, err := s.svc.OpenLink(c.Request().Context(), c.Param("token"))
	if err != nil && access.ErrorCode(err) != access.ENOTFOUND {
		return nil, nil, err
	}
	if err != nil || l.Status != access.StatusActive {
		return nil, nil, s.linkUnavailable(c, l)
	}
	src := s.svc.Sources().Get(l.SourceKey)
	if src == nil || !src.Configured() {
		return nil, nil, render(c, http.StatusServiceUnavailable, views.SourceUnavailablePage())
	}
	return l, src, nil
}

// consent is GET /connect/{token}.
func (s *Server) consent(c echo.Context) error {
	l, src, err := s.openActive(c)
	if l == nil {
		return err
	}
	if c.Request().Method != http.MethodHead { // a probe (an uptime check, a mail scanner): nobody saw the page
		if err := s.svc.RecordEvent(c.Request().Context(), &l.AccessLink, actor(c), access.EventOpened, nil); err != nil {
			s.eventNotStored(c.Request().Context(), access.EventOpened, err) // the invitee still sees the page (a full disk, say)
		}
	}
	allowFormsTo(c, src)
	return render(c, http.StatusOK, views.ConsentPage(&views.ConsentView{Link: l, Source: src, Token: c.Param("token"), NeedsShop: oauth.NeedsShop(src), Now: s.svc.Clock()}))
}

// startFlow is POST /connect/{token}/start: a fresh state, PKCE verifier
// and nonce bound to this browser, then the provider.
func (s *Server) startFlow(c echo.Context) error {
	l, src, err := s.openActive(c)
	if l == nil {
		return err
	}
	shop := ""
	if oauth.NeedsShop(src) {
		shop, err = oauth.NormalizeShop(c.FormValue("shop"))
		if err != nil {
			allowFormsTo(c, src)
			return render(c, http.StatusUnprocessableEntity, views.ConsentPage(&views.ConsentView{Link: l, Source: src, Token: c.Param("token"),
				NeedsShop: true, Shop: c.FormValue("shop"), ShopInvalid: true, Now: s.svc.Clock()}))
		}
	}
	f := &flowState{Flow: *oauth.Begin(l.ID, src, shop, s.svc.Clock()), Token: c.Param("token")}
	if err := s.setFlow(c, f); err != nil {
		return err
	}
	detail := map[string]any{"source": src.Key}
	if shop != "" {
		detail["shop"] = shop
	}
	if err := s.svc.RecordEvent(c.Request().Context(), &l.AccessLink, actor(c), access.EventStarted, detail); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, s.oauth.AuthCodeURL(src, &f.Flow))
}

// declineLink is POST /connect/{token}/decline.
func (s *Server) declineLink(c echo.Context) error {
	l, src, err := s.openActive(c)
	if l == nil {
		return err
	}
	reason := strings.TrimSpace(c.FormValue("reason")) // cleaned and cut where events are written
	detail := map[string]any{}
	if reason != "" {
		detail["reason"] = reason
	}
	if err := s.svc.RecordEvent(c.Request().Context(), &l.AccessLink, actor(c), access.EventDeclined, detail); err != nil {
		return err
	}
	return render(c, http.StatusOK, views.DeclinedPage(l, src))
}

// callback is GET /oauth/callback, the one redirect URI of every source.
func (s *Server) callback(c echo.Context) error {
	q := c.Request().URL.Query()
	f := s.getFlow(c)
	var out *access.FlowOutcome
	if f != nil && f.Done && oauth.CheckState(&f.Flow, q.Get("state"), s.svc.Clock()) == nil {
		// A repeated callback (reload, back button) shows the first result.
		out = &access.FlowOutcome{Kind: access.FlowConnected, Account: f.Account}
	} else {
		var err error
		if out, err = s.svc.CompleteFlow(c.Request().Context(), s.exchange(f, q), actor(c)); err != nil {
			return err
		}
		s.keepFlow(c, f, out)
	}
	v := views.FlowView{Outcome: out, CallbackURL: c.Request().URL.RequestURI()}
	if f != nil {
		v.Source = s.svc.Sources().Get(f.Source)
		if f.Token != "" {
			v.ConsentURL = "/connect/" + f.Token
		}
	}
	return render(c, flowStatusCode(c, out), views.FlowPage(v))
}

// keepFlow updates the browser's flow after an outcome, and logs what the
// outcome could not record. A connected flow is kept as done, so a reload
// shows the same page; a failed or refused one (or one signed in as the
// wrong account) is spent, and "Try again"
// starts a new one; one that never matched this browser's flow, or is
// still pending or abandoned, stays as it is.
func (s *Server) keepFlow(c echo.Context, f *flowState, out *access.FlowOutcome) {
	if out.Unrecorded != nil {
		// The outcome stands and the invitee is shown it; a history event
		// that could not be written is the operator's business.
		s.eventNotStored(c.Request().Context(), "callback", out.Unrecorded)
	}
	if out.Unread != nil {
		s.log.ErrorContext(c.Request().Context(), "callback: the refused link could not be read", "err", out.Unread)
	}
	switch {
	case out.Kind == access.FlowConnected && f != nil:
		f.Done, f.Account, f.Verifier, f.Token = true, out.Account, "", ""
		if err := s.setFlow(c, f); err != nil {
			s.log.ErrorContext(c.Request().Context(), "callback: the flow cookie could not be updated", "err", err)
		}
	case out.Kind == access.FlowRefused, out.Kind == access.FlowWrongAccount,
		out.Kind == access.FlowFailed && out.Err.Code != access.EFLOWSTATE:
		s.clearFlow(c)
	}
}

func (s *Server) clearFlow(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: s.flowCookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.sessions.Options.Secure, SameSite: http.SameSiteLaxMode})
}
