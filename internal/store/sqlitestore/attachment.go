package sqlitestore

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/attachment"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

func scanAttachment(row scanner) (attachment.Attachment, error) {
	var a attachment.Attachment
	err := row.Scan(&a.ID, &a.TenantID, &a.OrderID, &a.UploadedBy, &a.Filename, &a.ContentType, &a.Size, &a.ObjectKey, &a.Status, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt})
	return a, err
}

func (q *queries) AttachmentCreate(ctx context.Context, a attachment.Attachment) error {
	_, err := q.db.ExecContext(ctx, sqlshared.AttachmentCreate,
		a.ID, a.TenantID, a.OrderID, a.UploadedBy, a.Filename, a.ContentType, a.Size, a.ObjectKey, a.Status, ts(a.CreatedAt), ts(a.UpdatedAt))
	if err != nil {
		return fmt.Errorf("AttachmentCreate: %w", interpretError(err, "attachment"))
	}
	return nil
}

func (q *queries) AttachmentGet(ctx context.Context, tenantID, id uuid.UUID) (attachment.Attachment, error) {
	a, err := scanAttachment(q.db.QueryRowContext(ctx, sqlshared.AttachmentGet, tenantID, id))
	if err != nil {
		return a, fmt.Errorf("AttachmentGet(%s): %w", id, interpretError(err, "attachment"))
	}
	return a, nil
}

func (q *queries) AttachmentList(ctx context.Context, tenantID uuid.UUID, orderID *uuid.UUID, r page.Request) ([]attachment.Attachment, error) {
	sql, args := sqlshared.AttachmentListQuery(tenantID, orderID, r)
	rows, err := q.db.QueryContext(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("AttachmentList: %w", err)
	}
	out, err := collect(rows, scanAttachment)
	if err != nil {
		return nil, fmt.Errorf("AttachmentList: %w", err)
	}
	return page.InOrder(out, r), nil
}

func (q *queries) AttachmentSetStatus(ctx context.Context, tenantID, id uuid.UUID, s attachment.Status, now time.Time) error {
	res, err := q.db.ExecContext(ctx, sqlshared.AttachmentSetStatus, tenantID, id, s, ts(now))
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return fmt.Errorf("AttachmentSetStatus(%s): %w", id, interpretError(err, "attachment"))
	}
	return nil
}

func (q *queries) AttachmentDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	res, err := q.db.ExecContext(ctx, sqlshared.AttachmentDelete, tenantID, id)
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return fmt.Errorf("AttachmentDelete(%s): %w", id, interpretError(err, "attachment"))
	}
	return nil
}

func (q *queries) AttachmentListStale(ctx context.Context, before time.Time, limit int) ([]attachment.Attachment, error) {
	rows, err := q.db.QueryContext(ctx, sqlshared.AttachmentListStale, ts(before), limit)
	if err != nil {
		return nil, fmt.Errorf("AttachmentListStale: %w", err)
	}
	out, err := collect(rows, scanAttachment)
	if err != nil {
		return nil, fmt.Errorf("AttachmentListStale: %w", err)
	}
	return out, nil
}

func (q *queries) AttachmentUsage(ctx context.Context, tenantID uuid.UUID) (int64, int64, error) {
	var files, bytes int64
	err := q.db.QueryRowContext(ctx, sqlshared.AttachmentUsage, tenantID).Scan(&files, &bytes)
	if err != nil {
		return 0, 0, fmt.Errorf("AttachmentUsage: %w", err)
	}
	return files, bytes, nil
}

func (q *queries) AttachmentOrderExists(ctx context.Context, tenantID, orderID uuid.UUID) error {
	var one int
	err := q.db.QueryRowContext(ctx, sqlshared.OrderExists, tenantID, orderID).Scan(&one)
	if err != nil {
		return fmt.Errorf("AttachmentOrderExists(%s): %w", orderID, interpretError(err, "order"))
	}
	return nil
}

// The engine implements the attachment service's narrow store: outside a
// transaction (Store) and inside one (queries).
var (
	_ attachment.Store = (*Store)(nil)
	_ attachment.Tx    = (*queries)(nil)
)
