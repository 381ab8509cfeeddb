package main

import (
	"encoding/base64"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/accessrequests/accessrequests/app/secret"
)

// The links list's statements (app/access: Session, Membership,
// Workspaces, ListLinks), first page and a cursor page.
const (
	sqlSession = `SELECT u.id, u.email, u.name, u.password_hash, u.is_support, u.created_at,
			s.created_at AS session_created_at, s.last_seen_at, s.expires_at, s.flash FROM sessions AS s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ? LIMIT 1`
	sqlMembership = `SELECT w.id, w.organization_id, w.name, w.created_at,
			o.name AS org_name, o.plan AS org_plan, o.created_at AS org_created_at,
			wm.role AS workspace_role, om.role AS org_role FROM workspaces AS w JOIN organizations o ON o.id = w.organization_id LEFT JOIN workspace_members wm ON wm.workspace_id = w.id AND wm.user_id = ? LEFT JOIN organization_members om ON om.organization_id = w.organization_id AND om.user_id = ? WHERE w.id = ? LIMIT 1`
	sqlWorkspaces = `SELECT w.id, w.name, o.name AS organization_name FROM workspaces AS w JOIN organizations o ON o.id = w.organization_id WHERE EXISTS (SELECT 1 FROM workspace_members wm WHERE wm.workspace_id = w.id AND wm.user_id = ?)
			OR EXISTS (SELECT 1 FROM organization_members om WHERE om.organization_id = w.organization_id AND om.user_id = ? AND om.role = ?) ORDER BY o.name, w.name`
	sqlListFirst = `SELECT l.id, l.workspace_id, l.source_key, l.token_hash, l.token_sealed, l.created_by,
	l.created_by_key_id, l.created_at, l.expires_at, l.used_at, l.deleted_at, l.deleted_by, l.connected_account_id,
	l.last_outcome, l.last_outcome_detail, l.last_outcome_at, COALESCE(u.name, '') AS creator_name, COALESCE(u.email, '') AS creator_email, COALESCE(k.name, '') AS creator_key_name FROM access_links AS l LEFT JOIN users u ON u.id = l.created_by LEFT JOIN api_keys k ON k.id = l.created_by_key_id WHERE l.workspace_id = ? AND l.deleted_at IS NULL ORDER BY l.created_at DESC, l.id DESC LIMIT 51`
	sqlListAfter = `SELECT l.id, l.workspace_id, l.source_key, l.token_hash, l.token_sealed, l.created_by,
	l.created_by_key_id, l.created_at, l.expires_at, l.used_at, l.deleted_at, l.deleted_by, l.connected_account_id,
	l.last_outcome, l.last_outcome_detail, l.last_outcome_at, COALESCE(u.name, '') AS creator_name, COALESCE(u.email, '') AS creator_email, COALESCE(k.name, '') AS creator_key_name FROM access_links AS l LEFT JOIN users u ON u.id = l.created_by LEFT JOIN api_keys k ON k.id = l.created_by_key_id WHERE l.workspace_id = ? AND l.deleted_at IS NULL AND l.created_at <= ? AND (l.created_at < ? OR (l.created_at = ? AND l.id < ?)) ORDER BY l.created_at DESC, l.id DESC LIMIT 51`
)

func (b *bare) sessionID(r *http.Request) string {
	ck, err := r.Cookie(b.cookieName)
	if err != nil {
		return ""
	}
	values := map[any]any{}
	if securecookie.DecodeMulti(b.cookieName, ck.Value, &values, b.codecs...) != nil {
		return ""
	}
	sid, _ := values["sid"].(string)
	return sid
}

