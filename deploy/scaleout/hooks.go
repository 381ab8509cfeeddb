package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// The API and webhook traffic: an API key made with `app api-key create`
// for the demo admin's workspace (the one the invitees connect accounts
// to), a worker that lists the accounts and asks for access tokens through
// HAProxy, and a webhook endpoint, added through the API, that points at a
// receiver on loopback run here (loopback is allowed outside production).
// The checks: every link.created and link.used event of the run delivered
// at least once, none under two webhook-ids, every signature valid.

// hookEvents are the event types the run's endpoint subscribes to.
var hookEvents = []string{"link.created", "link.used"}

// receiver is the webhook receiver: it verifies each delivery's Standard
// Webhooks signature and keeps, per event (type and link), the webhook-ids
// it came under.
type receiver struct {
	srv    *http.Server
	url    string
	secret []byte // the endpoint's key, once created

	mu         sync.Mutex
	deliveries int
	badSig     int
	ids        map[string]map[string]int // "type link": webhook-id: deliveries
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &receiver{url: "http://" + ln.Addr().String() + "/hooks", ids: map[string]map[string]int{}}
	rc.srv = &http.Server{Handler: http.HandlerFunc(rc.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = rc.srv.Serve(ln) }()
	return rc, nil
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	var msg struct {
		Type string `json:"type"`
		Data struct {
			Link struct {
				ID string `json:"id"`
			} `json:"link"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &msg)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.deliveries++
	if !rc.verify(id, ts, body, r.Header.Get("webhook-signature")) {
		rc.badSig++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	key := msg.Type + " " + msg.Data.Link.ID
	if rc.ids[key] == nil {
		rc.ids[key] = map[string]int{}
	}
	rc.ids[key][id]++
	w.WriteHeader(http.StatusNoContent)
}

// verify checks a v1 signature over "id.timestamp.body" (Standard
// Webhooks), written here rather than taken from the app.
func (rc *receiver) verify(id, ts string, body []byte, header string) bool {
	if id == "" || ts == "" || rc.secret == nil {
		return false
	}
	mac := hmac.New(sha256.New, rc.secret)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(header) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

var workspaceRe = regexp.MustCompile(`/w/([^/]+)/`)

// setupAPI makes the run's API key with `app api-key create` for the demo
// admin's workspace, then adds the webhook endpoint through the API.
func setupAPI(ctx context.Context, r *run, app string, env []string, rc *receiver) error {
	w := &worker{run: r, kind: "setup", c: r.newClient(), servedBy: map[string]bool{}}
	p, err := w.do(ctx, "POST", r.base+"/login", url.Values{"email": {"admin@demo.test"}, "password": {r.password}})
	if err != nil {
		return err
	}
	m := workspaceRe.FindStringSubmatch(p.location)
	if p.status != http.StatusSeeOther || m == nil {
		return fmt.Errorf("sign in for the workspace: %d to %q", p.status, p.location)
	}
	cmd := exec.CommandContext(ctx, app, "api-key", "create", "--workspace", m[1], "--name", "scale-out")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("app api-key create: %v\n%s", err, stderr.String())
	}
	r.apiKey = strings.TrimSpace(string(out))
	r.rec.secret(r.apiKey)

	body, _ := json.Marshal(map[string]any{"url": rc.url, "events": hookEvents, "description": "scale-out receiver"})
	req, _ := http.NewRequestWithContext(ctx, "POST", r.base+"/api/v1/webhooks", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+r.apiKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "scale-out-endpoint")
	res, err := w.c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var created struct {
		Secret string `json:"secret"`
	}
	b, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(b, &created); err != nil || res.StatusCode != http.StatusCreated || !strings.HasPrefix(created.Secret, "whsec_") {
		return fmt.Errorf("POST /api/v1/webhooks: %d %s", res.StatusCode, b)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(created.Secret, "whsec_"))
	if err != nil {
		return fmt.Errorf("the endpoint's secret: %v", err)
	}
	r.rec.secret(created.Secret)
	rc.mu.Lock()
	rc.secret = key
	rc.mu.Unlock()
	return nil
}

// apiLoop lists the workspace's connected accounts and asks for an access
// token of one of them, again and again, below the key's rate limit (600
// a minute). A 429 is counted, not an error.
func apiLoop(ctx context.Context, w *worker) error {
	w.header = http.Header{"Authorization": {"Bearer " + w.run.apiKey}}
	for ctx.Err() == nil {
		var ids []string
		err := w.retried(ctx, "api list accounts", func() error {
			p, err := w.do(ctx, "GET", w.run.base+"/api/v1/accounts?limit=50", nil)
			if err != nil || w.rateLimited(p) {
				return err
			}
			var l struct {
				Data []struct {
					ID string `json:"id"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(p.body), &l); err != nil || p.status != http.StatusOK {
				return fmt.Errorf("GET /api/v1/accounts: %d %.200s", p.status, p.body)
			}
			for _, a := range l.Data {
				ids = append(ids, a.ID)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			id := ids[rand.IntN(len(ids))]
			err = w.retried(ctx, "api token", func() error {
				p, err := w.do(ctx, "POST", w.run.base+"/api/v1/accounts/"+id+"/token", nil)
				if err != nil || w.rateLimited(p) {
					return err
				}
				var t struct {
					AccessToken string `json:"access_token"`
				}
				if err := json.Unmarshal([]byte(p.body), &t); err != nil || p.status != http.StatusOK || t.AccessToken == "" {
					return fmt.Errorf("POST /api/v1/accounts/{id}/token: %d %.200s", p.status, p.body)
				}
				w.run.tokens.Add(1)
				w.run.rec.secret(t.AccessToken)
				return nil
			})
			if err != nil {
				return err
			}
		}
		pause(ctx, 150*time.Millisecond)
	}
	return nil
}

// rateLimited counts a 429 and waits a little.
func (w *worker) rateLimited(p *page) bool {
	if p.status != http.StatusTooManyRequests {
		return false
	}
	w.run.rateLimited.Add(1)
	time.Sleep(time.Second)
	return true
}

// hookChecks waits (up to wait) until every link.created and link.used
// event since the endpoint was added has reached the receiver, then
// checks that none was lost or sent under two webhook-ids.
func hookChecks(ctx context.Context, conn *pgx.Conn, rc *receiver, wait time.Duration, check func(bool, string, ...any)) error {
	want := map[string]bool{}
	rows, err := conn.Query(ctx, `SELECT 'link.created ' || l.id FROM access_links l, webhook_endpoints e WHERE l.created_at >= e.created_at
		UNION ALL SELECT 'link.used ' || l.id FROM access_links l, webhook_endpoints e WHERE l.used_at >= e.created_at`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return err
		}
		want[k] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	start := time.Now()
	var lost []string
	for {
		lost = lost[:0]
		rc.mu.Lock()
		for k := range want {
			if len(rc.ids[k]) == 0 {
				lost = append(lost, k)
			}
		}
		rc.mu.Unlock()
		if len(lost) == 0 || time.Since(start) > wait || ctx.Err() != nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	drained := time.Since(start)
	var messages, attempts, failedAttempts int
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM webhook_messages), count(*), count(*) FILTER (WHERE NOT ok) FROM webhook_deliveries`).
		Scan(&messages, &attempts, &failedAttempts); err != nil {
		return err
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var twoIDs, repeats, received int
	for k, ids := range rc.ids {
		received++
		if len(ids) > 1 {
			twoIDs++
			fmt.Printf("  %s under %d webhook-ids\n", k, len(ids))
		}
		for _, n := range ids {
			repeats += n - 1
		}
	}
	for i, k := range lost {
		if i == 10 {
			fmt.Printf("  ... and %d more lost\n", len(lost)-i)
			break
		}
		fmt.Printf("  lost: %s\n", k)
	}
	fmt.Printf("webhooks: %d deliveries received (%d events, %d repeats of a webhook-id), %d bad signatures; %d messages, %d attempts logged (%d failed); all in %.1f s after the traffic\n",
		rc.deliveries, received, repeats, rc.badSig, messages, attempts, failedAttempts, drained.Seconds())
	check(len(want) > 0 && len(lost) == 0, "webhooks lost: %d of %d link.created and link.used events", len(lost), len(want))
	check(twoIDs == 0, "webhooks sent under two webhook-ids: %d", twoIDs)
	check(rc.badSig == 0, "webhook deliveries with a bad signature: %d of %d", rc.badSig, rc.deliveries)
	return nil
}
