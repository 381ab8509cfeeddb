package access_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/models"
)

// deletedEvents counts the "deleted" events of a link.
func (e *domainEnv) deletedEvents(linkID string) int64 {
	e.t.Helper()
	return e.count(&models.LinkEvent{}, "link_id = ? AND type = ?", linkID, access.EventDeleted)
}

func TestDeleteLinks(t *testing.T) {
	t.Parallel()
	e, admin := newAdminEnv(t)
	a := e.generate(e.f.Admin, e.f.Reporting, "google_ads")
	b := e.generate(e.f.Owner, e.f.Reporting, "sandbox")
	c := e.generate(e.f.Admin, e.f.Reporting, "sandbox")
	keep := e.generate(e.f.Admin, e.f.Reporting, "sandbox")
	foreign := e.generate(e.f.OtherAdmin, e.f.Internal, "sandbox")

	t.Run("ErrOtherWorkspace", func(t *testing.T) {
		_, err := e.svc.DeleteLinks(e.ctx, admin, e.actor(e.f.Admin), []string{a.ID, foreign.ID})
		assertCode(t, err, access.ENOTFOUND)
		for _, id := range []string{a.ID, foreign.ID} {
			if r := e.row(id); r.DeletedAt != nil {
				t.Fatalf("%s deleted although the request was refused", id)
			}
		}
		_, err = e.svc.SelectedLinks(e.ctx, admin, []string{a.ID, foreign.ID})
		assertCode(t, err, access.ENOTFOUND)
	})

	t.Run("ErrNotManager", func(t *testing.T) {
		_, err := e.svc.DeleteLinks(e.ctx, e.member(e.f.Member, e.f.Reporting), e.actor(e.f.Member), []string{a.ID})
		assertCode(t, err, access.EFORBIDDEN)
		_, err = e.svc.SelectedLinks(e.ctx, e.member(e.f.Member, e.f.Reporting), []string{a.ID})
		assertCode(t, err, access.EFORBIDDEN)
		if _, _, err := e.svc.DeleteExpired(e.ctx, e.member(e.f.Member, e.f.Reporting), e.actor(e.f.Member)); access.ErrorCode(err) != access.EFORBIDDEN {
			t.Fatalf("DeleteExpired as editor: %v", err)
		}
		if r := e.row(a.ID); r.DeletedAt != nil {
			t.Fatal("deleted by an editor")
		}
	})

	t.Run("ErrBadInput", func(t *testing.T) {
		_, err := e.svc.DeleteLinks(e.ctx, admin, e.actor(e.f.Admin), nil)
		if de := assertCode(t, err, access.EINVALID); de.Reason != access.ReasonBulkNoneSelected {
			t.Errorf("reason %q, want %q (the page words it)", de.Reason, access.ReasonBulkNoneSelected)
		}
		_, err = e.svc.DeleteLinks(e.ctx, admin, e.actor(e.f.Admin), []string{a.ID, "not-an-id"})
		assertCode(t, err, access.ENOTFOUND)
		many := make([]string, access.BulkDeleteLimit+1)
		for i := range many {
			many[i] = access.NewID()
		}
		de := assertCode(t, func() error { _, err := e.svc.DeleteLinks(e.ctx, admin, e.actor(e.f.Admin), many); return err }(), access.EINVALID)
		if !strings.Contains(de.Message, "at most 100") || de.Reason != access.ReasonBulkTooMany || de.Params["count"] != "101" {
			t.Fatalf("message %q, reason %q %v", de.Message, de.Reason, de.Params)
		}
	})

	t.Run("OK", func(t *testing.T) {
		sel, err := e.svc.SelectedLinks(e.ctx, admin, []string{a.ID, b.ID, c.ID, a.ID})
		if err != nil || sortedIDs(sel) != sortedOf(a, b, c) {
			t.Fatalf("selected = %v, %v", ids(sel), err)
		}
		n, err := e.svc.DeleteLinks(e.ctx, admin, e.actor(e.f.Admin), []string{a.ID, b.ID, c.ID, a.ID})
		if err != nil || n != 3 {
			t.Fatalf("deleted %d, %v; want 3", n, err)
		}
		for _, l := range []*access.Link{a, b, c} {
			r := e.row(l.ID)
			if r.DeletedAt == nil || r.DeletedBy == nil || *r.DeletedBy != e.f.Admin.ID {
				t.Fatalf("%s: deleted_at %v deleted_by %v", l.ID, r.DeletedAt, r.DeletedBy)
			}
			if got := e.deletedEvents(l.ID); got != 1 {
				t.Fatalf("%s: %d deleted events, want 1", l.ID, got)
			}
		}
		if e.row(keep.ID).DeletedAt != nil {
			t.Fatal("an unselected link was deleted")
		}
	})

	t.Run("AgainIsNoop", func(t *testing.T) {
		n, err := e.svc.DeleteLinks(e.ctx, admin, e.actor(e.f.Admin), []string{a.ID, keep.ID})
		if err != nil || n != 1 {
			t.Fatalf("deleted %d, %v; want 1 (a was already deleted)", n, err)
		}
		if got := e.deletedEvents(a.ID); got != 1 {
			t.Fatalf("a: %d deleted events after a second request, want 1", got)
		}
		sel, err := e.svc.SelectedLinks(e.ctx, admin, []string{a.ID})
		if err != nil || len(sel) != 0 {
			t.Fatalf("selected deleted links = %v, %v; want none", ids(sel), err)
		}
	})
}

