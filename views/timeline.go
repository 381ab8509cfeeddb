package views

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
)

// TimelineItem is one entry of a link's history as HistoryTimeline shows
// it: a recorded event, or the derived expiry.
type TimelineItem struct {
	Type      string // the event type, or "expired"
	Icon      string // EventIcon, or "expired"
	Title     string // what happened (EventSentence)
	Actor     string // who did it, read after "by"; empty when nobody is named
	Summary   string
	IP        string
	UserAgent string
	At        time.Time
	// Count is how many times the event happened from this client, and
	// LastAt when it last did; shown when Count > 1.
	Count  int
	LastAt time.Time
}

// TypeExpired is the data-type of the derived "Expired on" entry.
const TypeExpired = "expired"

// TimelineItems is one page of a link's history, newest first, with the
// link's expiry (not an event: it comes from expires_at) on the page whose
// time range holds it.
func TimelineItems(h *access.EventPage, l *access.Link, now time.Time, lifetime time.Duration) []TimelineItem {
	if h == nil {
		return nil
	}
	events := h.Events
	out := make([]TimelineItem, 0, len(events)+1)
	for i := range events {
		e := &events[i]
		what, who := EventSentence(e)
		summary := EventSummary(e)
		if e.Type == access.EventEmailed {
			summary = "" // the sentence names the recipient already
		}
		out = append(out, TimelineItem{
			Type: e.Type, Icon: EventIcon(e), Title: what, Actor: who, Summary: summary,
			IP: e.IP, UserAgent: e.UserAgent, At: e.CreatedAt, Count: e.Times(), LastAt: e.LastSeen(),
		})
	}
	if l != nil {
		if at, ok := access.ExpiredOn(&l.AccessLink, now); ok && onPage(h, at) && !retiredByRenewal(events, l, at) {
			out = append(out, TimelineItem{
				Type: TypeExpired, Icon: TypeExpired, Title: adminText("TimelineExpired", "Date", DateTime(at)),
				Summary: adminText("TimelineExpiredSummary", "Days", Days(lifetime)), At: at, Count: 1,
			})
		}
	}
	// Events come newest first; the expiry goes before everything that
	// happened before it.
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out
}

// retiredByRenewal reports whether the link's expiry at is its renewal's
// moment (Renew expires the old link then): the renewed event tells it, and
// "not used within 7 days" would not be true.
func retiredByRenewal(events []access.Event, l *access.Link, at time.Time) bool {
	if l.RenewedToID == nil {
		return false
	}
	for i := range events {
		if e := &events[i]; e.Type == access.EventRenewed && !e.CreatedAt.Before(at) && e.CreatedAt.Sub(at) < time.Second {
			return true
		}
	}
	return false
}

// onPage reports whether time at falls in the page's range: below the
// previous page's last event, and at or above this page's last event unless
// this page is the last one.
func onPage(h *access.EventPage, at time.Time) bool {
	if !h.First() && !at.Before(h.Before) {
		return false
	}
	if h.NextCursor != "" && len(h.Events) > 0 && at.Before(h.Events[len(h.Events)-1].CreatedAt) {
		return false
	}
	return true
}

// Times writes a count in words: "twice", "1,000 times".
func Times(n int) string {
	switch n {
	case 1:
		return adminText("TimelineOnce")
	case 2:
		return adminText("TimelineTwice")
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return adminCount("TimelineTimes", n, "Number", s)
}

// timelineTone is the colour of an entry's icon.
func timelineTone(icon string) string {
	switch icon {
	case "add":
		return "bg-brand-50 text-brand-600 ring-brand-100"
	case "start":
		return "bg-sky-50 text-sky-600 ring-sky-100"
	case "error", "refuse":
		return "bg-red-50 text-red-600 ring-red-100"
	case "decline", TypeExpired:
		return "bg-amber-50 text-amber-600 ring-amber-100"
	case "connect":
		return "bg-emerald-50 text-emerald-600 ring-emerald-100"
	case "delete":
		return "bg-slate-100 text-slate-600 ring-slate-200"
	case "support":
		return "bg-violet-50 text-violet-600 ring-violet-100"
	}
	return "bg-slate-50 text-slate-500 ring-slate-200"
}

// ShortUA names the browser and system of a user agent in a few words
// ("Chrome 126 on macOS"), or shortens it when it is not recognised. The
// full string goes in a title attribute.
func ShortUA(ua string) string {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return ""
	}
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"}, {"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"CriOS/", "Chrome"}, {"FxiOS/", "Firefox"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"},
	} {
		if v, ok := uaVersion(ua, b.token); ok {
			browser = b.name + " " + v
			break
		}
	}
	if browser == "" && strings.Contains(ua, "Safari/") {
		browser = "Safari"
		if v, ok := uaVersion(ua, "Version/"); ok {
			browser += " " + v
		}
	}
	system := ""
	switch {
	case strings.Contains(ua, "iPhone"):
		system = "iPhone"
	case strings.Contains(ua, "iPad"):
		system = "iPad"
	case strings.Contains(ua, "Android"):
		system = "Android"
	case strings.Contains(ua, "Windows"):
		system = "Windows"
	case strings.Contains(ua, "Mac OS X"), strings.Contains(ua, "Macintosh"):
		system = "macOS"
	case strings.Contains(ua, "CrOS"):
		system = "ChromeOS"
	case strings.Contains(ua, "Linux"):
		system = "Linux"
	}
	switch {
	case browser != "" && system != "":
		return adminText("TimelineAgent", "Browser", browser, "System", system)
	case browser != "":
		return browser
	}
	// Tools and unknown agents: the product token, shortened.
	first := strings.Fields(ua)[0]
	if len(first) > 40 {
		first = first[:40] + "…"
	}
	if system != "" {
		return adminText("TimelineAgent", "Browser", first, "System", system)
	}
	return first
}

// uaVersion finds token in ua and returns the major version after it.
func uaVersion(ua, token string) (string, bool) {
	i := strings.Index(ua, token)
	if i < 0 {
		return "", false
	}
	v := ua[i+len(token):]
	if j := strings.IndexAny(v, ". ;)"); j >= 0 {
		v = v[:j]
	}
	return v, true
}
