package views

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/sources"
	"github.com/accessrequests/accessrequests/views/locale"
)

// The invitee's pages other than consent. Handlers pass what happened,
// typed (a link's status, a flow's outcome); every sentence the invitee
// reads is chosen here, in the request's language (views/locale).

// TooManyRequestsPage is the page of a client over the public routes' rate.
func TooManyRequestsPage() templ.Component {
	return withLocale(func(l *locale.Locale) templ.Component {
		return inviteeMessagePage(inviteeMessage{Kind: "error", Title: l.T("TooManyTitle"), Body: l.T("TooManyBody")})
	})
}

// SourceUnavailablePage is the page of a link whose source cannot be
// connected at the moment (not configured, or gone from the catalog).
func SourceUnavailablePage() templ.Component {
	return withLocale(func(l *locale.Locale) templ.Component {
		return inviteeMessagePage(inviteeMessage{Kind: "error", Title: l.T("SourceUnavailableTitle"), Body: l.T("SourceUnavailableBody")})
	})
}

// LinkUnavailablePage is the page of a link that cannot be used: st is
// StatusUsed, StatusExpired, or anything else for a link that is unknown or
// deleted (the two look the same). l, when the link is known, names its
// creator and the account connected through it.
func LinkUnavailablePage(st access.Status, l *access.PublicLink, src *sources.Source) templ.Component {
	return withLocale(func(loc *locale.Locale) templ.Component {
		return inviteeMessagePage(linkUnavailable(loc, st, l, src))
	})
}

func linkUnavailable(loc *locale.Locale, st access.Status, l *access.PublicLink, src *sources.Source) inviteeMessage {
	switch st {
	case access.StatusUsed:
		m := inviteeMessage{Kind: "used", Title: loc.T("UsedTitle"), Source: src, Body: loc.T("UsedBody")}
		if l != nil {
			m.Account = l.AccountLabel
		}
		return m
	case access.StatusExpired:
		m := inviteeMessage{Kind: "expired", Title: loc.T("ExpiredTitle"), Source: src, Body: loc.N("ExpiredBody", lifetimeDays())}
		switch {
		case l != nil && l.RenewedToID != nil: // renewing retired it: a newer link is out there
			m.Title, m.Body = loc.T("ReplacedTitle"), loc.T("ReplacedBody", "Requester", requesterName(l))
		case l != nil:
			m.Body = expiredBody(loc, l)
		}
		return m
	}
	return inviteeMessage{Kind: "unknown", Title: loc.T("UnknownTitle"), Body: loc.T("UnknownBody")}
}

// requesterName is who asks for access: the person who made the link (or
// its API key), else the organization.
func requesterName(l *access.PublicLink) string {
	if l.CreatorName != "" {
		return l.CreatorName
	}
	return l.OrganizationName
}

// expiredBody says how long this link worked, its own lifetime (1 hour to
// 30 days, in days when it is whole days), and whom to ask for a new one.
func expiredBody(loc *locale.Locale, l *access.PublicLink) string {
	hours := int(l.ExpiresAt.Sub(l.CreatedAt).Round(time.Hour) / time.Hour)
	if hours >= 24 && hours%24 == 0 {
		return loc.N("ExpiredBodyBy", hours/24, "Requester", requesterName(l))
	}
	return loc.N("ExpiredBodyByHours", max(hours, 1), "Requester", requesterName(l))
}

// lifetimeDays is access.LinkLifetime in whole days.
func lifetimeDays() int { return int(access.LinkLifetime.Hours() / 24) }

// DeclinedPage thanks an invitee who declined the request of l.
func DeclinedPage(l *access.PublicLink, src *sources.Source) templ.Component {
	return withLocale(func(loc *locale.Locale) templ.Component {
		return inviteeMessagePage(inviteeMessage{Kind: "declined", Title: loc.T("DeclinedTitle"), Source: src,
			Body: loc.T("DeclinedBody", "Requester", requesterName(l))})
	})
}

// FlowView is the invitee's page after a provider's callback.
type FlowView struct {
	Outcome *access.FlowOutcome
	// Source is the flow's source; nil when the browser had no flow.
	Source *sources.Source
	// ConsentURL is the link's consent page, where "Try again" starts a new
	// flow; empty when the browser no longer has the link.
	ConsentURL string
	// CallbackURL is this callback, which "Check again" reloads.
	CallbackURL string
}

// FlowPage renders a flow's outcome.
func FlowPage(v FlowView) templ.Component {
	return withLocale(func(l *locale.Locale) templ.Component {
		return inviteeMessagePage(v.message(l))
	})
}

