package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// BenchmarkConsentPage is the consent page served in process, a repeated
// view by one client (the event collapses): its time, allocations and
// statements per view, on the database of DATABASE_URL. The load harness
// (app/internal/bench) measures it against a bare program; this is the
// quick look at allocations, uncompressed like wrk's requests:
//
//	go test -tags benchharness -bench ConsentPage -benchmem -memprofile /tmp/mem.prof ./app/web
//
// (the tag lifts the public per-address limit, as for the harness; without
// it the run stops at the 61st view.)
func BenchmarkConsentPage(b *testing.B) {
	svc, f := newBenchService(b)
	_, path := sandboxConsent(b, svc, f)
	counter := countStatements(b, testutil.DBOf(svc))
	srv := testutil.NewServer(b, svc)
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	consent := srv.URL + path
	if body := get(b, client, consent); !strings.Contains(body, `data-testid="consent`) {
		b.Fatalf("not the consent page:\n%.300s", body)
	}
	b.Run(testutil.Dialect(), func(b *testing.B) {
		b.ReportAllocs()
		before := counter.n.Load()
		for range b.N {
			res, err := client.Get(consent)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body) // so the connection is kept
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Fatalf("status %d", res.StatusCode)
			}
		}
		b.ReportMetric(float64(counter.n.Load()-before)/float64(b.N), "sql/op")
	})
}
