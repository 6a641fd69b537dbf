-- The operator console (package operator): which users are operators of
-- this Ordo service, users an operator disabled, and the platform audit
-- log of every operator action. platform_audit is the operator's record,
-- not a tenant's: it has no foreign key to tenants, and a tenant's purge
-- blanks its id there (the entry keeps the slug in its metadata).
-- Keep the other engine's migrations in step.

-- +goose Up
CREATE TABLE operators (
    user_id     uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL
);

ALTER TABLE users ADD COLUMN disabled_at timestamptz;

CREATE TABLE platform_audit (
    id           uuid PRIMARY KEY,
    tenant_id    uuid,
    actor_type   text NOT NULL,
    actor_id     uuid,
    actor_name   text NOT NULL DEFAULT '',
    actor_email  text NOT NULL DEFAULT '',
    action       text NOT NULL,
    entity_type  text NOT NULL,
    entity_id    text NOT NULL DEFAULT '',
    ip           text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT '',
    request_id   text NOT NULL DEFAULT '',
    metadata     jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL
);
CREATE INDEX platform_audit_tenant_idx ON platform_audit (tenant_id, id) WHERE tenant_id IS NOT NULL;

-- +goose Down
DROP TABLE platform_audit;
ALTER TABLE users DROP COLUMN disabled_at;
DROP TABLE operators;
