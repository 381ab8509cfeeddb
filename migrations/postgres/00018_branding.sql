-- +goose Up
-- Branding (issue 12): what an organization's owners set for the invitee's
-- consent page. One row per organization, made on the first save.
-- accent_color is "#rrggbb" or '' (the product's own colour); privacy_url and
-- support_url are https URLs or ''. The logo is kept here, in the database
-- every replica shares, as the checked (and, for SVG, sanitised) bytes;
-- logo_hash is their SHA-256 in hex, which names the logo's immutable URL.
CREATE TABLE organization_brandings (
    organization_id  TEXT PRIMARY KEY NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    accent_color     TEXT NOT NULL DEFAULT '',
    privacy_url      TEXT NOT NULL DEFAULT '',
    support_url      TEXT NOT NULL DEFAULT '',
    logo_hash        TEXT NOT NULL DEFAULT '',
    logo_type        TEXT NOT NULL DEFAULT '',
    logo_width       INTEGER NOT NULL DEFAULT 0,
    logo_height      INTEGER NOT NULL DEFAULT 0,
    logo             BYTEA,
    updated_at       TIMESTAMPTZ NOT NULL,
    updated_by       TEXT REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX organization_brandings_logo_idx ON organization_brandings (logo_hash) WHERE logo_hash <> '';

-- Who changed the branding, and what: logo, logo_removed, settings.
CREATE TABLE branding_changes (
    id               TEXT PRIMARY KEY NOT NULL,
    organization_id  TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id          TEXT REFERENCES users (id) ON DELETE SET NULL,
    actor_name       TEXT NOT NULL DEFAULT '',
    kind             TEXT NOT NULL,
    detail           TEXT NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX branding_changes_org_idx ON branding_changes (organization_id, created_at);

-- +goose Down
DROP TABLE branding_changes;
DROP TABLE organization_brandings;
