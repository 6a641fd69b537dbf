-- Order search (issue #24): q= on the order list matched customer name,
-- e-mail and external reference with ILIKE '%q%', which scanned the
-- tenant's orders. pg_trgm GIN indexes answer the same ILIKE conditions
-- (prefix, infix, any case) from the index for queries of 3+ characters;
-- sqlshared.OrderWhere keeps the conditions, so nothing else changes.
-- pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may
-- create it, on Neon, Supabase and RDS too. The indexes stay in step with
-- the table by themselves. Keep the other engine's migrations in step
-- (SQLite: an FTS5 trigram table kept by triggers).

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX orders_customer_name_trgm_idx ON orders USING gin (customer_name gin_trgm_ops);
CREATE INDEX orders_customer_email_trgm_idx ON orders USING gin (customer_email gin_trgm_ops);
CREATE INDEX orders_external_ref_trgm_idx ON orders USING gin (external_ref gin_trgm_ops);

-- +goose Down
DROP INDEX orders_external_ref_trgm_idx;
DROP INDEX orders_customer_email_trgm_idx;
DROP INDEX orders_customer_name_trgm_idx;
