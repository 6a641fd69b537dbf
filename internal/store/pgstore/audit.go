package pgstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

// auditInsert leaves the chain's columns to the audit_log_chain trigger
// (SQLite's AuditInsert writes them).
const auditInsert = `INSERT INTO audit_log (` + sqlshared.AuditColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`

func (q *queries) AuditInsert(ctx context.Context, e audit.Entry) error {
	meta := e.Metadata
	if len(meta) == 0 {
		meta = []byte("{}")
	}
	return q.execLater(ctx, wrapErr("AuditInsert("+e.Action+")", "audit entry"), auditInsert,
		e.ID, e.TenantID, e.ActorID, e.ActorName, e.ActorEmail, e.Action, e.EntityType, e.EntityID, e.OrderID, e.IP, e.UserAgent, e.RequestID, e.ActorType, string(meta), e.CreatedAt)
}

func (q *queries) AuditList(ctx context.Context, tenantID uuid.UUID, f audit.Filter) ([]audit.Entry, error) {
	w := sqlshared.AuditWhere(tenantID, f, dialect{})
	rows, err := q.db.Query(ctx, sqlshared.AuditListWhere+w.String()+
		` ORDER BY id `+sqlshared.IDDirection(f.After)+` LIMIT `+strconv.Itoa(sqlshared.AuditLimit(f)), w.Args...)
	if err != nil {
		return nil, fmt.Errorf("AuditList(%s): %w", tenantID, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (audit.Entry, error) {
		var e audit.Entry
		var meta []byte
		err := r.Scan(&e.ID, &e.TenantID, &e.ActorID, &e.ActorName, &e.ActorEmail, &e.Action, &e.EntityType, &e.EntityID, &e.OrderID, &e.IP, &e.UserAgent, &e.RequestID, &e.ActorType, &meta, &e.CreatedAt)
		e.Metadata = meta
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