func (b *bare) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sid := b.sessionID(r)
	if sid == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	// 1. The session and its user.
	var (
		userID, email, name, hash, flash string
		support                          bool
		created, sessCreated, seen, exp  time.Time
	)
	if err := b.one(r, sqlSession, []any{secret.HashToken(sid)}, &userID, &email, &name, &hash, &support, &created, &sessCreated, &seen, &exp, &flash); err != nil {
		fail(w, r, err)
		return
	}
	if now := time.Now(); !now.Before(exp) || userID == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	// 2. The membership in the URL's workspace.
	var (
		wsID, orgID, wsName, orgName, plan string
		wsCreated, orgCreated              time.Time
		wsRole, orgRole                    *string
	)
	if err := b.one(r, sqlMembership, []any{userID, userID, r.PathValue("workspace")}, &wsID, &orgID, &wsName, &wsCreated, &orgName, &plan, &orgCreated, &wsRole, &orgRole); err != nil {
		fail(w, r, err)
		return
	}
	if wsID == "" || (wsRole == nil || *wsRole != "admin") && (orgRole == nil || *orgRole != "owner") {
		http.NotFound(w, r)
		return
	}
	p := b.buf()
	page := append(*p, "<!doctype html><html><head><title>Accounts access requests</title></head><body><nav>"...)
	// 3. The workspaces of the menu.
	rs, err := b.db.query(ctx, sqlWorkspaces, userID, userID, "owner")
	if err != nil {
		fail(w, r, err)
		return
	}
	for rs.Next() {
		var id, n, o string
		if err = rs.Scan(&id, &n, &o); err != nil {
			break
		}
		page = append(page, `<a href="/w/`...)
		page = append(page, id...)
		page = append(page, `/sources">`...)
		page = append(page, html.EscapeString(o+" / "+n)...)
		page = append(page, "</a>"...)
	}
	if !finish(w, r, rs, err) {
		return
	}
	page = append(page, "</nav><table>"...)
	// 4. The page of links.
	q, args := sqlListFirst, []any{wsID}
	if c := r.URL.Query().Get("cursor"); c != "" {
		t, id, ok := decodeCursor(c)
		if !ok {
			http.Error(w, "bad cursor", http.StatusBadRequest)
			return
		}
		q, args = sqlListAfter, []any{wsID, t, t, t, id}
	}
	rs, err = b.db.query(ctx, q, args...)
	if err != nil {
		fail(w, r, err)
		return
	}
	var dest []any
	var l link
	now := time.Now().UTC()
	n := 0
	for rs.Next() {
		if dest == nil {
			dest = l.dest(rs.columns())
		}
		if err = rs.Scan(dest...); err != nil {
			break
		}
		if n++; n > 50 {
			break // the 51st row only says there is a next page
		}
		status := "Active"
		switch {
		case l.usedAt != nil:
			status = "Used"
		case !now.Before(l.expiresAt):
			status = "Expired"
		}
		url := ""
		if token, err := b.keys.Open(l.tokenSealed, "access_links/"+l.id+"/token"); err == nil {
			url = b.baseURL + "/connect/" + token
		}
		page = append(page, `<tr data-testid="link-row" id="link-`...)
		page = append(page, l.id...)
		page = append(page, `"><td>`...)
		page = append(page, l.sourceKey...)
		page = append(page, "</td><td>"...)
		page = append(page, status...)
		page = append(page, "</td><td>"...)
		page = l.expiresAt.UTC().AppendFormat(page, "2 Jan 2006 15:04")
		page = append(page, "</td><td>"...)
		page = append(page, html.EscapeString(l.names[0])...)
		page = append(page, " "...)
		page = append(page, html.EscapeString(l.names[1])...)
		page = append(page, `</td><td><input readonly value="`...)
		page = append(page, url...)
		page = append(page, `"></td></tr>`...)
	}
	if !finish(w, r, rs, err) {
		return
	}
	page = append(page, "</table></body></html>"...)
	b.send(w, r, page)
	*p = page
	b.bufs.Put(p)
}

// one reads the single row of q into dest; no row leaves dest as is.
func (b *bare) one(r *http.Request, q string, args []any, dest ...any) error {
	rs, err := b.db.query(r.Context(), q, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	if rs.Next() {
		if err := rs.Scan(dest...); err != nil {
			return err
		}
	}
	return rs.Err()
}

// decodeCursor reads the list's cursor: base64url of "unix micros|id".
func decodeCursor(c string) (time.Time, string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", false
	}
	ts, id, ok := strings.Cut(string(raw), "|")
	micros, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || len(id) != 36 {
		return time.Time{}, "", false
	}
	return time.UnixMicro(micros).UTC(), id, true
}
