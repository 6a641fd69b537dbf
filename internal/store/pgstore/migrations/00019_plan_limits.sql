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

-- An order's number and its count in the month's usage, in one round
-- trip and always in this order (the tenant's row, then its usage row):
-- the tenant's row stays locked for no longer than the number alone took.
-- +goose StatementBegin
CREATE FUNCTION order_number_next(t uuid, m date, OUT number bigint, OUT month_orders bigint) AS $$
BEGIN
    UPDATE tenants SET order_seq = order_seq + 1 WHERE id = t RETURNING order_seq INTO number;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO tenant_usage (tenant_id, month, orders_created) VALUES (t, m, 1)
    ON CONFLICT (tenant_id, month) DO UPDATE SET orders_created = tenant_usage.orders_created + 1
    RETURNING orders_created INTO month_orders;
END
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION order_number_next(uuid, date);
DROP TABLE tenant_usage;
DROP TABLE tenant_limits;
DROP TABLE plan_limits;
