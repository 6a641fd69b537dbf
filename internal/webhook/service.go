package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/page"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/version"
)

// EventTest is the type of the event "send test event" delivers.
const EventTest = "webhook.test"

// EventTypes are the event types an endpoint may subscribe to, and that
// outbox.Emit fans out. Export progress is for live views only and is not
// sent.
var EventTypes = []string{
	event.OrderCreated, event.OrderUpdated, event.OrderStatusChanged, event.OrderDeleted,
	event.AttachmentUploaded, event.ExportCompleted, event.InvoiceGenerated,
	event.MemberAdded, event.MemberRemoved,
}

// Deliverable reports whether events of type typ go to endpoints.
func Deliverable(typ string) bool { return slices.Contains(EventTypes, typ) }

const (
	// maxEndpoints bounds a tenant's endpoints.
	maxEndpoints = 50
	// FailingLimit is how long an endpoint may fail before it is disabled.
	FailingLimit = 5 * 24 * time.Hour
	// rotationOverlap is how long a rotated-out secret keeps signing.
	rotationOverlap = 24 * time.Hour
	// perEndpoint bounds concurrent requests to one endpoint in one
	// process, so that a slow receiver cannot hold every worker.
	perEndpoint = 2
)

// Options configure a Service.
type Options struct {
	Log *slog.Logger
	// Schedule is the delays between attempts; nil for the default.
	Schedule []time.Duration
	// AllowPrivate lets endpoints target private addresses and plain http
	// (tests and local development).
	AllowPrivate bool
	// Timeout bounds one attempt, connect to response; 0 for 10 s.
	Timeout time.Duration
	// BaseURL is Ordo's public address, for links in e-mails.
	BaseURL string
	// Observer is told the outcome of every attempt (metrics); nil for
	// none.
	Observer Observer
	// WrapTransport, when set, wraps the delivery client's transport
	// (tracing); the SSRF checks stay in the transport it wraps.
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// Sealer seals the endpoints' signing secrets in the database, so
	// that a database read or a backup cannot forge deliveries; nil
	// stores them as they are (tests). Secrets stored before are read as
	// they are.
	Sealer *jobs.Sealer
	// Limits refuses an endpoint past the plan's limit; nil for none.
	Limits *plan.Checker
	// Usage counts successful deliveries in the tenants' usage
	// (plan.Tally, which writes in batches); nil counts nothing.
	Usage plan.UsageCounter
}

// Observer is told the outcome of each delivery attempt once it is
// recorded: one of the Outcome constants, and the attempt's latency (0
// when no request was sent).
type Observer interface {
	Attempt(outcome string, latency time.Duration)
}

// Outcomes of a delivery attempt, as an Observer is told them.
const (
	OutcomeSucceeded        = "succeeded"
	OutcomeFailedAttempt    = "failed_attempt"    // another attempt is scheduled
	OutcomeExhausted        = "exhausted"         // the schedule is used up
	OutcomeEndpointDisabled = "endpoint_disabled" // disabled before or by this attempt
)

// Service manages endpoints and delivers webhooks.
type Service struct {
	db       DB
	log      *slog.Logger
	schedule []time.Duration
	guard    Guard
	client   *http.Client
	baseURL  string
	limiter  *limiter
	observer Observer
	sealer   *jobs.Sealer
	limits   *plan.Checker
	usage    plan.UsageCounter
}

