package web

import (
	"cmp"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/oauth"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/views"
)

// A flow cookie carries one OAuth flow between Start and the callback:
// sealed with the app key, HttpOnly, SameSite=Lax (Strict would lose it on
// the provider's redirect back), living as long as the flow may (10
// minutes). Each flow has a cookie of its own, named by a digest of its
// state, so that one browser can have several flows under way (an agency
// sends one client several links) and each callback finds its own;
// MaxFlowsPerBrowser bounds them. After the callback the flow's cookie is
// kept, settled (without its PKCE verifier), so that a reload shows the
// flow's first outcome: connected from the cookie, any other from the
// domain's record of the flow (CompleteFlow answers a settled flow with
// it and exchanges nothing).
type flowState struct {
	oauth.Flow
	Token string `json:"tk"`
	// Settled marks a flow whose callback ended otherwise than connected
	// (denied, failed, refused); Done (oauth.Flow) marks a connected one.
	Settled bool `json:"x,omitempty"`
	// name is the cookie the flow came in ("" for a new flow).
	name string
}

// over reports whether the flow's callback has an outcome.
func (f *flowState) over() bool { return f.Done || f.Settled }

// MaxFlowsPerBrowser is how many flows one browser keeps at once, one per
// link. Starting one more drops a settled flow first (only its reload is
// lost), else the oldest one under way. Each cookie is about 400 bytes.
const MaxFlowsPerBrowser = 5

const flowAD = "oauth-flow"

// flowCookiePrefix is the name of every flow cookie, before the digest of
// its state ("ar_flow" alone is the single cookie of earlier versions).
func (s *Server) flowCookiePrefix() string {
	if strings.HasPrefix(s.cookieName, "__Host-") {
		return "__Host-ar_flow"
	}
	return "ar_flow"
}

// flowCookieName is the cookie of the flow with state: the prefix and 72
// bits of the state's SHA-256, which names the cookie without revealing
// the state.
func (s *Server) flowCookieName(state string) string {
	sum := sha256.Sum256([]byte(state))
	return s.flowCookiePrefix() + "_" + base64.RawURLEncoding.EncodeToString(sum[:9])
}

