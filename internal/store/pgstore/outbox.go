package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/idempotency"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

func eventArgs(e event.Event) []any {
	return []any{e.ID, e.TenantID, e.Type, e.EntityID, string(e.Data), e.CreatedAt}
}

func (q *queries) EventInsert(ctx context.Context, e event.Event) error {
	_, err := q.db.Exec(ctx, sqlshared.EventInsert, eventArgs(e)...)
	if err != nil {
		return fmt.Errorf("EventInsert(%s): %w", e.Type, interpretError(err, "event"))
	}
	return nil
}

func (q *queries) EventListAfter(ctx context.Context, tenantID, after uuid.UUID, limit int) ([]event.Event, error) {
	rows, err := q.db.Query(ctx, sqlshared.EventListAfter, tenantID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("EventListAfter: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (event.Event, error) {
		var e event.Event
		var data []byte
		err := r.Scan(&e.ID, &e.TenantID, &e.Type, &e.EntityID, &data, &e.CreatedAt)
		e.Data = data
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("EventListAfter: %w", err)
	}
	return out, nil
}

func (q *queries) EventGet(ctx context.Context, tenantID, id uuid.UUID) (event.Event, error) {
	e, err := scanEvent(q.db.QueryRow(ctx, sqlshared.EventGet, tenantID, id))
	if err != nil {
		return event.Event{}, fmt.Errorf("EventGet(%s): %w", id, interpretError(err, "event"))
	}
	return e, nil
}

// scanEvent reads the columns of sqlshared.EventColumns.
func scanEvent(row pgx.Row) (event.Event, error) {
	var e event.Event
	var data []byte
	err := row.Scan(&e.ID, &e.TenantID, &e.Type, &e.EntityID, &data, &e.CreatedAt)
	e.Data = data
	return e, err
}

func scanIdem(row pgx.Row) (idempotency.Record, error) {
	var r idempotency.Record
	var state string
	var headers []byte
	err := row.Scan(&r.TenantID, &r.Key, &r.RequestHash, &state, &r.Status, &headers, &r.Body, &r.LockedAt, &r.CreatedAt)
	r.Done = state == "done"
	if err == nil && len(headers) > 0 {
		err = json.Unmarshal(headers, &r.Headers)
	}
	return r, err
}

// IdempotencyBegin inserts the record, or takes over one that is expired
// or stale, in one statement; a live record is returned untouched.
func (q *queries) IdempotencyBegin(ctx context.Context, rec idempotency.Record, now time.Time) (idempotency.Record, bool, error) {
	// Outside a transaction the claim commits without waiting for its
	// WAL flush (synchronous_commit off for this statement alone): the
	// request's own transaction commits after it and flushes it too, and a
	// claim lost with a crash before that had nothing to protect. It saves
	// one of the three flushes of an idempotent create.
	with, values := "", `VALUES ($1, $2, $3, 'in_flight', $4, $4)`
	if q.tx == nil {
		with = `WITH async AS (SELECT set_config('synchronous_commit', 'off', true)) `
		values = `SELECT $1::uuid, $2::text, $3::bytea, 'in_flight', $4::timestamptz, $4::timestamptz FROM async`
	}
	got, err := scanIdem(q.db.QueryRow(ctx, with+`
		INSERT INTO idempotency_keys (tenant_id, key, request_hash, state, locked_at, created_at)
		`+values+`
		ON CONFLICT (tenant_id, key) DO UPDATE SET
			request_hash = EXCLUDED.request_hash, state = 'in_flight', response_status = 0,
			response_headers = '{}', response_body = NULL, locked_at = EXCLUDED.locked_at, created_at = EXCLUDED.created_at
		WHERE idempotency_keys.created_at < $5 OR (idempotency_keys.state = 'in_flight' AND idempotency_keys.locked_at < $6)
		RETURNING `+sqlshared.IdempotencyColumns,
		rec.TenantID, rec.Key, rec.RequestHash, now, now.Add(-idempotency.TTL), now.Add(-idempotency.StaleAfter)))
	if err == nil {
		return got, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return idempotency.Record{}, false, fmt.Errorf("IdempotencyBegin: %w", interpretError(err, "idempotency key"))
	}
	got, err = scanIdem(q.db.QueryRow(ctx, sqlshared.IdempotencyGet, rec.TenantID, rec.Key))
	if err != nil {
		return idempotency.Record{}, false, fmt.Errorf("IdempotencyBegin: %w", interpretError(err, "idempotency key"))
	}
	return got, false, nil
}

func (q *queries) IdempotencyFinish(ctx context.Context, rec idempotency.Record) error {
	headers, _ := json.Marshal(rec.Headers)
	with, from := "", ""
	if rec.KeyedEffect && q.tx == nil {
		// The effect keeps the key: no need to wait for the flush (see
		// IdempotencyBegin).
		with, from = `WITH async AS (SELECT set_config('synchronous_commit', 'off', true)) `, ` FROM async`
	}
	_, err := q.db.Exec(ctx, with+`UPDATE idempotency_keys SET state = 'done', response_status = $3, response_headers = $4, response_body = $5`+from+`
		WHERE tenant_id = $1 AND key = $2`, rec.TenantID, rec.Key, rec.Status, string(headers), rec.Body)
	if err != nil {
		return fmt.Errorf("IdempotencyFinish: %w", err)
	}
	return nil
}

func (q *queries) IdempotencyRelease(ctx context.Context, tenantID uuid.UUID, key string) error {
	if _, err := q.db.Exec(ctx, sqlshared.IdempotencyRelease, tenantID, key); err != nil {
		return fmt.Errorf("IdempotencyRelease: %w", err)
	}
	return nil
}
