package web_test

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// BenchmarkHistory100k serves the admin's link page, the support link page
// and the JSON export of one link with 100,000 events (item 3). The pages
// read one page of 50 events; the export streams. It reports, besides
// time and allocations per request, the bytes sent and the heap in use
// during the requests (sampled every millisecond: the whole process, the
// benchmark's client included). Figures are
// in the report of item 3, not asserted: the machine's speed varies.
func BenchmarkHistory100k(b *testing.B) {
	clock := testutil.NewClock(testNow)
	svc, f := testutil.NewSeeded(b, clock)
	srv := testutil.NewServer(b, svc)
	m := testutil.Member(b, svc, f.Admin.ID, f.Reporting.ID)
	l, err := svc.GenerateLink(context.Background(), m, access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}, "google_ads")
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	insertEvents(b, svc, &l.AccessLink, 100_000, clock.Now().Add(time.Minute))
	b.Logf("100,000 events inserted in %v", time.Since(start).Round(time.Millisecond))
	clock.Advance(48 * time.Hour)
	admin, support := srv.Login(b, f.Admin.Email), srv.Login(b, f.Support.Email)
	for _, bc := range []struct {
		name string
		c    *http.Client
		url  string
	}{
		{"AdminLinkPage", admin, srv.LinksURL(f.Reporting.ID) + "/" + l.ID},
		{"SupportLinkPage", support, srv.URL + supportLinks + "/" + l.ID},
		{"SupportExport", support, srv.URL + supportLinks + "/" + l.ID + "/history.json"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := bc.c
			var sent int64
			runtime.GC()
			peak := samplePeakHeap(b)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				res, err := c.Get(bc.url)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, res.Body) // read as it comes, kept nowhere
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d", res.StatusCode)
				}
				sent = n
			}
			b.StopTimer()
			b.ReportMetric(float64(sent), "bytes-sent")
			b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
		})
	}
}

// samplePeakHeap samples the live heap every millisecond until the returned
// function is called, which stops sampling and returns the highest value.
func samplePeakHeap(tb testing.TB) func() uint64 {
	tb.Helper()
	stop, done := make(chan struct{}), make(chan uint64)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		var peak uint64
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		return <-done
	}
}
