-- Plans and their limits (package plan). Built-in limits per plan live in
-- the code; operators override them per plan (plan_limits) and per tenant
-- (tenant_limits), -1 meaning unlimited. tenant_usage counts, per tenant
-- and calendar month (its first day, UTC), what is limited per month; the
-- order that takes the last slot increments it in its own transaction,
-- after the tenant row is locked, so two creates cannot both take it.
-- Keep the other engine's migrations in step.

-- +goose Up
CREATE TABLE plan_limits (
    plan   TEXT NOT NULL CHECK (plan IN ('free', 'pro', 'enterprise')),
    name   TEXT NOT NULL,
    value  INTEGER NOT NULL,
    PRIMARY KEY (plan, name)
) STRICT;

CREATE TABLE tenant_limits (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
) STRICT;

CREATE TABLE tenant_usage (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    month           TEXT NOT NULL,
    orders_created  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, month)
) STRICT;

-- +goose Down
DROP TABLE tenant_usage;
DROP TABLE tenant_limits;
DROP TABLE plan_limits;
