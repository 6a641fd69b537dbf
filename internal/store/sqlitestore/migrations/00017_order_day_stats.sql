-- The dashboard's numbers, kept as they change: orders and revenue per
-- tenant, UTC day of creation and currency, cancelled orders left out
-- (see pgstore/migrations/00017_order_day_stats.sql for why). Triggers
-- keep it in the transaction of every write of an order. SQLite runs one
-- writer at a time, so there is one shard (0); the column keeps both
-- engines' tables alike. created_at is fixed-width UTC text, so its first
-- ten characters are the day. Keep pgstore/migrations in step.

-- +goose Up
CREATE TABLE order_day_stats (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    currency   TEXT NOT NULL,
    shard      INTEGER NOT NULL,
    orders     INTEGER NOT NULL,
    revenue    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day, currency, shard)
) STRICT, WITHOUT ROWID;

-- +goose StatementBegin
CREATE TRIGGER orders_day_stats_insert AFTER INSERT ON orders
WHEN NEW.status <> 'cancelled'
BEGIN
    INSERT INTO order_day_stats (tenant_id, day, currency, shard, orders, revenue)
    VALUES (NEW.tenant_id, substr(NEW.created_at, 1, 10), NEW.currency, 0, 1, NEW.total)
    ON CONFLICT (tenant_id, day, currency, shard)
    DO UPDATE SET orders = orders + 1, revenue = revenue + excluded.revenue;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER orders_day_stats_update AFTER UPDATE OF status, total, currency, created_at ON orders
WHEN OLD.status IS NOT NEW.status OR OLD.total IS NOT NEW.total
  OR OLD.currency IS NOT NEW.currency OR OLD.created_at IS NOT NEW.created_at
BEGIN
    UPDATE order_day_stats SET orders = orders - 1, revenue = revenue - OLD.total
    WHERE OLD.status <> 'cancelled' AND tenant_id = OLD.tenant_id AND day = substr(OLD.created_at, 1, 10)
      AND currency = OLD.currency AND shard = 0;
    INSERT INTO order_day_stats (tenant_id, day, currency, shard, orders, revenue)
    SELECT NEW.tenant_id, substr(NEW.created_at, 1, 10), NEW.currency, 0, 1, NEW.total
    WHERE NEW.status <> 'cancelled'
    ON CONFLICT (tenant_id, day, currency, shard)
    DO UPDATE SET orders = orders + 1, revenue = revenue + excluded.revenue;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER orders_day_stats_delete AFTER DELETE ON orders
WHEN OLD.status <> 'cancelled'
BEGIN
    UPDATE order_day_stats SET orders = orders - 1, revenue = revenue - OLD.total
    WHERE tenant_id = OLD.tenant_id AND day = substr(OLD.created_at, 1, 10)
      AND currency = OLD.currency AND shard = 0;
END;
-- +goose StatementEnd

INSERT INTO order_day_stats (tenant_id, day, currency, shard, orders, revenue)
SELECT tenant_id, substr(created_at, 1, 10), currency, 0, count(*), sum(total)
FROM orders WHERE status <> 'cancelled'
GROUP BY 1, 2, 3;

-- +goose Down
DROP TRIGGER orders_day_stats_delete;
DROP TRIGGER orders_day_stats_update;
DROP TRIGGER orders_day_stats_insert;
DROP TABLE order_day_stats;