func TestDeleteExpired(t *testing.T) {
	t.Parallel()
	e, admin := newAdminEnv(t)
	old1 := e.generate(e.f.Admin, e.f.Reporting, "sandbox")
	old2 := e.generate(e.f.Owner, e.f.Reporting, "google_ads")
	usedOld := e.generate(e.f.Admin, e.f.Reporting, "sandbox")
	e.setUsed(usedOld.ID, domainStart.Add(time.Hour))
	foreignOld := e.generate(e.f.OtherAdmin, e.f.Internal, "sandbox")
	e.clock.Advance(8 * 24 * time.Hour)
	active := e.generate(e.f.Admin, e.f.Reporting, "sandbox")

	n, err := e.svc.CountExpired(e.ctx, admin)
	if err != nil || n != 2 {
		t.Fatalf("CountExpired = %d, %v; want 2", n, err)
	}
	deleted, remaining, err := e.svc.DeleteExpired(e.ctx, admin, e.actor(e.f.Admin))
	if err != nil || deleted != 2 || remaining != 0 {
		t.Fatalf("DeleteExpired = %d, %d, %v; want 2, 0", deleted, remaining, err)
	}
	for _, l := range []*access.Link{old1, old2} {
		if e.row(l.ID).DeletedAt == nil || e.deletedEvents(l.ID) != 1 {
			t.Fatalf("%s not deleted with one event", l.ID)
		}
	}
	for _, l := range []*access.Link{usedOld, foreignOld, active} {
		if e.row(l.ID).DeletedAt != nil {
			t.Fatalf("%s deleted, but it is not an expired link of the workspace", l.ID)
		}
	}
}

// TestWriteLinksCSV checks the export's rows, filters and order, and that
// no cell can start a formula.
func TestWriteLinksCSV(t *testing.T) {
	t.Parallel()
	e, admin := newAdminEnv(t)
	evil := e.generate(e.f.Admin, e.f.Reporting, "sandbox")
	e.setRecipient(evil.ID, "=HYPERLINK(\"http://x\")@x.example")
	if err := e.svc.DB().Model(&models.AccessLink{}).Where("id = ?", evil.ID).Update("label", "-2+3 Acme").Error; err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	other := e.generate(e.f.Owner, e.f.Reporting, "google_ads")
	e.generate(e.f.OtherAdmin, e.f.Internal, "sandbox")
	if err := e.svc.DB().Model(&models.User{}).Where("id = ?", e.f.Owner.ID).Update("name", "+cmd|' /C calc'!A0").Error; err != nil {
		t.Fatal(err)
	}

	read := func(t *testing.T, f access.ListFilter) [][]string {
		t.Helper()
		var buf bytes.Buffer
		flushes := 0
		if err := e.svc.WriteLinksCSV(e.ctx, admin, f, &buf, func() { flushes++ }); err != nil {
			t.Fatal(err)
		}
		if flushes < 1 {
			t.Fatal("never flushed")
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}

	t.Run("OK", func(t *testing.T) {
		rows := read(t, access.ListFilter{})
		if len(rows) != 3 || strings.Join(rows[0], ",") != "id,label,source,status,created_at,expires_at,used_at,created_by,recipient,connected_account" {
			t.Fatalf("rows = %q", rows)
		}
		if rows[1][0] != other.ID || rows[2][0] != evil.ID {
			t.Fatalf("order = %s, %s; want newest first", rows[1][0], rows[2][0])
		}
		if rows[1][7] != "'+cmd|' /C calc'!A0 <owner@test.example>" {
			t.Fatalf("creator cell = %q, want an apostrophe first", rows[1][6])
		}
		if rows[2][8] != "'=HYPERLINK(\"http://x\")@x.example" || rows[2][1] != "'-2+3 Acme" {
			t.Fatalf("recipient cell = %q, want an apostrophe first", rows[2][7])
		}
		if rows[2][3] != "active" || rows[2][4] != domainStart.Format(time.RFC3339) {
			t.Fatalf("row = %q", rows[2])
		}
	})

	t.Run("Filtered", func(t *testing.T) {
		rows := read(t, access.ListFilter{Q: "sandbox", Sort: access.SortExpires})
		if len(rows) != 2 || rows[1][0] != evil.ID {
			t.Fatalf("rows = %q", rows)
		}
	})

	t.Run("ErrNotManager", func(t *testing.T) {
		var buf bytes.Buffer
		err := e.svc.WriteLinksCSV(e.ctx, e.member(e.f.Member, e.f.Reporting), access.ListFilter{}, &buf, nil)
		assertCode(t, err, access.EFORBIDDEN)
		if buf.Len() != 0 {
			t.Fatal("wrote before refusing")
		}
	})
}
