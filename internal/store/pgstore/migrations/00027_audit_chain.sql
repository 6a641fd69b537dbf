-- The audit log as a hash chain per tenant (package audit, chain.go):
-- each new entry gets the tenant's next seq, the hash of the entry before
-- it (prev_hash) and its own hash, SHA-256(prev_hash || canonical form).
-- A trigger fills them, so that an insert stays one statement that
-- pgstore can still hold back and pipeline; it locks the tenant's head
-- row, so concurrent writers queue on it and cannot fork the chain.
--
-- Entries written before this migration keep seq NULL: the chain starts
-- at the tenant's first entry after it, from the genesis hash (32 zero
-- bytes). Signed checkpoints pin the head from time to time. Keep the
-- other engine's migrations in step (there the store computes the hash).

-- +goose Up
ALTER TABLE audit_log ADD COLUMN seq bigint;
ALTER TABLE audit_log ADD COLUMN prev_hash bytea;
ALTER TABLE audit_log ADD COLUMN hash bytea;
CREATE INDEX audit_log_chain_idx ON audit_log (tenant_id, seq);

CREATE TABLE audit_chain_heads (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    hash       bytea NOT NULL
);

CREATE TABLE audit_checkpoints (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    hash       bytea NOT NULL,
    signed_at  timestamptz NOT NULL,
    signature  bytea NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

-- The canonical form is audit.Canonical's, byte for byte: json_build_array
-- writes "[a, b, …]" and escapes strings as audit.Canonical does.
-- +goose StatementBegin
CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head_seq  bigint;
    head_hash bytea;
BEGIN
    SELECT seq, hash INTO head_seq, head_hash FROM audit_chain_heads WHERE tenant_id = NEW.tenant_id FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO audit_chain_heads (tenant_id, seq, hash) VALUES (NEW.tenant_id, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
            ON CONFLICT (tenant_id) DO NOTHING;
        SELECT seq, hash INTO head_seq, head_hash FROM audit_chain_heads WHERE tenant_id = NEW.tenant_id FOR UPDATE;
    END IF;
    NEW.seq := head_seq + 1;
    NEW.prev_hash := head_hash;
    NEW.hash := sha256(head_hash || convert_to(json_build_array(
        'ordo-audit-1', NEW.seq, NEW.tenant_id, NEW.id,
        to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        NEW.actor_type, NEW.actor_id, NEW.actor_name, NEW.actor_email, NEW.action, NEW.entity_type, NEW.entity_id,
        NEW.order_id, NEW.ip, NEW.user_agent, NEW.request_id, NEW.metadata::text)::text, 'UTF8'));
    UPDATE audit_chain_heads SET seq = NEW.seq, hash = NEW.hash WHERE tenant_id = NEW.tenant_id;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- +goose Down
DROP TRIGGER audit_log_chain ON audit_log;
DROP FUNCTION audit_log_chain();
DROP TABLE audit_checkpoints;
DROP TABLE audit_chain_heads;
DROP INDEX audit_log_chain_idx;
ALTER TABLE audit_log DROP COLUMN hash;
ALTER TABLE audit_log DROP COLUMN prev_hash;
ALTER TABLE audit_log DROP COLUMN seq;
