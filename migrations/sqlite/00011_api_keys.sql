-- +goose NO TRANSACTION
-- +goose Up
-- API keys (issue 9): one workspace each. The key itself is shown once;
-- only its SHA-256 is kept (key_hash), with a short prefix for the list.
-- (No transaction around the file: SQLite needs foreign keys off, outside
-- any transaction, to rebuild access_links below; the rebuild itself is
-- one transaction. The app's SQLite pool has one connection.)
PRAGMA foreign_keys = OFF;

BEGIN;

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY NOT NULL,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    key_hash      TEXT NOT NULL,
    created_by    TEXT REFERENCES users (id),
    created_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP,
    last_used_ip  TEXT NOT NULL DEFAULT '',
    revoked_at    TIMESTAMP,
    revoked_by    TEXT REFERENCES users (id)
);
CREATE UNIQUE INDEX api_keys_key_hash_key ON api_keys (key_hash);
CREATE INDEX api_keys_workspace_idx ON api_keys (workspace_id, created_at DESC, id DESC);

CREATE TABLE api_key_events (
    id          TEXT PRIMARY KEY NOT NULL,
    api_key_id  TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    actor_id    TEXT REFERENCES users (id),
    ip          TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX api_key_events_once_key ON api_key_events (api_key_id, kind, ip);

CREATE TABLE api_idempotency (
    api_key_id       TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    idem_key         TEXT NOT NULL,
    request_hash     TEXT NOT NULL,
    status           INTEGER NOT NULL,
    response_sealed  TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (api_key_id, idem_key)
);
CREATE INDEX api_idempotency_created_idx ON api_idempotency (created_at);

-- A link made through the API names the key; it may have no user behind
-- it, so created_by loses NOT NULL: SQLite rebuilds the table for that.
CREATE TABLE access_links_new (
    id                    TEXT PRIMARY KEY NOT NULL,
    workspace_id          TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    source_key            TEXT NOT NULL,
    token_hash            TEXT NOT NULL,
    token_sealed          TEXT NOT NULL,
    created_by            TEXT REFERENCES users (id),
    created_at            TIMESTAMP NOT NULL,
    expires_at            TIMESTAMP NOT NULL,
    used_at               TIMESTAMP,
    deleted_at            TIMESTAMP,
    deleted_by            TEXT REFERENCES users (id),
    connected_account_id  TEXT,
    last_outcome          TEXT NOT NULL DEFAULT '',
    last_outcome_detail   TEXT NOT NULL DEFAULT '',
    last_outcome_at       TIMESTAMP,
    created_by_key_id     TEXT REFERENCES api_keys (id)
);
INSERT INTO access_links_new (id, workspace_id, source_key, token_hash, token_sealed, created_by,
    created_at, expires_at, used_at, deleted_at, deleted_by, connected_account_id,
    last_outcome, last_outcome_detail, last_outcome_at)
SELECT id, workspace_id, source_key, token_hash, token_sealed, created_by,
    created_at, expires_at, used_at, deleted_at, deleted_by, connected_account_id,
    last_outcome, last_outcome_detail, last_outcome_at
FROM access_links;
DROP TABLE access_links;
ALTER TABLE access_links_new RENAME TO access_links;
CREATE UNIQUE INDEX access_links_token_hash_key ON access_links (token_hash);
CREATE INDEX access_links_workspace_list_idx
    ON access_links (workspace_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX access_links_created_idx ON access_links (created_at DESC, id DESC);
CREATE INDEX access_links_workspace_deleted_idx
    ON access_links (workspace_id, created_at DESC, id DESC) WHERE deleted_at IS NOT NULL;
CREATE INDEX access_links_creator_idx ON access_links (created_by, created_at DESC, id DESC);
CREATE INDEX access_links_source_idx ON access_links (source_key, created_at DESC, id DESC);

COMMIT;

PRAGMA foreign_keys = ON;

-- +goose Down
-- created_by stays nullable: links made by keys keep their rows.
PRAGMA foreign_keys = OFF;
BEGIN;
DROP TABLE api_idempotency;
DROP TABLE api_key_events;
CREATE TABLE access_links_old (
    id                    TEXT PRIMARY KEY NOT NULL,
    workspace_id          TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    source_key            TEXT NOT NULL,
    token_hash            TEXT NOT NULL,
    token_sealed          TEXT NOT NULL,
    created_by            TEXT REFERENCES users (id),
    created_at            TIMESTAMP NOT NULL,
    expires_at            TIMESTAMP NOT NULL,
    used_at               TIMESTAMP,
    deleted_at            TIMESTAMP,
    deleted_by            TEXT REFERENCES users (id),
    connected_account_id  TEXT,
    last_outcome          TEXT NOT NULL DEFAULT '',
    last_outcome_detail   TEXT NOT NULL DEFAULT '',
    last_outcome_at       TIMESTAMP
);
INSERT INTO access_links_old SELECT id, workspace_id, source_key, token_hash, token_sealed, created_by,
    created_at, expires_at, used_at, deleted_at, deleted_by, connected_account_id,
    last_outcome, last_outcome_detail, last_outcome_at
FROM access_links;
DROP TABLE access_links;
ALTER TABLE access_links_old RENAME TO access_links;
CREATE UNIQUE INDEX access_links_token_hash_key ON access_links (token_hash);
CREATE INDEX access_links_workspace_list_idx
    ON access_links (workspace_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX access_links_created_idx ON access_links (created_at DESC, id DESC);
CREATE INDEX access_links_workspace_deleted_idx
    ON access_links (workspace_id, created_at DESC, id DESC) WHERE deleted_at IS NOT NULL;
CREATE INDEX access_links_creator_idx ON access_links (created_by, created_at DESC, id DESC);
CREATE INDEX access_links_source_idx ON access_links (source_key, created_at DESC, id DESC);
DROP TABLE api_keys;
COMMIT;
PRAGMA foreign_keys = ON;
