package views

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/views/locale"
)

// TestInviteeHeadAndTimeMarkup pins the bytes of the invitee's head and
// of a local time, written in Go for speed where templ wrote them before:
// the same markup, everything from the request escaped.
func TestInviteeHeadAndTimeMarkup(t *testing.T) {
	ctx := locale.With(context.Background(), locale.Supported[0], true)
	var head strings.Builder
	if err := publicHead(`Connect "A" & <B>`).Render(ctx, &head); err != nil {
		t.Fatal(err)
	}
	want := `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">` +
		`<title>Connect &#34;A&#34; &amp; &lt;B&gt; · Access requests</title><link rel="stylesheet" href="` + Asset("invitee.css") +
		`"><link rel="icon" href="` + Asset("logos/generic.svg") + `"></head>`
	if head.String() != want {
		t.Errorf("head:\n%s\nwant\n%s", head.String(), want)
	}
	var tm strings.Builder
	at := time.Date(2026, 12, 8, 11, 59, 0, 0, time.UTC)
	if err := localTime(at, `x"y`).Render(ctx, &tm); err != nil {
		t.Fatal(err)
	}
	want = `<time datetime="2026-12-08T11:59:00Z" class="font-medium text-slate-900" data-testid="x&#34;y" data-local>Dec 8, 2026, 11:59 UTC</time>`
	if tm.String() != want {
		t.Errorf("time:\n%s\nwant\n%s", tm.String(), want)
	}
}
