package oauth

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/oauth2"

	"github.com/accessrequests/accessrequests/app/sources"
)

// authStyle is how the source's client authenticates at the token
// endpoint; guess is true when the source does not say (token_auth unset),
// and only then may a refused Basic attempt be followed by a second one
// with the credentials in the body.
func authStyle(src *sources.Source) (style oauth2.AuthStyle, guess bool) {
	switch src.TokenAuth {
	case sources.TokenAuthPost:
		return oauth2.AuthStyleInParams, false
	case sources.TokenAuthBasic:
		return oauth2.AuthStyleInHeader, false
	}
	return oauth2.AuthStyleInHeader, true
}

// clientForm is a POST of form to target with the source's client
// authenticated as authStyle says: client_id and client_secret in the body,
// or HTTP Basic. Token revocation (RFC 7009) and introspection (RFC 7662)
// authenticate the client as the token endpoint does.
func clientForm(ctx context.Context, src *sources.Source, target string, form url.Values) (*http.Request, error) {
	style, _ := authStyle(src)
	if style == oauth2.AuthStyleInParams {
		form.Set("client_id", src.ClientID)
		form.Set("client_secret", src.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if style == oauth2.AuthStyleInHeader {
		req.SetBasicAuth(url.QueryEscape(src.ClientID), url.QueryEscape(src.ClientSecret))
	}
	return req, nil
}

// clientRefused reports whether the token endpoint refused the client
// itself (invalid_client, or a bare 401), which it does before looking at
// the code or the refresh token.
func clientRefused(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && (re.ErrorCode == "invalid_client" ||
		(re.ErrorCode == "" && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized))
}

// exchangeOnce sends the code to the token endpoint once, with the client
// authenticated as the source's token_auth says. A source that does not say
// gets HTTP Basic, which RFC 6749 section 2.3.1 requires every server to
// support; only when the provider refuses the client itself is the code
// sent again with the credentials in the form body instead. oauth2's own
// auto-detection resends the code after any failure (5xx, timeout,
// unreadable answer, invalid_grant): a code would reach the provider twice,
// and a failed exchange could silently succeed.
func exchangeOnce(ctx context.Context, src *sources.Source, cfg *oauth2.Config, code string, opts []oauth2.AuthCodeOption) (*oauth2.Token, error) {
	style, guess := authStyle(src)
	cfg.Endpoint.AuthStyle = style
	tok, err := cfg.Exchange(ctx, code, opts...)
	if guess && clientRefused(err) {
		cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
		tok, err = cfg.Exchange(ctx, code, opts...)
	}
	return tok, err
}

func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		code, desc := re.ErrorCode, re.ErrorDescription
		if code == "" {
			code, desc = providerError(re.Body)
		}
		if code == "" && re.Response != nil {
			code = fmt.Sprintf("http_%d", re.Response.StatusCode)
		}
		return &Error{Kind: KindToken, Code: limit(code, 64), Description: limit(desc, 300)}
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		return &Error{Kind: KindToken, Code: "timeout", Description: "The provider did not answer in time."}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindToken, Code: "timeout", Description: "The provider did not answer in time."}
	}
	if class := networkClass(err); class != "" {
		return &Error{Kind: KindToken, Code: "unreachable", Description: "The provider could not be reached.", class: class}
	}
	return &Error{Kind: KindToken, Code: "exchange_failed", Description: "The provider's answer could not be read."}
}

// networkClass names why a request never got an answer: the provider's
// name did not resolve (dns), nothing listened (connection_refused), TLS
// failed (tls), or another network error (network); "" when the request
// was answered (or failed otherwise).
func networkClass(err error) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var opErr *net.OpError
	switch {
	case errors.As(err, &dnsErr):
		return "dns"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection_refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection_reset"
	case errors.As(err, &certErr), errors.As(err, &recordErr):
		return "tls"
	case errors.As(err, &opErr):
		return "network"
	}
	return ""
}

// logUnreachable writes a WARN line when err is a token endpoint that could
// not be reached: the source and the error class only (no URL, code or
// token), so that operators see an outage the invitee's page reports.
func (c *Client) logUnreachable(ctx context.Context, src *sources.Source, op string, err error) {
	var e *Error
	if !errors.As(err, &e) || e.class == "" {
		return
	}
	log := c.Log
	if log == nil {
		log = slog.Default()
	}
	log.WarnContext(ctx, "provider unreachable", "source", src.Key, "endpoint", "token", "op", op, "class", e.class)
}

// hubspotRefused are HubSpot's codes for a refused code or refresh token:
// RFC 6749's invalid_grant, so that ErrInvalidGrant matches.
var hubspotRefused = map[string]bool{"BAD_REFRESH_TOKEN": true, "BAD_AUTH_CODE": true}

// providerError reads the error shapes of token endpoints that do not
// follow RFC 6749 section 5.2: Facebook's {"error":{"message", "type",
// "code"}} and HubSpot's {"status" or "category", "message"}. It returns an
// empty code for anything else.
func providerError(body []byte) (code, description string) {
	var e struct {
		Error struct {
			Message string          `json:"message"`
			Type    string          `json:"type"`
			Code    json.RawMessage `json:"code"`
		} `json:"error"`
		Status   string `json:"status"`
		Category string `json:"category"`
		Message  string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	switch {
	case e.Error.Type != "" || len(e.Error.Code) > 0:
		code = e.Error.Type
		if n, err := strconv.Atoi(string(e.Error.Code)); err == nil {
			code = strings.TrimPrefix(code+"_"+strconv.Itoa(n), "_")
		}
		return code, e.Error.Message
	case hubspotRefused[e.Status] || hubspotRefused[e.Category]:
		return "invalid_grant", e.Message
	case e.Category != "":
		return e.Category, e.Message
	case e.Status != "" && e.Status != "error":
		return e.Status, e.Message
	}
	return "", ""
}
