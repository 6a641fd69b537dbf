package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/mail"
	"github.com/ordo/ordo/internal/plan"
)

// CreateDelivery records one delivery of ev to ep, inside tx, and
// enqueues its job. outbox.Emit calls it for each subscribed endpoint of a
// deliverable event; SendTest for the test event's one endpoint.
func CreateDelivery(ctx context.Context, tx DeliveryTx, ep Endpoint, ev event.Event) (Delivery, error) {
	d := Delivery{ID: newID(), TenantID: ep.TenantID, EndpointID: ep.ID, EventID: ev.ID, EventType: ev.Type,
		Status: DeliveryPending, NextAttemptAt: &ev.CreatedAt, CreatedAt: ev.CreatedAt, UpdatedAt: ev.CreatedAt}
	if err := tx.WebhookDeliveryCreate(ctx, d); err != nil {
		return d, err
	}
	_, err := tx.JobInsert(ctx, DeliverArgs{TenantID: d.TenantID, DeliveryID: d.ID}, nil)
	return d, err
}

// DeliverArgs is the job of one delivery. The job makes one attempt and,
// if it fails, snoozes itself until the next one is due, so the retry
// schedule is Ordo's (and the receiver's Retry-After), not the queue's.
type DeliverArgs struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	DeliveryID uuid.UUID `json:"delivery_id"`
	// Base is the number of attempts made before a replay; the schedule
	// counts from it.
	Base int `json:"base,omitempty"`
}

func (DeliverArgs) Kind() string { return jobs.KindWebhookDelivery }

// MaxAttempts counts only failures of Ordo itself (a database error), not
// of the receiver, which snooze.
func (DeliverArgs) InsertOpts() jobs.Opts {
	return jobs.Opts{Queue: jobs.QueueWebhooks, MaxAttempts: 10}
}

type deliverWorker struct {
	s *Service
}

// Timeout leaves room for the attempt's own 10 s limit and the writes. A
// delivery whose worker died is sent again once both this and the queue's
// rescue delay (ORDO_JOB_RESCUE_AFTER, 10 minutes by default) have passed.
func (w *deliverWorker) Timeout(*jobs.Job[DeliverArgs]) time.Duration { return 20 * time.Second }

func (w *deliverWorker) Work(ctx context.Context, job *jobs.Job[DeliverArgs]) error {
	return w.s.Deliver(ctx, job.Args)
}

// RegisterWorkers adds the delivery job's worker.
func (s *Service) RegisterWorkers(ws *jobs.Workers) {
	jobs.Register[DeliverArgs](ws, &deliverWorker{s: s})
}

// Deliver makes the next attempt of a delivery, records it, and decides
// what follows: done, retry later (a snooze error), or give up.
func (s *Service) Deliver(ctx context.Context, a DeliverArgs) error {
	d, ep, ev, err := s.db.WebhookDeliveryToSend(ctx, a.TenantID, a.DeliveryID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil // its endpoint was deleted
	}
	if err != nil {
		return err
	}
	if d.Status != DeliveryPending {
		return nil // a duplicate job, or already replayed and sent
	}
	if !ep.Enabled {
		d.Status, d.LastError, d.NextAttemptAt, d.UpdatedAt = DeliveryFailed, "endpoint disabled", nil, now()
		if err := s.db.WebhookDeliveryUpdate(ctx, d); err != nil {
			return err
		}
		s.observe(OutcomeEndpointDisabled, 0)
		return nil
	}
	if !s.limiter.acquire(ep.ID) {
		// Enough requests are already waiting on this endpoint here:
		// let other tenants' deliveries use the worker meanwhile.
		return jobs.Snooze(time.Second)
	}
	defer s.limiter.release(ep.ID)

	body, err := Payload{Type: ev.Type, Timestamp: ev.CreatedAt, Data: ev.Data}.Marshal()
	if err != nil {
		return jobs.Cancel(err)
	}
	start := now()
	secrets, err := s.signingSecrets(ctx, ep, start)
	if err != nil {
		return err
	}
	res := Send(ctx, s.client, Request{URL: ep.URL, ID: ev.ID.String(), Body: body, Secrets: secrets}, start)
	if ctx.Err() != nil {
		// Shutting down mid-attempt: try again at once on restart; the
		// receiver de-duplicates if it did get this one.
		return jobs.Snooze(0)
	}
	return s.record(ctx, a, d, ep, res)
}

