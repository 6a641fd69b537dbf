package sqlitestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/store/sqlshared"
	"github.com/ordo/ordo/internal/webhook"
)

// The engine implements the webhook domain's store, in and out of a
// transaction.
var (
	_ webhook.Store = (*Store)(nil)
	_ webhook.Tx    = (*queries)(nil)
)

func scanEndpoint(row scanner) (webhook.Endpoint, error) {
	var e webhook.Endpoint
	var types string
	err := row.Scan(&e.ID, &e.TenantID, &e.URL, &e.Description, &types, &e.Enabled, &e.Secret, &e.PreviousSecret, nullTimeCol{&e.PreviousSecretExpiresAt},
		&e.DisabledReason, nullTimeCol{&e.FailingSince}, timeCol{&e.CreatedAt}, timeCol{&e.UpdatedAt})
	if err == nil {
		e.EventTypes, err = decodeEventTypes(types)
	}
	return e, err
}

// encodeEventTypes is the event_types column of types: a JSON array,
// [] for all.
func encodeEventTypes(types []string) string {
	if len(types) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(types)
	return string(b)
}

// decodeEventTypes reads the event_types column; [] is nil.
func decodeEventTypes(s string) ([]string, error) {
	var types []string
	if err := json.Unmarshal([]byte(s), &types); err != nil {
		return nil, fmt.Errorf("event_types: %w", err)
	}
	if len(types) == 0 {
		return nil, nil
	}
	return types, nil
}

func (q *queries) WebhookEndpointCreate(ctx context.Context, e webhook.Endpoint) error {
	_, err := q.db.ExecContext(ctx, sqlshared.WebhookEndpointCreate,
		e.ID, e.TenantID, e.URL, e.Description, encodeEventTypes(e.EventTypes), e.Enabled, e.Secret, e.PreviousSecret, tsPtr(e.PreviousSecretExpiresAt),
		e.DisabledReason, tsPtr(e.FailingSince), ts(e.CreatedAt), ts(e.UpdatedAt))
	if err != nil {
		return fmt.Errorf("WebhookEndpointCreate: %w", interpretError(err, "webhook endpoint"))
	}
	return nil
}

func (q *queries) WebhookEndpointGet(ctx context.Context, tenantID, id uuid.UUID) (webhook.Endpoint, error) {
	e, err := scanEndpoint(q.db.QueryRowContext(ctx, sqlshared.WebhookEndpointGet, tenantID, id))
	if err != nil {
		return webhook.Endpoint{}, fmt.Errorf("WebhookEndpointGet(%s): %w", id, interpretError(err, "webhook endpoint"))
	}
	return e, nil
}

// WebhookEndpointGetForUpdate is WebhookEndpointGet: a SQLite transaction
// that writes begins IMMEDIATE, which already makes the others wait.
func (q *queries) WebhookEndpointGetForUpdate(ctx context.Context, tenantID, id uuid.UUID) (webhook.Endpoint, error) {
	e, err := scanEndpoint(q.db.QueryRowContext(ctx, sqlshared.WebhookEndpointGet, tenantID, id))
	if err != nil {
		return webhook.Endpoint{}, fmt.Errorf("WebhookEndpointGetForUpdate(%s): %w", id, interpretError(err, "webhook endpoint"))
	}
	return e, nil
}

