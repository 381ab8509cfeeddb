-- +goose Up
-- Server-side sign-in sessions. The session cookie holds only a random ID;
-- this table keys the session by the ID's SHA-256 hash, so a copy of the
-- database yields no usable cookie. Deleting a row ends that session at
-- once (logout, password change, sign out everywhere). A session ends when
-- last_seen_at is older than the idle timeout or at expires_at (the
-- absolute lifetime); expired rows are removed by the next sign-in.
CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    flash         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
CREATE INDEX sessions_last_seen_idx ON sessions (last_seen_at);

-- +goose Down
DROP TABLE sessions;
