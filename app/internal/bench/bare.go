package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"html"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/glebarez/go-sqlite" // the pure-Go driver under the app's GORM dialector
	"github.com/gorilla/securecookie"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/accessrequests/accessrequests/app/internal/bench/baresql"
	"github.com/accessrequests/accessrequests/app/secret"
)

// The bare program: net/http, the database driver and the statements the
// app sends for the consent page and the links list, with no framework,
// ORM or template. It writes a page of the size the runner names in
// X-Bench-Bytes (the app's page for the same request), so both send the
// same bytes. Run by the runner as `bench bare`; see README.md.

// bare serves the two pages.
type bare struct {
	db         store
	keys       *secret.Keyring
	codecs     []securecookie.Codec
	cookieName string
	baseURL    string
	probe      bool // also send the collapse probe the app sent before issue 14
	bufs       sync.Pool
}

// store is the little the bare program needs from either driver.
type store interface {
	query(ctx context.Context, q string, args ...any) (rows, error)
	exec(ctx context.Context, q string, args ...any) error
}

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Close()
	Err() error
	columns() []string
}

// pgStore is pgx's own pool: PostgreSQL's placeholders are $n.
type pgStore struct{ pool *pgxpool.Pool }

type pgxAdapter struct{ pgx.Rows }

func (r pgxAdapter) columns() []string {
	fds := r.FieldDescriptions()
	out := make([]string, len(fds))
	for i, f := range fds {
		out[i] = f.Name
	}
	return out
}

func (s pgStore) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := s.pool.Query(ctx, dollars(q), args...)
	if err != nil {
		return nil, err
	}
	return pgxAdapter{r}, nil
}

func (s pgStore) exec(ctx context.Context, q string, args ...any) error {
	_, err := s.pool.Exec(ctx, dollars(q), args...)
	return err
}

// sqliteStore is database/sql on the app's driver, one connection as the
// app uses. Preparing statements once would change nothing: the driver
// compiles a statement at every execution (glebarez/go-sqlite's stmt.exec
// calls sqlite3_prepare_v2), as it does for the app.
type sqliteStore struct{ db *sql.DB }

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }
func (r sqlRows) columns() []string {
	c, _ := r.Columns()
	return c
}

func (s sqliteStore) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (s sqliteStore) exec(ctx context.Context, q string, args ...any) error {
	_, err := s.db.ExecContext(ctx, q, args...)
	return err
}

var dollarCache sync.Map

// dollars turns ? placeholders into $1, $2, ... (once per statement text).
func dollars(q string) string {
	if v, ok := dollarCache.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	dollarCache.Store(q, b.String())
	return b.String()
}

// openBare connects as the app does: PostgreSQL with 20 connections, or
// the SQLite file with the app's pragmas and one connection.
func openBare(ctx context.Context, databaseURL, sqlitePath string) (store, error) {
	if databaseURL != "" {
		cfg, err := pgxpool.ParseConfig(databaseURL)
		if err != nil {
			return nil, err
		}
		cfg.MaxConns = 20
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return pgStore{pool}, nil
	}
	dsn := "file:" + sqlitePath + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return sqliteStore{db}, nil
}

func newBare(db store, keys *secret.Keyring, baseURL string, probe bool) *bare {
	// The app's session cookie: gorilla/sessions' CookieStore on keys
	// derived from the app key (app/web/auth.go), 30-day lifetime.
	codec := securecookie.New(keys.Derive("session hash", 64), keys.Derive("session block", 32))
	codec.MaxAge(30 * 24 * 3600)
	return &bare{
		db: db, keys: keys, codecs: []securecookie.Codec{codec},
		cookieName: "__Host-ar_session", baseURL: strings.TrimRight(baseURL, "/"), probe: probe,
		bufs: sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }},
	}
}

func (b *bare) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /connect/{token}", b.consent)
	mux.HandleFunc("GET /w/{workspace}/sources/access-requests", b.list)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	return mux
}

// send writes page, padded to the X-Bench-Bytes the runner asked for, with
// the headers the app's pages carry.
func (b *bare) send(w http.ResponseWriter, r *http.Request, page []byte) {
	if n, _ := strconv.Atoi(r.Header.Get("X-Bench-Bytes")); n > len(page) {
		for len(page) < n {
			page = append(page, ' ')
		}
	}
	nonce := make([]byte, 16)
	rand.Read(nonce)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'nonce-"+base64.StdEncoding.EncodeToString(nonce)+"'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Content-Length", strconv.Itoa(len(page)))
	w.Write(page)
}

func (b *bare) buf() *[]byte {
	p := b.bufs.Get().(*[]byte)
	*p = (*p)[:0]
	return p
}