// WebhookEndpointList orders by id, which is a UUIDv7: oldest first.
func (q *queries) WebhookEndpointList(ctx context.Context, tenantID uuid.UUID, enabledOnly bool) ([]webhook.Endpoint, error) {
	sql := sqlshared.WebhookEndpointList
	if enabledOnly {
		sql += ` AND enabled = 1`
	}
	rows, err := q.db.QueryContext(ctx, sql+` ORDER BY id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("WebhookEndpointList: %w", err)
	}
	out, err := collect(rows, scanEndpoint)
	if err != nil {
		return nil, fmt.Errorf("WebhookEndpointList: %w", err)
	}
	return out, nil
}

// EventInsertForWebhooks is two statements here: SQLite has no
// data-modifying WITH, and no round trips to save.
func (q *queries) WebhookEndpointPage(ctx context.Context, tenantID uuid.UUID, r page.Request) ([]webhook.Endpoint, error) {
	sql, args := sqlshared.PageQuery(sqlshared.WebhookEndpointList, []any{tenantID}, "id", false, r)
	rows, err := q.db.QueryContext(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("WebhookEndpointPage: %w", err)
	}
	out, err := collect(rows, scanEndpoint)
	if err != nil {
		return nil, fmt.Errorf("WebhookEndpointPage: %w", err)
	}
	return page.InOrder(out, r), nil
}

func (q *queries) EventInsertForWebhooks(ctx context.Context, e event.Event) ([]webhook.Endpoint, error) {
	if err := q.EventInsert(ctx, e); err != nil {
		return nil, err
	}
	return q.WebhookEndpointList(ctx, e.TenantID, true)
}

func (q *queries) WebhookEndpointUpdate(ctx context.Context, e webhook.Endpoint) error {
	res, err := q.db.ExecContext(ctx, sqlshared.WebhookEndpointUpdate,
		e.TenantID, e.ID, e.URL, e.Description, encodeEventTypes(e.EventTypes), e.Enabled, e.Secret, e.PreviousSecret,
		tsPtr(e.PreviousSecretExpiresAt), e.DisabledReason, tsPtr(e.FailingSince), ts(e.UpdatedAt))
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return fmt.Errorf("WebhookEndpointUpdate(%s): %w", e.ID, interpretError(err, "webhook endpoint"))
	}
	return nil
}

// WebhookEndpointDelete deletes the endpoint and, by cascade, its
// deliveries and their attempts.
func (q *queries) WebhookEndpointDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	res, err := q.db.ExecContext(ctx, sqlshared.WebhookEndpointDelete, tenantID, id)
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return fmt.Errorf("WebhookEndpointDelete(%s): %w", id, interpretError(err, "webhook endpoint"))
	}
	return nil
}

func scanDelivery(row scanner) (webhook.Delivery, error) {
	var d webhook.Delivery
	err := row.Scan(&d.ID, &d.TenantID, &d.EndpointID, &d.EventID, &d.EventType, &d.Status, &d.Attempts, nullTimeCol{&d.NextAttemptAt}, &d.LastStatusCode,
		&d.LastError, &d.LastResponse, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt}, nullTimeCol{&d.DeliveredAt})
	return d, err
}

// isForeignKeyViolation reports whether err is a foreign key violation: a
// row refers to another that does not exist, or is another tenant's.
func isForeignKeyViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// WebhookDeliveryCreate inserts d. An endpoint or event that does not
// exist, or is another tenant's, is apperr.ErrNotFound.
func (q *queries) WebhookDeliveryCreate(ctx context.Context, d webhook.Delivery) error {
	_, err := q.db.ExecContext(ctx, sqlshared.WebhookDeliveryCreate,
		d.ID, d.TenantID, d.EndpointID, d.EventID, d.EventType, d.Status, d.Attempts, tsPtr(d.NextAttemptAt), d.LastStatusCode,
		d.LastError, d.LastResponse, ts(d.CreatedAt), ts(d.UpdatedAt), tsPtr(d.DeliveredAt))
	if isForeignKeyViolation(err) {
		err = apperr.NotFound("webhook endpoint or event")
	}
	if err != nil {
		return fmt.Errorf("WebhookDeliveryCreate: %w", interpretError(err, "webhook delivery"))
	}
	return nil
}

func (q *queries) WebhookDeliveryGet(ctx context.Context, tenantID, id uuid.UUID) (webhook.Delivery, error) {
	d, err := scanDelivery(q.db.QueryRowContext(ctx, sqlshared.WebhookDeliveryGet, tenantID, id))
	if err != nil {
		return webhook.Delivery{}, fmt.Errorf("WebhookDeliveryGet(%s): %w", id, interpretError(err, "webhook delivery"))
	}
	return d, nil
}

// WebhookDeliveryToSend reads one after the other: SQLite has no round
// trips to save.
func (q *queries) WebhookDeliveryToSend(ctx context.Context, tenantID, id uuid.UUID) (webhook.Delivery, webhook.Endpoint, event.Event, error) {
	d, err := q.WebhookDeliveryGet(ctx, tenantID, id)
	if err != nil {
		return webhook.Delivery{}, webhook.Endpoint{}, event.Event{}, err
	}
	ep, err := q.WebhookEndpointGet(ctx, tenantID, d.EndpointID)
	if err != nil {
		return webhook.Delivery{}, webhook.Endpoint{}, event.Event{}, err
	}
	ev, err := q.EventGet(ctx, tenantID, d.EventID)
	if err != nil {
		return webhook.Delivery{}, webhook.Endpoint{}, event.Event{}, err
	}
	return d, ep, ev, nil
}

func (q *queries) WebhookDeliveryUpdate(ctx context.Context, d webhook.Delivery) error {
	res, err := q.db.ExecContext(ctx, sqlshared.WebhookDeliveryUpdate,
		d.TenantID, d.ID, d.Status, d.Attempts, tsPtr(d.NextAttemptAt), d.LastStatusCode, d.LastError, d.LastResponse, ts(d.UpdatedAt), tsPtr(d.DeliveredAt))
	if err == nil {
		err = oneRow(res)
	}
	if err != nil {
		return fmt.Errorf("WebhookDeliveryUpdate(%s): %w", d.ID, interpretError(err, "webhook delivery"))
	}
	return nil
}

// deliveryLimit bounds a page of deliveries: 50 by default, 500 at most.
func deliveryLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	}
	return n
}

// WebhookDeliveryList lists an endpoint's deliveries, newest first.
func (q *queries) WebhookDeliveryList(ctx context.Context, f webhook.DeliveryFilter) ([]webhook.Delivery, error) {
	w := &sqlshared.Where{}
	w.Add("tenant_id = ?", f.TenantID)
	w.Add("endpoint_id = ?", f.EndpointID)
	if f.EventType != "" {
		w.Add("event_type = ?", f.EventType)
	}
	if f.Status != "" {
		w.Add("status = ?", f.Status)
	}
	if f.Since != nil {
		w.Add("created_at >= ?", dialect{}.Time(*f.Since))
	}
	if f.Before != nil {
		w.Add("id < ?", *f.Before)
	}
	if f.After != nil {
		w.Add("id > ?", *f.After)
	}
	args := append(w.Args, deliveryLimit(f.Limit))
	rows, err := q.db.QueryContext(ctx, sqlshared.WebhookDeliveryListWhere+w.String()+
		` ORDER BY id `+sqlshared.IDDirection(f.After)+` LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("WebhookDeliveryList: %w", err)
	}
	out, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("WebhookDeliveryList: %w", err)
	}
	if f.After != nil {
		slices.Reverse(out) // read upwards from the cursor; newest first again
	}
	return out, nil
}

