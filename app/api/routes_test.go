package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessrequests/accessrequests/app/api/client"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// call makes one request with the generated client and returns the
// answer and its body.
type call func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte)

// must is a client call's answer; a transport error (never expected: the
// server is local) ends the test.
func must[R any](r R, err error) R {
	if err != nil {
		panic(err)
	}
	return r
}

func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, body)
	}
	return v
}

func linkID(l client.Link) string       { return l.Id }
func accountID(a client.Account) string { return a.Id }

// TestRoutesByKey walks every route of the API with no key, a revoked key,
// a key of another workspace and a valid key, checking the status, the
// body's fields and the problem type of each answer.
func TestRoutesByKey(t *testing.T) {
	e, admin := parallelAPIClient(t)

	// The workspace's data: a link, a link to delete, and an account
	// connected through a link made with the API.
	mk := func() client.Link {
		r := must(admin.CreateLinkWithResponse(e.ctx, nil, client.CreateLinkJSONRequestBody{Source: "sandbox"}))
		if r.JSON201 == nil || r.JSON201.Url == nil {
			t.Fatalf("create link: %d %s", r.StatusCode(), r.Body)
		}
		return *r.JSON201
	}
	via, link, doomed, stale := mk(), mk(), mk(), mk()
	// stale expired: created 8 days ago.
	if err := e.DB.Exec("UPDATE access_links SET created_at = ?, expires_at = ? WHERE id = ?",
		stale.CreatedAt.Add(-8*24*time.Hour), stale.CreatedAt.Add(-24*time.Hour), stale.Id).Error; err != nil {
		t.Fatal(err)
	}
	e.connect(t, *via.Url, "sandbox-user-1")
	accs := must(admin.ListAccountsWithResponse(e.ctx, nil))
	if accs.JSON200 == nil || len(accs.JSON200.Data) != 1 {
		t.Fatalf("accounts: %d %s", accs.StatusCode(), accs.Body)
	}
	acc := accs.JSON200.Data[0]
	hooks := 0
	mkHook := func(events ...client.CreateWebhookInputBodyEvents) client.CreatedWebhook {
		hooks++ // one URL receives a workspace's events once: each hook its own
		r := must(admin.CreateWebhookWithResponse(e.ctx, nil, client.CreateWebhookJSONRequestBody{Url: fmt.Sprintf("http://127.0.0.1:9/hooks/%d", hooks), Events: &events}))
		if r.JSON201 == nil {
			t.Fatalf("create webhook: %d %s", r.StatusCode(), r.Body)
		}
		return *r.JSON201
	}
	hook, doomedHook := mkHook(client.CreateWebhookInputBodyEventsLinkUsed), mkHook()

	type route struct {
		name string
		call call
		// want is the status for a valid key; check reads its body.
		want  int
		check func(t *testing.T, body []byte)
		// foreign is the status for another workspace's key (404 for its
		// IDs; lists answer, without this workspace's items); checkOther
		// reads that body.
		foreign    int
		checkOther func(t *testing.T, body []byte)
	}
	// deleteRoute is a DELETE of one of this workspace's items (404 for
	// another workspace's key); after it, the admin's GET of the item
	// (status) answers 404.
	deleteRoute := func(name, what string, del call, status func() int) route {
		return route{name: name, call: del, want: 204, foreign: 404,
			check: func(t *testing.T, _ []byte) {
				if got := status(); got != 404 {
					t.Errorf("the deleted %s answers %d, want 404", what, got)
				}
			}}
	}
	routes := []route{
		{name: "GET /sources", want: 200, foreign: 200,
			call: func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.ListSourcesWithResponse(e.ctx))
				return r.HTTPResponse, r.Body
			},
			check: func(t *testing.T, body []byte) {
				l := decode[client.SourceList](t, body)
				i := slices.IndexFunc(l.Data, func(s client.Source) bool { return s.Key == "sandbox" })
				if i < 0 || len(l.Data[i].Scopes) == 0 || l.Data[i].Scopes[0].Title == "" || l.Data[i].Name == "" {
					t.Errorf("sources %s: want sandbox with titled scopes", body)
				}
			}},
		{name: "POST /links", want: 201, foreign: 201,
			call: func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.CreateLinkWithResponse(e.ctx, nil, client.CreateLinkJSONRequestBody{Source: "sandbox"}))
				return r.HTTPResponse, r.Body
			},
			check: func(t *testing.T, body []byte) {
				l := decode[client.Link](t, body)
				if l.Status != client.LinkStatusActive || l.Source != "sandbox" || l.Url == nil || !strings.HasPrefix(*l.Url, e.AppURL+"/connect/") ||
					l.CreatedBy.Type != client.ApiKey || l.CreatedBy.Name != "CRM sync" || l.CreatedBy.ApiKeyId == nil || *l.CreatedBy.ApiKeyId != e.validID ||
					l.ExpiresAt.Sub(l.CreatedAt) != 7*24*time.Hour || l.CreatedAt.Location() != time.UTC {
					t.Errorf("created link %s", body)
				}
				if !strings.Contains(string(body), `"created_at":"2026-03-02T`) || !strings.Contains(string(body), `Z","created_by"`) {
					t.Errorf("times are not RFC 3339 UTC: %s", body)
				}
			},
			checkOther: func(t *testing.T, body []byte) {
				if l := decode[client.Link](t, body); l.CreatedBy.Name != "Internal tool" {
					t.Errorf("another workspace's key made %s", body)
				}
			}},
		{name: "GET /links", want: 200, foreign: 200,
			call: func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.ListLinksWithResponse(e.ctx, nil))
				return r.HTTPResponse, r.Body
			},
			check: func(t *testing.T, body []byte) {
				got := testutil.Map(decode[client.LinkList](t, body).Data, linkID)
				if !slices.Contains(got, link.Id) || !slices.Contains(got, via.Id) {
					t.Errorf("links %v miss %s or %s", got, link.Id, via.Id)
				}
			},
			checkOther: func(t *testing.T, body []byte) {
				if got := testutil.Map(decode[client.LinkList](t, body).Data, linkID); slices.Contains(got, link.Id) || len(got) != 1 {
					t.Errorf("another workspace's key lists %v (its own link only)", got)
				}
			}},
		{name: "GET /links/{id}", want: 200, foreign: 404,
			call: func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.GetLinkWithResponse(e.ctx, link.Id))
				return r.HTTPResponse, r.Body
			},
			check: func(t *testing.T, body []byte) {
				if l := decode[client.Link](t, body); l.Id != link.Id || l.Url == nil || *l.Url != *link.Url || l.Status != client.LinkStatusActive {
					t.Errorf("link %s", body)
				}
			}},
		{name: "GET /links/{id}/events", want: 200, foreign: 404,
			call: func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.ListLinkEventsWithResponse(e.ctx, via.Id, nil))
				return r.HTTPResponse, r.Body
			},
			check: func(t *testing.T, body []byte) {
				evs := decode[client.EventList](t, body).Data
				types := testutil.Map(evs, func(ev client.Event) string { return ev.Type })
				if len(evs) < 2 || evs[len(evs)-1].Type != "created" || evs[len(evs)-1].Actor != "API key CRM sync" || !slices.Contains(types, "connected") {
					t.Errorf("events %s: want created by \"API key CRM sync\" and connected", body)
				}
			}},
		{name: "PATCH /links/{id}", want: 200, foreign: 404,
			call: func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.RelabelLinkWithResponse(e.ctx, link.Id, client.RelabelLinkJSONRequestBody{Label: " Acme\u202e  Bakery "}))
				return r.HTTPResponse, r.Body
			},
			check: func(t *testing.T, body []byte) {
				if l := decode[client.Link](t, body); l.Id != link.Id || l.Label == nil || *l.Label != "Acme Bakery" || l.Url == nil || l.Status != client.LinkStatusActive {
					t.Errorf("relabelled link %s: want label \"Acme Bakery\" on the active link with its url", body)
				}
				if g := must(admin.GetLinkWithResponse(e.ctx, link.Id)); g.JSON200 == nil || g.JSON200.Label == nil || *g.JSON200.Label != "Acme Bakery" {
					t.Errorf("read back: %d %s", g.StatusCode(), g.Body)
				}
			}},
		{name: "POST /links/{id}/renew", want: 201, foreign: 404,
			call: func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.RenewLinkWithResponse(e.ctx, stale.Id, nil))
				return r.HTTPResponse, r.Body
			},
			check: func(t *testing.T, body []byte) {
				l := decode[client.Link](t, body)
				if l.Status != client.LinkStatusActive || l.Url == nil || l.Id == stale.Id || l.RenewedFrom == nil || *l.RenewedFrom != stale.Id {
					t.Errorf("renewed link %s, want an active link renewed from %s", body, stale.Id)
				}
			}},
		deleteRoute("DELETE /links/{id}", "link",
			func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.DeleteLinkWithResponse(e.ctx, doomed.Id))
				return r.HTTPResponse, r.Body
			},
			func() int { return must(admin.GetLinkWithResponse(e.ctx, doomed.Id)).StatusCode() }),
		{name: "GET /accounts", want: 200, foreign: 200,
			call: func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.ListAccountsWithResponse(e.ctx, nil))
				return r.HTTPResponse, r.Body
			},
			check: func(t *testing.T, body []byte) {
				if got := testutil.Map(decode[client.AccountList](t, body).Data, accountID); !slices.Equal(got, []string{acc.Id}) {
					t.Errorf("accounts %v, want [%s]", got, acc.Id)
				}
			},
			checkOther: func(t *testing.T, body []byte) {
				if got := decode[client.AccountList](t, body).Data; len(got) != 0 {
					t.Errorf("another workspace's key lists accounts %v", testutil.Map(got, accountID))
				}
			}},
		{name: "GET /accounts/{id}", want: 200, foreign: 404,
			call: func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.GetAccountWithResponse(e.ctx, acc.Id))
				return r.HTTPResponse, r.Body
			},
			check: func(t *testing.T, body []byte) {
				a := decode[client.Account](t, body)
				if a.Id != acc.Id || a.Source != "sandbox" || a.ExternalId != "sandbox-user-1" || a.Status != client.Connected ||
					a.LinkId == nil || *a.LinkId != via.Id || len(a.Scopes) == 0 || a.Name == "" || a.Email == "" || a.TokenExpiresAt == nil {
					t.Errorf("account %s", body)
				}
				for _, secret := range []string{"access_token", "refresh_token"} {
					if strings.Contains(string(body), secret) {
						t.Errorf("the account carries %s: %s", secret, body)
					}
				}
			}},
		{name: "POST /accounts/{id}/reconnect-link", want: 201, foreign: 404,
			call: func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.CreateReconnectLinkWithResponse(e.ctx, acc.Id, nil))
				return r.HTTPResponse, r.Body
			},
			check: func(t *testing.T, body []byte) {
				l := decode[client.Link](t, body)
				if l.Url == nil || l.Status != client.LinkStatusActive || l.Source != "sandbox" || l.ReconnectAccountId == nil || *l.ReconnectAccountId != acc.Id {
					t.Errorf("reconnect link %s, want an active sandbox link pinned to %s", body, acc.Id)
				}
			}},
		{name: "PATCH /accounts/{id}", want: 200, foreign: 404,
			call: func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.RenameAccountWithResponse(e.ctx, acc.Id, client.RenameAccountJSONRequestBody{DisplayName: " Acme\u202e  Ads "}))
				return r.HTTPResponse, r.Body
			},
			check: func(t *testing.T, body []byte) {
				if a := decode[client.Account](t, body); a.Id != acc.Id || a.DisplayName != "Acme Ads" || a.Name == "" || a.Name == a.DisplayName {
					t.Errorf("renamed account %s: want display_name \"Acme Ads\" beside the provider's name", body)
				}
				if g := must(admin.GetAccountWithResponse(e.ctx, acc.Id)); g.JSON200 == nil || g.JSON200.DisplayName != "Acme Ads" {
					t.Errorf("read back: %d %s", g.StatusCode(), g.Body)
				}
			}},
		{name: "POST /accounts/{id}/token", want: 200, foreign: 404,
			call: func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.GetAccountTokenWithResponse(e.ctx, acc.Id, nil))
				return r.HTTPResponse, r.Body
			},
			check: func(t *testing.T, body []byte) {
				tok := decode[client.Token](t, body)
				if tok.AccessToken == "" || tok.TokenType != client.Bearer || tok.ExpiresAt == nil || len(tok.Scopes) == 0 {
					t.Errorf("token answer %s", body)
				}
				if status, sub := e.SandboxUserinfo(t, tok.AccessToken); status != 200 || sub != "sandbox-user-1" {
					t.Errorf("the token at the sandbox's user-info: %d %q", status, sub)
				}
			}},
		deleteRoute("DELETE /accounts/{id}", "account",
			func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.DisconnectAccountWithResponse(e.ctx, acc.Id))
				return r.HTTPResponse, r.Body
			},
			func() int { return must(admin.GetAccountWithResponse(e.ctx, acc.Id)).StatusCode() }),
		{name: "POST /webhooks", want: 201, foreign: 201,
			call: func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.CreateWebhookWithResponse(e.ctx, nil, client.CreateWebhookJSONRequestBody{Url: "https://example.com/hooks", Description: ptr("CRM"),
					Events: &[]client.CreateWebhookInputBodyEvents{client.CreateWebhookInputBodyEventsLinkUsed, client.CreateWebhookInputBodyEventsLinkCreated}}))
				return r.HTTPResponse, r.Body
			},
			check: func(t *testing.T, body []byte) {
				h := decode[client.CreatedWebhook](t, body)
				if !strings.HasPrefix(h.Secret, "whsec_") || h.Id == "" || h.Url != "https://example.com/hooks" || h.Description != "CRM" ||
					len(h.Events) != 2 || h.Events[0] != "link.created" || h.Events[1] != "link.used" || h.CreatedAt.Location() != time.UTC {
					t.Errorf("created webhook %s", body)
				}
				if g := must(admin.GetWebhookWithResponse(e.ctx, h.Id)); g.StatusCode() != 200 || strings.Contains(string(g.Body), h.Secret[6:]) {
					t.Errorf("the new endpoint read back: %d %s", g.StatusCode(), g.Body)
				}
			}},
		{name: "GET /webhooks", want: 200, foreign: 200,
			call: func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.ListWebhooksWithResponse(e.ctx))
				return r.HTTPResponse, r.Body
			},
			check: func(t *testing.T, body []byte) {
				l := decode[client.WebhookList](t, body)
				byID := map[string]client.Webhook{}
				for _, h := range l.Data {
					byID[h.Id] = h
				}
				if len(l.Data) != 3 || len(byID[hook.Id].Events) != 1 || byID[doomedHook.Id].Id == "" || len(byID[doomedHook.Id].Events) != 0 ||
					l.NextCursor != "" || strings.Contains(string(body), "secret") {
					t.Errorf("webhooks %s: want %s, %s and the one just made, no secret", body, hook.Id, doomedHook.Id)
				}
			},
			checkOther: func(t *testing.T, body []byte) {
				if l := decode[client.WebhookList](t, body); len(l.Data) != 1 || l.Data[0].Id == hook.Id {
					t.Errorf("another workspace's key lists %s (its own endpoint only)", body)
				}
			}},
		{name: "GET /webhooks/{id}", want: 200, foreign: 404,
			call: func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.GetWebhookWithResponse(e.ctx, hook.Id))
				return r.HTTPResponse, r.Body
			},
			check: func(t *testing.T, body []byte) {
				h := decode[client.Webhook](t, body)
				if h.Id != hook.Id || h.Url != "http://127.0.0.1:9/hooks/1" || len(h.Events) != 1 || h.Events[0] != "link.used" || strings.Contains(string(body), "secret") {
					t.Errorf("webhook %s", body)
				}
			}},
		deleteRoute("DELETE /webhooks/{id}", "endpoint",
			func(t *testing.T, c *client.ClientWithResponses) (*http.Response, []byte) {
				r := must(c.DeleteWebhookWithResponse(e.ctx, doomedHook.Id))
				return r.HTTPResponse, r.Body
			},
			func() int { return must(admin.GetWebhookWithResponse(e.ctx, doomedHook.Id)).StatusCode() }),
	}

	keys := []struct{ name, key string }{{"NoKey", ""}, {"RevokedKey", e.revoked}, {"OtherWorkspaceKey", e.other}, {"ValidKey", e.valid}}
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			for _, k := range keys {
				t.Run(k.name, func(t *testing.T) {
					res, body := r.call(t, e.client(t, k.key))
					want, check := r.want, r.check
					switch k.name {
					case "NoKey", "RevokedKey":
						want, check = http.StatusUnauthorized, nil
					case "OtherWorkspaceKey":
						want, check = r.foreign, r.checkOther
					}
					if res.StatusCode != want {
						t.Fatalf("status %d, want %d\n%s", res.StatusCode, want, body)
					}
					switch {
					case want == http.StatusUnauthorized:
						if p := problem(t, res, body); p.Code != "unauthorized" || res.Header.Get("WWW-Authenticate") == "" {
							t.Errorf("problem %+v, WWW-Authenticate %q", p, res.Header.Get("WWW-Authenticate"))
						}
					case want == http.StatusNotFound:
						if p := problem(t, res, body); p.Code != "not_found" || p.Type != "/api/v1/docs#problem-not_found" {
							t.Errorf("problem %+v", p)
						}
					case check != nil:
						if ct := res.Header.Get("Content-Type"); want != 204 && ct != "application/json" {
							t.Errorf("Content-Type %q", ct)
						}
						check(t, body)
					}
				})
			}
		})
	}

	t.Run("ForeignKeyChangedNothing", func(t *testing.T) {
		l := must(admin.GetLinkWithResponse(e.ctx, link.Id))
		if l.JSON200 == nil || l.JSON200.Status != client.LinkStatusActive {
			t.Errorf("the link after another workspace's key tried it: %d %s", l.StatusCode(), l.Body)
		}
		if h := must(admin.GetWebhookWithResponse(e.ctx, hook.Id)); h.StatusCode() != 200 {
			t.Errorf("the endpoint after another workspace's key tried it: %d %s", h.StatusCode(), h.Body)
		}
	})
}
