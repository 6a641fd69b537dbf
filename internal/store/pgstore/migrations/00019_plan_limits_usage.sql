-- Plans with limits, and usage per tenant and month (issue 21).
--
-- Each plan has built-in limits in Go (internal/plan); an operator may
-- override a limit for every tenant of a plan (plan_limits) or for one
-- tenant (tenant_limits). A tenant's override wins over its plan's, which
-- wins over the built-in value. A value of -1 is "unlimited"; no row is
-- "no override" (the next level decides). Keep sqlitestore/migrations in
-- step.
--
-- tenant_usage counts what a tenant did in a UTC month (month is its first
-- day). orders_created is incremented in the order's own transaction, and
-- the limit checked against the new count, so two concurrent creates
-- cannot both take the last slot (creates already serialise on the
-- tenant's order_seq). Storage is not counted here: it is the sum of the
-- tenant's attachments' sizes, read from attachments.

-- +goose Up
CREATE TABLE plan_limits (
    plan        text NOT NULL CHECK (plan IN ('free', 'pro', 'enterprise')),
    name        text NOT NULL,
    value       bigint NOT NULL CHECK (value + 1 >= 0),
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (plan, name)
);

CREATE TABLE tenant_limits (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text NOT NULL,
    value       bigint NOT NULL CHECK (value + 1 >= 0),
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE tenant_usage (
    tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    month               date NOT NULL,
    orders_created      bigint NOT NULL DEFAULT 0,
    api_requests        bigint NOT NULL DEFAULT 0,
    export_rows         bigint NOT NULL DEFAULT 0,
    webhook_deliveries  bigint NOT NULL DEFAULT 0,
    emails_sent         bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, month)
);

-- +goose Down
DROP TABLE tenant_usage;
DROP TABLE tenant_limits;
DROP TABLE plan_limits;
