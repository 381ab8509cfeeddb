-- +goose Up
-- One row per OAuth callback that reached the code exchange, keyed by a hash
-- of its state: a repeated or concurrent callback of the same flow finds the
-- row and never exchanges the code a second time. Rows older than a day are
-- removed by the next callback; nothing else needs them.
CREATE TABLE oauth_callbacks (
    state_hash     TEXT PRIMARY KEY NOT NULL,
    link_id        TEXT NOT NULL,
    outcome        TEXT NOT NULL DEFAULT '',
    account_label  TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX oauth_callbacks_created_idx ON oauth_callbacks (created_at);

-- +goose Down
DROP TABLE oauth_callbacks;