// record saves an attempt and its consequences in one transaction.
func (s *Service) record(ctx context.Context, a DeliverArgs, d Delivery, ep Endpoint, res Result) error {
	n := now()
	d.Attempts++
	d.LastStatusCode, d.LastError, d.LastResponse, d.UpdatedAt = res.StatusCode, res.Error, res.ResponseSnippet, n
	if res.Error == "" && !res.OK() {
		d.LastError = fmt.Sprintf("HTTP %d", res.StatusCode)
	}
	var snooze time.Duration
	disable := ""
	switch {
	case res.OK():
		d.Status, d.DeliveredAt, d.NextAttemptAt = DeliverySucceeded, &n, nil
	case res.Gone:
		d.Status, d.NextAttemptAt = DeliveryFailed, nil
		disable = "the receiver answered 410 Gone"
	default:
		delay, ok := NextDelay(s.schedule, d.Attempts-a.Base, res.RetryAfter, jitterRand)
		if ok {
			next := n.Add(delay)
			d.NextAttemptAt, snooze = &next, delay
		} else {
			d.Status, d.NextAttemptAt = DeliveryFailed, nil
		}
		if ep.FailingSince != nil && n.Sub(*ep.FailingSince) >= FailingLimit {
			disable = "deliveries failed for 5 days"
		}
	}
	at := Attempt{ID: newID(), TenantID: d.TenantID, DeliveryID: d.ID, Number: d.Attempts,
		StatusCode: res.StatusCode, Latency: res.Latency, Response: res.ResponseSnippet, Error: d.LastError, CreatedAt: n}
	if disable != "" {
		d.Status, d.NextAttemptAt = DeliveryFailed, nil
		snooze = 0
	}
	var err error
	if res.OK() && ep.FailingSince == nil {
		// The common case, with nothing to change on the endpoint (as it
		// was read for this attempt): the attempt and the delivery in one
		// round trip. Had a concurrent attempt just marked the endpoint
		// failing, the next success clears the mark.
		err = s.db.WebhookAttemptRecord(ctx, at, d)
	} else {
		err = s.db.InTx(ctx, func(tx Tx) error {
			if err := tx.WebhookAttemptRecord(ctx, at, d); err != nil {
				return err
			}
			return s.endpointHealth(ctx, tx, ep, res.OK(), disable, n)
		})
	}
	if err != nil {
		return fmt.Errorf("record webhook attempt: %w", err)
	}
	switch {
	case res.OK():
		if s.usage != nil {
			s.usage.Add(d.TenantID, plan.CountWebhookDeliveries, 1)
		}
		s.observe(OutcomeSucceeded, res.Latency)
	case disable != "":
		s.observe(OutcomeEndpointDisabled, res.Latency)
	case snooze > 0:
		s.observe(OutcomeFailedAttempt, res.Latency)
	default:
		s.observe(OutcomeExhausted, res.Latency)
	}
	if snooze > 0 {
		return jobs.Snooze(snooze)
	}
	return nil
}

// endpointHealth tracks since when an endpoint fails, and disables it
// (telling the tenant's owners) when reason is set.
func (s *Service) endpointHealth(ctx context.Context, tx Tx, ep Endpoint, ok bool, reason string, at time.Time) error {
	cur, err := tx.WebhookEndpointGet(ctx, ep.TenantID, ep.ID)
	if err != nil {
		return err
	}
	changed := false
	switch {
	case ok && cur.FailingSince != nil:
		cur.FailingSince, changed = nil, true
	case !ok && cur.FailingSince == nil:
		cur.FailingSince, changed = &at, true
	}
	if reason != "" && cur.Enabled {
		cur.Enabled, cur.DisabledReason, changed = false, reason, true
		data := []byte(fmt.Sprintf(`{"endpoint_id":%q,"reason":%q}`, cur.ID, reason))
		// Not in EventTypes (outbox.Emit would send it nowhere): a
		// disabled endpoint is news for people and live views, not for
		// the endpoint itself.
		if err := tx.EventInsert(ctx, event.Event{ID: newID(), TenantID: cur.TenantID, Type: "webhook_endpoint.disabled",
			EntityID: cur.ID.String(), Data: data, CreatedAt: at}); err != nil {
			return err
		}
		if err := s.mailOwners(ctx, tx, cur, reason); err != nil {
			return err
		}
	}
	if !changed {
		return nil
	}
	cur.UpdatedAt = at
	return tx.WebhookEndpointUpdate(ctx, cur)
}

// mailOwners tells the tenant's owners, inside tx, that ep was disabled.
func (s *Service) mailOwners(ctx context.Context, tx Tx, ep Endpoint, reason string) error {
	name, emails, err := tx.WebhookOwners(ctx, ep.TenantID)
	if err != nil {
		return err
	}
	for _, email := range emails {
		m, err := mail.Render(mail.KindEndpointDisabled, []string{email}, mail.EndpointDisabledData{TenantName: name,
			EndpointURL: ep.URL, Reason: reason, URL: s.baseURL + "/app/webhooks/" + ep.ID.String()})
		if err != nil {
			return err
		}
		if _, err := tx.JobInsert(ctx, jobs.Email(m, &ep.TenantID), nil); err != nil {
			return err
		}
	}
	return nil
}
