-- Order search (issue #24): q= on the order list matched customer name,
-- e-mail and external reference with LIKE '%q%', which scanned the tenant's
-- orders. orders_fts is an FTS5 index of those three columns with the
-- trigram tokenizer (substrings of 3+ characters, any case), over the
-- orders table (external content, by rowid); the triggers keep it in step
-- with every insert, update and delete, tenant purges included (they
-- delete orders row by row). sqlshared.OrderWhere asks it through the
-- dialect's Search; queries of 1-2 characters, which trigrams cannot
-- answer, keep the LIKE scan. Keep the other engine's migrations in step
-- (PostgreSQL: pg_trgm GIN indexes).

-- +goose Up
CREATE VIRTUAL TABLE orders_fts USING fts5 (
    customer_name, customer_email, external_ref,
    content = 'orders', content_rowid = 'rowid', tokenize = 'trigram'
);
INSERT INTO orders_fts (orders_fts) VALUES ('rebuild');

-- +goose StatementBegin
CREATE TRIGGER orders_fts_insert AFTER INSERT ON orders BEGIN
    INSERT INTO orders_fts (rowid, customer_name, customer_email, external_ref)
    VALUES (new.rowid, new.customer_name, new.customer_email, new.external_ref);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER orders_fts_delete AFTER DELETE ON orders BEGIN
    INSERT INTO orders_fts (orders_fts, rowid, customer_name, customer_email, external_ref)
    VALUES ('delete', old.rowid, old.customer_name, old.customer_email, old.external_ref);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER orders_fts_update AFTER UPDATE OF customer_name, customer_email, external_ref ON orders BEGIN
    INSERT INTO orders_fts (orders_fts, rowid, customer_name, customer_email, external_ref)
    VALUES ('delete', old.rowid, old.customer_name, old.customer_email, old.external_ref);
    INSERT INTO orders_fts (rowid, customer_name, customer_email, external_ref)
    VALUES (new.rowid, new.customer_name, new.customer_email, new.external_ref);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER orders_fts_update;
DROP TRIGGER orders_fts_delete;
DROP TRIGGER orders_fts_insert;
DROP TABLE orders_fts;
