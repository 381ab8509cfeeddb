package testutil

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/jobs"
)

// JobsEnv is a database and a service whose events go to a job engine
// (app/jobs), with the fixture's admin once Seed has run: the common part
// of the jobs and mail harnesses.
type JobsEnv struct {
	T      *testing.T
	Ctx    context.Context
	DB     *gorm.DB
	Clock  *Clock
	Engine *jobs.Engine
	Svc    *access.Service
	F      *Fixture
	M      *access.Membership
	Admin  access.Actor
}

// NewJobsEnv opens a database, builds the engine on it with engine and a
// service on the engine's outbox with opts; the clock starts now.
func NewJobsEnv(t *testing.T, engine func(gdb *gorm.DB) *jobs.Engine, opts ...access.Option) *JobsEnv {
	t.Helper()
	gdb := OpenDB(t)
	e := &JobsEnv{T: t, Ctx: context.Background(), DB: gdb, Clock: NewClock(time.Now().UTC())}
	e.Engine = engine(gdb)
	e.Svc = NewService(t, gdb, e.Clock, append([]access.Option{access.WithOutbox(e.Engine)}, opts...)...)
	return e
}

// ClaimAsClientAds claims the link linkID as invitee with the Google Ads
// account "Client Ads" (acct-1) and accessToken, valid for an hour, and
// returns the account.
func (e *JobsEnv) ClaimAsClientAds(linkID string, invitee access.Actor, accessToken string) *access.AccountSummary {
	e.T.Helper()
	acc, err := e.Svc.ClaimLink(e.Ctx, linkID, invitee, access.Identity{
		SourceKey: "google_ads", ExternalID: "acct-1", DisplayName: "Client Ads", Email: "ads@client.example",
		Scopes: []string{"https://www.googleapis.com/auth/adwords"}, AccessToken: accessToken, Expiry: e.Clock.Now().Add(time.Hour),
	})
	if err != nil {
		e.T.Fatal(err)
	}
	return acc
}

// Seed adds the fixture and makes its admin, a member of Reporting, the
// actor.
func (e *JobsEnv) Seed() {
	e.T.Helper()
	e.F = Seed(e.T, e.Svc)
	e.M = Member(e.T, e.Svc, e.F.Admin.ID, e.F.Reporting.ID)
	e.Admin = access.Actor{UserID: e.F.Admin.ID, Name: e.F.Admin.Name}
}