func (q *queries) WebhookDeliveryListFailing(ctx context.Context, tenantID uuid.UUID, limit int) ([]webhook.Delivery, error) {
	rows, err := q.db.QueryContext(ctx, sqlshared.WebhookDeliveryListFailing, tenantID, deliveryLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("WebhookDeliveryListFailing: %w", err)
	}
	out, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("WebhookDeliveryListFailing: %w", err)
	}
	return out, nil
}

// WebhookAttemptInsert stores a's latency in whole milliseconds. A
// delivery that does not exist, or is another tenant's, is
// apperr.ErrNotFound.
func (q *queries) WebhookAttemptInsert(ctx context.Context, a webhook.Attempt) error {
	_, err := q.db.ExecContext(ctx, sqlshared.WebhookAttemptInsert,
		a.ID, a.TenantID, a.DeliveryID, a.Number, a.StatusCode, a.Latency.Milliseconds(), a.Response, a.Error, ts(a.CreatedAt))
	if isForeignKeyViolation(err) {
		err = apperr.NotFound("webhook delivery")
	}
	if err != nil {
		return fmt.Errorf("WebhookAttemptInsert: %w", interpretError(err, "webhook attempt"))
	}
	return nil
}

func (q *queries) WebhookAttemptRecord(ctx context.Context, a webhook.Attempt, d webhook.Delivery) error {
	if a.TenantID != d.TenantID || a.DeliveryID != d.ID {
		return fmt.Errorf("WebhookAttemptRecord: attempt %s is not of delivery %s", a.ID, d.ID)
	}
	return q.atomic(ctx, func(q *queries) error {
		if err := q.WebhookAttemptInsert(ctx, a); err != nil {
			return err
		}
		return q.WebhookDeliveryUpdate(ctx, d)
	})
}

func (q *queries) WebhookAttemptList(ctx context.Context, tenantID uuid.UUID, deliveryIDs []uuid.UUID) ([]webhook.Attempt, error) {
	if len(deliveryIDs) == 0 {
		return []webhook.Attempt{}, nil
	}
	args := []any{tenantID}
	ph := make([]string, len(deliveryIDs))
	for i, id := range deliveryIDs {
		args = append(args, id)
		ph[i] = "$" + strconv.Itoa(i+2)
	}
	rows, err := q.db.QueryContext(ctx, `SELECT `+sqlshared.WebhookAttemptColumns+` FROM webhook_attempts
		WHERE tenant_id = $1 AND delivery_id IN (`+strings.Join(ph, ", ")+`) ORDER BY delivery_id, number, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("WebhookAttemptList: %w", err)
	}
	out, err := collect(rows, func(r scanner) (webhook.Attempt, error) {
		var a webhook.Attempt
		var ms int64
		err := r.Scan(&a.ID, &a.TenantID, &a.DeliveryID, &a.Number, &a.StatusCode, &ms, &a.Response, &a.Error, timeCol{&a.CreatedAt})
		a.Latency = time.Duration(ms) * time.Millisecond
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("WebhookAttemptList: %w", err)
	}
	return out, nil
}

func (q *queries) WebhookOwners(ctx context.Context, tenantID uuid.UUID) (string, []string, error) {
	rows, err := q.db.QueryContext(ctx, sqlshared.WebhookOwners, tenantID)
	if err != nil {
		return "", nil, fmt.Errorf("WebhookOwners: %w", err)
	}
	defer rows.Close()
	return sqlshared.ScanWebhookOwners(rows, tenantID)
}
