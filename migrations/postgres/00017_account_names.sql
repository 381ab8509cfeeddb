-- +goose Up
-- Connected accounts (issue 11, items 9 and 10): a workspace-local name an
-- admin gives the account (empty: the provider's name is shown), kept
-- apart from display_name, which every reconnection rewrites with what
-- the provider says; when the tokens were last refreshed (NULL: never
-- since connecting). Both leave the previous release's statements working:
-- it never names them, and its INSERTs get the defaults.
ALTER TABLE connected_accounts ADD COLUMN local_name TEXT NOT NULL DEFAULT '';
ALTER TABLE connected_accounts ADD COLUMN refreshed_at TIMESTAMPTZ;
-- The accounts page and GET /api/v1/accounts: a workspace's accounts newest
-- first, in keyset pages, optionally of one source. A search (q) filters
-- the workspace's rows read in this order, so a page stops after its rows.
-- Not CONCURRENTLY: a workspace holds thousands of accounts at most, so the
-- build locks writes to the table for milliseconds, and a concurrent build
-- would wait for every older transaction in the database.
CREATE INDEX connected_accounts_workspace_idx ON connected_accounts (workspace_id, created_at DESC, id DESC);
CREATE INDEX connected_accounts_source_idx ON connected_accounts (workspace_id, source_key, created_at DESC, id DESC);

-- +goose Down
DROP INDEX connected_accounts_source_idx;
DROP INDEX connected_accounts_workspace_idx;
ALTER TABLE connected_accounts DROP COLUMN refreshed_at;
ALTER TABLE connected_accounts DROP COLUMN local_name;
