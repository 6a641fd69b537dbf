package sqlitestore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/export"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

// The engine is what the export service needs, outside a transaction and
// in one.
var (
	_ export.Store = (*Store)(nil)
	_ export.Tx    = (*queries)(nil)
)

func scanExport(row scanner) (export.Export, error) {
	var e export.Export
	var filters string
	err := row.Scan(&e.ID, &e.TenantID, &e.CreatedBy, &e.Format, &filters, &e.Status, &e.Done, &e.Total, &e.OrderCount, &e.RowCount, &e.ObjectKey, &e.Size, &e.Error,
		nullTimeCol{&e.ExpiresAt}, timeCol{&e.CreatedAt}, timeCol{&e.UpdatedAt}, nullTimeCol{&e.CompletedAt})
	if err == nil {
		err = json.Unmarshal([]byte(filters), &e.Filters)
	}
	return e, err
}

func (q *queries) ExportCreate(ctx context.Context, e export.Export) error {
	filters, _ := json.Marshal(e.Filters)
	_, err := q.db.ExecContext(ctx, sqlshared.ExportCreate,
		e.ID, e.TenantID, e.CreatedBy, e.Format, string(filters), e.Status, ts(e.CreatedAt), ts(e.UpdatedAt))
	if err != nil {
		return fmt.Errorf("ExportCreate: %w", interpretError(err, "export"))
	}
	return nil
}

func (q *queries) ExportGet(ctx context.Context, tenantID, id uuid.UUID) (export.Export, error) {
	e, err := scanExport(q.db.QueryRowContext(ctx, sqlshared.ExportGet, tenantID, id))
	if err != nil {
		return e, fmt.Errorf("ExportGet(%s): %w", id, interpretError(err, "export"))
	}
	return e, nil
}

func (q *queries) ExportList(ctx context.Context, tenantID uuid.UUID, r page.Request) ([]export.Export, error) {
	sql, args := sqlshared.PageQuery(sqlshared.ExportList, []any{tenantID}, "id", true, r)
	rows, err := q.db.QueryContext(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("ExportList: %w", err)
	}
	out, err := collect(rows, scanExport)
	if err != nil {
		return nil, fmt.Errorf("ExportList: %w", err)
	}
	return page.InOrder(out, r), nil
}

func (q *queries) ExportUpdate(ctx context.Context, e export.Export) error {
	res, err := q.db.ExecContext(ctx, sqlshared.ExportUpdate,
		e.TenantID, e.ID, e.Status, e.Done, e.Total, e.RowCount, e.ObjectKey, e.Size, e.Error, tsPtr(e.ExpiresAt), ts(e.UpdatedAt), tsPtr(e.CompletedAt), e.OrderCount)
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return fmt.Errorf("ExportUpdate(%s): %w", e.ID, interpretError(err, "export"))
	}
	return nil
}

func (q *queries) ExportListExpired(ctx context.Context, before time.Time, limit int) ([]export.Export, error) {
	rows, err := q.db.QueryContext(ctx, sqlshared.ExportListExpired, ts(before), limit)
	if err != nil {
		return nil, fmt.Errorf("ExportListExpired: %w", err)
	}
	out, err := collect(rows, scanExport)
	if err != nil {
		return nil, fmt.Errorf("ExportListExpired: %w", err)
	}
	return out, nil
}

func (q *queries) OrderCount(ctx context.Context, p order.ListParams) (int64, error) {
	p.After = nil
	w, _ := sqlshared.OrderWhere(p, dialect{})
	var n int64
	if err := q.db.QueryRowContext(ctx, sqlshared.OrderCountWhere+w.String(), w.Args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("OrderCount: %w", err)
	}
	return n, nil
}

func (q *queries) OrderCountUpTo(ctx context.Context, p order.ListParams, max int) (int64, error) {
	query, args := sqlshared.OrderCountUpTo(p, dialect{}, max)
	var n int64
	if err := q.db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("OrderCountUpTo: %w", err)
	}
	return n, nil
}

func (q *queries) ExportDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	if _, err := q.db.ExecContext(ctx, sqlshared.ExportDelete, tenantID, id); err != nil {
		return fmt.Errorf("ExportDelete(%s): %w", id, err)
	}
	return nil
}
