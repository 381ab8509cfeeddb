-- +goose Up
-- API keys (issue 9): one workspace each. The key itself is shown once;
-- only its SHA-256 is kept (key_hash), with a short prefix for the list.
CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY NOT NULL,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    key_hash      TEXT NOT NULL,
    created_by    TEXT REFERENCES users (id),
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ,
    last_used_ip  TEXT NOT NULL DEFAULT '',
    revoked_at    TIMESTAMPTZ,
    revoked_by    TEXT REFERENCES users (id)
);
CREATE UNIQUE INDEX api_keys_key_hash_key ON api_keys (key_hash);
CREATE INDEX api_keys_workspace_idx ON api_keys (workspace_id, created_at DESC, id DESC);

-- What happened to a key: created, used from an address not seen before,
-- revoked. One row per (key, kind, address), so a key's first use from an
-- address is recorded once however many replicas see it.
CREATE TABLE api_key_events (
    id          TEXT PRIMARY KEY NOT NULL,
    api_key_id  TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    actor_id    TEXT REFERENCES users (id),
    ip          TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX api_key_events_once_key ON api_key_events (api_key_id, kind, ip);

-- Idempotency-Key of a POST, honoured for 24 hours: the first request's
-- answer is replayed to a repeat with the same key and body. The answer
-- may hold a secret (a link's URL), so it is sealed like every secret.
-- A row with status 0 is a request still in progress.
CREATE TABLE api_idempotency (
    api_key_id       TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    idem_key         TEXT NOT NULL,
    request_hash     TEXT NOT NULL,
    status           INTEGER NOT NULL,
    response_sealed  TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (api_key_id, idem_key)
);
CREATE INDEX api_idempotency_created_idx ON api_idempotency (created_at);

-- A link made through the API names the key; it may have no user behind it.
ALTER TABLE access_links ALTER COLUMN created_by DROP NOT NULL;
ALTER TABLE access_links ADD COLUMN created_by_key_id TEXT REFERENCES api_keys (id);

-- +goose Down
ALTER TABLE access_links DROP COLUMN created_by_key_id;
DROP TABLE api_idempotency;
DROP TABLE api_key_events;
DROP TABLE api_keys;
