package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

// AuditInsert writes e as the next link of its tenant's chain: the head
// row is read and moved in the same transaction, and SQLite runs one
// writing transaction at a time, so no two entries get the same seq.
func (q *queries) AuditInsert(ctx context.Context, e audit.Entry) error {
	if len(e.Metadata) == 0 {
		e.Metadata = []byte("{}")
	}
	err := q.atomic(ctx, func(q *queries) error {
		e.Seq, e.PrevHash = 0, audit.GenesisHash
		err := q.db.QueryRowContext(ctx, sqlshared.AuditHead, e.TenantID).Scan(&e.Seq, &e.PrevHash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("head: %w", err)
		}
		e.Seq++
		// Hashed as it will read back: the stored time has microseconds.
		e.CreatedAt = e.CreatedAt.UTC().Truncate(time.Microsecond)
		e.Hash = audit.Hash(e.PrevHash, e)
		if _, err := q.db.ExecContext(ctx, auditInsertChained,
			e.ID, e.TenantID, e.ActorID, e.ActorName, e.ActorEmail, e.Action, e.EntityType, e.EntityID, e.OrderID, e.IP, e.UserAgent, e.RequestID, e.ActorType, string(e.Metadata), ts(e.CreatedAt),
			e.Seq, e.PrevHash, e.Hash); err != nil {
			return interpretError(err, "audit entry")
		}
		_, err = q.db.ExecContext(ctx, auditHeadSet, e.TenantID, e.Seq, e.Hash)
		return err
	})
	if err != nil {
		return fmt.Errorf("AuditInsert(%s): %w", e.Action, err)
	}
	return nil
}

// SQLite's own: PostgreSQL's trigger fills the chain columns.
const (
	auditInsertChained = `INSERT INTO audit_log (` + sqlshared.AuditColumns + `, seq, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`
	auditHeadSet = `INSERT INTO audit_chain_heads (tenant_id, seq, hash) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`
)

func (q *queries) AuditList(ctx context.Context, tenantID uuid.UUID, f audit.Filter) ([]audit.Entry, error) {
	w := sqlshared.AuditWhere(tenantID, f, dialect{})
	rows, err := q.db.QueryContext(ctx, sqlshared.AuditListWhere+w.String()+
		` ORDER BY id `+sqlshared.IDDirection(f.After)+` LIMIT `+strconv.Itoa(sqlshared.AuditLimit(f)), w.Args...)
	if err != nil {
		return nil, fmt.Errorf("AuditList(%s): %w", tenantID, err)
	}
	out, err := collect(rows, func(r scanner) (audit.Entry, error) {
		var e audit.Entry
		var meta string
		err := r.Scan(&e.ID, &e.TenantID, &e.ActorID, &e.ActorName, &e.ActorEmail, &e.Action, &e.EntityType, &e.EntityID, &e.OrderID, &e.IP, &e.UserAgent, &e.RequestID, &e.ActorType, &meta, timeCol{&e.CreatedAt})
		e.Metadata = []byte(meta)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("AuditList(%s): %w", tenantID, err)
	}
	if f.After != nil {
		slices.Reverse(out) // read upwards from the cursor; newest first again
	}
	return out, nil
}
