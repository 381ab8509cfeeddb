package oauth_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/oauth"
	"github.com/accessrequests/accessrequests/app/sources"
)

func catalog(t *testing.T) *sources.Catalog {
	t.Helper()
	env := func(k string) string {
		if strings.HasSuffix(k, "_CLIENT_ID") {
			return "id-" + strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(k, "SOURCE_"), "_CLIENT_ID"))
		}
		if strings.HasSuffix(k, "_CLIENT_SECRET") {
			return "secret"
		}
		return ""
	}
	c, err := sources.Load(sources.Options{Getenv: env, SandboxURL: "http://localhost:8080/sandbox", SandboxSecret: "sb"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAuthCodeURL checks the authorize URL every catalog entry builds.
func TestAuthCodeURL(t *testing.T) {
	cat := catalog(t)
	client := oauth.NewClient("https://app.example/oauth/callback")
	tests := []struct {
		key      string
		host     string // expected authorize host
		path     string
		pkce     bool
		nonce    bool
		scopeSep string
		params   map[string]string
		shop     string
	}{
		{key: "google_ads", host: "accounts.google.com", path: "/o/oauth2/v2/auth", pkce: true, nonce: true, scopeSep: " ",
			params: map[string]string{"access_type": "offline", "prompt": "consent"}},
		{key: "google_analytics", host: "accounts.google.com", path: "/o/oauth2/v2/auth", pkce: true, nonce: true, scopeSep: " ",
			params: map[string]string{"access_type": "offline", "prompt": "consent"}},
		{key: "google_sheets", host: "accounts.google.com", path: "/o/oauth2/v2/auth", pkce: true, nonce: true, scopeSep: " ",
			params: map[string]string{"access_type": "offline", "prompt": "consent"}},
		{key: "facebook_ads", host: "www.facebook.com", path: "/v27.0/dialog/oauth", pkce: false, scopeSep: ","},
		{key: "linkedin_ads", host: "www.linkedin.com", path: "/oauth/v2/authorization", pkce: false, scopeSep: " "},
		{key: "shopify", host: "acme.myshopify.com", path: "/admin/oauth/authorize", pkce: false, scopeSep: ",", shop: "acme.myshopify.com"},
		{key: "quickbooks", host: "appcenter.intuit.com", path: "/connect/oauth2", pkce: false, scopeSep: " "},
		{key: "xero", host: "login.xero.com", path: "/identity/connect/authorize", pkce: true, nonce: true, scopeSep: " "},
		{key: "hubspot", host: "app.hubspot.com", path: "/oauth/authorize", pkce: true, scopeSep: " "},
		{key: "sandbox", host: "localhost:8080", path: "/sandbox/authorize", pkce: true, nonce: true, scopeSep: " "},
	}
	if len(tests) != len(cat.All()) {
		t.Fatalf("catalog has %d sources, test covers %d", len(cat.All()), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			src := cat.Get(tt.key)
			if src == nil {
				t.Fatalf("source %q missing", tt.key)
			}
			f := oauth.Begin("link-id", src, tt.shop, time.Now())
			u, err := url.Parse(client.AuthCodeURL(src, f))
			if err != nil {
				t.Fatal(err)
			}
			if u.Scheme != "https" && tt.key != "sandbox" {
				t.Errorf("scheme = %s", u.Scheme)
			}
			if u.Host != tt.host || u.Path != tt.path {
				t.Errorf("authorize URL = %s%s, want %s%s", u.Host, u.Path, tt.host, tt.path)
			}
			q := u.Query()
			if q.Get("response_type") != "code" || q.Get("client_id") != src.ClientID || q.Get("redirect_uri") != "https://app.example/oauth/callback" {
				t.Errorf("query = %v", q)
			}
			if q.Get("state") != f.State || len(f.State) < 43 {
				t.Errorf("state = %q", q.Get("state"))
			}
			if want := strings.Join(src.ScopeNames(), tt.scopeSep); q.Get("scope") != want {
				t.Errorf("scope = %q, want %q", q.Get("scope"), want)
			}
			if tt.pkce {
				if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 {
					t.Errorf("PKCE missing: %v", q)
				}
			} else if q.Has("code_challenge") {
				t.Errorf("PKCE sent to a source without it: %v", q)
			}
			if tt.nonce != (q.Get("nonce") != "") || (tt.nonce && q.Get("nonce") != f.Nonce) {
				t.Errorf("nonce = %q, want present=%v", q.Get("nonce"), tt.nonce)
			}
			for k, v := range tt.params {
				if q.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, q.Get(k), v)
				}
			}
		})
	}
}

func TestBeginIsFresh(t *testing.T) {
	src := catalog(t).Get("sandbox")
	a, b := oauth.Begin("l", src, "", time.Now()), oauth.Begin("l", src, "", time.Now())
	if a.State == b.State || a.Verifier == b.Verifier || a.Nonce == b.Nonce {
		t.Fatal("two flows share state, verifier or nonce")
	}
}