func fail(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() == nil { // not wrk closing its connections at the end
		log.Printf("bare: %v", err)
	}
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// finish closes rs after a scan that ended with err and fails the request
// with that error or the rows' own; it reports whether the request goes on.
func finish(w http.ResponseWriter, r *http.Request, rs rows, err error) bool {
	rs.Close()
	if err == nil {
		err = rs.Err()
	}
	if err != nil {
		fail(w, r, err)
		return false
	}
	return true
}

// link is the access_links row and the names joined to it.
type link struct {
	id, workspaceID, sourceKey, tokenHash, tokenSealed              string
	createdAt, expiresAt                                            time.Time
	usedAt, deletedAt, lastOutcomeAt, reminderSentAt, firstOpenedAt *time.Time
	createdBy, createdByKeyID, deletedBy, connectedAccountID        *string
	renewedFromID, renewedToID, reconnectAccountID                  *string
	lastOutcome, lastOutcomeDetail, recipientEmail, note, label     string
	language                                                        string
	// names are the columns after the link's own: workspace, organization,
	// creator, creator's email, account, branding, reconnect label
	// (consent); creator name, email, key name, webhook state (list).
	names [16]string
}

// dest maps the result's columns (l.* first, in the table's order) to the
// fields of l.
func (l *link) dest(cols []string) []any {
	out := make([]any, len(cols))
	extra := 0
	for i, c := range cols {
		switch c {
		case "id":
			out[i] = &l.id
		case "workspace_id":
			out[i] = &l.workspaceID
		case "source_key":
			out[i] = &l.sourceKey
		case "token_hash":
			out[i] = &l.tokenHash
		case "token_sealed":
			out[i] = &l.tokenSealed
		case "created_by":
			out[i] = &l.createdBy
		case "created_by_key_id":
			out[i] = &l.createdByKeyID
		case "created_at":
			out[i] = &l.createdAt
		case "expires_at":
			out[i] = &l.expiresAt
		case "used_at":
			out[i] = &l.usedAt
		case "deleted_at":
			out[i] = &l.deletedAt
		case "deleted_by":
			out[i] = &l.deletedBy
		case "connected_account_id":
			out[i] = &l.connectedAccountID
		case "last_outcome":
			out[i] = &l.lastOutcome
		case "last_outcome_detail":
			out[i] = &l.lastOutcomeDetail
		case "last_outcome_at":
			out[i] = &l.lastOutcomeAt
		case "recipient_email":
			out[i] = &l.recipientEmail
		case "note":
			out[i] = &l.note
		case "reminder_sent_at":
			out[i] = &l.reminderSentAt
		case "label":
			out[i] = &l.label
		case "renewed_from_id":
			out[i] = &l.renewedFromID
		case "renewed_to_id":
			out[i] = &l.renewedToID
		case "reconnect_account_id":
			out[i] = &l.reconnectAccountID
		case "first_opened_at":
			out[i] = &l.firstOpenedAt
		case "language":
			out[i] = &l.language
		default:
			out[i] = new(sql.NullString)
			if extra < len(l.names) {
				out[i] = &nullString{&l.names[extra]}
				extra++
			}
		}
	}
	return out
}

// nullString scans a nullable text column into a string ("" for NULL).
type nullString struct{ s *string }

func (n *nullString) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*n.s = ""
	case string:
		*n.s = v
	case []byte:
		*n.s = string(v)
	case int64:
		*n.s = strconv.FormatInt(v, 10)
	case int32:
		*n.s = strconv.FormatInt(int64(v), 10)
	default:
		return errors.New("nullString: unexpected type")
	}
	return nil
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (b *bare) consent(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token := r.PathValue("token")
	if len(token) != 43 {
		http.NotFound(w, r)
		return
	}
	rs, err := b.db.query(ctx, baresql.PublicLink, secret.HashToken(token))
	if err != nil {
		fail(w, r, err)
		return
	}
	var l link
	found := false
	if rs.Next() {
		found = true
		err = rs.Scan(l.dest(rs.columns())...)
	}
	if !finish(w, r, rs, err) {
		return
	}
	now := time.Now().UTC()
	if !found || l.deletedAt != nil || l.usedAt != nil || !now.Before(l.expiresAt) {
		http.NotFound(w, r)
		return
	}
	// The event: the app's collapse key is the SHA-256 of type, actor ID,
	// actor, address, user agent and detail.
	ip, ua := clientAddr(r), r.UserAgent()
	if len(ua) > 400 {
		ua = ua[:400]
	}
	h := sha256.New()
	for _, part := range []string{"opened", "", "invitee", ip, ua, "{}"} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	key := hex.EncodeToString(h.Sum(nil))
	if b.probe {
		rs, err := b.db.query(ctx, baresql.CollapseProbe, l.id, key, l.id, 500)
		if err != nil {
			fail(w, r, err)
			return
		}
		for rs.Next() {
			var known bool
			var clients int64
			err = rs.Scan(&known, &clients)
		}
		rs.Close()
		if err != nil {
			fail(w, r, err)
			return
		}
	}
	if b.probe {
		err = b.db.exec(ctx, baresql.OpenedUpsert, newID(), l.id, l.workspaceID, "opened", nil, "invitee", ip, ua, "{}", now, 1, now, key, now, ip, ua)
	} else {
		const bound = 500
		err = b.db.exec(ctx, baresql.CollapseEvent, newID(), l.id, l.workspaceID, "opened", nil, "invitee", ip, ua, "{}", now, now, key,
			l.id, key, l.id, bound, bound)
	}
	if err != nil && ctx.Err() == nil {
		log.Printf("bare: event not stored: %v", err) // the app renders anyway
	}
	p := b.buf()
	page := append(*p, "<!doctype html><html><head><title>Connect "...)
	page = append(page, html.EscapeString(l.sourceKey)...)
	page = append(page, "</title></head><body><h1>"...)
	page = append(page, html.EscapeString(l.names[0])...)
	page = append(page, " ("...)
	page = append(page, html.EscapeString(l.names[1])...)
	page = append(page, ") asks "...)
	page = append(page, html.EscapeString(l.names[2])...)
	page = append(page, "</h1><p>Expires "...)
	page = l.expiresAt.UTC().AppendFormat(page, "2 Jan 2006 15:04 UTC")
	page = append(page, `</p><form method="post" action="/connect/`...)
	page = append(page, token...)
	page = append(page, `/start"><button>Start</button></form></body></html>`...)
	b.send(w, r, page)
	*p = page
	b.bufs.Put(p)
}

// newID is a random UUID (version 4), as access.NewID makes.
func newID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[:], u[:4])
	out[8] = '-'
	hex.Encode(out[9:13], u[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], u[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], u[8:10])
	out[23] = '-'
	hex.Encode(out[24:], u[10:])
	return string(out[:])
}
