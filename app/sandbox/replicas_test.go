package sandbox_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/sandbox"
)

// startReplicas serves one issuer with two providers built by New with the
// same options on one database, like two app processes behind a load
// balancer; route picks the replica (0 or 1) of each request. The signing
// key is not given, so each replica derives its own from the secret.
func startReplicas(t *testing.T, route func(r *http.Request) int) (*env, *[2]atomic.Int32) {
	t.Helper()
	var replicas [2]http.Handler
	var hits [2]atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := route(r)
		hits[i].Add(1)
		replicas[i].ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	gdb := testutil.OpenDB(t)
	for i := range replicas {
		opts := defaultOptions()
		opts.Issuer = srv.URL
		opts.SigningKey = nil
		opts.DB = gdb
		h, err := sandbox.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		replicas[i] = h
	}
	return newEnv(t, srv.URL), &hits
}

// TestReplicas (issue 13): the authorize step and the consent page on one
// replica, the token exchange, user info and refresh on the other (and,
// in a second run, every request on the next replica in turn) complete
// the flow; single-use codes and refresh rotation hold across replicas.
func TestReplicas(t *testing.T) {
	routes := map[string]func() func(*http.Request) int{
		// The browser's steps and the key set on replica 0, the client's
		// back-channel calls on replica 1: ID tokens signed by one are
		// verified with the keys the other serves.
		"Split": func() func(*http.Request) int {
			return func(r *http.Request) int {
				switch {
				case strings.HasPrefix(r.URL.Path, "/authorize"), r.URL.Path == "/login", r.URL.Path == "/keys":
					return 0
				}
				return 1
			}
		},
		"RoundRobin": func() func(*http.Request) int {
			var n atomic.Int32
			return func(*http.Request) int { return int(n.Add(1) % 2) }
		},
	}
	for name, route := range routes {
		t.Run(name, func(t *testing.T) {
			e, hits := startReplicas(t, route())
			if got := e.disc.IDTokenSigningAlgs; len(got) != 1 || got[0] != "ES256" {
				t.Errorf("id_token_signing_alg_values_supported = %v, want [ES256] (the derived key)", got)
			}
			f := newFlow(e.config(oauth2.AuthStyleInHeader))
			code := e.obtainCode(f, "sandbox-user-2")
			tok, err := f.exchange(code)
			if err != nil {
				t.Fatalf("exchange on the other replica: %v", err)
			}
			claims := e.verifyIDToken(tok, f.nonce)
			if claims.Subject != "sandbox-user-2" || claims.Email != "owner@northwind.example" {
				t.Errorf("id_token claims: sub=%q email=%q", claims.Subject, claims.Email)
			}
			for range 2 { // on both replicas in round robin
				if status, info := e.userinfo(tok.AccessToken); status != http.StatusOK || info["sub"] != "sandbox-user-2" {
					t.Fatalf("userinfo = %d %v", status, info)
				}
			}
			if hits[0].Load() == 0 || hits[1].Load() == 0 {
				t.Fatalf("requests per replica: %d and %d; want both used", hits[0].Load(), hits[1].Load())
			}

			// The code was used on one replica: presented again, it is
			// refused, and the tokens issued from it are revoked.
			if _, err := f.exchange(code); err == nil {
				t.Fatal("the code was exchanged twice")
			}
			for range 2 {
				if status, _ := e.userinfo(tok.AccessToken); status == http.StatusOK {
					t.Fatal("the access token survived the code's replay")
				}
			}

			// A new grant: its refresh token rotates once, whichever replica
			// is asked, and its reuse revokes the grant.
			f = newFlow(e.config(oauth2.AuthStyleInHeader))
			tok, err = f.exchange(e.obtainCode(f, "sandbox-user-1"))
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := f.refresh(tok.RefreshToken)
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if _, err := f.refresh(tok.RefreshToken); err == nil {
				t.Fatal("a rotated-out refresh token was accepted")
			}
			if _, err := f.refresh(fresh.RefreshToken); err == nil {
				t.Error("the grant survived the reuse of a refresh token")
			}
		})
	}
}

// TestReplicasConsentOnce: Allow on one replica, then Deny of the same
// request on the other, finds the request already answered.
func TestReplicasConsentOnce(t *testing.T) {
	var n atomic.Int32
	e, _ := startReplicas(t, func(*http.Request) int { return int(n.Add(1) % 2) })
	f := newFlow(e.config(oauth2.AuthStyleInHeader))
	form := e.startFlow(f.authURL())
	e.submit(form, "allow", "sandbox-user-1", http.StatusSeeOther)
	e.submit(form, "deny", "", http.StatusBadRequest)
}