func (v FlowView) message(l *locale.Locale) inviteeMessage {
	out, src := v.Outcome, v.Source
	switch out.Kind {
	case access.FlowConnected:
		m := inviteeMessage{Kind: "success", Title: l.T("ConnectedTitle"), Source: src, Account: out.Account, Body: l.T("ConnectedBody")}
		if src != nil {
			m.Body = l.T("ConnectedBodySource", "Source", src.Name)
		}
		return m
	case access.FlowRefused:
		return linkUnavailable(l, out.LinkStatus, out.Link, src)
	case access.FlowPending:
		return inviteeMessage{Kind: "pending", Source: src, Title: l.T("PendingTitle"), RetryURL: v.CallbackURL, Body: l.T("PendingBody")}
	case access.FlowWrongAccount:
		// The link still works: "Try again" opens its consent page.
		return inviteeMessage{Kind: "error", Source: src, RetryURL: v.ConsentURL, ErrorCode: access.ReasonWrongAccount,
			Title: l.T("WrongAccountTitle"), Body: l.T("WrongAccountBody", "SignedIn", out.SignedInAs, "Account", out.Account)}
	case access.FlowAbandoned:
		m := inviteeMessage{Kind: "abandoned", Source: src, Title: l.T("AbandonedTitle"), RetryURL: v.ConsentURL, Body: l.T("AbandonedBody")}
		if v.ConsentURL == "" {
			m.Body = l.T("AbandonedBodyNoLink")
		}
		return m
	}
	return v.failed(l)
}

// stateReasons are the sentences of a callback that is not this browser's
// flow, by the reason code app/oauth gives.
var stateReasons = map[string]string{
	"missing_state":   "StateMissing",
	"state_mismatch":  "StateMismatch",
	"flow_expired":    "StateExpired",
	"issuer_mismatch": "StateIssuer",
	"shop_mismatch":   "StateShop",
	"invalid_hmac":    "StateSignature",
}

// missingScopes are the scope names a scopes_missing failure lists. The
// flow keeps only app/oauth's English sentence, "Some permissions were not
// granted: a, b", so the names are read from its end; the sentence the
// invitee reads is the catalog's.
func missingScopes(e *access.Error) string {
	if i := strings.LastIndex(e.Message, ": "); i >= 0 {
		return e.Message[i+2:]
	}
	return e.Message
}

// failed is the page of a failed step, with "Try again": the link stays
// usable.
func (v FlowView) failed(l *locale.Locale) inviteeMessage {
	e := v.Outcome.Err
	m := inviteeMessage{Kind: "error", Source: v.Source, RetryURL: v.ConsentURL, ErrorCode: e.Reason}
	switch e.Code {
	case access.EFLOWSTATE:
		reason, ok := stateReasons[e.Reason]
		if !ok {
			reason = "StateMismatch"
		}
		m.Title = l.T("StateTitle")
		m.Body = l.T("StateBody", "Reason", l.T(reason))
	case access.EPROVIDER:
		if e.Reason == "access_denied" {
			m.Title, m.Body = l.T("DeniedTitle"), l.T("DeniedBody")
		} else {
			m.Title, m.Body = l.T("ProviderTitle"), l.T("ProviderBody")
		}
		// Shown as reported: it came back through the browser, not from
		// the provider to us.
		m.Reported = e.Message
	case access.ENOTSTORED:
		m.Title, m.Body = l.T("NotStoredTitle"), l.T("NotStoredBody")
	case access.ESCOPES:
		m.Title, m.Body = l.T("ScopesMissingTitle"), l.T("ScopesMissingBody", "Missing", missingScopes(e))
	case access.ETOKEN:
		m.Title, m.Body = l.T("NotStoredTitle"), l.T("FailedBody")
		if e.Reason == "unreachable" { // app/oauth: no answer at all (DNS, refused, TLS)
			m.Body = l.T("UnreachableBody")
		}
	default:
		m.Title, m.Body = l.T("NotStoredTitle"), l.T("FailedBody")
	}
	return m
}

// testidText is words marked for tests inside a sentence:
// <span data-testid="...">text</span>. It and strongText are Go, not templ:
// a sentence of the consent page holds several, and as templ components
// they cost about six allocations each (TestInlineTextMarkup pins the
// markup).
func testidText(testid, text string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		return writeAll(w, `<span data-testid="`, templ.EscapeString(testid), `">`, templ.EscapeString(text), `</span>`)
	})
}

// strongText is words in bold inside a sentence, marked for tests when
// testid is not "".
func strongText(testid, text string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		if testid == "" {
			return writeAll(w, `<strong class="font-semibold text-slate-900">`, templ.EscapeString(text), `</strong>`)
		}
		return writeAll(w, `<strong class="font-semibold text-slate-900" data-testid="`, templ.EscapeString(testid), `">`, templ.EscapeString(text), `</strong>`)
	})
}

