-- +goose NO TRANSACTION
-- +goose Up
-- Every start checks that the configured keys can open what is stored: it
-- reads the distinct key IDs ("v1.<key id>.", the first 12 characters) of
-- each sealed column. With these indexes that is one short index probe per
-- key ever used, not a scan of the table, so the start does not grow with
-- the data (access.Service.checkSealedKeyIDs).
-- CONCURRENTLY, in a migration of its own: replicas of the previous
-- release keep writing to these tables during the build.
CREATE INDEX CONCURRENTLY IF NOT EXISTS access_links_token_key_id ON access_links (SUBSTR(token_sealed, 1, 12));
CREATE INDEX CONCURRENTLY IF NOT EXISTS connected_accounts_access_token_key_id ON connected_accounts (SUBSTR(access_token_sealed, 1, 12));
CREATE INDEX CONCURRENTLY IF NOT EXISTS connected_accounts_refresh_token_key_id ON connected_accounts (SUBSTR(refresh_token_sealed, 1, 12));
CREATE INDEX CONCURRENTLY IF NOT EXISTS webhook_endpoints_secret_key_id ON webhook_endpoints (SUBSTR(secret_sealed, 1, 12));
CREATE INDEX CONCURRENTLY IF NOT EXISTS webhook_endpoints_previous_secret_key_id ON webhook_endpoints (SUBSTR(previous_secret_sealed, 1, 12));

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS webhook_endpoints_previous_secret_key_id;
DROP INDEX CONCURRENTLY IF EXISTS webhook_endpoints_secret_key_id;
DROP INDEX CONCURRENTLY IF EXISTS connected_accounts_refresh_token_key_id;
DROP INDEX CONCURRENTLY IF EXISTS connected_accounts_access_token_key_id;
DROP INDEX CONCURRENTLY IF EXISTS access_links_token_key_id;
