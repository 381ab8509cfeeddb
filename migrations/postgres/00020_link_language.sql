-- +goose Up
-- The language a link's invitation mail is written in (issue 12): one of
-- the invitee's languages ("de", "fr", "es", "pt-BR", "nl"), or '' for
-- English. Chosen when the link is made (the generate dialog, the API's
-- language), kept when it is renewed; the mails to the link's creator stay
-- English. The previous release never names it, and its INSERTs get ''.
ALTER TABLE access_links ADD COLUMN language TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE access_links DROP COLUMN language;
