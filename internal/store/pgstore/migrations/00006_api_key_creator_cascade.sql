-- An API key acts for the member who created it. Until now deleting that
-- user set created_by to NULL, which reads as an operator's key: one that
-- acts for nobody and keeps its role for ever. The key now goes with its
-- creator. Keep the other engine's migrations in step.

-- +goose Up
ALTER TABLE api_keys DROP CONSTRAINT api_keys_created_by_fkey,
    ADD CONSTRAINT api_keys_created_by_fkey FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE CASCADE;

-- +goose Down
ALTER TABLE api_keys DROP CONSTRAINT api_keys_created_by_fkey,
    ADD CONSTRAINT api_keys_created_by_fkey FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE SET NULL;
