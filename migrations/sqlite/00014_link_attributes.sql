-- +goose Up
-- A link's own attributes (issue 11): a label, an expiry chosen per link,
-- and renewal.
--
-- label names the link for the admin and the invitee ("Acme Bakery"), at
-- most 80 characters, cleaned like other free text; '' for none.
ALTER TABLE access_links ADD COLUMN label TEXT NOT NULL DEFAULT '';
-- A renewed link (expired, declined or failed) points at the fresh link
-- that replaced it (renewed_to_id, set once by a conditional update, so
-- one renewal wins), and the fresh link at the one it renews
-- (renewed_from_id). Both stay in history. No foreign key: SQLite's DROP
-- COLUMN (the Down) refuses one, and both dialects keep the same schema;
-- links are only ever soft-deleted, and leave with their workspace together.
ALTER TABLE access_links ADD COLUMN renewed_from_id TEXT;
ALTER TABLE access_links ADD COLUMN renewed_to_id TEXT;
-- How long a new link lives when its creator does not choose, in days
-- (1 to 30); the organization's owner sets it.
ALTER TABLE organizations ADD COLUMN default_link_days INTEGER NOT NULL DEFAULT 7;

-- +goose Down
ALTER TABLE organizations DROP COLUMN default_link_days;
ALTER TABLE access_links DROP COLUMN renewed_to_id;
ALTER TABLE access_links DROP COLUMN renewed_from_id;
ALTER TABLE access_links DROP COLUMN label;
