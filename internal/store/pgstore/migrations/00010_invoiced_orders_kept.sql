-- An issued invoice is an accounting record: deleting its order must not
-- delete it (the cascade did, and left its PDF in storage). The foreign key
-- now refuses to delete an order that has an invoice; OrderDelete says so
-- (409: cancel the order instead). NO ACTION, checked at the end of the
-- statement, so that deleting a whole tenant still cascades to both. Keep
-- the other engine's migrations in step.

-- +goose Up
ALTER TABLE invoices DROP CONSTRAINT invoices_tenant_id_order_id_fkey;
ALTER TABLE invoices ADD CONSTRAINT invoices_tenant_id_order_id_fkey
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id);

-- +goose Down
ALTER TABLE invoices DROP CONSTRAINT invoices_tenant_id_order_id_fkey;
ALTER TABLE invoices ADD CONSTRAINT invoices_tenant_id_order_id_fkey
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE;
