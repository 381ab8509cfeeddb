package access_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

func TestGenerateLink(t *testing.T) {
	ctx := context.Background()
	clock := testutil.NewClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	svc, f := testutil.NewSeeded(t, clock)

	t.Run("OK", func(t *testing.T) {
		m := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
		l, err := svc.GenerateLink(ctx, m, access.Actor{UserID: f.Admin.ID, Name: f.Admin.Name}, "google_ads")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(l.URL, testutil.BaseURL+"/connect/") || len(strings.TrimPrefix(l.URL, testutil.BaseURL+"/connect/")) != 43 {
			t.Fatalf("URL = %q, want base URL + 43-char token", l.URL)
		}
		if want := clock.Now().Add(7 * 24 * time.Hour); !l.ExpiresAt.Equal(want) {
			t.Fatalf("ExpiresAt = %v, want %v", l.ExpiresAt, want)
		}
		page, err := svc.ListLinks(ctx, f.Reporting.ID, access.ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Links) != 1 || page.Links[0].URL != l.URL || page.Links[0].CreatorName != "Adam Admin" || page.Links[0].Status != access.StatusActive {
			t.Fatalf("list = %+v", page.Links)
		}
	})

	t.Run("ErrUnknownSource", func(t *testing.T) {
		m := testutil.Member(t, svc, f.Admin.ID, f.Reporting.ID)
		_, err := svc.GenerateLink(ctx, m, access.Actor{UserID: f.Admin.ID}, "nope")
		if access.ErrorCode(err) != access.EINVALID {
			t.Fatalf("err = %v, want invalid", err)
		}
	})
}
