-- +goose Up
-- A flow ends on the server at its first outcome: a failed callback (the
-- provider's error, a failed exchange) is recorded here with what went
-- wrong, so that a repeated callback with the same state shows the first
-- result and records nothing new. For a provider's error, the code and the
-- description are what the invitee's browser brought back, cleaned and
-- capped. A pending row older than the exchange timeout is given up
-- (failed, error_code 'abandoned').
ALTER TABLE oauth_callbacks ADD COLUMN error_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE oauth_callbacks ADD COLUMN error_code TEXT NOT NULL DEFAULT '';
ALTER TABLE oauth_callbacks ADD COLUMN error_description TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE oauth_callbacks DROP COLUMN error_description;
ALTER TABLE oauth_callbacks DROP COLUMN error_code;
ALTER TABLE oauth_callbacks DROP COLUMN error_kind;
