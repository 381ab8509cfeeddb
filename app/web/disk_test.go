package web_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/db"
	tu "github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/web"
)

// failWrites makes every write to table fail (as on a full disk) while
// *on is true, whatever statement form the write takes.
func failWrites(t *testing.T, gdb *gorm.DB, table string, on *bool, mu *sync.Mutex) {
	t.Helper()
	fail := func(tx *gorm.DB) {
		mu.Lock()
		defer mu.Unlock()
		sql := strings.ToLower(tx.Statement.SQL.String())
		if *on && (tx.Statement.Table == table || strings.Contains(sql, table)) {
			tx.AddError(errors.New("database or disk is full"))
		}
	}
	cb := gdb.Callback()
	for name, err := range map[string]error{
		"create": cb.Create().Before("gorm:create").Register("test:fail_create_"+table, fail),
		"update": cb.Update().Before("gorm:update").Register("test:fail_update_"+table, fail),
		"raw":    cb.Raw().Before("gorm:raw").Register("test:fail_raw_"+table, fail),
	} {
		if err != nil {
			t.Fatalf("register %s callback: %v", name, err)
		}
	}
}

// TestDiskFull (issue 7 item 16): when the history event of an opened link
// cannot be written, the consent page still renders, the failure is logged
// and counted; and /readyz reports the database unwritable.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	gdb := tu.OpenDB(t)
	svc := tu.NewService(t, gdb, nil)
	f := tu.Seed(t, svc)
	m := tu.Member(t, svc, f.Admin.ID, f.Reporting.ID)
	link, err := svc.GenerateLink(context.Background(), m, access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}, "google_ads")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	full := true
	failWrites(t, gdb, "link_events", &full, &mu)
	failWrites(t, gdb, "write_probe", &full, &mu)

	logs := &tu.LogBuffer{}
	reg := prometheus.NewRegistry()
	base, _ := url.Parse(tu.BaseURL)
	srv := httptest.NewServer(web.New(web.Options{
		Service: svc, Keys: tu.KeysOf(svc), Log: slog.New(slog.NewJSONHandler(logs, nil)), BaseURL: base, Registry: reg,
		Ready: (&db.Readiness{DB: gdb}).Check,
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(link.URL)
	c := srv.Client()

	t.Run("ConsentPageRenders", func(t *testing.T) {
		res, body := tu.Do(t, c, "GET", srv.URL+u.Path, nil)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="start-form"`) {
			t.Fatalf("consent page with the disk full: %d\n%s", res.StatusCode, excerpt(body))
		}
		var n int64
		gdb.Table("link_events").Where("link_id = ? AND type = ?", link.ID, access.EventOpened).Count(&n)
		if n != 0 {
			t.Fatalf("%d opened events stored although writes fail", n)
		}
	})
	t.Run("FailureCounted", func(t *testing.T) {
		got := counterValue(t, reg, "link_event_write_failures_total", access.EventOpened)
		if got != 1 {
			t.Fatalf("link_event_write_failures_total{event=opened} = %v, want 1", got)
		}
	})
	t.Run("FailureLogged", func(t *testing.T) {
		if l := logs.String(); !strings.Contains(l, `"msg":"link event not stored"`) || !strings.Contains(l, `"event":"opened"`) {
			t.Fatalf("no log line for the lost event:\n%s", l)
		}
	})
	t.Run("ReadyzNotWritable", func(t *testing.T) {
		res, body := tu.Do(t, c, "GET", srv.URL+"/readyz", nil)
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "not writable") {
			t.Fatalf("/readyz with the disk full = %d %q, want 503 database not writable", res.StatusCode, body)
		}
	})
	t.Run("EventsStoredAgainAfterwards", func(t *testing.T) {
		mu.Lock()
		full = false
		mu.Unlock()
		if res, _ := tu.Do(t, c, "GET", srv.URL+u.Path, nil); res.StatusCode != http.StatusOK {
			t.Fatalf("consent page: %d", res.StatusCode)
		}
		var n int64
		gdb.Table("link_events").Where("link_id = ? AND type = ?", link.ID, access.EventOpened).Count(&n)
		if n == 0 {
			t.Fatal("the opened event is not stored once the disk has room")
		}
	})
}

// counterValue reads the child of a counter vector in reg with one label value.
func counterValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetValue() == label {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{%q} in the registry", name, label)
	return 0
}
