package access_test

import (
	"context"
	"errors"
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
