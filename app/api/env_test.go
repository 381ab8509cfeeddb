package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/access"
	"github.com/accessrequests/accessrequests/app/api"
	"github.com/accessrequests/accessrequests/app/api/client"
	"github.com/accessrequests/accessrequests/app/internal/testutil"
)

// apiEnv is the application and the sandbox on real listeners (a flow
// environment), with API keys: one of the Client reporting workspace, one
// of it that is revoked, and one of the Internal workspace.
type apiEnv struct {
	*testutil.FlowEnv
	ctx                   context.Context
	valid, revoked, other string
	validID               string
}

func newAPIEnv(t testing.TB, opt testutil.FlowOptions) *apiEnv {
	t.Helper()
	e := &apiEnv{FlowEnv: testutil.NewFlowEnv(t, opt), ctx: context.Background()}
	k, raw, err := e.Svc.CreateAPIKeyForWorkspace(e.ctx, e.F.Reporting.ID, "CRM sync")
	if err != nil {
		t.Fatal(err)
	}
	e.valid, e.validID = raw, k.ID
	rk, raw, err := e.Svc.CreateAPIKeyForWorkspace(e.ctx, e.F.Reporting.ID, "old")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.RevokeAPIKeyByID(e.ctx, rk.ID); err != nil {
		t.Fatal(err)
	}
	e.revoked = raw
	if _, e.other, err = e.Svc.CreateAPIKeyForWorkspace(e.ctx, e.F.Internal.ID, "Internal tool"); err != nil {
		t.Fatal(err)
	}
	return e
}

// parallelAPIClient runs t in parallel with the other tests that call it
// and returns newAPIEnv with the default options (opts for the service)
// and the client most tests
// call with: the one that sends the valid key.
func parallelAPIClient(t *testing.T, opts ...access.Option) (*apiEnv, *client.ClientWithResponses) {
	t.Helper()
	t.Parallel()
	e := newAPIEnv(t, testutil.FlowOptions{ServiceOptions: opts})
	return e, e.client(t, e.valid)
}

// client is the generated client with key as its bearer ("" sends none).
func (e *apiEnv) client(t testing.TB, key string) *client.ClientWithResponses {
	t.Helper()
	c, err := client.NewClientWithResponses(e.AppURL+api.Prefix, client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		if key != "" {
			r.Header.Set("Authorization", "Bearer "+key)
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// raw sends method path (below the API's prefix) with the valid key and,
// when body is not "", that JSON body, without the generated client, so
// that tests can send what it would refuse to; it returns the answer and
// its body.
func (e *apiEnv) raw(t *testing.T, method, path, body string) (*http.Response, []byte) {
	t.Helper()
	return rawAt(t, e.AppURL, e.valid, method, path, body)
}

// rawAt is raw against the app at base, with key.
func rawAt(t *testing.T, base, key, method, path, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, base+api.Prefix+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, b
}

// problem decodes a problem document and checks its media type and shape.
func problem(t *testing.T, res *http.Response, body []byte) client.Problem {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var p client.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("not a problem document: %v\n%s", err, body)
	}
	if p.Status != int64(res.StatusCode) || p.Type != api.ProblemTypeBase+p.Code || p.Title == "" {
		t.Errorf("problem %+v does not match its status %d and code", p, res.StatusCode)
	}
	return p
}

// connect completes a link's URL in the sandbox as account, through the
// consent page, and returns the account's ID read through the API.
func (e *apiEnv) connect(t testing.TB, url, account string) {
	t.Helper()
	token := strings.TrimPrefix(url, e.AppURL+"/connect/")
	if token == url {
		t.Fatalf("link URL %q is not on the app", url)
	}
	if p := e.NewInvitee("owner-"+account).Connect(t, token, account); p.Status != http.StatusOK || !p.Has("connect-success") {
		t.Fatalf("connecting in the sandbox: %d\n%s", p.Status, p.Excerpt())
	}
}

// connectedAccount creates a sandbox link through the API, connects it as
// sandbox-user-1 and returns the link's ID, the account's ID and the access
// token the API hands out for the account.
func (e *apiEnv) connectedAccount(t testing.TB, c *client.ClientWithResponses) (linkID, accountID, accessToken string) {
	t.Helper()
	l := must(c.CreateLinkWithResponse(e.ctx, nil, client.CreateLinkJSONRequestBody{Source: "sandbox"}))
	if l.JSON201 == nil || l.JSON201.Url == nil {
		t.Fatalf("create link: %d %s", l.StatusCode(), l.Body)
	}
	e.connect(t, *l.JSON201.Url, "sandbox-user-1")
	accs := must(c.ListAccountsWithResponse(e.ctx, nil))
	if accs.JSON200 == nil || len(accs.JSON200.Data) != 1 {
		t.Fatalf("accounts: %d %s", accs.StatusCode(), accs.Body)
	}
	id := accs.JSON200.Data[0].Id
	tok := must(c.GetAccountTokenWithResponse(e.ctx, id, nil))
	if tok.JSON200 == nil {
		t.Fatalf("token: %d %s", tok.StatusCode(), tok.Body)
	}
	return l.JSON201.Id, id, tok.JSON200.AccessToken
}
