-- Plans and their limits (package plan). Built-in limits per plan live in
-- the code; operators override them per plan (plan_limits) and per tenant
-- (tenant_limits), -1 meaning unlimited (checked in Go: a negative literal
-- in a CHECK prints differently on the two engines). tenant_usage counts, per tenant
-- and calendar month (its first day, UTC), what is limited per month; the
-- order that takes the last slot increments it in its own transaction,
-- after the tenant row is locked, so two creates cannot both take it.
-- Keep the other engine's migrations in step.

-- +goose Up
CREATE TABLE plan_limits (
    plan   text NOT NULL CHECK (plan IN ('free', 'pro', 'enterprise')),
    name   text NOT NULL,
    value  bigint NOT NULL,
    PRIMARY KEY (plan, name)
);

CREATE TABLE tenant_limits (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       text NOT NULL,
    value      bigint NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE tenant_usage (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    month           date NOT NULL,
    orders_created  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, month)
);

-- +goose Down
DROP TABLE tenant_usage;
DROP TABLE tenant_limits;
DROP TABLE plan_limits;
