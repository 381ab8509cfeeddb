package api

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/accessrequests/accessrequests/app/access"
)

// Account statuses as the API names them.
const (
	AccountConnected      = "connected"
	AccountNeedsReconnect = "needs_reconnect"
)

// Account is a connected account. Never its tokens: POST
// /accounts/{id}/token hands out an access token.
type Account struct {
	ID         string `json:"id"`
	Source     string `json:"source" doc:"The key of the account's source."`
	ExternalID string `json:"external_id" doc:"The account's ID at the provider."`
	// DisplayName is the workspace's own name for the account.
	DisplayName string   `json:"display_name" doc:"The name the workspace gave the account (PATCH /accounts/{id}); empty when it has none, and name, the provider's, is shown."`
	Name        string   `json:"name" doc:"The account's name at the provider."`
	Email       string   `json:"email" doc:"The account's email address at the provider."`
	Scopes      []string `json:"scopes" nullable:"false" doc:"The scopes the owner granted."`
	Status      string   `json:"status" enum:"connected,needs_reconnect" doc:"needs_reconnect: the provider refused the refresh; send the owner a new link."`
	LinkID      *string  `json:"link_id,omitempty" doc:"The link the account came through."`
	// LinkCreatedBy names who made that link.
	LinkCreatedBy   string         `json:"link_created_by,omitempty" doc:"Who made the link the account came through."`
	ProviderDetails map[string]any `json:"provider_details" doc:"What the provider said about the account: QuickBooks realm_id, Shopify shop, Xero tenants."`
	TokenExpiresAt  *time.Time     `json:"token_expires_at,omitempty" doc:"When the stored access token expires; absent when the provider did not say."`
	RefreshedAt     *time.Time     `json:"refreshed_at,omitempty" doc:"When the tokens were last refreshed; absent when never since the account was connected."`
	CreatedAt       time.Time      `json:"created_at"`
	UpdatedAt       time.Time      `json:"updated_at"`
}

// accountStatus is the API's name of a stored account status.
func accountStatus(s string) string {
	if s == access.AccountReauthorizationRequired {
		return AccountNeedsReconnect
	}
	return AccountConnected
}

func accountOut(a *access.Account) Account {
	out := Account{ID: a.ID, Source: a.SourceKey, ExternalID: a.ExternalID, DisplayName: a.LocalName, Name: a.DisplayName, Email: a.Email,
		Scopes: strings.Fields(a.Scopes), Status: accountStatus(a.Status), LinkID: a.LinkID, LinkCreatedBy: a.CreatorName,
		ProviderDetails: map[string]any{}, TokenExpiresAt: a.TokenExpiresAt, RefreshedAt: a.RefreshedAt, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if a.Extra != "" {
		_ = json.Unmarshal([]byte(a.Extra), &out.ProviderDetails)
	}
	return out
}

// AccountList is one page of connected accounts.
type AccountList struct {
	Data       []Account `json:"data" nullable:"false"`
	NextCursor string    `json:"next_cursor"`
}

type accountListOutput struct {
	Body AccountList
}

type listAccountsInput struct {
	Q      string `query:"q" maxLength:"100" doc:"Only accounts whose name (the workspace's or the provider's), external ID or email contains this text, in any case."`
	Source string `query:"source" maxLength:"64" doc:"Only accounts of this source."`
	PageParams
}

// listAccounts is GET /api/v1/accounts.
func (a *API) listAccounts(ctx context.Context, in *listAccountsInput) (*accountListOutput, error) {
	page, err := a.svc.AccountsPage(ctx, workspaceID(ctx), access.AccountFilter{Query: in.Q, Source: in.Source, Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	out := &accountListOutput{Body: AccountList{Data: make([]Account, len(page.Accounts)), NextCursor: page.NextCursor}}
	for i := range page.Accounts {
		out.Body.Data[i] = accountOut(&page.Accounts[i])
	}
	return out, nil
}

type accountOutput struct {
	Body Account
}

// getAccount is GET /api/v1/accounts/{id}.
func (a *API) getAccount(ctx context.Context, in *idInput) (*accountOutput, error) {
	acc, err := a.svc.Account(ctx, workspaceID(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &accountOutput{Body: accountOut(acc)}, nil
}

type renameAccountInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The account's ID."`
	Body struct {
		DisplayName string `json:"display_name" maxLength:"80" doc:"The workspace's name for the account, at most 80 characters (control characters are removed, spaces collapsed); empty to show the provider's name again." example:"Acme Bakery: Google Ads"`
	}
}

// renameAccount is PATCH /api/v1/accounts/{id}.
func (a *API) renameAccount(ctx context.Context, in *renameAccountInput) (*accountOutput, error) {
	acc, err := a.svc.RenameAccount(ctx, principal(ctx).Membership, actor(ctx), in.ID, in.Body.DisplayName)
	if err != nil {
		return nil, err
	}
	return &accountOutput{Body: accountOut(acc)}, nil
}

// Token is a live access token of a connected account.
type Token struct {
	AccessToken string     `json:"access_token" doc:"Call the provider's API with it. A secret."`
	TokenType   string     `json:"token_type" enum:"Bearer"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty" doc:"When it expires; absent when the provider did not say. Ask again when it is near: the token is refreshed a minute before."`
	Scopes      []string   `json:"scopes" nullable:"false" doc:"The scopes the owner granted."`
}

type tokenInput struct {
	IdempotencyParams
	ID string `path:"id" maxLength:"64"`
}

type tokenOutput struct {
	Body Token
}

// accountToken is POST /api/v1/accounts/{id}/token.
func (a *API) accountToken(ctx context.Context, in *tokenInput) (*tokenOutput, error) {
	t, err := a.svc.APIAccessToken(ctx, workspaceID(ctx), in.ID, a.refresh)
	if err != nil {
		return nil, err
	}
	return &tokenOutput{Body: Token{AccessToken: t.AccessToken, TokenType: "Bearer", ExpiresAt: t.ExpiresAt, Scopes: strings.Fields(t.Scopes)}}, nil
}

// reconnectLink is POST /api/v1/accounts/{id}/reconnect-link: 201, a link
// pinned to the account, as POST /links answers.
func (a *API) reconnectLink(ctx context.Context, in *tokenInput) (*linkOutput, error) {
	l, err := a.svc.GenerateReconnectLink(ctx, principal(ctx).Membership, actor(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &linkOutput{Body: linkOut(l)}, nil
}

// disconnectAccount is DELETE /api/v1/accounts/{id}: 204.
func (a *API) disconnectAccount(ctx context.Context, in *idInput) (*struct{}, error) {
	return nil, a.svc.DisconnectAccount(ctx, principal(ctx).Membership, actor(ctx), in.ID, a.revoke)
}
