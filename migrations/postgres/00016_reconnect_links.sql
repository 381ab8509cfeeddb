-- +goose Up
-- Reconnect links (issue 11, item 7): a link pinned to one connected
-- account of its workspace. Its callback must sign in as that account
-- (same external ID) and then replaces the account's tokens and scopes in
-- place. NULL for every other link, and for every link the previous
-- release writes. No foreign key: a disconnected account's row is deleted,
-- and its reconnect links must then stay pinned (and refuse), never fall
-- back to connecting any account.
ALTER TABLE access_links ADD COLUMN reconnect_account_id TEXT;

-- +goose Down
ALTER TABLE access_links DROP COLUMN reconnect_account_id;
