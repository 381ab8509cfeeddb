-- +goose Up
-- A flow ends on the server at its first outcome: a failed callback (the
-- provider's error, a failed exchange) is recorded here with what went
-- wrong, so that a repeated callback with the same state shows the first
-- result and records nothing new. The error code and description are the
-- ones the invitee's browser brought back, cleaned and capped.
ALTER TABLE oauth_callbacks ADD COLUMN error_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE oauth_callbacks ADD COLUMN error_code TEXT NOT NULL DEFAULT '';
ALTER TABLE oauth_callbacks ADD COLUMN error_description TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE oauth_callbacks DROP COLUMN error_description;
ALTER TABLE oauth_callbacks DROP COLUMN error_code;
ALTER TABLE oauth_callbacks DROP COLUMN error_kind;
