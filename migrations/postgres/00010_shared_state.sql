-- +goose Up
-- State shared by every app process, so that any replica behind a load
-- balancer can answer any step (issue 13).
--
-- Sign-in throttling: one row per counted attempt (or failure), keyed by the
-- SHA-256 of what is throttled ("login-ip:" + address, "login-email:" +
-- email, "login-fail:" + email + address, "password:" + user ID), so no
-- email or address is stored in the clear. A limit counts the rows of a key
-- newer than its window; rows past expires_at are deleted by the next write.
CREATE TABLE sign_in_throttle (
    id          TEXT PRIMARY KEY NOT NULL,
    key_hash    TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_throttle_key_idx ON sign_in_throttle (key_hash, at);
CREATE INDEX sign_in_throttle_expires_idx ON sign_in_throttle (expires_at);

-- The sandbox OAuth provider (app/sandbox, never in production). Every row
-- names the issuer it belongs to, so providers sharing a database stay
-- apart. Codes and refresh tokens are kept only as their SHA-256; the
-- client's state, nonce and login hint are sealed (AES-GCM, key derived
-- from the client secret).
CREATE TABLE sandbox_auth_requests (
    id                     TEXT PRIMARY KEY NOT NULL,
    issuer                 TEXT NOT NULL,
    client_id              TEXT NOT NULL,
    redirect_uri           TEXT NOT NULL,
    state                  TEXT NOT NULL,
    nonce                  TEXT NOT NULL,
    scopes                 TEXT NOT NULL,
    response_type          TEXT NOT NULL,
    response_mode          TEXT NOT NULL,
    code_challenge         TEXT NOT NULL,
    code_challenge_method  TEXT NOT NULL,
    login_hint             TEXT NOT NULL,
    subject                TEXT NOT NULL,
    auth_time              TIMESTAMPTZ NOT NULL,
    done                   BOOLEAN NOT NULL,
    code_issued            BOOLEAN NOT NULL,
    expires_at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX sandbox_auth_requests_expires_idx ON sandbox_auth_requests (expires_at);

-- An issued code, used at most once; a used code stays until forget_at so
-- that its replay is recognised and revokes its grant.
CREATE TABLE sandbox_codes (
    code_hash   TEXT PRIMARY KEY NOT NULL,
    issuer      TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    used        BOOLEAN NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    forget_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sandbox_codes_forget_idx ON sandbox_codes (forget_at);

-- Access tokens (kind 'access', id is the token ID sealed in the token),
-- refresh tokens (kind 'refresh', id is the token's hash) and rotated-out
-- refresh tokens kept to detect their reuse (kind 'used').
CREATE TABLE sandbox_tokens (
    id          TEXT PRIMARY KEY NOT NULL,
    issuer      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    grant_id    TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    auth_time   TIMESTAMPTZ NOT NULL,
    issued_at   TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sandbox_tokens_grant_idx ON sandbox_tokens (grant_id);
CREATE INDEX sandbox_tokens_expires_idx ON sandbox_tokens (expires_at);

-- Grants revoked recently: no new token is issued for them until until_at.
CREATE TABLE sandbox_revoked_grants (
    grant_id    TEXT PRIMARY KEY NOT NULL,
    issuer      TEXT NOT NULL,
    until_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX sandbox_revoked_grants_until_idx ON sandbox_revoked_grants (until_at);

-- +goose Down
DROP TABLE sandbox_revoked_grants;
DROP TABLE sandbox_tokens;
DROP TABLE sandbox_codes;
DROP TABLE sandbox_auth_requests;
DROP TABLE sign_in_throttle;
