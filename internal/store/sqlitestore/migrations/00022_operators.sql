-- The operator console (package operator): which users are operators of
-- this Ordo service, users an operator disabled, and the platform audit
-- log of every operator action. platform_audit is the operator's record,
-- not a tenant's: it has no foreign key to tenants, and a tenant's purge
-- blanks its id there (the entry keeps the slug in its metadata).
-- Keep the other engine's migrations in step.

-- +goose Up
CREATE TABLE operators (
    user_id     TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL
) STRICT;

ALTER TABLE users ADD COLUMN disabled_at TEXT;

CREATE TABLE platform_audit (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT,
    actor_type   TEXT NOT NULL,
    actor_id     TEXT,
    actor_name   TEXT NOT NULL DEFAULT '',
    actor_email  TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    request_id   TEXT NOT NULL DEFAULT '',
    metadata     TEXT NOT NULL DEFAULT '{}',
    created_at   TEXT NOT NULL
) STRICT;
CREATE INDEX platform_audit_tenant_idx ON platform_audit (tenant_id, id) WHERE tenant_id IS NOT NULL;

-- +goose Down
DROP TABLE platform_audit;
ALTER TABLE users DROP COLUMN disabled_at;
DROP TABLE operators;
