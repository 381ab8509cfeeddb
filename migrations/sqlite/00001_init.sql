-- +goose Up
CREATE TABLE organizations (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    plan        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY NOT NULL,
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    is_support     BOOLEAN NOT NULL DEFAULT 0,
    created_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE organization_members (
    organization_id  TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role             TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX organization_members_user_idx ON organization_members (user_id);

CREATE TABLE workspaces (
    id               TEXT PRIMARY KEY NOT NULL,
    organization_id  TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL
);
CREATE INDEX workspaces_organization_idx ON workspaces (organization_id);

CREATE TABLE workspace_members (
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role          TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user_idx ON workspace_members (user_id);

CREATE TABLE access_links (
    id                    TEXT PRIMARY KEY NOT NULL,
    workspace_id          TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    source_key            TEXT NOT NULL,
    token_hash            TEXT NOT NULL,
    token_sealed          TEXT NOT NULL,
    created_by            TEXT NOT NULL REFERENCES users (id),
    created_at            TIMESTAMP NOT NULL,
    expires_at            TIMESTAMP NOT NULL,
    used_at               TIMESTAMP,
    deleted_at            TIMESTAMP,
    deleted_by            TEXT REFERENCES users (id),
    connected_account_id  TEXT
);
CREATE UNIQUE INDEX access_links_token_hash_key ON access_links (token_hash);
-- The admin list: one workspace, newest first, deleted rows left out.
CREATE INDEX access_links_workspace_list_idx
    ON access_links (workspace_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX access_links_created_by_idx ON access_links (created_by);

CREATE TABLE connected_accounts (
    id                    TEXT PRIMARY KEY NOT NULL,
    workspace_id          TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    source_key            TEXT NOT NULL,
    external_id           TEXT NOT NULL,
    display_name          TEXT NOT NULL DEFAULT '',
    email                 TEXT NOT NULL DEFAULT '',
    scopes                TEXT NOT NULL DEFAULT '',
    extra                 TEXT NOT NULL DEFAULT '{}',
    access_token_sealed   TEXT NOT NULL DEFAULT '',
    refresh_token_sealed  TEXT NOT NULL DEFAULT '',
    token_expires_at      TIMESTAMP,
    link_id               TEXT REFERENCES access_links (id),
    status                TEXT NOT NULL DEFAULT 'connected',
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX connected_accounts_identity_key
    ON connected_accounts (workspace_id, source_key, external_id);

CREATE TABLE link_events (
    id            TEXT PRIMARY KEY NOT NULL,
    link_id       TEXT NOT NULL REFERENCES access_links (id) ON DELETE CASCADE,
    workspace_id  TEXT NOT NULL,
    type          TEXT NOT NULL,
    actor_id      TEXT,
    actor         TEXT NOT NULL,
    ip            TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT '{}',
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX link_events_link_idx ON link_events (link_id, created_at, id);

-- +goose Down
DROP TABLE link_events;
DROP TABLE connected_accounts;
DROP TABLE access_links;
DROP TABLE workspace_members;
DROP TABLE workspaces;
DROP TABLE organization_members;
DROP TABLE users;
DROP TABLE organizations;
