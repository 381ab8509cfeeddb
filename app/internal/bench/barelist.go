package main

import (
	"encoding/base64"
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/accessrequests/accessrequests/app/internal/bench/baresql"
	"github.com/accessrequests/accessrequests/app/secret"
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
	if err := b.one(r, baresql.Session, []any{secret.HashToken(sid)}, &userID, &email, &name, &hash, &support, &created, &sessCreated, &seen, &exp, &flash); err != nil {
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
		defaultDays                        int64
		wsRole, orgRole                    *string
	)
	if err := b.one(r, baresql.Membership, []any{userID, userID, r.PathValue("workspace")}, &wsID, &orgID, &wsName, &wsCreated, &orgName, &plan, &orgCreated, &defaultDays, &wsRole, &orgRole); err != nil {
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
	rs, err := b.db.query(ctx, baresql.Workspaces, userID, userID, "owner")
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
	q, args := baresql.ListFirst, []any{wsID}
	if c := r.URL.Query().Get("cursor"); c != "" {
		t, id, ok := decodeCursor(c)
		if !ok {
			http.Error(w, "bad cursor", http.StatusBadRequest)
			return
		}
		q, args = baresql.ListAfter, []any{wsID, t, t, t, id}
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
