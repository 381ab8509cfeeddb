-- +goose Up
-- One live endpoint per URL in a workspace: two endpoints with the same URL
-- delivered every event twice. The unique index makes the rule hold under
-- concurrent creates (CreateWebhookEndpoint turns its violation into a
-- conflict on the url field). Disabled endpoints are left out of it, so an
-- endpoint disabled after failing does not block adding its URL again;
-- enabling it while another live endpoint has the URL is the same conflict.
--
-- Existing duplicates are not deleted (their secrets may be the ones a
-- receiver verifies): of each group of live endpoints sharing a workspace
-- and URL, all but the oldest are disabled, so they stop delivering the
-- second copy and stay listed for an admin to delete or re-enable.
UPDATE webhook_endpoints SET disabled_at = CURRENT_TIMESTAMP
WHERE disabled_at IS NULL AND EXISTS (
    SELECT 1 FROM webhook_endpoints o
    WHERE o.workspace_id = webhook_endpoints.workspace_id AND o.url = webhook_endpoints.url
      AND o.disabled_at IS NULL
      AND (o.created_at < webhook_endpoints.created_at OR (o.created_at = webhook_endpoints.created_at AND o.id < webhook_endpoints.id))
);
CREATE UNIQUE INDEX webhook_endpoints_workspace_url ON webhook_endpoints (workspace_id, url) WHERE disabled_at IS NULL;

-- +goose Down
DROP INDEX webhook_endpoints_workspace_url;
