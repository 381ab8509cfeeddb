package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// shooter drives one tab and saves its pictures.
type shooter struct {
	ctx  context.Context
	out  string
	base string
	// The tab's emulated window, as viewport last set it (zero before).
	width, height int64
	mobile        bool
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

// step is a step of a tour that does actions (see do).
func (s *shooter) step(what string, actions ...chromedp.Action[chromedp.Void]) func() error {
	return func() error { return s.do(what, actions...) }
}

// snap is a step of a tour that saves a picture (see shot).
func (s *shooter) snap(name string, full bool) func() error {
	return func() error { return s.shot(name, full) }
}

// runSteps runs a tour's steps in order and stops at the first that fails.
func runSteps(steps []func() error) error {
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// viewport sets the window size; mobile also turns on the mobile meta
// viewport and touch.
func (s *shooter) viewport(width, height int64, mobile bool) error {
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if mobile {
		opts = append(opts, chromedp.EmulateMobile)
	}
	// Two frames drawn after the change: the page is laid out for the new
	// size before the next click or picture.
	frames := chromedp.Evaluate[chromedp.Void](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise)
	if err := s.do("viewport", chromedp.EmulateViewport(width, height, opts...), frames); err != nil {
		return err
	}
	s.width, s.height, s.mobile = width, height, mobile
	return nil
}

// whole captures the whole page: the window made as tall as the page, the
// viewport captured, the window's height set back. Chromium's own capture
// beyond the viewport (chromedp.FullScreenshot) now and then laid the page
// out narrower than the window for it (the consent page at a tablet's
// width in a 1280-pixel picture); a window of the page's height does not.
func (s *shooter) whole(ctx context.Context) ([]byte, error) {
	if s.width == 0 { // no viewport set on this tab: the browser's own
		return chromedp.Run(ctx, chromedp.FullScreenshot(100))
	}
	h, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
	if err != nil {
		return nil, err
	}
	if h > s.height {
		height := s.height
		if err := s.viewport(s.width, h, s.mobile); err != nil {
			return nil, err
		}
		defer s.viewport(s.width, height, s.mobile)
	}
	return chromedp.Run(ctx, chromedp.CaptureScreenshot())
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
		buf, err = s.whole(tctx)
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

// closeDialog presses the open dialog's close button and waits until the
// dialog is gone.
func (s *shooter) closeDialog() error {
	return s.do("close", chromedp.Click(css(`#modal a[data-close-modal].btn`)), chromedp.WaitNotVisible(css(`#modal`)))
}

// openLinks follows the sidebar to the access requests page.
func (s *shooter) openLinks() error {
	return s.do("open the links page",
		chromedp.Click(css(`nav[aria-label="Main"] a[href$="/sources/access-requests"]`)),
		chromedp.WaitVisible(css(`nav[aria-label="Main"] a[aria-current="page"][href$="/sources/access-requests"]`)),
	)
}
