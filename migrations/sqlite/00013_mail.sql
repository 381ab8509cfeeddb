-- +goose Up
-- Mail (issue 10): links sent by email, notifications to a link's creator,
-- and the development mailbox.
--
-- A link may be sent to a recipient with a short note from the requester.
-- reminder_sent_at is set once, when the "expires tomorrow" reminder of an
-- unused link is queued.
ALTER TABLE access_links ADD COLUMN recipient_email TEXT NOT NULL DEFAULT '';
ALTER TABLE access_links ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE access_links ADD COLUMN reminder_sent_at TIMESTAMP;
CREATE INDEX access_links_reminder_pending_idx ON access_links (expires_at)
    WHERE used_at IS NULL AND deleted_at IS NULL AND reminder_sent_at IS NULL AND created_by IS NOT NULL;

-- The notifications a user turned off: a space-separated list of kinds
-- (used, declined, failed, expiring); empty means every one is on.
ALTER TABLE users ADD COLUMN mail_off TEXT NOT NULL DEFAULT '';

-- One mail: queued in the transaction that fans an event out (dedupe_key,
-- the event's ID and the mail's kind, makes a second queueing of the same
-- event a no-op), sent by a job that sets sent_at once. Bodies are not
-- stored: a mail is rendered from its link and detail when it is sent (or
-- shown in the development mailbox), so no link token is kept in clear.
-- transport is how it left: smtp, or mailbox (development, no SMTP_URL).
CREATE TABLE mail_messages (
    id            TEXT PRIMARY KEY NOT NULL,
    dedupe_key    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    link_id       TEXT REFERENCES access_links (id) ON DELETE CASCADE,
    to_addr       TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '{}',
    created_at    TIMESTAMP NOT NULL,
    sent_at       TIMESTAMP,
    transport     TEXT NOT NULL DEFAULT '',
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX mail_messages_dedupe_key ON mail_messages (dedupe_key);
CREATE INDEX mail_messages_link_idx ON mail_messages (link_id, created_at) WHERE link_id IS NOT NULL;
CREATE INDEX mail_messages_sent_idx ON mail_messages (transport, sent_at);

-- +goose Down
DROP TABLE mail_messages;
ALTER TABLE users DROP COLUMN mail_off;
DROP INDEX access_links_reminder_pending_idx;
ALTER TABLE access_links DROP COLUMN reminder_sent_at;
ALTER TABLE access_links DROP COLUMN note;
ALTER TABLE access_links DROP COLUMN recipient_email;
