-- +goose Up
-- A token refresh claims its account with one conditional update of this
-- column (the lease's end), so one refresh at a time runs per account across
-- every process, without a transaction held during the provider's answer.
-- NULL: no refresh under way. A lease left by a crashed process simply
-- expires.
ALTER TABLE connected_accounts ADD COLUMN refresh_lease_until TIMESTAMP;

-- +goose Down
ALTER TABLE connected_accounts DROP COLUMN refresh_lease_until;
