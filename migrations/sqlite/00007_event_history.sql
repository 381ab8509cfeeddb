-- +goose Up
-- A link's history stays small however often its consent page is opened:
-- repeated views (and repeated identical declines) from one client are one
-- event with a count and the time it was last seen (app/access/record.go).
-- client_key is a hash of what makes two events the same (type, actor,
-- address, user agent, detail), or "other:<type>" for the one event that
-- counts the clients beyond the per-link bound; NULL for events that never
-- collapse.
-- The unique index is what the single INSERT ... ON CONFLICT statement
-- that records such an event relies on, on both databases.
ALTER TABLE link_events ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE link_events ADD COLUMN last_at TIMESTAMP;
ALTER TABLE link_events ADD COLUMN client_key TEXT;
CREATE UNIQUE INDEX link_events_client_key
    ON link_events (link_id, client_key) WHERE client_key IS NOT NULL;

-- The last outcome of an invitee's attempt (declined, failed), written with
-- the event that reports it and cleared when the link is used, so the admin
-- list shows "Declined · reason" or "Failed · why" without reading events.
ALTER TABLE access_links ADD COLUMN last_outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE access_links ADD COLUMN last_outcome_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE access_links ADD COLUMN last_outcome_at TIMESTAMP;

-- +goose Down
ALTER TABLE access_links DROP COLUMN last_outcome_at;
ALTER TABLE access_links DROP COLUMN last_outcome_detail;
ALTER TABLE access_links DROP COLUMN last_outcome;
DROP INDEX link_events_client_key;
ALTER TABLE link_events DROP COLUMN client_key;
ALTER TABLE link_events DROP COLUMN last_at;
ALTER TABLE link_events DROP COLUMN count;