// nameText is a person-entered name inside a sentence (an organization,
// a workspace, a person): its own bidi isolate, <bdi>, so that a name
// stored before names were cleaned (access.CleanName) cannot reorder the
// words around it; marked for tests when testid is not "".
func nameText(testid, name string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		if testid == "" {
			return writeAll(w, `<bdi>`, templ.EscapeString(name), `</bdi>`)
		}
		return writeAll(w, `<bdi data-testid="`, templ.EscapeString(testid), `">`, templ.EscapeString(name), `</bdi>`)
	})
}

// strongName is a name in bold inside a sentence, isolated as nameText.
func strongName(testid, name string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		if testid == "" {
			return writeAll(w, `<strong class="font-semibold text-slate-900"><bdi>`, templ.EscapeString(name), `</bdi></strong>`)
		}
		return writeAll(w, `<strong class="font-semibold text-slate-900" data-testid="`, templ.EscapeString(testid), `"><bdi>`, templ.EscapeString(name), `</bdi></strong>`)
	})
}

// writeAll writes parts to w in order.
func writeAll(w io.Writer, parts ...string) error {
	for _, p := range parts {
		if _, err := io.WriteString(w, p); err != nil {
			return err
		}
	}
	return nil
}

// consentScope is one permission of the consent page, with its badge: Read
// & write, Read only, or, for keeping access while the owner is away (not
// a kind of data), Stays connected. Go, not templ: a consent page lists
// every scope of its source, and as a templ component each cost about ten
// allocations (TestConsentScopeMarkup pins the markup).
func consentScope(src *sources.Source, sc sources.Scope) scopeItem {
	return scopeItem{src: src, sc: sc}
}

// scopeItem is a value, not a closure: @consentScope(...) allocates
// nothing of its own.
type scopeItem struct {
	src *sources.Source
	sc  sources.Scope
}

// Render writes the permission's list item.
func (s scopeItem) Render(ctx context.Context, w io.Writer) error {
	l, sc := locale.From(ctx), &s.sc
	title, description := l.Scope(s.src, *sc)
	badge, badgeText := `<span class="badge badge-green shrink-0">`, l.T("BadgeReadOnly")
	if sc.Access == "write" {
		badge, badgeText = `<span class="badge badge-amber shrink-0">`, l.T("BadgeReadWrite")
	} else if sc.KeepsAccess() {
		badge, badgeText = `<span class="badge badge-blue shrink-0" data-testid="badge-keeps-access">`, l.T("BadgeKeepsAccess")
	}
	if err := writeAll(w, `<li class="py-3.5 sm:px-4" data-testid="consent-scope" data-scope="`, templ.EscapeString(sc.Name),
		`"><div class="flex items-start justify-between gap-3"><p class="text-[0.9375rem] font-medium leading-snug text-slate-900">`,
		templ.EscapeString(title), `</p>`, badge, templ.EscapeString(badgeText), `</span></div>`); err != nil {
		return err
	}
	if description != "" {
		if err := writeAll(w, `<p class="mt-1 text-sm leading-relaxed text-slate-600">`, templ.EscapeString(description), `</p>`); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, `</li>`)
	return err
}

// text is words written as templ writes { s }: escaped. As @text(s) it
// is rendered without the two allocations of templ's { s } (fmt.Sprint in
// templ.JoinStringErrs); the consent page has about fifteen.
type text string

// Render writes t escaped.
func (t text) Render(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, templ.EscapeString(string(t)))
	return err
}

// publicHead is the head of the invitee's pages: their own small CSS
// (static/invitee.css, built only from the invitee's templates), no htmx and
// no app script (issue 12, item 5: the consent page and all its files in at
// most 20 KB compressed, TestInviteePageWeight). Go rather than templ, for
// the allocations (a component, its context and four expressions); the
// bytes are those the template wrote (TestInviteeHeadAndTimeMarkup).
func publicHead(title string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return writeAll(w, `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><title>`,
			templ.EscapeString(title), ` · `, templ.EscapeString(tr(ctx, "Brand")),
			`</title><link rel="stylesheet" href="`, templ.EscapeString(Asset("invitee.css")),
			`"><link rel="icon" href="`, templ.EscapeString(Asset("logos/generic.svg")), `"></head>`)
	})
}

// localTime is a time in UTC in the page's language, rewritten into the
// reader's own time zone by js/localtime.js where scripts run.
func localTime(t time.Time, testid string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return writeAll(w, `<time datetime="`, templ.EscapeString(ISO(t)), `" class="font-medium text-slate-900" data-testid="`,
			templ.EscapeString(testid), `" data-local>`, templ.EscapeString(locale.From(ctx).DateTime(t)), `</time>`)
	})
}