// NewService returns a Service on db.
func NewService(db DB, o Options) *Service {
	if o.Schedule == nil {
		o.Schedule = DefaultSchedule
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	g := Guard{AllowPrivate: o.AllowPrivate}
	client := g.Client(o.Timeout)
	if o.WrapTransport != nil {
		client.Transport = o.WrapTransport(client.Transport)
	}
	return &Service{db: db, log: o.Log, schedule: o.Schedule, guard: g, client: client, baseURL: strings.TrimRight(o.BaseURL, "/"),
		limiter: &limiter{n: map[uuid.UUID]int{}}, observer: o.Observer, sealer: o.Sealer, limits: o.Limits, usage: o.Usage}
}

// sealSecret returns the form of an endpoint's signing secret to store.
func (s *Service) sealSecret(id uuid.UUID, secret string) (string, error) {
	if s.sealer == nil {
		return secret, nil
	}
	return s.sealer.SealText(secret, "webhook secret "+id.String())
}

// signingSecrets returns the secrets that sign a delivery to ep at now,
// opened. A previous secret that does not open (sealed under an
// ORDO_SECRET since changed, then rotated away) is left out, so that
// rotating is the way out of a changed ORDO_SECRET.
func (s *Service) signingSecrets(ctx context.Context, ep Endpoint, now time.Time) ([]string, error) {
	var out []string
	for i, v := range ep.Secrets(now) {
		plain, err := s.sealer.OpenText(v, "webhook secret "+ep.ID.String())
		if err != nil && i > 0 {
			if s.log != nil {
				s.log.WarnContext(ctx, "webhook: previous secret does not open; signing with the current one only", "endpoint_id", ep.ID, "err", err)
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("webhook endpoint %s: %w", ep.ID, err)
		}
		out = append(out, plain)
	}
	return out, nil
}

// observe tells the observer, if any, of an attempt's outcome.
func (s *Service) observe(outcome string, latency time.Duration) {
	if s.observer != nil {
		s.observer.Attempt(outcome, latency)
	}
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// writeAudit records, inside tx, what p did.
func writeAudit(ctx context.Context, tx audit.Writer, p access.Principal, m access.Meta, at time.Time, action, entity string, id uuid.UUID, details map[string]any) error {
	var d any
	if details != nil {
		d = details
	}
	ae, err := p.AuditEntry(m, at, p.TenantID, action, entity, id.String(), d)
	if err != nil {
		return err
	}
	return tx.AuditInsert(ctx, ae)
}

// Input is an endpoint as a client creates or edits it; nil fields of an
// edit are left as they are.
type Input struct {
	URL         *string
	Description *string
	EventTypes  *[]string
	Enabled     *bool
}

// apply checks in and sets it on e, naming the field at fault.
func (s *Service) apply(ctx context.Context, e *Endpoint, in Input) error {
	var v apperr.Validation
	if in.URL != nil {
		u := strings.TrimSpace(*in.URL)
		if err := s.guard.CheckURL(ctx, u); err != nil {
			var ue *URLError
			if !errors.As(err, &ue) {
				return fmt.Errorf("check webhook url: %w", err)
			}
			v.Add("url", ue.Reason)
		}
		e.URL = u
	}
	if in.Description != nil {
		e.Description = strings.TrimSpace(*in.Description)
		if len(e.Description) > 500 {
			v.Add("description", "must be at most 500 characters")
		}
	}
	if in.EventTypes != nil {
		types := []string{}
		for _, t := range *in.EventTypes {
			if !Deliverable(t) {
				v.Add("event_types", fmt.Sprintf("%q is not an event type; use one of %s", t, strings.Join(EventTypes, ", ")))
				break
			}
			if !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
		e.EventTypes = types
	}
	if in.Enabled != nil {
		if *in.Enabled && !e.Enabled {
			// Re-enabling starts afresh.
			e.DisabledReason, e.FailingSince = "", nil
		}
		e.Enabled = *in.Enabled
	}
	return v.Err()
}

// Create adds an endpoint. The returned endpoint carries its secret, which
// is shown only now and when rotated.
func (s *Service) Create(ctx context.Context, p access.Principal, in Input, m access.Meta) (Endpoint, error) {
	if err := p.Require(access.ActWebhookManage); err != nil {
		return Endpoint{}, err
	}
	if in.URL == nil {
		return Endpoint{}, apperr.Invalid("url", "is required")
	}
	n := now()
	e := Endpoint{ID: newID(), TenantID: p.TenantID, Enabled: true, EventTypes: []string{}, CreatedAt: n, UpdatedAt: n}
	in.Enabled = nil
	if err := s.apply(ctx, &e, in); err != nil {
		return e, err
	}
	secret, err := NewSecret()
	if err != nil {
		return e, err
	}
	stored := e
	if stored.Secret, err = s.sealSecret(e.ID, secret); err != nil {
		return e, err
	}
	e.Secret = secret // for the answer only
	err = s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.MembershipLock(ctx, p.TenantID); err != nil {
			return err
		}
		have, err := tx.WebhookEndpointList(ctx, p.TenantID, false)
		if err != nil {
			return err
		}
		if err := s.limits.Allow(ctx, p.TenantID, plan.WebhookEndpoints, int64(len(have))+1); err != nil {
			return err
		}
		if len(have) >= maxEndpoints {
			return apperr.Conflict("a tenant may have at most %d webhook endpoints", maxEndpoints)
		}
		if err := tx.WebhookEndpointCreate(ctx, stored); err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, m, n, "webhook_endpoint.created", "webhook_endpoint", e.ID, map[string]any{"url": e.URL, "event_types": e.EventTypes})
	})
	return e, err
}

// Get returns an endpoint.
func (s *Service) Get(ctx context.Context, p access.Principal, id uuid.UUID) (Endpoint, error) {
	if err := p.Require(access.ActWebhookRead); err != nil {
		return Endpoint{}, err
	}
	return s.db.WebhookEndpointGet(ctx, p.TenantID, id)
}

// List reads the page r selects of the tenant's endpoints, oldest first.
func (s *Service) List(ctx context.Context, p access.Principal, r page.Request) (page.Page[Endpoint], error) {
	if err := p.Require(access.ActWebhookRead); err != nil {
		return page.Page[Endpoint]{}, err
	}
	return page.Read(r, func(e Endpoint) uuid.UUID { return e.ID }, func(r page.Request) ([]Endpoint, error) {
		return s.db.WebhookEndpointPage(ctx, p.TenantID, r)
	})
}

// FailingDeliveries lists the tenant's deliveries that failed (retrying on
// their own schedule, or given up), newest first, with the URL of each
// one's endpoint: background work left undone, which whoever may manage
// the tenant's jobs sees.
func (s *Service) FailingDeliveries(ctx context.Context, p access.Principal, limit int) ([]Delivery, map[uuid.UUID]string, error) {
	if err := p.Require(access.ActJobManage); err != nil {
		return nil, nil, err
	}
	ds, err := s.db.WebhookDeliveryListFailing(ctx, p.TenantID, limit)
	if err != nil || len(ds) == 0 {
		return ds, nil, err
	}
	eps, err := s.db.WebhookEndpointList(ctx, p.TenantID, false)
	if err != nil {
		return nil, nil, err
	}
	urls := make(map[uuid.UUID]string, len(eps))
	for _, e := range eps {
		urls[e.ID] = e.URL
	}
	return ds, urls, nil
}

// Update edits an endpoint.
func (s *Service) Update(ctx context.Context, p access.Principal, id uuid.UUID, in Input, m access.Meta) (Endpoint, error) {
	return s.UpdateIf(ctx, p, id, in, nil, m)
}

// UpdateIf is Update with a precondition: ifMatch, when given, must be
// the endpoint's current Version (If-Match), or it fails with ErrStale.
func (s *Service) UpdateIf(ctx context.Context, p access.Principal, id uuid.UUID, in Input, ifMatch *int64, m access.Meta) (Endpoint, error) {
	if err := p.Require(access.ActWebhookManage); err != nil {
		return Endpoint{}, err
	}
	var e Endpoint
	err := s.db.InTx(ctx, func(tx Tx) error {
		var err error
		if e, err = tx.WebhookEndpointGetForUpdate(ctx, p.TenantID, id); err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != e.Version() {
			return ErrStale
		}
		was := e.Version()
		if err := s.apply(ctx, &e, in); err != nil {
			return err
		}
		e.UpdatedAt = version.Next(now(), was)
		if err := tx.WebhookEndpointUpdate(ctx, e); err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, m, e.UpdatedAt, "webhook_endpoint.updated", "webhook_endpoint", e.ID,
			map[string]any{"url": e.URL, "event_types": e.EventTypes, "enabled": e.Enabled})
	})
	return e, err
}

