-- An issued invoice is an accounting record: deleting its order must not
-- delete it (the cascade did, and left its PDF in storage). Changing the
-- foreign key would mean rebuilding the table in SQLite; this trigger
-- refuses to delete an order that has an invoice instead, and OrderDelete
-- says so (409: cancel the order instead). A whole tenant's deletion still
-- goes through: its invoices are gone by then. Keep the other engine's
-- migrations in step.

-- +goose Up
-- +goose StatementBegin
CREATE TRIGGER orders_keep_invoiced BEFORE DELETE ON orders
WHEN EXISTS (SELECT 1 FROM invoices WHERE tenant_id = OLD.tenant_id AND order_id = OLD.id)
  AND EXISTS (SELECT 1 FROM tenants WHERE id = OLD.tenant_id)
BEGIN
    SELECT RAISE(ABORT, 'an invoiced order cannot be deleted');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER orders_keep_invoiced;
