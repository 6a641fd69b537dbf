-- Plans with limits, and usage per tenant and month (issue 21); see
-- pgstore/migrations/00019_plan_limits_usage.sql for what each table
-- means. month is the month's first day as text (YYYY-MM-DD), like
-- order_day_stats.day. Keep pgstore/migrations in step.

-- +goose Up
CREATE TABLE plan_limits (
    plan        TEXT NOT NULL CHECK (plan IN ('free', 'pro', 'enterprise')),
    name        TEXT NOT NULL,
    value       INTEGER NOT NULL CHECK (value + 1 >= 0),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (plan, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE tenant_limits (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    value       INTEGER NOT NULL CHECK (value + 1 >= 0),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE tenant_usage (
    tenant_id           TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    month               TEXT NOT NULL,
    orders_created      INTEGER NOT NULL DEFAULT 0,
    api_requests        INTEGER NOT NULL DEFAULT 0,
    export_rows         INTEGER NOT NULL DEFAULT 0,
    webhook_deliveries  INTEGER NOT NULL DEFAULT 0,
    emails_sent         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, month)
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE tenant_usage;
DROP TABLE tenant_limits;
DROP TABLE plan_limits;
