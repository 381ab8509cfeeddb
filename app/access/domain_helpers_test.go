package access_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/models"
)

// domainEnv is one test's database, service, clock and fixture. Its helpers
// fail the test on unexpected errors so the tests read as the behaviour they
// check.
type domainEnv struct {
	t     *testing.T
	ctx   context.Context
	clock *testutil.Clock
	svc   *access.Service
	f     *testutil.Fixture
}

// domainStart is the clock's start in domain tests.
var domainStart = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func newDomainEnv(t *testing.T) *domainEnv {
	t.Helper()
	clock := testutil.NewClock(domainStart)
	svc := testutil.NewService(t, testutil.OpenDB(t), clock)
	return &domainEnv{t: t, ctx: context.Background(), clock: clock, svc: svc, f: testutil.Seed(t, svc)}
}

// newAdminEnv is newDomainEnv with the membership most tests act with:
// the Client reporting workspace's admin's.
func newAdminEnv(t *testing.T) (*domainEnv, *access.Membership) {
	t.Helper()
	e := newDomainEnv(t)
	return e, e.member(e.f.Admin, e.f.Reporting)
}

// actor is u acting from a fixed address and browser.
func (e *domainEnv) actor(u models.User) access.Actor {
	return access.Actor{UserID: u.ID, Name: u.Name, IP: "203.0.113.7", UserAgent: "TestBrowser/1.0"}
}

func (e *domainEnv) member(u models.User, ws models.Workspace) *access.Membership {
	e.t.Helper()
	return testutil.Member(e.t, e.svc, u.ID, ws.ID)
}

// generate makes a link as u in ws for source.
func (e *domainEnv) generate(u models.User, ws models.Workspace, source string) *access.Link {
	e.t.Helper()
	l, err := e.svc.GenerateLink(e.ctx, e.member(u, ws), e.actor(u), source)
	if err != nil {
		e.t.Fatalf("generate as %s: %v", u.Email, err)
	}
	return l
}

// generateWith makes the link nl as u with the membership m, failing t if
// it cannot.
func (e *domainEnv) generateWith(t *testing.T, m *access.Membership, u models.User, nl access.NewLink) *access.Link {
	t.Helper()
	l, err := e.svc.GenerateLinkWith(e.ctx, m, e.actor(u), nl)
	if err != nil {
		t.Fatalf("generate %+v as %s: %v", nl, u.Email, err)
	}
	return l
}

// row reads a link's row as stored.
func (e *domainEnv) row(id string) models.AccessLink {
	e.t.Helper()
	var l models.AccessLink
	if err := e.svc.DB().Where("id = ?", id).Take(&l).Error; err != nil {
		e.t.Fatalf("read link %s: %v", id, err)
	}
	return l
}

func (e *domainEnv) setUsed(id string, at time.Time) {
	e.t.Helper()
	if err := e.svc.DB().Model(&models.AccessLink{}).Where("id = ?", id).Update("used_at", at.UTC()).Error; err != nil {
		e.t.Fatal(err)
	}
}

func (e *domainEnv) list(ws models.Workspace, f access.ListFilter) *access.LinkPage {
	e.t.Helper()
	page, err := e.svc.ListLinks(e.ctx, ws.ID, f)
	if err != nil {
		e.t.Fatalf("list %+v: %v", f, err)
	}
	return page
}

// rowByID reads the row of T whose id is id, failing the test if there is
// none.
func rowByID[T any](e *domainEnv, id string) T {
	e.t.Helper()
	var row T
	if err := e.svc.DB().Where("id = ?", id).Take(&row).Error; err != nil {
		e.t.Fatal(err)
	}
	return row
}

// newestFirst lists the IDs of rows in the order of the app's lists:
// newest first by creation time, then by ID descending. key gives a row's
// creation time and ID.
func newestFirst[T any](rows []T, key func(T) (time.Time, string)) []string {
	sorted := slices.Clone(rows)
	slices.SortFunc(sorted, func(a, b T) int {
		at, aid := key(a)
		bt, bid := key(b)
		if c := bt.Compare(at); c != 0 {
			return c
		}
		return strings.Compare(bid, aid)
	})
	return testutil.Map(sorted, func(r T) string { _, id := key(r); return id })
}

// ids lists the IDs of a page's links in order.
func ids(links []access.Link) []string {
	return testutil.Map(links, func(l access.Link) string { return l.ID })
}

func (e *domainEnv) events(linkID string) []access.Event {
	e.t.Helper()
	ev, err := e.svc.Events(e.ctx, linkID)
	if err != nil {
		e.t.Fatal(err)
	}
	return ev
}

func (e *domainEnv) count(model any, where string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.svc.DB().Model(model).Where(where, args...).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// race runs do n times at once (i is the run's number) and returns how
// many runs succeeded; any error but the conflict a losing run gets fails
// t, naming what the runs were.
func race(t *testing.T, n int, what string, do func(i int) error) int {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = do(i)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case access.ErrorCode(err) != access.ECONFLICT:
			t.Errorf("a losing %s: %v, want conflict", what, err)
		}
	}
	return ok
}

// assertCode fails unless err is a domain error with code.
func assertCode(t *testing.T, err error, code string) *access.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %s", code)
	}
	if got := access.ErrorCode(err); got != code {
		t.Fatalf("err = %v (code %s), want code %s", err, got, code)
	}
	var de *access.Error
	if !errors.As(err, &de) {
		t.Fatalf("err = %T, want *access.Error", err)
	}
	return de
}
