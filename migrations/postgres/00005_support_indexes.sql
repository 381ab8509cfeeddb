-- +goose Up
-- The support console (app/access/support.go) searches every link, deleted
-- ones included, newest first, by one of several keys. Each key gets an
-- index that also holds the order (created_at DESC, id DESC), so a page of
-- 50 reads about 50 index entries and never the whole table.

-- No key, a status or a date range: all links by creation time.
CREATE INDEX access_links_created_idx ON access_links (created_at DESC, id DESC);
-- Organization or workspace name: the links of the matching workspaces.
-- access_links_workspace_list_idx (the admin list) holds the links that are
-- not deleted; this one holds the deleted ones, so that the two together
-- cover every link without a second full index competing with the admin
-- list's.
CREATE INDEX access_links_workspace_deleted_idx
    ON access_links (workspace_id, created_at DESC, id DESC) WHERE deleted_at IS NOT NULL;
-- Creator email; it replaces the plain created_by index, which it covers
-- (the foreign key to users still finds its rows).
CREATE INDEX access_links_creator_idx ON access_links (created_by, created_at DESC, id DESC);
DROP INDEX access_links_created_by_idx;
-- Source.
CREATE INDEX access_links_source_idx ON access_links (source_key, created_at DESC, id DESC);
-- Case-insensitive name prefixes: lower(name) LIKE 'acme%'. text_pattern_ops
-- lets LIKE use the index whatever the database's collation.
CREATE INDEX workspaces_name_idx ON workspaces (lower(name) text_pattern_ops);
CREATE INDEX organizations_name_idx ON organizations (lower(name) text_pattern_ops);

-- +goose Down
DROP INDEX organizations_name_idx;
DROP INDEX workspaces_name_idx;
DROP INDEX access_links_source_idx;
CREATE INDEX access_links_created_by_idx ON access_links (created_by);
DROP INDEX access_links_creator_idx;
DROP INDEX access_links_workspace_deleted_idx;
DROP INDEX access_links_created_idx;
