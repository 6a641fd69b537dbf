package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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

func scanEndpoint(row pgx.Row) (webhook.Endpoint, error) {
	var e webhook.Endpoint
	var types []byte
	err := row.Scan(&e.ID, &e.TenantID, &e.URL, &e.Description, &types, &e.Enabled, &e.Secret, &e.PreviousSecret, &e.PreviousSecretExpiresAt,
		&e.DisabledReason, &e.FailingSince, &e.CreatedAt, &e.UpdatedAt)
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
func decodeEventTypes(b []byte) ([]string, error) {
	var types []string
	if err := json.Unmarshal(b, &types); err != nil {
		return nil, fmt.Errorf("event_types: %w", err)
	}
	if len(types) == 0 {
		return nil, nil
	}
	return types, nil
}

func (q *queries) WebhookEndpointCreate(ctx context.Context, e webhook.Endpoint) error {
	_, err := q.db.Exec(ctx, sqlshared.WebhookEndpointCreate,
		e.ID, e.TenantID, e.URL, e.Description, encodeEventTypes(e.EventTypes), e.Enabled, e.Secret, e.PreviousSecret, e.PreviousSecretExpiresAt,
		e.DisabledReason, e.FailingSince, e.CreatedAt, e.UpdatedAt)
	if err != nil {
		return fmt.Errorf("WebhookEndpointCreate: %w", interpretError(err, "webhook endpoint"))
	}
	return nil
}

func (q *queries) WebhookEndpointGet(ctx context.Context, tenantID, id uuid.UUID) (webhook.Endpoint, error) {
	e, err := scanEndpoint(q.db.QueryRow(ctx, sqlshared.WebhookEndpointGet, tenantID, id))
	if err != nil {
		return webhook.Endpoint{}, fmt.Errorf("WebhookEndpointGet(%s): %w", id, interpretError(err, "webhook endpoint"))
	}
	return e, nil
}

// WebhookEndpointGetForUpdate locks the row until the transaction ends.
func (q *queries) WebhookEndpointGetForUpdate(ctx context.Context, tenantID, id uuid.UUID) (webhook.Endpoint, error) {
	e, err := scanEndpoint(q.db.QueryRow(ctx, sqlshared.WebhookEndpointGet+` FOR UPDATE`, tenantID, id))
	if err != nil {
		return webhook.Endpoint{}, fmt.Errorf("WebhookEndpointGetForUpdate(%s): %w", id, interpretError(err, "webhook endpoint"))
	}
	return e, nil
}

// WebhookEndpointList orders by id, which is a UUIDv7: oldest first.
func (q *queries) WebhookEndpointList(ctx context.Context, tenantID uuid.UUID, enabledOnly bool) ([]webhook.Endpoint, error) {
	sql := sqlshared.WebhookEndpointList
	if enabledOnly {
		sql += ` AND enabled`
	}
	rows, err := q.db.Query(ctx, sql+` ORDER BY id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("WebhookEndpointList: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Endpoint, error) { return scanEndpoint(r) })
	if err != nil {
		return nil, fmt.Errorf("WebhookEndpointList: %w", err)
	}
	return out, nil
}

func (q *queries) WebhookEndpointPage(ctx context.Context, tenantID uuid.UUID, r page.Request) ([]webhook.Endpoint, error) {
	sql, args := sqlshared.PageQuery(sqlshared.WebhookEndpointList, []any{tenantID}, "id", false, r)
	rows, err := q.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("WebhookEndpointPage: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Endpoint, error) { return scanEndpoint(r) })
	if err != nil {
		return nil, fmt.Errorf("WebhookEndpointPage: %w", err)
	}
	return page.InOrder(out, r), nil
}

func (q *queries) EventInsertForWebhooks(ctx context.Context, e event.Event) ([]webhook.Endpoint, error) {
	rows, err := q.db.Query(ctx, `WITH ev AS (`+sqlshared.EventInsert+`)
		SELECT `+sqlshared.WebhookEndpointColumns+` FROM webhook_endpoints WHERE tenant_id = $2 AND enabled ORDER BY id`, eventArgs(e)...)
	if err != nil {
		return nil, fmt.Errorf("EventInsertForWebhooks(%s): %w", e.Type, interpretError(err, "event"))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Endpoint, error) { return scanEndpoint(r) })
	if err != nil {
		return nil, fmt.Errorf("EventInsertForWebhooks(%s): %w", e.Type, interpretError(err, "event"))
	}
	return out, nil
}

func (q *queries) WebhookEndpointUpdate(ctx context.Context, e webhook.Endpoint) error {
	tag, err := q.db.Exec(ctx, sqlshared.WebhookEndpointUpdate,
		e.TenantID, e.ID, e.URL, e.Description, encodeEventTypes(e.EventTypes), e.Enabled, e.Secret, e.PreviousSecret,
		e.PreviousSecretExpiresAt, e.DisabledReason, e.FailingSince, e.UpdatedAt)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("WebhookEndpointUpdate(%s): %w", e.ID, interpretError(err, "webhook endpoint"))
	}
	return nil
}

// WebhookEndpointDelete deletes the endpoint and, by cascade, its
// deliveries and their attempts.
func (q *queries) WebhookEndpointDelete(ctx context.Context, tenantID, id uuid.UUID) error {
	tag, err := q.db.Exec(ctx, sqlshared.WebhookEndpointDelete, tenantID, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("WebhookEndpointDelete(%s): %w", id, interpretError(err, "webhook endpoint"))
	}
	return nil
}

func scanDelivery(row pgx.Row) (webhook.Delivery, error) {
	var d webhook.Delivery
	err := row.Scan(&d.ID, &d.TenantID, &d.EndpointID, &d.EventID, &d.EventType, &d.Status, &d.Attempts, &d.NextAttemptAt, &d.LastStatusCode,
		&d.LastError, &d.LastResponse, &d.CreatedAt, &d.UpdatedAt, &d.DeliveredAt)
	return d, err
}

// isForeignKeyViolation reports whether err is a foreign key violation: a
// row refers to another that does not exist, or is another tenant's.
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}

// WebhookDeliveryCreate inserts d. An endpoint or event that does not
// exist, or is another tenant's, is apperr.ErrNotFound.
func (q *queries) WebhookDeliveryCreate(ctx context.Context, d webhook.Delivery) error {
	_, err := q.db.Exec(ctx, sqlshared.WebhookDeliveryCreate,
		d.ID, d.TenantID, d.EndpointID, d.EventID, d.EventType, d.Status, d.Attempts, d.NextAttemptAt, d.LastStatusCode,
		d.LastError, d.LastResponse, d.CreatedAt, d.UpdatedAt, d.DeliveredAt)
	if isForeignKeyViolation(err) {
		err = apperr.NotFound("webhook endpoint or event")
	}
	if err != nil {
		return fmt.Errorf("WebhookDeliveryCreate: %w", interpretError(err, "webhook delivery"))
	}
	return nil
}

func (q *queries) WebhookDeliveryGet(ctx context.Context, tenantID, id uuid.UUID) (webhook.Delivery, error) {
	d, err := scanDelivery(q.db.QueryRow(ctx, sqlshared.WebhookDeliveryGet, tenantID, id))
	if err != nil {
		return webhook.Delivery{}, fmt.Errorf("WebhookDeliveryGet(%s): %w", id, interpretError(err, "webhook delivery"))
	}
	return d, nil
}

// webhookDeliveryEndpoint and webhookDeliveryEvent read a delivery's
// endpoint and event by the delivery's id, so that an attempt's three
// reads can go together in one round trip.
const (
	webhookDeliveryEndpoint = `SELECT ` + sqlshared.WebhookEndpointColumns + ` FROM webhook_endpoints
		WHERE tenant_id = $1 AND id = (SELECT endpoint_id FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2)`
	webhookDeliveryEvent = `SELECT ` + sqlshared.EventColumns + ` FROM events
		WHERE tenant_id = $1 AND id = (SELECT event_id FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2)`
)

// WebhookDeliveryToSend sends the three reads in one batch: a delivery
// job is mostly waiting on the database, and each round trip it saves is
// a round trip more for another delivery.
func (q *queries) WebhookDeliveryToSend(ctx context.Context, tenantID, id uuid.UUID) (webhook.Delivery, webhook.Endpoint, event.Event, error) {
	b := &pgx.Batch{}
	b.Queue(sqlshared.WebhookDeliveryGet, tenantID, id)
	b.Queue(webhookDeliveryEndpoint, tenantID, id)
	b.Queue(webhookDeliveryEvent, tenantID, id)
	br := q.db.SendBatch(ctx, b)
	var ep webhook.Endpoint
	var ev event.Event
	d, err := scanDelivery(br.QueryRow())
	what := "webhook delivery"
	if err == nil {
		ep, err = scanEndpoint(br.QueryRow())
		what = "webhook endpoint"
	}
	if err == nil {
		ev, err = scanEvent(br.QueryRow())
		what = "event"
	}
	if err = errors.Join(err, closeBatch(br, err)); err != nil {
		return webhook.Delivery{}, webhook.Endpoint{}, event.Event{}, fmt.Errorf("WebhookDeliveryToSend(%s): %w", id, interpretError(err, what))
	}
	return d, ep, ev, nil
}

func (q *queries) WebhookDeliveryUpdate(ctx context.Context, d webhook.Delivery) error {
	tag, err := q.db.Exec(ctx, sqlshared.WebhookDeliveryUpdate,
		d.TenantID, d.ID, d.Status, d.Attempts, d.NextAttemptAt, d.LastStatusCode, d.LastError, d.LastResponse, d.UpdatedAt, d.DeliveredAt)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
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
	rows, err := q.db.Query(ctx, sqlshared.WebhookDeliveryListWhere+w.String()+
		fmt.Sprintf(` ORDER BY id `+sqlshared.IDDirection(f.After)+` LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("WebhookDeliveryList: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Delivery, error) { return scanDelivery(r) })
	if err != nil {
		return nil, fmt.Errorf("WebhookDeliveryList: %w", err)
	}
	if f.After != nil {
		slices.Reverse(out) // read upwards from the cursor; newest first again
	}
	return out, nil
}

func (q *queries) WebhookDeliveryListFailing(ctx context.Context, tenantID uuid.UUID, limit int) ([]webhook.Delivery, error) {
	rows, err := q.db.Query(ctx, sqlshared.WebhookDeliveryListFailing, tenantID, deliveryLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("WebhookDeliveryListFailing: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Delivery, error) { return scanDelivery(r) })
	if err != nil {
		return nil, fmt.Errorf("WebhookDeliveryListFailing: %w", err)
	}
	return out, nil
}

// WebhookAttemptInsert stores a's latency in whole milliseconds. A
// delivery that does not exist, or is another tenant's, is
// apperr.ErrNotFound. In a transaction it goes with the next statement
// (the delivery's update).
func (q *queries) WebhookAttemptInsert(ctx context.Context, a webhook.Attempt) error {
	return q.execLater(ctx, func(err error) error {
		if isForeignKeyViolation(err) {
			err = apperr.NotFound("webhook delivery")
		}
		return fmt.Errorf("WebhookAttemptInsert: %w", interpretError(err, "webhook attempt"))
	}, sqlshared.WebhookAttemptInsert,
		a.ID, a.TenantID, a.DeliveryID, a.Number, a.StatusCode, a.Latency.Milliseconds(), a.Response, a.Error, a.CreatedAt)
}

// webhookAttemptRecord updates the delivery and inserts the attempt only
// if the update found it: one statement, so all or nothing in one round
// trip without BEGIN and COMMIT.
const webhookAttemptRecord = `WITH d AS (UPDATE webhook_deliveries SET status = $3, attempts = $4, next_attempt_at = $5, last_status_code = $6,
		last_error = $7, last_response_body = $8, updated_at = $9, delivered_at = $10
		WHERE tenant_id = $1 AND id = $2 RETURNING tenant_id, id)
	INSERT INTO webhook_attempts (` + sqlshared.WebhookAttemptColumns + `)
		SELECT $11, d.tenant_id, d.id, $12, $13, $14, $15, $16, $17 FROM d`

func (q *queries) WebhookAttemptRecord(ctx context.Context, a webhook.Attempt, d webhook.Delivery) error {
	if a.TenantID != d.TenantID || a.DeliveryID != d.ID {
		return fmt.Errorf("WebhookAttemptRecord: attempt %s is not of delivery %s", a.ID, d.ID)
	}
	tag, err := q.db.Exec(ctx, webhookAttemptRecord, d.TenantID, d.ID, d.Status, d.Attempts, d.NextAttemptAt, d.LastStatusCode, d.LastError,
		d.LastResponse, d.UpdatedAt, d.DeliveredAt, a.ID, a.Number, a.StatusCode, a.Latency.Milliseconds(), a.Response, a.Error, a.CreatedAt)
	if err == nil && tag.RowsAffected() == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return fmt.Errorf("WebhookAttemptRecord(%s): %w", d.ID, interpretError(err, "webhook delivery"))
	}
	return nil
}

func (q *queries) WebhookAttemptList(ctx context.Context, tenantID uuid.UUID, deliveryIDs []uuid.UUID) ([]webhook.Attempt, error) {
	if len(deliveryIDs) == 0 {
		return []webhook.Attempt{}, nil
	}
	rows, err := q.db.Query(ctx, `SELECT `+sqlshared.WebhookAttemptColumns+` FROM webhook_attempts
		WHERE tenant_id = $1 AND delivery_id = ANY($2) ORDER BY delivery_id, number, id`, tenantID, uuidArray(deliveryIDs))
	if err != nil {
		return nil, fmt.Errorf("WebhookAttemptList: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Attempt, error) {
		var a webhook.Attempt
		var ms int64
		err := r.Scan(&a.ID, &a.TenantID, &a.DeliveryID, &a.Number, &a.StatusCode, &ms, &a.Response, &a.Error, &a.CreatedAt)
		a.Latency = time.Duration(ms) * time.Millisecond
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("WebhookAttemptList: %w", err)
	}
	return out, nil
}

func (q *queries) WebhookOwners(ctx context.Context, tenantID uuid.UUID) (string, []string, error) {
	rows, err := q.db.Query(ctx, sqlshared.WebhookOwners, tenantID)
	if err != nil {
		return "", nil, fmt.Errorf("WebhookOwners: %w", err)
	}
	defer rows.Close()
	return sqlshared.ScanWebhookOwners(rows, tenantID)
}
