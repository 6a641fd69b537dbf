package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/idempotency"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

func (q *queries) EventInsert(ctx context.Context, e event.Event) error {
	_, err := q.db.ExecContext(ctx, sqlshared.EventInsert,
		e.ID, e.TenantID, e.Type, e.EntityID, string(e.Data), ts(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("EventInsert(%s): %w", e.Type, interpretError(err, "event"))
	}
	return nil
}

func (q *queries) EventListAfter(ctx context.Context, tenantID, after uuid.UUID, limit int) ([]event.Event, error) {
	rows, err := q.db.QueryContext(ctx, sqlshared.EventListAfter, tenantID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("EventListAfter: %w", err)
	}
	out, err := collect(rows, func(r scanner) (event.Event, error) {
		var e event.Event
		var data string
		err := r.Scan(&e.ID, &e.TenantID, &e.Type, &e.EntityID, &data, timeCol{&e.CreatedAt})
		e.Data = json.RawMessage(data)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("EventListAfter: %w", err)
	}
	return out, nil
}

func (q *queries) EventGet(ctx context.Context, tenantID, id uuid.UUID) (event.Event, error) {
	var e event.Event
	var data string
	err := q.db.QueryRowContext(ctx, sqlshared.EventGet, tenantID, id).
		Scan(&e.ID, &e.TenantID, &e.Type, &e.EntityID, &data, timeCol{&e.CreatedAt})
	if err != nil {
		return event.Event{}, fmt.Errorf("EventGet(%s): %w", id, interpretError(err, "event"))
	}
	e.Data = json.RawMessage(data)
	return e, nil
}

func scanIdem(row scanner) (idempotency.Record, error) {
	var r idempotency.Record
	var state, headers string
	err := row.Scan(&r.TenantID, &r.Key, &r.RequestHash, &state, &r.Status, &headers, &r.Body, timeCol{&r.LockedAt}, timeCol{&r.CreatedAt})
	r.Done = state == "done"
	if err == nil && headers != "" {
		err = json.Unmarshal([]byte(headers), &r.Headers)
	}
	return r, err
}

func (q *queries) IdempotencyBegin(ctx context.Context, rec idempotency.Record, now time.Time) (idempotency.Record, bool, error) {
	got, err := scanIdem(q.db.QueryRowContext(ctx, `
		INSERT INTO idempotency_keys (tenant_id, key, request_hash, state, locked_at, created_at)
		VALUES ($1, $2, $3, 'in_flight', $4, $4)
		ON CONFLICT (tenant_id, key) DO UPDATE SET
			request_hash = excluded.request_hash, state = 'in_flight', response_status = 0,
			response_headers = '{}', response_body = NULL, locked_at = excluded.locked_at, created_at = excluded.created_at
		WHERE idempotency_keys.created_at < $5 OR (idempotency_keys.state = 'in_flight' AND idempotency_keys.locked_at < $6)
		RETURNING `+sqlshared.IdempotencyColumns,
		rec.TenantID, rec.Key, rec.RequestHash, ts(now), ts(now.Add(-idempotency.TTL)), ts(now.Add(-idempotency.StaleAfter))))
	if err == nil {
		return got, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return idempotency.Record{}, false, fmt.Errorf("IdempotencyBegin: %w", interpretError(err, "idempotency key"))
	}
	got, err = scanIdem(q.db.QueryRowContext(ctx, sqlshared.IdempotencyGet, rec.TenantID, rec.Key))
	if err != nil {
		return idempotency.Record{}, false, fmt.Errorf("IdempotencyBegin: %w", interpretError(err, "idempotency key"))
	}
	return got, false, nil
}

func (q *queries) IdempotencyFinish(ctx context.Context, rec idempotency.Record) error {
	headers, _ := json.Marshal(rec.Headers)
	_, err := q.db.ExecContext(ctx, `UPDATE idempotency_keys SET state = 'done', response_status = $3, response_headers = $4, response_body = $5
		WHERE tenant_id = $1 AND key = $2`, rec.TenantID, rec.Key, rec.Status, string(headers), rec.Body)
	if err != nil {
		return fmt.Errorf("IdempotencyFinish: %w", err)
	}
	return nil
}

func (q *queries) IdempotencyRelease(ctx context.Context, tenantID uuid.UUID, key string) error {
	if _, err := q.db.ExecContext(ctx, sqlshared.IdempotencyRelease, tenantID, key); err != nil {
		return fmt.Errorf("IdempotencyRelease: %w", err)
	}
	return nil
}
