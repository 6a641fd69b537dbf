-- The dashboard's numbers, kept as they change: orders and revenue per
-- tenant, UTC day of creation and currency, cancelled orders left out.
-- Summing the orders of 30 days on each dashboard view read every order
-- of those days (about 0.7 s for a tenant of 500,000 orders); this table
-- holds at most a few hundred rows per tenant and month.
--
-- Triggers keep it, in the transaction of every insert, update and delete
-- of an order, whatever path wrote it (the API, `ordo seed`, COPY, an
-- import, a purge). Each day and currency is split over 8 shards, chosen
-- by the last (random) byte of the order's UUIDv7 id, so that concurrent
-- creates in one tenant rarely wait for each other's row lock; readers sum
-- the shards. A delete only subtracts (UPDATE, never an insert), so that a
-- tenant's cascade delete does not try to insert a row for the tenant
-- being deleted. Keep sqlitestore/migrations in step.

-- +goose Up
CREATE TABLE order_day_stats (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day        date NOT NULL,
    currency   text NOT NULL,
    shard      smallint NOT NULL,
    orders     bigint NOT NULL,
    revenue    bigint NOT NULL,
    PRIMARY KEY (tenant_id, day, currency, shard)
);

-- +goose StatementBegin
CREATE FUNCTION order_day_stats_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status <> 'cancelled' THEN
        UPDATE order_day_stats SET orders = orders - 1, revenue = revenue - OLD.total
        WHERE tenant_id = OLD.tenant_id AND day = (OLD.created_at AT TIME ZONE 'UTC')::date
          AND currency = OLD.currency AND shard = get_byte(uuid_send(OLD.id), 15) % 8;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status <> 'cancelled' THEN
        INSERT INTO order_day_stats (tenant_id, day, currency, shard, orders, revenue)
        VALUES (NEW.tenant_id, (NEW.created_at AT TIME ZONE 'UTC')::date, NEW.currency,
                get_byte(uuid_send(NEW.id), 15) % 8, 1, NEW.total)
        ON CONFLICT (tenant_id, day, currency, shard)
        DO UPDATE SET orders = order_day_stats.orders + 1, revenue = order_day_stats.revenue + EXCLUDED.revenue;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER orders_day_stats_insert AFTER INSERT ON orders
    FOR EACH ROW EXECUTE FUNCTION order_day_stats_apply();
CREATE TRIGGER orders_day_stats_update AFTER UPDATE OF status, total, currency, created_at ON orders
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.total IS DISTINCT FROM NEW.total
          OR OLD.currency IS DISTINCT FROM NEW.currency OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION order_day_stats_apply();
CREATE TRIGGER orders_day_stats_delete AFTER DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION order_day_stats_apply();

INSERT INTO order_day_stats (tenant_id, day, currency, shard, orders, revenue)
SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date, currency, get_byte(uuid_send(id), 15) % 8, count(*), sum(total)
FROM orders WHERE status <> 'cancelled'
GROUP BY 1, 2, 3, 4;

-- +goose Down
DROP TRIGGER orders_day_stats_delete ON orders;
DROP TRIGGER orders_day_stats_update ON orders;
DROP TRIGGER orders_day_stats_insert ON orders;
DROP FUNCTION order_day_stats_apply();
DROP TABLE order_day_stats;
