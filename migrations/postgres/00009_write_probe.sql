-- +goose Up
-- One row, written by /readyz (at most every few seconds) to prove that the
-- database still takes writes (a full disk, a read-only replica), and
-- locked by demo seeding so that processes starting together seed once.
CREATE TABLE write_probe (
    name        TEXT PRIMARY KEY NOT NULL,
    written_at  TIMESTAMPTZ NOT NULL
);
INSERT INTO write_probe (name, written_at) VALUES ('probe', CURRENT_TIMESTAMP);

-- +goose Down
DROP TABLE write_probe;