// Delete removes an endpoint with its deliveries.
func (s *Service) Delete(ctx context.Context, p access.Principal, id uuid.UUID, m access.Meta) error {
	if err := p.Require(access.ActWebhookManage); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx Tx) error {
		if err := tx.WebhookEndpointDelete(ctx, p.TenantID, id); err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, m, now(), "webhook_endpoint.deleted", "webhook_endpoint", id, nil)
	})
}

// RotateSecret gives the endpoint a new secret; the old one keeps signing
// alongside for 24 hours.
func (s *Service) RotateSecret(ctx context.Context, p access.Principal, id uuid.UUID, m access.Meta) (Endpoint, error) {
	if err := p.Require(access.ActWebhookManage); err != nil {
		return Endpoint{}, err
	}
	secret, err := NewSecret()
	if err != nil {
		return Endpoint{}, err
	}
	var e Endpoint
	err = s.db.InTx(ctx, func(tx Tx) error {
		var err error
		if e, err = tx.WebhookEndpointGet(ctx, p.TenantID, id); err != nil {
			return err
		}
		n := now()
		exp := n.Add(rotationOverlap)
		sealed, err := s.sealSecret(e.ID, secret)
		if err != nil {
			return err
		}
		// The old secret moves as it is stored (sealed, or not yet).
		e.PreviousSecret, e.PreviousSecretExpiresAt, e.Secret, e.UpdatedAt = e.Secret, &exp, sealed, n
		if err := tx.WebhookEndpointUpdate(ctx, e); err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, m, n, "webhook_endpoint.secret_rotated", "webhook_endpoint", e.ID, nil)
	})
	// The answer carries the new secret, shown only now.
	e.Secret = secret
	return e, err
}

