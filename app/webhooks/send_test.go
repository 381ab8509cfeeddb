package webhooks_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/webhooks"
)

func request(url string) webhooks.Request {
	return webhooks.Request{URL: url, ID: "msg_1", Time: time.Now(), Payload: []byte(`{"type":"link.created"}`), Secrets: []string{webhooks.NewSecret()}}
}

// TestProductionRefusesNonPublicAddresses (SSRF): in production no
// delivery reaches loopback, private, link-local or metadata addresses,
// given literally or behind a name; the check is on the dialled address,
// so the local receiver never hears a thing.
func TestProductionRefusesNonPublicAddresses(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.StartTLS()
	defer srv.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	p := func(host string) string { return "https://" + host + ":" + strconv.Itoa(port) + "/hook" }
	// Names a test resolver answers with non-public addresses: what a DNS
	// rebinding attacker would serve.
	lookup := func(ctx context.Context, host string) ([]string, error) {
		switch host {
		case "internal.example.test":
			return []string{"10.1.2.3"}, nil
		case "rebind.example.test":
			return []string{"127.0.0.1"}, nil
		case "metadata.example.test":
			return []string{"169.254.169.254"}, nil
		}
		return nil, errors.New("no such host")
	}
	s := webhooks.NewSender(webhooks.Options{Production: true, LookupHost: lookup})
	for _, url := range []string{
		p("127.0.0.1"), p("10.0.0.1"), p("169.254.169.254"), p("[::1]"), p("[::ffff:127.0.0.1]"),
		p("internal.example.test"), p("rebind.example.test"), p("metadata.example.test"), p("localhost"),
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		res := s.Send(ctx, request(url))
		cancel()
		if res.OK || !errors.Is(res.Err, webhooks.ErrForbiddenAddress) {
			t.Errorf("%s: OK=%v err=%v, want ErrForbiddenAddress", url, res.OK, res.Err)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("the local receiver got %d requests", hits.Load())
	}
	// The dialler's check alone, without the URL check in front: a name
	// that resolves to loopback is refused when dialled.
	if err := webhooks.CheckURL(p("rebind.example.test"), true); err != nil {
		t.Fatalf("a public-looking name is refused before dialling: %v", err)
	}
	for _, url := range []string{p("127.0.0.1"), p("10.0.0.1"), p("169.254.169.254"), p("[::1]"), "http://example.com/hook"} {
		if webhooks.CheckURL(url, true) == nil {
			t.Errorf("CheckURL(%s) accepted in production", url)
		}
		if strings.HasPrefix(url, "https://") && webhooks.CheckURL(url, false) != nil {
			t.Errorf("CheckURL(%s) refused outside production", url)
		}
	}
}

// TestUntrustedReceiver: redirects are not followed; an endless answer is
// read up to 64 KB and no further, and only its start is kept.
func TestUntrustedReceiver(t *testing.T) {
	var followed atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/target", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/target", func(w http.ResponseWriter, r *http.Request) { followed.Add(1) })
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		// An answer without end: a sender reading it all would never
		// finish (until its timeout, as a failure).
		chunk := []byte(strings.Repeat("x", 32<<10))
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s := webhooks.NewSender(webhooks.Options{})

	res := s.Send(context.Background(), request(srv.URL+"/redirect"))
	if res.OK || res.StatusCode != http.StatusTemporaryRedirect || followed.Load() != 0 {
		t.Errorf("redirect: OK=%v status=%d followed=%d", res.OK, res.StatusCode, followed.Load())
	}
	res = s.Send(context.Background(), request(srv.URL+"/endless"))
	if !res.OK || len(res.Excerpt) > 1024 || res.Latency > 5*time.Second {
		t.Errorf("endless answer: OK=%v err=%v excerpt %d bytes, took %s", res.OK, res.Err, len(res.Excerpt), res.Latency)
	}
}

// TestSignatureHeaders: each secret gives one v1 signature; the headers
// carry the message's ID and the attempt's time.
func TestSignatureHeaders(t *testing.T) {
	got := make(chan http.Header, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got <- r.Header.Clone()
	}))
	defer srv.Close()
	req := request(srv.URL)
	req.Secrets = append(req.Secrets, webhooks.NewSecret())
	if res := webhooks.NewSender(webhooks.Options{}).Send(context.Background(), req); !res.OK {
		t.Fatal(res.Err)
	}
	h := <-got
	if h.Get("webhook-id") != "msg_1" || h.Get("webhook-timestamp") != strconv.FormatInt(req.Time.Unix(), 10) {
		t.Errorf("headers %v", h)
	}
	sigs := strings.Fields(h.Get("webhook-signature"))
	if len(sigs) != 2 || !strings.HasPrefix(sigs[0], "v1,") || !strings.HasPrefix(sigs[1], "v1,") || sigs[0] == sigs[1] {
		t.Errorf("webhook-signature = %q, want two v1 signatures", h.Get("webhook-signature"))
	}
}
