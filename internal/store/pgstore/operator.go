package pgstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/operator"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

var (
	_ operator.Store = (*Store)(nil)
	_ operator.Tx    = (*queries)(nil)
)

func (q *queries) OperatorAdd(ctx context.Context, userID uuid.UUID, now time.Time) error {
	_, err := q.db.Exec(ctx, sqlshared.OperatorAdd, userID, now)
	if err != nil {
		return fmt.Errorf("OperatorAdd: %w", interpretError(err, "user"))
	}
	return nil
}

func (q *queries) OperatorRemove(ctx context.Context, userID uuid.UUID) error {
	tag, err := q.db.Exec(ctx, sqlshared.OperatorRemove, userID)
	if err != nil {
		return fmt.Errorf("OperatorRemove: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.NotFound("operator")
	}
	return nil
}

func (q *queries) OperatorIs(ctx context.Context, userID uuid.UUID) (bool, error) {
	var n int
	if err := q.db.QueryRow(ctx, sqlshared.OperatorIs, userID).Scan(&n); err != nil {
		return false, fmt.Errorf("OperatorIs: %w", err)
	}
	return n > 0, nil
}

func (q *queries) OperatorList(ctx context.Context) ([]operator.Operator, error) {
	rows, err := q.db.Query(ctx, sqlshared.OperatorListQuery)
	if err != nil {
		return nil, fmt.Errorf("OperatorList: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (operator.Operator, error) {
		var o operator.Operator
		u := &o.User
		err := r.Scan(&u.ID, &u.Email, &u.Name, &u.Image, &u.Locale, &u.PasswordHash, &u.EmailVerifiedAt, &u.SessionEpoch, &u.CreatedAt, &u.UpdatedAt, &u.DisabledAt, &o.Since)
		return o, err
	})
}

func (q *queries) UserSetDisabled(ctx context.Context, id uuid.UUID, at *time.Time, now time.Time) error {
	tag, err := q.db.Exec(ctx, sqlshared.UserSetDisabled, id, at, now)
	if err != nil {
		return fmt.Errorf("UserSetDisabled: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.NotFound("user")
	}
	return nil
}

func (q *queries) UserSearch(ctx context.Context, s string, r page.Request) ([]account.User, error) {
	query, args := sqlshared.PageQuery(sqlshared.UserSearch, []any{strings.ToLower(s)}, "id", true, r)
	rows, err := q.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("UserSearch: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (account.User, error) { return scanUser(r) })
	return page.InOrder(out, r), err
}

func (q *queries) TenantOverviewList(ctx context.Context, s string, r page.Request) ([]operator.TenantOverview, error) {
	query, args := sqlshared.PageQuery(sqlshared.TenantOverviewList, []any{strings.ToLower(s)}, "id", true, r)
	rows, err := q.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("TenantOverviewList: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (operator.TenantOverview, error) { return scanTenantOverview(r) })
	return page.InOrder(out, r), err
}

func (q *queries) TenantOverviewGet(ctx context.Context, id uuid.UUID) (operator.TenantOverview, error) {
	o, err := scanTenantOverview(q.db.QueryRow(ctx, sqlshared.TenantOverviewGet, id))
	if err != nil {
		return o, fmt.Errorf("TenantOverviewGet(%s): %w", id, interpretError(err, "tenant"))
	}
	return o, nil
}

func scanTenantOverview(r pgx.Row) (operator.TenantOverview, error) {
	var o operator.TenantOverview
	t := &o.Tenant
	err := r.Scan(&t.ID, &t.Name, &t.Slug, &t.Plan, &t.Status, &t.CreatedAt, &t.UpdatedAt, &t.DefaultTaxRateBP, &t.PurgeAfter, &t.RequireTwoFactor,
		&o.Members, &o.Orders, &o.StorageBytes, &o.LastActivity)
	return o, err
}

func (q *queries) PlatformAuditInsert(ctx context.Context, e audit.Entry) error {
	meta := e.Metadata
	if len(meta) == 0 {
		meta = []byte("{}")
	}
	var tenantID *uuid.UUID
	if e.TenantID != uuid.Nil {
		tenantID = &e.TenantID
	}
	_, err := q.db.Exec(ctx, sqlshared.PlatformAuditInsert,
		e.ID, tenantID, e.ActorType, e.ActorID, e.ActorName, e.ActorEmail, e.Action, e.EntityType, e.EntityID, e.IP, e.UserAgent, e.RequestID, string(meta), e.CreatedAt)
	if err != nil {
		return fmt.Errorf("PlatformAuditInsert(%s): %w", e.Action, interpretError(err, "audit entry"))
	}
	return nil
}

func (q *queries) PlatformAuditList(ctx context.Context, tenantID *uuid.UUID, r page.Request) ([]audit.Entry, error) {
	query, args := sqlshared.PlatformAuditPage(tenantID, r)
	rows, err := q.db.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("PlatformAuditList: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (audit.Entry, error) {
		var e audit.Entry
		var tenantID *uuid.UUID
		var meta []byte
		err := r.Scan(&e.ID, &tenantID, &e.ActorType, &e.ActorID, &e.ActorName, &e.ActorEmail, &e.Action, &e.EntityType, &e.EntityID, &e.IP, &e.UserAgent, &e.RequestID, &meta, &e.CreatedAt)
		if tenantID != nil {
			e.TenantID = *tenantID
		}
		e.Metadata = meta
		return e, err
	})
	return page.InOrder(out, r), err
}
