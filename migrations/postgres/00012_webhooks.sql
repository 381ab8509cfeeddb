-- +goose Up
-- Webhooks (issue 10). River's own tables (river_job, ...) are created by
-- River's migrator right after these migrations (app/db/river.go).
--
-- An endpoint of a workspace. event_types is a space-separated list of the
-- event types it wants, empty for every event. The signing secret is sealed
-- with the app's keys; after a rotation the previous one stays valid until
-- previous_secret_until and both signatures are sent. failing_since is the
-- start of the current run of failed deliveries (NULL when the last one
-- succeeded); an endpoint failing for 5 days gets disabled_at.
CREATE TABLE webhook_endpoints (
    id                      TEXT PRIMARY KEY NOT NULL,
    workspace_id            TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    url                     TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    event_types             TEXT NOT NULL DEFAULT '',
    secret_sealed           TEXT NOT NULL,
    previous_secret_sealed  TEXT NOT NULL DEFAULT '',
    previous_secret_until   TIMESTAMPTZ,
    created_by              TEXT,
    created_at              TIMESTAMPTZ NOT NULL,
    failing_since           TIMESTAMPTZ,
    last_success_at         TIMESTAMPTZ,
    disabled_at             TIMESTAMPTZ
);
CREATE INDEX webhook_endpoints_workspace_idx ON webhook_endpoints (workspace_id, created_at);

-- One event as sent to a workspace's endpoints: id is the webhook-id, the
-- same on every attempt; payload is the exact body signed and sent.
CREATE TABLE webhook_messages (
    id            TEXT PRIMARY KEY NOT NULL,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type          TEXT NOT NULL,
    link_id       TEXT,
    payload       TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_messages_workspace_idx ON webhook_messages (workspace_id, created_at);

-- The delivery log: one row per attempt of one message to one endpoint.
CREATE TABLE webhook_deliveries (
    id                TEXT PRIMARY KEY NOT NULL,
    endpoint_id       TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id        TEXT NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
    link_id           TEXT,
    attempt           INTEGER NOT NULL,
    ok                BOOLEAN NOT NULL,
    status_code       INTEGER NOT NULL DEFAULT 0,
    latency_ms        INTEGER NOT NULL DEFAULT 0,
    response_excerpt  TEXT NOT NULL DEFAULT '',
    error             TEXT NOT NULL DEFAULT '',
    created_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at);
CREATE INDEX webhook_deliveries_message_idx ON webhook_deliveries (message_id);
CREATE INDEX webhook_deliveries_link_idx ON webhook_deliveries (link_id, created_at) WHERE link_id IS NOT NULL;

-- Events announced once: the first view of a link (link.opened), and a link
-- that passed its expiry unused (link.expired, found by a periodic job).
ALTER TABLE access_links ADD COLUMN first_opened_at TIMESTAMPTZ;
ALTER TABLE access_links ADD COLUMN expiry_announced_at TIMESTAMPTZ;
CREATE INDEX access_links_expiry_pending_idx ON access_links (expires_at)
    WHERE used_at IS NULL AND deleted_at IS NULL AND expiry_announced_at IS NULL;

-- +goose Down
DROP INDEX access_links_expiry_pending_idx;
ALTER TABLE access_links DROP COLUMN expiry_announced_at;
ALTER TABLE access_links DROP COLUMN first_opened_at;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_messages;
DROP TABLE webhook_endpoints;