// DeliveryPage is a page of an endpoint's deliveries with their attempts.
type DeliveryPage struct {
	Deliveries []Delivery
	Attempts   map[uuid.UUID][]Attempt
	// Next is the keyset cursor of the next (older) page, for
	// DeliveryFilter.Before; nil at the end.
	Next *uuid.UUID
	// Prev is the keyset cursor of the previous (newer) page, for
	// DeliveryFilter.After; nil on the first page.
	Prev *uuid.UUID
}

// Deliveries lists an endpoint's deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, p access.Principal, f DeliveryFilter) (DeliveryPage, error) {
	if err := p.Require(access.ActWebhookRead); err != nil {
		return DeliveryPage{}, err
	}
	if _, err := s.db.WebhookEndpointGet(ctx, p.TenantID, f.EndpointID); err != nil {
		return DeliveryPage{}, err
	}
	f.TenantID = p.TenantID
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	want := f.Limit
	f.Limit++ // one more tells whether there is a page beyond
	ds, err := s.db.WebhookDeliveryList(ctx, f)
	if err != nil {
		return DeliveryPage{}, err
	}
	if f.After != nil && len(ds) == 0 {
		// Nothing newer than the cursor: show the newest page.
		f.After, f.Limit = nil, want
		return s.Deliveries(ctx, p, f)
	}
	page := DeliveryPage{Attempts: map[uuid.UUID][]Attempt{}}
	more := len(ds) > want
	switch {
	case f.After != nil:
		// Read upwards from the cursor: the extra row is the newest.
		if more {
			ds = ds[1:]
			page.Prev = &ds[0].ID
		}
		page.Next = &ds[len(ds)-1].ID // the cursor's own delivery is older
	default:
		if more {
			ds = ds[:want]
			page.Next = &ds[want-1].ID
		}
		if f.Before != nil && len(ds) > 0 {
			page.Prev = &ds[0].ID
		}
	}
	page.Deliveries = ds
	ids := make([]uuid.UUID, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	as, err := s.db.WebhookAttemptList(ctx, p.TenantID, ids)
	if err != nil {
		return DeliveryPage{}, err
	}
	for _, a := range as {
		page.Attempts[a.DeliveryID] = append(page.Attempts[a.DeliveryID], a)
	}
	return page, nil
}

// requeue puts a delivery back to pending with a fresh retry schedule and
// enqueues its job, inside tx.
func requeue(ctx context.Context, tx Tx, d Delivery, at time.Time) (Delivery, error) {
	d.Status, d.NextAttemptAt, d.UpdatedAt = DeliveryPending, &at, at
	if err := tx.WebhookDeliveryUpdate(ctx, d); err != nil {
		return d, err
	}
	_, err := tx.JobInsert(ctx, DeliverArgs{TenantID: d.TenantID, DeliveryID: d.ID, Base: d.Attempts}, nil)
	return d, err
}

