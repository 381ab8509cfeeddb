package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/connect"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/views"
)

// flowCookie carries the OAuth flow between Start and the callback: sealed
// with the app key, HttpOnly, SameSite=Lax (Strict would lose it on the
// provider's redirect back), 10 minutes.
type flowState struct {
	connect.Flow
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
		Name: s.flowCookieName(), Value: sealed, Path: "/", MaxAge: int(connect.Lifetime.Seconds()),
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

// noStore marks a response that carries a link token or a callback: never
// cached, never sent as a referrer.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		setNoStore(c)
		return next(c)
	}
}

func setNoStore(c echo.Context) {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
}

// limitPublic rate-limits the public link routes per client address. It
// runs before noStore, so its own page sets the same headers: its URL
// carries the token too.
func (s *Server) limitPublic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ok, wait := s.publicIP.allow(c.RealIP()); !ok {
			setNoStore(c)
			retryAfter(c, wait)
			return render(c, http.StatusTooManyRequests, views.ConnectMessagePage(views.ConnectMessage{
				Kind: "error", Title: "Too many requests", Body: "Please wait a minute and try again.",
			}))
		}
		return next(c)
	}
}

// linkMessage renders the page for a link that cannot be used: unknown and
// deleted look the same.
func (s *Server) linkMessage(c echo.Context, l *access.PublicLink, err error) error {
	var src *sources.Source
	if l != nil {
		src = s.svc.Sources().Get(l.SourceKey)
	}
	switch {
	case l != nil && l.Status == access.StatusUsed, access.ErrorCode(err) == access.ECONFLICT:
		m := views.ConnectMessage{Kind: "used", Title: "This account has already been connected", Source: src,
			Body: "This link was single use and it has been used. There is nothing more to do; you can close this window."}
		if l != nil {
			m.Account = l.AccountLabel
		}
		return render(c, http.StatusGone, views.ConnectMessagePage(m))
	case l != nil && l.Status == access.StatusExpired, access.ErrorCode(err) == access.EEXPIRED:
		who := "the person who sent it"
		if l != nil && l.CreatorName != "" {
			who = l.CreatorName
		}
		return render(c, http.StatusGone, views.ConnectMessagePage(views.ConnectMessage{Kind: "expired", Title: "This link has expired", Source: src,
			Body: "Links work for 7 days. Ask " + who + " for a new link."}))
	}
	return render(c, http.StatusNotFound, views.ConnectMessagePage(views.ConnectMessage{Kind: "unknown", Title: "This link is not available",
		Body: "The link may be mistyped, or it may have been withdrawn. Ask the person who sent it for a new one."}))
}

// openActive loads the link of the URL's token; when it cannot be used, it
// renders the matching page and returns nil, nil.
func (s *Server) openActive(c echo.Context) (*access.PublicLink, *sources.Source, error) {
	l, err := s.svc.OpenLink(c.Request().Context(), c.Param("token"))
	if err != nil && access.ErrorCode(err) != access.ENOTFOUND {
		return nil, nil, err
	}
	if err != nil || l.Status != access.StatusActive {
		return nil, nil, s.linkMessage(c, l, err)
	}
	src := s.svc.Sources().Get(l.SourceKey)
	if src == nil || !src.Configured() {
		return nil, nil, render(c, http.StatusServiceUnavailable, views.ConnectMessagePage(views.ConnectMessage{Kind: "error",
			Title: "This source is not available right now", Body: "The workspace's server cannot connect this source at the moment. Please let the person who sent the link know."}))
	}
	return l, src, nil
}

// consent is GET /connect/{token}.
func (s *Server) consent(c echo.Context) error {
	l, src, err := s.openActive(c)
	if l == nil {
		return err
	}
	if err := s.svc.RecordEvent(c.Request().Context(), &l.AccessLink, actor(c), access.EventOpened, nil); err != nil {
		s.eventNotStored(access.EventOpened, err) // the invitee still sees the page (a full disk, say)
	}
	allowFormsTo(c, src)
	return render(c, http.StatusOK, views.ConsentPage(&views.ConsentView{Link: l, Source: src, Token: c.Param("token"), NeedsShop: connect.NeedsShop(src)}))
}

