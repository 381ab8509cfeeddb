package api_test

// Benchmarks of two API routes (docs/benchmarks.md): POST
// /api/v1/accounts/{id}/token with a fresh token, and GET /api/v1/links
// with 10,000 links in the key's workspace; SQL statements and time per
// request, on SQLite and, with DATABASE_URL, PostgreSQL.

import (
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/db"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/secret"
	"github.com/accessrequests/accessrequests/app/web"
	"github.com/accessrequests/accessrequests/models"
)

// benchEnv is an API environment with one connected account, n more links
// in the key's workspace, and a statement counter.
type benchEnv struct {
	*apiEnv
	account    string
	statements atomic.Int64
	http       *http.Client
	// url is a second server on the same service without a rate limit
	// that matters, so the benchmark measures the requests alone.
	url string
}

func newBenchEnv(tb testing.TB, links int) *benchEnv {
	t := tb
	e := &benchEnv{apiEnv: newAPIEnv(t, testutil.FlowOptions{}), http: &http.Client{Timeout: 30 * time.Second}}
	c := e.client(t, e.valid)
	l := must(c.CreateLinkWithResponse(e.ctx, nil, struct {
		Source string `json:"source"`
	}{"sandbox"}))
	if l.JSON201 == nil {
		tb.Fatalf("create: %s", l.Body)
	}
	e.connect(t, *l.JSON201.Url, "sandbox-user-1")
	accs := must(c.ListAccountsWithResponse(e.ctx, nil))
	e.account = accs.JSON200.Data[0].Id
	e.insertLinks(tb, links)
	e.url = testutil.NewServer(tb, e.Svc, func(o *web.Options) { o.APIRateLimit = 1 << 30 }).URL
	testutil.AfterStatements(tb, e.DB, "bench:count", true, func(tx *gorm.DB) {
		if !tx.DryRun && tx.Statement.SQL.Len() > 0 {
			e.statements.Add(1)
		}
	})
	return e
}

// insertLinks adds n links to the key's workspace as GenerateLink writes
// them (hashed, sealed token), over the 30 days before the clock.
func (e *benchEnv) insertLinks(tb testing.TB, n int) {
	keys := testutil.KeysOf(e.Svc)
	now := e.Svc.Clock()
	rows := make([]models.AccessLink, n)
	for i := range rows {
		id, token := access.NewID(), secret.RandomToken(32)
		sealed, err := keys.Seal(token, "access_links/"+id+"/token")
		if err != nil {
			tb.Fatal(err)
		}
		created := now.Add(-time.Duration(i+1) * 30 * 24 * time.Hour / time.Duration(n+1))
		rows[i] = models.AccessLink{ID: id, WorkspaceID: e.F.Reporting.ID, SourceKey: "sandbox", TokenHash: secret.HashToken(token),
			TokenSealed: sealed, CreatedBy: &e.F.Admin.ID, CreatedAt: created, ExpiresAt: created.Add(access.LinkLifetime)}
	}
	batch := 100
	if db.Dialect(e.DB) == db.Postgres {
		batch = 1000
	}
	if err := e.DB.Transaction(func(tx *gorm.DB) error { return tx.CreateInBatches(&rows, batch).Error }); err != nil {
		tb.Fatal(err)
	}
	if db.Dialect(e.DB) == db.Postgres {
		e.DB.Exec("ANALYZE access_links")
	}
}

// do sends one request with the valid key and returns its status and the
// number of SQL statements it cost.
func (e *benchEnv) do(tb testing.TB, method, path string) (int, int64) {
	req, _ := http.NewRequest(method, e.url+"/api/v1"+path, nil)
	req.Header.Set("Authorization", "Bearer "+e.valid)
	before := e.statements.Load()
	res, err := e.http.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, e.statements.Load() - before
}

// apiRequests are the two benchmarked requests and the statements each
// may cost: the key (1) and its workspace (1), then the route's own.
var apiRequests = []struct {
	name, method, path string
	statements         int64
}{
	{"Token", http.MethodPost, "/accounts/{account}/token", 4}, // + the account's tokens, then its expiry and scopes
	{"Links", http.MethodGet, "/links?limit=50", 3},            // + one page of links with their creators
	{"LinksFiltered", http.MethodGet, "/links?status=active&source=sandbox&limit=50", 3},
}

func (e *benchEnv) path(p string) string {
	if p == "/accounts/{account}/token" {
		return "/accounts/" + e.account + "/token"
	}
	return p
}

// TestAPIStatements: each request costs a fixed number of statements,
// whatever the number of links (10 here, 10,000 in the benchmark).
func TestAPIStatements(t *testing.T) {
	t.Parallel()
	e := newBenchEnv(t, 10)
	for _, r := range apiRequests {
		e.do(t, r.method, e.path(r.path)) // the key's first use is recorded once
		status, n := e.do(t, r.method, e.path(r.path))
		if status != 200 || n != r.statements {
			t.Errorf("%s: status %d, %d statements; want 200, %d", r.name, status, n, r.statements)
		}
	}
}

func BenchmarkAPI(b *testing.B) {
	e := newBenchEnv(b, 10_000)
	for _, r := range apiRequests {
		b.Run(r.name, func(b *testing.B) {
			path := e.path(r.path)
			e.do(b, r.method, path)
			var statements int64
			b.ResetTimer()
			for b.Loop() {
				status, n := e.do(b, r.method, path)
				if status != http.StatusOK {
					b.Fatalf("status %d", status)
				}
				statements += n
			}
			b.ReportMetric(float64(statements)/float64(b.N), "sql/op")
		})
	}
}
