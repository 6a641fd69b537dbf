-- A tenant's scheduled deletion: when an owner or operator deletes a
-- tenant its status becomes 'deleted' (nobody uses it any more) and
-- purge_after says when the maintenance job removes its rows and objects
-- for good; until then an owner can cancel. NULL for a tenant that is
-- not being deleted. Keep the other engine's migrations in step.

-- +goose Up
ALTER TABLE tenants ADD COLUMN purge_after timestamptz;
CREATE INDEX tenants_purge_idx ON tenants (purge_after) WHERE purge_after IS NOT NULL;

-- +goose Down
DROP INDEX tenants_purge_idx;
ALTER TABLE tenants DROP COLUMN purge_after;
