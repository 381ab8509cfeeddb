package sandbox

import (
	"errors"
	"net/http"
	"strings"

	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// userinfo serves /userinfo. The op package answers 403 when its storage
// refuses a token it could decrypt (an expired or revoked one), and 401
// only for tokens it cannot read; RFC 6750 section 3.1 wants 401 with
// error="invalid_token" for both, which is what a client refreshing on 401
// relies on. A storage failure is a 500, not a reason to drop the token.
type userinfo struct {
	provider *op.Provider
	store    *storage
}

func (u *userinfo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	token, err := op.ParseUserinfoRequest(r, u.provider.Decoder())
	if err != nil || token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sandbox"`)
		http.Error(w, "access token missing", http.StatusUnauthorized)
		return
	}
	// Access tokens are opaque: "tokenID:subject" sealed with the
	// provider's key (op.Provider's Crypto), as the op package makes them.
	plain, err := u.provider.Crypto().Decrypt(token)
	tokenID, subject, ok := strings.Cut(plain, ":")
	if err != nil || !ok || strings.Contains(subject, ":") {
		invalidToken(w)
		return
	}
	info := new(oidc.UserInfo)
	err = u.store.SetUserinfoFromToken(r.Context(), info, tokenID, subject, "")
	switch {
	case errors.Is(err, errUnknownToken):
		invalidToken(w)
	case err != nil:
		http.Error(w, "the sandbox could not read its tokens", http.StatusInternalServerError)
	default:
		httphelper.MarshalJSON(w, info)
	}
}

// invalidToken answers 401 for a token that is unknown, expired or revoked.
func invalidToken(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="sandbox", error="invalid_token", error_description="The access token is unknown, expired or revoked."`)
	http.Error(w, "access token invalid", http.StatusUnauthorized)
}
