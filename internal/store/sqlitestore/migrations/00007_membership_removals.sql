-- Who was removed from (or left) a tenant, and when: a removed member is
-- told that they are no longer a member (403), where someone who never was
-- gets the same 404 as for a tenant that does not exist. A membership made
-- again later wins over its removal. Keep the other engine's migrations in
-- step.

-- +goose Up
CREATE TABLE membership_removals (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    removed_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
) STRICT;
CREATE INDEX membership_removals_user_idx ON membership_removals (user_id);

-- +goose Down
DROP TABLE membership_removals;