func (s *Server) isFlowCookie(name string) bool {
	p := s.flowCookiePrefix()
	return name == p || strings.HasPrefix(name, p+"_")
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
	if f.name == "" {
		f.name = s.flowCookieName(f.State)
	}
	// The cookie ends with the flow: a settled one is rewritten with what
	// is left of its 10 minutes.
	left := time.Unix(f.Started, 0).Add(oauth.Lifetime).Sub(s.svc.Clock())
	c.SetCookie(&http.Cookie{
		Name: f.name, Value: sealed, Path: "/", MaxAge: max(1, int(min(left, oauth.Lifetime).Seconds())),
		HttpOnly: true, Secure: s.sessions.Options.Secure, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// flows are the flows this browser holds, and the names of its flow
// cookies that do not open (tampered, or sealed with a retired key).
func (s *Server) flows(c echo.Context) (flows []*flowState, broken []string) {
	for _, ck := range c.Cookies() {
		if !s.isFlowCookie(ck.Name) {
			continue
		}
		raw, err := s.keys.Open(ck.Value, flowAD)
		var f flowState
		if err != nil || json.Unmarshal([]byte(raw), &f) != nil {
			broken = append(broken, ck.Name)
			continue
		}
		f.name = ck.Name
		flows = append(flows, &f)
	}
	return flows, broken
}

// getFlow is the browser's flow of the callback's state. Without one it is
// any other flow of the browser, so that the state check says the state
// does not match the flow started here, or nil (no flow started here).
func (s *Server) getFlow(c echo.Context, state string) *flowState {
	flows, _ := s.flows(c)
	for _, f := range flows {
		if subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) == 1 {
			return f
		}
	}
	if len(flows) > 0 {
		return flows[0]
	}
	return nil
}

// makeRoomForFlow drops the browser's flow cookies that do not open, have
// run out of time, belong to the link of the new flow (starting again
// replaces a link's earlier attempt: its late callback is refused as not
// this browser's flow), or are one too many for a new flow: settled flows
// first, then the oldest.
func (s *Server) makeRoomForFlow(c echo.Context, linkID string) {
	flows, broken := s.flows(c)
	for _, name := range broken {
		s.dropFlow(c, name)
	}
	now := s.svc.Clock()
	live := flows[:0]
	for _, f := range flows {
		if now.Sub(time.Unix(f.Started, 0)) > oauth.Lifetime || f.LinkID == linkID {
			s.dropFlow(c, f.name)
			continue
		}
		live = append(live, f)
	}
	slices.SortStableFunc(live, func(a, b *flowState) int {
		if a.over() != b.over() {
			if a.over() {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Started, b.Started)
	})
	for len(live) >= MaxFlowsPerBrowser {
		s.dropFlow(c, live[0].name)
		live = live[1:]
	}
}

func (s *Server) dropFlow(c echo.Context, name string) {
	c.SetCookie(&http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.sessions.Options.Secure, SameSite: http.SameSiteLaxMode})
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
	s.makeRoomForFlow(c, l.ID)
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

// declineLink is POST /connect/{token}/decline: the decline is recorded
// (once while the link stays declined: the domain decides, recordEvent),
// then the browser goes to the thank-you page with a 303, so reloading
// that page posts nothing again.
func (s *Server) declineLink(c echo.Context) error {
	l, _, err := s.openActive(c)
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
	// The token was found (openActive): it is the path's own, base64url.
	return c.Redirect(http.StatusSeeOther, "/connect/"+c.Param("token")+"/declined")
}

// declined is GET /connect/{token}/declined, the thank-you page after a
// decline. The link stays usable (DESIGN: a declined link stays ACTIVE);
// one that is not declined (never, or tried again since) sends the
// browser to its consent page.
func (s *Server) declined(c echo.Context) error {
	l, src, err := s.openActive(c)
	if l == nil {
		return err
	}
	if l.LastOutcome != access.OutcomeDeclined {
		return c.Redirect(http.StatusSeeOther, "/connect/"+c.Param("token"))
	}
	return render(c, http.StatusOK, views.DeclinedPage(l, src))
}

// callback is GET /oauth/callback, the one redirect URI of every source.
func (s *Server) callback(c echo.Context) error {
	q := c.Request().URL.Query()
	f := s.getFlow(c, q.Get("state"))
	var out *access.FlowOutcome
	if f != nil && f.Done && oauth.CheckState(&f.Flow, q.Get("state"), s.svc.Clock()) == nil {
		// A repeated callback (reload, back button) shows the first result:
		// a connected flow's from its cookie; any other flow's from the
		// domain, which answers a settled flow with its recorded outcome.
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
// outcome could not record. A flow with an outcome is kept, settled and
// without its PKCE verifier, so that a reload shows the same page: a
// connected one as done (shown from the cookie); a failed or refused one
// (or one signed in as the wrong account) as settled, keeping its link's
// token for "Try again" (the domain tells its outcome again, and its
// record refuses a second exchange). One that never matched this
// browser's flow, or is still pending or abandoned, stays as it is.
func (s *Server) keepFlow(c echo.Context, f *flowState, out *access.FlowOutcome) {
	if out.Unrecorded != nil {
		// The outcome stands and the invitee is shown it; a history event
		// that could not be written is the operator's business.
		s.eventNotStored(c.Request().Context(), "callback", out.Unrecorded)
	}
	if out.Unread != nil {
		s.log.ErrorContext(c.Request().Context(), "callback: the refused link could not be read", "err", out.Unread)
	}
	if f == nil {
		return
	}
	switch {
	case out.Kind == access.FlowConnected:
		f.Done, f.Account, f.Verifier, f.Token = true, out.Account, "", ""
	case out.Kind == access.FlowRefused, out.Kind == access.FlowWrongAccount,
		out.Kind == access.FlowFailed && out.Err.Code != access.EFLOWSTATE:
		f.Settled, f.Verifier = true, ""
	default:
		return
	}
	if err := s.setFlow(c, f); err != nil {
		s.log.ErrorContext(c.Request().Context(), "callback: the flow cookie could not be updated", "err", err)
	}
}
