package webhook

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/version"
)

// Endpoint is a tenant's webhook receiver.
type Endpoint struct {
	ID          uuid.UUID
	TenantID    uuid.UUID
	URL         string
	Description string
	// EventTypes are the event types sent; empty means all.
	EventTypes []string
	Enabled    bool
	Secret     string // whsec_...
	// PreviousSecret keeps signing, next to Secret, until it expires, so
	// that receivers can roll over without dropping deliveries.
	PreviousSecret          string
	PreviousSecretExpiresAt *time.Time
	DisabledReason          string
	// FailingSince is when deliveries to the endpoint started failing;
	// nil while it succeeds.
	FailingSince *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Subscribed reports whether events of type typ go to e.
func (e Endpoint) Subscribed(typ string) bool {
	return len(e.EventTypes) == 0 || slices.Contains(e.EventTypes, typ)
}

// Secrets are the secrets that sign a delivery at now: the current one and
// the previous one until it expires.
func (e Endpoint) Secrets(now time.Time) []string {
	s := []string{e.Secret}
	if e.PreviousSecret != "" && e.PreviousSecretExpiresAt != nil && now.Before(*e.PreviousSecretExpiresAt) {
		s = append(s, e.PreviousSecret)
	}
	return s
}

// DeliveryStatus is where a delivery is.
type DeliveryStatus string

const (
	DeliveryPending   DeliveryStatus = "pending" // not yet sent, or waiting to retry
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed" // retries exhausted or endpoint disabled
)

// Delivery is one event sent to one endpoint, over one or more attempts.
type Delivery struct {
	ID             uuid.UUID
	TenantID       uuid.UUID
	EndpointID     uuid.UUID
	EventID        uuid.UUID // the webhook-id header: stable across retries
	EventType      string
	Status         DeliveryStatus
	Attempts       int
	NextAttemptAt  *time.Time
	LastStatusCode int
	LastError      string
	LastResponse   string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DeliveredAt    *time.Time
}

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	ID         uuid.UUID
	TenantID   uuid.UUID
	DeliveryID uuid.UUID
	Number     int // 1-based
	StatusCode int // 0 when no response came
	Latency    time.Duration
	Response   string // the start of the response body
	Error      string
	CreatedAt  time.Time
}

// DeliveryFilter selects an endpoint's deliveries, newest first.
type DeliveryFilter struct {
	TenantID   uuid.UUID
	EndpointID uuid.UUID
	EventType  string         // "" for all
	Status     DeliveryStatus // "" for all
	Since      *time.Time     // created at or after
	Before     *uuid.UUID     // keyset: ids below this one
	// After is the cursor of the previous page: the Limit deliveries
	// just above this id, still listed newest first.
	After *uuid.UUID
	Limit int
}