// startFlow is POST /connect/{token}/start: a fresh state, PKCE verifier
// and nonce bound to this browser, then the provider.
func (s *Server) startFlow(c echo.Context) error {
	l, src, err := s.openActive(c)
	if l == nil {
		return err
	}
	shop := ""
	if connect.NeedsShop(src) {
		shop, err = connect.NormalizeShop(c.FormValue("shop"))
		if err != nil {
			var ce *connect.Error
			errors.As(err, &ce)
			allowFormsTo(c, src)
			return render(c, http.StatusUnprocessableEntity, views.ConsentPage(&views.ConsentView{Link: l, Source: src, Token: c.Param("token"),
				NeedsShop: true, Shop: c.FormValue("shop"), Error: ce.Description}))
		}
	}
	f := &flowState{Flow: *connect.Begin(l.ID, src, shop, s.svc.Clock()), Token: c.Param("token")}
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
	return c.Redirect(http.StatusSeeOther, s.connect.AuthCodeURL(src, &f.Flow))
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
	return render(c, http.StatusOK, views.ConnectMessagePage(views.ConnectMessage{Kind: "declined", Title: "Thanks for letting us know", Source: src,
		Body: "Nothing was connected. " + l.CreatorName + " will see that you declined. If you change your mind, the same link works until it expires."}))
}

// callback is GET /oauth/callback, the one redirect URI of every source.
func (s *Server) callback(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.Request().URL.Query()
	f := s.getFlow(c)
	now := s.svc.Clock()

	// A repeated callback (reload, back button) shows the first result.
	if f != nil && f.Done && connect.CheckState(&f.Flow, q.Get("state"), now) == nil {
		return s.connected(c, s.svc.Sources().Get(f.Source), f.Account)
	}
	if err := connect.CheckState(stateOf(f), q.Get("state"), now); err != nil {
		return s.flowFailed(c, f, err)
	}
	src := s.svc.Sources().Get(f.Source)
	if src == nil {
		return s.flowFailed(c, f, &connect.Error{Kind: connect.KindState, Code: "unknown_source", Description: "This source is no longer available."})
	}
	done, err := s.connect.Complete(ctx, s.svc, src, &f.Flow, q, actor(c))
	if err != nil {
		return err
	}
	if done.Unrecorded != nil {
		// The outcome stands and the invitee is shown it; a history event
		// that could not be written is the operator's business.
		s.eventNotStored("callback", done.Unrecorded)
	}
	switch {
	case done.Failed != nil:
		return s.flowFailed(c, f, done.Failed)
	case done.Refused != nil:
		s.clearFlow(c)
		return s.refusedMessage(c, f.LinkID, done.Refused)
	case done.Taken != nil:
		return s.callbackTaken(c, f, src, done.Taken)
	}
	f.Done, f.Account, f.Verifier, f.Token = true, done.Account, "", ""
	if err := s.setFlow(c, f); err != nil {
		s.log.Error("callback: the flow cookie could not be updated", "err", err)
	}
	return s.connected(c, src, done.Account)
}

// refusedMessage shows why the link could not be claimed, naming its
// creator and connected account where the link still exists. The refusal
// stands whatever happens here: a failed read only makes the page plainer.
func (s *Server) refusedMessage(c echo.Context, linkID string, err error) error {
	l, lerr := s.svc.PublicLinkByID(c.Request().Context(), linkID)
	if lerr != nil {
		if access.ErrorCode(lerr) == access.EINTERNAL {
			s.log.Error("callback: the refused link could not be read", "err", lerr)
		}
		l = nil
	}
	return s.linkMessage(c, l, err)
}