// Replay sends one delivery again, whatever its outcome was.
func (s *Service) Replay(ctx context.Context, p access.Principal, endpointID, deliveryID uuid.UUID, m access.Meta) (Delivery, error) {
	if err := p.Require(access.ActWebhookManage); err != nil {
		return Delivery{}, err
	}
	var d Delivery
	err := s.db.InTx(ctx, func(tx Tx) error {
		var err error
		if d, err = tx.WebhookDeliveryGet(ctx, p.TenantID, deliveryID); err != nil {
			return err
		}
		if d.EndpointID != endpointID {
			return apperr.NotFound("webhook delivery")
		}
		if d.Status == DeliveryPending {
			return apperr.Conflict("the delivery is already waiting to be sent")
		}
		n := now()
		if d, err = requeue(ctx, tx, d, n); err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, m, n, "webhook_delivery.replayed", "webhook_delivery", d.ID, map[string]any{"endpoint_id": endpointID})
	})
	return d, err
}

// ReplayFailed sends again every failed delivery of the endpoint created
// since the given time, up to 1,000, and reports how many.
func (s *Service) ReplayFailed(ctx context.Context, p access.Principal, endpointID uuid.UUID, since time.Time, m access.Meta) (int, error) {
	if err := p.Require(access.ActWebhookManage); err != nil {
		return 0, err
	}
	n := 0
	err := s.db.InTx(ctx, func(tx Tx) error {
		if _, err := tx.WebhookEndpointGet(ctx, p.TenantID, endpointID); err != nil {
			return err
		}
		ds, err := tx.WebhookDeliveryList(ctx, DeliveryFilter{TenantID: p.TenantID, EndpointID: endpointID,
			Status: DeliveryFailed, Since: &since, Limit: 500})
		if err != nil {
			return err
		}
		at := now()
		for _, d := range ds {
			if _, err := requeue(ctx, tx, d, at); err != nil {
				return err
			}
		}
		n = len(ds)
		return writeAudit(ctx, tx, p, m, at, "webhook_delivery.replayed", "webhook_endpoint", endpointID, map[string]any{"since": since, "count": n})
	})
	return n, err
}

// SendTest delivers a webhook.test event to one endpoint.
func (s *Service) SendTest(ctx context.Context, p access.Principal, endpointID uuid.UUID, m access.Meta) (Delivery, error) {
	if err := p.Require(access.ActWebhookManage); err != nil {
		return Delivery{}, err
	}
	var d Delivery
	err := s.db.InTx(ctx, func(tx Tx) error {
		ep, err := tx.WebhookEndpointGet(ctx, p.TenantID, endpointID)
		if err != nil {
			return err
		}
		n := now()
		data, _ := json.Marshal(map[string]any{"endpoint_id": ep.ID, "message": "This is a test event from Ordo."})
		ev := event.Event{ID: newID(), TenantID: p.TenantID, Type: EventTest, EntityID: ep.ID.String(), Data: data, CreatedAt: n}
		// Not deliverable (outbox.Emit would send it nowhere): written,
		// and delivered to this endpoint only.
		if err := tx.EventInsert(ctx, ev); err != nil {
			return err
		}
		if d, err = CreateDelivery(ctx, tx, ep, ev); err != nil {
			return err
		}
		return writeAudit(ctx, tx, p, m, n, "webhook_endpoint.tested", "webhook_endpoint", ep.ID, nil)
	})
	return d, err
}

// limiter bounds concurrent attempts per endpoint in this process.
type limiter struct {
	mu sync.Mutex
	n  map[uuid.UUID]int
}

func (l *limiter) acquire(id uuid.UUID) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[id] >= perEndpoint {
		return false
	}
	l.n[id]++
	return true
}

func (l *limiter) release(id uuid.UUID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[id]--; l.n[id] <= 0 {
		delete(l.n, id)
	}
}

// jitterRand is the source of retry jitter.
func jitterRand() float64 { return rand.Float64() }