// Store is what the webhook service reads and writes outside a
// transaction, and the persistence contract of the webhook tables that the
// engines implement (store.Querier embeds it). Every method is scoped by
// tenant.
type Store interface {
	WebhookEndpointCreate(ctx context.Context, e Endpoint) error
	WebhookEndpointGet(ctx context.Context, tenantID, id uuid.UUID) (Endpoint, error)
	// WebhookEndpointList lists a tenant's endpoints, oldest first;
	// enabledOnly leaves out disabled ones.
	WebhookEndpointList(ctx context.Context, tenantID uuid.UUID, enabledOnly bool) ([]Endpoint, error)
	// WebhookEndpointPage reads the page r selects of a tenant's
	// endpoints, oldest first.
	WebhookEndpointPage(ctx context.Context, tenantID uuid.UUID, r page.Request) ([]Endpoint, error)
	// WebhookEndpointUpdate saves every mutable field of e.
	WebhookEndpointUpdate(ctx context.Context, e Endpoint) error
	WebhookEndpointDelete(ctx context.Context, tenantID, id uuid.UUID) error

	// WebhookDeliveryCreate inserts d; a delivery of the same event to the
	// same endpoint is apperr.ErrConflict.
	WebhookDeliveryCreate(ctx context.Context, d Delivery) error
	WebhookDeliveryGet(ctx context.Context, tenantID, id uuid.UUID) (Delivery, error)
	// WebhookDeliveryToSend reads a delivery with its endpoint and event,
	// all an attempt needs, in one round trip; apperr.ErrNotFound when the
	// delivery or its endpoint is gone.
	WebhookDeliveryToSend(ctx context.Context, tenantID, id uuid.UUID) (Delivery, Endpoint, event.Event, error)
	// WebhookDeliveryUpdate saves status, attempts, next attempt, last
	// status code, error and response, updated and delivered times.
	WebhookDeliveryUpdate(ctx context.Context, d Delivery) error
	WebhookDeliveryList(ctx context.Context, f DeliveryFilter) ([]Delivery, error)
	// WebhookDeliveryListFailing lists a tenant's deliveries, to any of its
	// endpoints, that failed: retrying (pending after a failed attempt) or
	// given up (failed); the most recently changed first.
	WebhookDeliveryListFailing(ctx context.Context, tenantID uuid.UUID, limit int) ([]Delivery, error)

	WebhookAttemptInsert(ctx context.Context, a Attempt) error
	// WebhookAttemptRecord inserts a and saves d (as
	// WebhookDeliveryUpdate), all or nothing, in one round trip.
	WebhookAttemptRecord(ctx context.Context, a Attempt, d Delivery) error
	// WebhookAttemptList lists the attempts of the given deliveries,
	// by delivery and number.
	WebhookAttemptList(ctx context.Context, tenantID uuid.UUID, deliveryIDs []uuid.UUID) ([]Attempt, error)

	// EventGet returns one of a tenant's events (event.Store's query):
	// the payload of a delivery.
	EventGet(ctx context.Context, tenantID, id uuid.UUID) (event.Event, error)
}

// DeliveryTx is what CreateDelivery needs of a transaction; outbox.Tx
// embeds it for the fan-out of every deliverable event.
type DeliveryTx interface {
	WebhookDeliveryCreate(ctx context.Context, d Delivery) error
	jobs.Inserter
}

// Tx is what the webhook service does inside one transaction: its Store,
// the audit log, jobs (deliveries, e-mails), its own events, and the
// reads that find whom to tell when an endpoint is disabled.
type Tx interface {
	Store
	audit.Writer
	// MembershipLock serialises the tenant's endpoint creates for the
	// plan's limit.
	plan.Tx
	jobs.Inserter
	// EventInsert writes an event alone (event.Store's query): the
	// webhook domain's own events, which are never fanned out; the test
	// event's one delivery is made with CreateDelivery.
	EventInsert(ctx context.Context, e event.Event) error
	// WebhookOwners returns the name of the tenant and its owners'
	// e-mail addresses, sorted; a missing tenant is apperr.ErrNotFound.
	WebhookOwners(ctx context.Context, tenantID uuid.UUID) (tenantName string, emails []string, err error)
	// WebhookEndpointGetForUpdate reads an endpoint and holds it until
	// the transaction ends, so that a concurrent change waits: the
	// version an If-Match is compared with is still the stored one when
	// the change is saved.
	WebhookEndpointGetForUpdate(ctx context.Context, tenantID, id uuid.UUID) (Endpoint, error)
}

// Version is the endpoint's version for optimistic concurrency (its
// ETag): when it last changed, in microseconds, the precision both
// engines keep.
func (e Endpoint) Version() int64 { return version.Of(e.UpdatedAt) }

// ErrStale is the answer to a change made against a version of the
// endpoint that is no longer the stored one (a stale If-Match).
var ErrStale = &apperr.Error{Kind: apperr.KindPrecondition, Msg: "the webhook endpoint was changed by someone else; fetch it again"}

// DB is the webhook service's handle on the store:
// store.Narrow[webhook.Tx]{st} is one.
type DB interface {
	Store
	// InTx runs fn in a transaction, committing if it returns nil.
	InTx(ctx context.Context, fn func(Tx) error) error
}