// callbackTaken answers a callback whose flow another request settled
// first, or is still settling: it shows that first outcome, and the code is
// never exchanged twice.
func (s *Server) callbackTaken(c echo.Context, f *flowState, src *sources.Source, claim *access.CallbackClaim) error {
	switch {
	case claim.Outcome == access.CallbackConnected:
		return s.connected(c, src, claim.AccountLabel)
	case claim.Outcome == access.CallbackPending:
		return render(c, http.StatusConflict, views.ConnectMessagePage(views.ConnectMessage{Kind: "pending", Source: src,
			Title: "Almost done", Body: "This sign-in is still being completed in another tab or request. Reload this page in a moment to see the result.",
			RetryURL: c.Request().URL.RequestURI()}))
	case claim.Abandoned():
		// The request that took the flow to the exchange never finished
		// (its process stopped): nothing was connected. The flow cookie
		// stays, so a reload gives the same answer.
		m := views.ConnectMessage{Kind: "abandoned", Source: src, Title: "This sign-in did not finish",
			Body: "Nothing was connected, and your link still works: go back to the request and start again."}
		if f.Token != "" {
			m.RetryURL = "/connect/" + f.Token
		} else {
			m.Body = "Nothing was connected, and your link still works: open it again from the message you received and start again."
		}
		return render(c, http.StatusOK, views.ConnectMessagePage(m))
	case claim.Failure.Kind == connect.KindRefused:
		s.clearFlow(c)
		return s.refusedMessage(c, f.LinkID, connect.RefusalError(claim.Failure.Code))
	}
	return s.flowFailed(c, f, &connect.Error{Kind: claim.Failure.Kind, Code: claim.Failure.Code, Description: claim.Failure.Description})
}

func stateOf(f *flowState) *connect.Flow {
	if f == nil {
		return nil
	}
	return &f.Flow
}

func (s *Server) clearFlow(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: s.flowCookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.sessions.Options.Secure, SameSite: http.SameSiteLaxMode})
}

func (s *Server) connected(c echo.Context, src *sources.Source, account string) error {
	name := "The account"
	if src != nil {
		name = "Your " + src.Name + " account"
	}
	return render(c, http.StatusOK, views.ConnectMessagePage(views.ConnectMessage{Kind: "success", Title: "Connected", Source: src,
		Account: account, Body: name + " is now connected. Thank you!"}))
}

// flowFailed shows a failed attempt (recorded by connect.Complete when the
// link is known) with "Try again"; the link stays usable.
func (s *Server) flowFailed(c echo.Context, f *flowState, ce *connect.Error) error {
	var src *sources.Source
	retry := ""
	if f != nil {
		src = s.svc.Sources().Get(f.Source)
		if f.Token != "" {
			retry = "/connect/" + f.Token
		}
	}
	if ce.Kind != connect.KindState {
		s.clearFlow(c) // the flow is spent; Try again starts a new one
	}
	m := views.ConnectMessage{Kind: "error", Source: src, RetryURL: retry, ErrorCode: ce.Code}
	status := http.StatusBadGateway
	switch ce.Kind {
	case connect.KindState:
		status = http.StatusBadRequest
		m.Title = "This sign-in could not be completed"
		m.Body = ce.Description + " Nothing was connected. Open the link you were sent and start again."
	case connect.KindProvider:
		status = http.StatusOK
		if ce.Code == "access_denied" {
			m.Title = "Access was not granted"
			m.Body = "You cancelled or denied the request at the provider. Nothing was connected. You can try again with the same link."
		} else {
			m.Title = "The provider reported a problem"
			m.Body = "Nothing was connected. You can try again with the same link."
		}
		// Shown as reported: it came back through the browser, not from
		// the provider to us.
		m.Reported = ce.Description
	case connect.KindStore:
		status = http.StatusServiceUnavailable
		retryAfter(c, 5*time.Second)
		m.Title = "We could not finish connecting"
		m.Body = "Nothing was connected and your link still works: please try again in a moment."
	case connect.KindScopes:
		status = http.StatusUnprocessableEntity
		m.Title = "Some permissions are missing"
		m.Body = ce.Description + ". The workspace needs them to read your data; please try again and keep every box ticked."
	default:
		m.Title = "We could not finish connecting"
		m.Body = "The provider did not answer as expected. Nothing was connected and your link still works: please try again in a moment."
	}
	return render(c, status, views.ConnectMessagePage(m))
}
