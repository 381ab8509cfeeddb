// Package browser starts headless Chromium for the screenshot tool and the
// end-to-end tests, and records what the page reports as a problem: console
// errors, uncaught exceptions, browser log errors and Content-Security-Policy
// violations.
package browser

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ExecPath is where Debian installs Chromium.
const ExecPath = "/usr/bin/chromium"

// Available reports whether Chromium is installed at ExecPath.
func Available() bool {
	_, err := os.Stat(ExecPath)
	return err == nil
}

// NewAllocator returns a context that starts a fresh headless Chromium with
// its own profile in userDataDir. Cancel it to stop the browser.
func NewAllocator(parent context.Context, userDataDir string) (context.Context, context.CancelFunc) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ExecPath),
		chromedp.UserDataDir(userDataDir),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.WindowSize(1280, 800),
	)
	return chromedp.NewExecAllocator(parent, opts...)
}

// Problems collects what a page reported as wrong. It is safe for
// concurrent use.
type Problems struct {
	mu   sync.Mutex
	list []string
}

// Listener is the func to give chromedp.WithListener, so that the events of
// the tab are seen from its start.
func (p *Problems) Listener(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				if a.Description != "" {
					parts = append(parts, a.Description)
				} else {
					parts = append(parts, strings.Trim(string(a.Value), `"`))
				}
			}
			p.add("console.%s: %s", ev.Type, strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		p.add("exception: %s (%s:%d)", text, d.URL, d.LineNumber+1)
	case *log.EventEntryAdded:
		e := ev.Entry
		// CSP violations arrive as errors of the "security" source, failed
		// requests (4xx/5xx, blocked resources) as errors of "network".
		if e.Level == log.EntryLevelError {
			p.add("log %s/%s: %s %s", e.Source, e.Level, e.Text, e.URL)
		}
	}
}

func (p *Problems) add(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

// List returns the problems seen so far.
func (p *Problems) List() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.list...)
}

// cspRecorder keeps every securitypolicyviolation event of the page in
// window.__cspViolations. It runs as a DevTools script, which the page's CSP
// does not apply to, so it sees violations the log may report late.
const cspRecorder = `window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});`

// RecordCSP installs the CSP violation recorder in every document the tab
// loads from now on.
func RecordCSP() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder})
		return err
	})
}

// CSPViolations returns the violations the current document recorded.
func CSPViolations(ctx context.Context) ([]string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__cspViolations || []`))
}

// WaitTrue evaluates expression every 50ms until it is true or the context
// ends. Unlike chromedp.Poll it builds no function inside the page, so it
// works under a CSP without 'unsafe-eval'.
func WaitTrue(expression string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			ok, err := chromedp.Evaluate[bool](expression)(ctx, t)
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w", expression, ctx.Err())
			case <-tick.C:
			}
		}
	})
}

// ReduceMotion makes the page prefer reduced motion, which the app's CSS
// honours by finishing animations and transitions at once: screenshots
// and assertions then see final states.
func ReduceMotion() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
		})
		return err
	})
}