func TestNormalizeShop(t *testing.T) {
	ok := map[string]string{
		"acme":                        "acme.myshopify.com",
		"Acme-Store.myshopify.com":    "acme-store.myshopify.com",
		"https://acme.myshopify.com/": "acme.myshopify.com",
		"  shop2.myshopify.com ":      "shop2.myshopify.com",
	}
	for in, want := range ok {
		got, err := oauth.NormalizeShop(in)
		if err != nil || got != want {
			t.Errorf("NormalizeShop(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []string{"", "evil.com", "acme.myshopify.com.evil.com", "acme.myshopify.com/admin", "acme.myshopify.com@evil.com",
		"-acme.myshopify.com", "ac me.myshopify.com", "acme.myshopify.com:8080", "evil.com#.myshopify.com", "acme.evil.com",
		"acme%2eevil.com", "xn--80ak6aa92e.com", "acme.myshopify.co", strings.Repeat("a", 70) + ".myshopify.com"}
	for _, in := range bad {
		if got, err := oauth.NormalizeShop(in); err == nil {
			t.Errorf("NormalizeShop(%q) = %q, want an error", in, got)
		}
	}
}

func sign(q url.Values, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(oauth.ShopifyMessage(q)))
	return hex.EncodeToString(mac.Sum(nil))
}

func TestShopifyHMAC(t *testing.T) {
	base := url.Values{"code": {"0907a61c0c8d55e99db179b68161bc00"}, "shop": {"acme.myshopify.com"}, "state": {"s"}, "timestamp": {"1337178173"}}
	// The example from Shopify's documentation: message and digest.
	if got := oauth.ShopifyMessage(base); got != "code=0907a61c0c8d55e99db179b68161bc00&shop=acme.myshopify.com&state=s&timestamp=1337178173" {
		t.Fatalf("message = %q", got)
	}
	// Values are form-encoded like Shopify's official library
	// (URLSearchParams): the base64 host's "=" padding is signed as %3D.
	withHost := url.Values{"code": {"c"}, "host": {"YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZQ=="}, "shop": {"acme.myshopify.com"}, "state": {"a b*~/"}, "timestamp": {"1"}, "hmac": {"x"}}
	if got := oauth.ShopifyMessage(withHost); got != "code=c&host=YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZQ%3D%3D&shop=acme.myshopify.com&state=a+b*%7E%2F&timestamp=1" {
		t.Errorf("message with host = %q", got)
	}
	good := url.Values{}
	for k, v := range base {
		good[k] = v
	}
	good.Set("hmac", sign(base, "secret"))
	t.Run("OK", func(t *testing.T) {
		if !oauth.ShopifyHMACValid(good, "secret") {
			t.Fatal("valid hmac refused")
		}
	})
	cases := map[string]func(q url.Values){
		"WrongSecret":   func(q url.Values) {},
		"TamperedShop":  func(q url.Values) { q.Set("shop", "evil.myshopify.com") },
		"AddedParam":    func(q url.Values) { q.Set("extra", "1") },
		"MissingHMAC":   func(q url.Values) { q.Del("hmac") },
		"NotHex":        func(q url.Values) { q.Set("hmac", "zz") },
		"Truncated":     func(q url.Values) { q.Set("hmac", q.Get("hmac")[:10]) },
		"UpperCaseSame": func(q url.Values) { q.Set("state", "S") },
	}
	for name, mutate := range cases {
		t.Run("Err"+name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range good {
				q[k] = append([]string(nil), v...)
			}
			mutate(q)
			secret := "secret"
			if name == "WrongSecret" {
				secret = "other"
			}
			if oauth.ShopifyHMACValid(q, secret) {
				t.Fatal("forged hmac accepted")
			}
		})
	}
	t.Run("ErrEmptySecret", func(t *testing.T) {
		q := url.Values{"shop": {"a.myshopify.com"}}
		q.Set("hmac", sign(q, ""))
		if oauth.ShopifyHMACValid(q, "") {
			t.Fatal("hmac with empty secret accepted")
		}
	})
}

func TestVerifyCallback(t *testing.T) {
	cat := catalog(t)
	t.Run("ErrIssuerMismatch", func(t *testing.T) {
		src := cat.Get("sandbox")
		f := oauth.Begin("l", src, "", time.Now())
		err := oauth.VerifyCallback(src, f, url.Values{"iss": {"https://evil.example"}})
		if err == nil {
			t.Fatal("foreign issuer accepted")
		}
		if err := oauth.VerifyCallback(src, f, url.Values{"iss": {src.Issuer}}); err != nil {
			t.Fatalf("own issuer refused: %v", err)
		}
	})
	t.Run("ErrShopMismatch", func(t *testing.T) {
		src := cat.Get("shopify")
		f := oauth.Begin("l", src, "acme.myshopify.com", time.Now())
		q := url.Values{"shop": {"other.myshopify.com"}, "code": {"c"}}
		q.Set("hmac", sign(q, "secret"))
		if oauth.VerifyCallback(src, f, q) == nil {
			t.Fatal("callback for another shop accepted")
		}
		q = url.Values{"shop": {"acme.myshopify.com"}, "code": {"c"}}
		q.Set("hmac", sign(q, "secret"))
		if err := oauth.VerifyCallback(src, f, q); err != nil {
			t.Fatalf("valid Shopify callback refused: %v", err)
		}
	})
}

func TestCheckState(t *testing.T) {
	src := catalog(t).Get("sandbox")
	now := time.Now()
	f := oauth.Begin("l", src, "", now)
	if err := oauth.CheckState(f, f.State, now.Add(time.Minute)); err != nil {
		t.Fatalf("OK: %v", err)
	}
	for name, tc := range map[string]struct {
		f     *oauth.Flow
		state string
		at    time.Time
	}{
		"ErrMissingFlow":  {nil, f.State, now},
		"ErrMissingState": {f, "", now},
		"ErrWrongState":   {f, f.State[:len(f.State)-1] + "x", now},
		"ErrExpired":      {f, f.State, now.Add(11 * time.Minute)},
	} {
		t.Run(name, func(t *testing.T) {
			if oauth.CheckState(tc.f, tc.state, tc.at) == nil {
				t.Fatal("accepted")
			}
		})
	}
}
