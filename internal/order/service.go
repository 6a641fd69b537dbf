package order

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/event"
	"github.com/ordo/ordo/internal/idempotency"
	"github.com/ordo/ordo/internal/jobs"
	"github.com/ordo/ordo/internal/outbox"
	"github.com/ordo/ordo/internal/page"
)

// Service implements the order operations: create, read, list, update,
// transition and delete orders, each change in one transaction with its
// status history, its audit entry and its outbox event. Permissions come
// from access.Can through the principal.
type Service struct {
	store DB
	blobs blob.Store // where attachments' files are; nil: none to delete
	now   func() time.Time
}

// NewService returns a Service; now may be nil for time.Now.
// store.Narrow[order.Tx]{st} makes a DB of a store.Store.
func NewService(db DB, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: db, now: now}
}

// WithBlobs lets Delete remove the order's attachment files too.
func (s *Service) WithBlobs(b blob.Store) *Service { s.blobs = b; return s }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// record writes the audit entry and the event of a change inside tx.
func record(ctx context.Context, tx Tx, p access.Principal, m access.Meta, now time.Time, o Order, action, eventType string, details any) error {
	e, err := p.AuditEntry(m, now, o.TenantID, action, "order", o.ID.String(), details)
	if err != nil {
		return err
	}
	e.OrderID = &o.ID
	if eventType == event.OrderDeleted {
		e.OrderID = nil // the order row is gone; the snapshot is in the metadata
	}
	if err := tx.AuditInsert(ctx, e); err != nil {
		return err
	}
	data, err := json.Marshal(ToView(o))
	if err != nil {
		return err
	}
	return outbox.Emit(ctx, tx, event.Event{ID: newID(), TenantID: o.TenantID, Type: eventType, EntityID: o.ID.String(), Data: data, CreatedAt: now})
}

// Create validates and stores a new order. With an idempotency key, a
// second create with the same key (a retry after a crash, say) returns the
// first order and replayed = true instead of making another.
func (s *Service) Create(ctx context.Context, p access.Principal, in Order, idemKey string, m access.Meta) (o Order, replayed bool, err error) {
	if err := p.Require(access.ActOrderWrite); err != nil {
		return Order{}, false, err
	}
	o = in
	if err := Validate(&o); err != nil {
		return Order{}, false, err
	}
	now := s.clock()
	o.ID, o.TenantID, o.Status, o.Version, o.IdempotencyKey = newID(), p.TenantID, StatusPending, 1, idemKey
	o.CreatedBy, o.CreatedAt, o.UpdatedAt = p.ActorID(), now, now
	for i := range o.Items {
		o.Items[i].ID = newID()
	}
	// The key is not looked up first: the unique index on it finds a
	// repeat, which is rare, and the common create saves a round trip.
	err = s.insert(ctx, p, m, now, &o)
	if err != nil && idemKey != "" && errors.Is(err, apperr.ErrConflict) {
		prev, gerr := s.store.OrderGetByIdempotencyKey(ctx, p.TenantID, idemKey)
		switch {
		case gerr == nil && now.Sub(prev.CreatedAt) < idempotency.TTL:
			// A retry, or a concurrent create with the same key that won.
			return prev, true, nil
		case gerr == nil:
			// The key's day is over: it is free again, but it stays on
			// the old order, so the new one does not record it.
			o.IdempotencyKey = ""
			err = s.insert(ctx, p, m, now, &o)
		}
	}
	if err != nil {
		return Order{}, false, err
	}
	return o, false, nil
}

// insert stores a new order with its first status, audit entry and event
// in one transaction, numbering it.
func (s *Service) insert(ctx context.Context, p access.Principal, m access.Meta, now time.Time, o *Order) error {
	return s.store.InTx(ctx, func(tx Tx) error {
		n, err := tx.OrderNextNumber(ctx, p.TenantID)
		if err != nil {
			return err
		}
		o.Number = n
		// The month's slot is taken after the number: the number's
		// update holds the tenant's counter, so creates of one tenant
		// take slots one after the other, and a refused create rolls
		// its count back with the rest.
		take, err := tx.UsageTakeOrder(ctx, p.TenantID, now)
		if err != nil {
			return err
		}
		if err := take.Check(); err != nil {
			return err
		}
		if err := tx.OrderCreate(ctx, *o); err != nil {
			return err
		}
		if err := tx.OrderStatusChangeInsert(ctx, StatusChange{ID: newID(), TenantID: o.TenantID, OrderID: o.ID, To: StatusPending, ActorID: p.ActorID(), CreatedAt: now}); err != nil {
			return err
		}
		return record(ctx, tx, p, m, now, *o, "order.created", event.OrderCreated,
			map[string]any{"number": o.DisplayNumber(), "total": o.Total, "currency": o.Currency})
	})
}

// Get returns one order of the principal's tenant.
func (s *Service) Get(ctx context.Context, p access.Principal, id uuid.UUID) (Order, error) {
	if err := p.Require(access.ActOrderRead); err != nil {
		return Order{}, err
	}
	return s.store.OrderGet(ctx, p.TenantID, id)
}

// History returns an order's status history.
func (s *Service) History(ctx context.Context, p access.Principal, id uuid.UUID, r page.Request) (page.Page[StatusChange], error) {
	o, err := s.Get(ctx, p, id)
	if err != nil {
		return page.Page[StatusChange]{}, err
	}
	return s.HistoryOf(ctx, p, o, r)
}

// HistoryOf is History for an order the caller has just read with Get:
// it skips History's existence check, which reads the order and its
// items again (two round trips the order page would pay on every view).
// An order of another tenant than p's is not found, as in History.
func (s *Service) HistoryOf(ctx context.Context, p access.Principal, o Order, r page.Request) (page.Page[StatusChange], error) {
	if err := p.Require(access.ActOrderRead); err != nil {
		return page.Page[StatusChange]{}, err
	}
	if o.TenantID != p.TenantID || o.ID == uuid.Nil {
		return page.Page[StatusChange]{}, apperr.NotFound("order")
	}
	return page.Read(r, func(c StatusChange) uuid.UUID { return c.ID }, func(r page.Request) ([]StatusChange, error) {
		return s.store.OrderStatusHistory(ctx, p.TenantID, o.ID, r)
	})
}

// Cursors are the keys of the pages around a page of a list: Next starts
// the page after it (ListParams.After), Prev ends the page before it
// (ListParams.Before); nil when there is no such page.
type Cursors struct {
	Next, Prev *Cursor
}

// List returns a page and the cursors of the pages after and before it.
func (s *Service) List(ctx context.Context, p access.Principal, lp ListParams) ([]Order, Cursors, error) {
	if err := p.Require(access.ActOrderRead); err != nil {
		return nil, Cursors{}, err
	}
	lp.TenantID = p.TenantID
	if lp.Limit < 1 || lp.Limit > 200 {
		return nil, Cursors{}, apperr.Invalid("limit", "must be from 1 to 200")
	}
	if lp.Sort == "" {
		lp.Sort = SortCreatedAt
	}
	want := lp.Limit
	lp.Limit++ // one more tells whether there is a page beyond
	os, err := s.store.OrderList(ctx, lp)
	if err != nil {
		return nil, Cursors{}, err
	}
	key := CursorOf
	var c Cursors
	if lp.Before != nil {
		// Read backwards: the extra row is the first one, before the page.
		if len(os) == 0 {
			// Nothing before the cursor any more (those orders were
			// deleted): show the first page rather than an empty one.
			lp.Before, lp.Limit = nil, want
			return s.List(ctx, p, lp)
		}
		if len(os) > want {
			os = os[1:]
			c.Prev = key(os[0])
		}
		// The cursor's own row follows this page.
		c.Next = key(os[len(os)-1])
		return os, c, nil
	}
	if len(os) > want {
		os = os[:want]
		c.Next = key(os[want-1])
	}
	if lp.After != nil && len(os) > 0 {
		// A page reached from a cursor has the cursor's row before it.
		c.Prev = key(os[0])
	}
	return os, c, nil
}

// Count counts the orders lp selects, up to CountCap: more is true when
// there are more than n (= CountCap).
func (s *Service) Count(ctx context.Context, p access.Principal, lp ListParams) (n int64, more bool, err error) {
	if err := p.Require(access.ActOrderRead); err != nil {
		return 0, false, err
	}
	lp.TenantID = p.TenantID
	n, err = s.store.OrderCountUpTo(ctx, lp, CountCap)
	if err != nil {
		return 0, false, err
	}
	if n > CountCap {
		return CountCap, true, nil
	}
	return n, false, nil
}

// Patch is a partial update: nil fields stay as they are. Items, when
// given, replace all items (only while the order is pending).
type Patch struct {
	CustomerName    *string
	CustomerEmail   *string
	CustomerPhone   *string
	ShippingAddress **Address
	BillingAddress  **Address
	Currency        *string
	Notes           *string
	ExternalRef     *string
	Metadata        *json.RawMessage
	Discount        *int64
	Items           *[]Item
}

// Update applies a patch. ifMatch, when given, must be the order's
// current version (If-Match), or the update fails with 412.
func (s *Service) Update(ctx context.Context, p access.Principal, id uuid.UUID, patch Patch, ifMatch *int64, m access.Meta) (Order, error) {
	if err := p.Require(access.ActOrderWrite); err != nil {
		return Order{}, err
	}
	var o Order
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		if o, err = tx.OrderGet(ctx, p.TenantID, id); err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != o.Version {
			return ErrStale
		}
		before := ToView(o)
		if patch.Items != nil && o.Status != StatusPending {
			return apperr.Conflict("items can change only while the order is pending (it is %s)", apperr.Word(o.Status))
		}
		apply(&o, patch)
		if err := Validate(&o); err != nil {
			return err
		}
		after := ToView(o)
		changes := diff(before, after)
		if len(changes) == 0 {
			return nil // nothing changed: no new version, no entry
		}
		now := s.clock()
		o.Version++
		o.UpdatedAt = now
		if patch.Items == nil {
			o.Items = nil // keep the stored items as they are
		}
		if err := tx.OrderUpdate(ctx, o); err != nil {
			return err
		}
		if o, err = tx.OrderGet(ctx, p.TenantID, id); err != nil {
			return err
		}
		return record(ctx, tx, p, m, now, o, "order.updated", event.OrderUpdated, map[string]any{"changes": changes, "number": o.DisplayNumber()})
	})
	return o, err
}

func apply(o *Order, p Patch) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&o.CustomerName, p.CustomerName)
	set(&o.CustomerEmail, p.CustomerEmail)
	set(&o.CustomerPhone, p.CustomerPhone)
	set(&o.Currency, p.Currency)
	set(&o.Notes, p.Notes)
	set(&o.ExternalRef, p.ExternalRef)
	if p.ShippingAddress != nil {
		o.ShippingAddress = *p.ShippingAddress
	}
	if p.BillingAddress != nil {
		o.BillingAddress = *p.BillingAddress
	}
	if p.Metadata != nil {
		o.Metadata = *p.Metadata
	}
	if p.Discount != nil {
		o.Discount = *p.Discount
	}
	if p.Items != nil {
		o.Items = *p.Items
		for i := range o.Items {
			o.Items[i].ID = newID()
		}
	}
}

// diff lists the changed top-level fields with their old and new values.
func diff(before, after View) map[string]any {
	toMap := func(v View) map[string]json.RawMessage {
		b, _ := json.Marshal(v)
		var m map[string]json.RawMessage
		_ = json.Unmarshal(b, &m)
		return m
	}
	bm, am := toMap(before), toMap(after)
	out := map[string]any{}
	for k, nv := range am {
		if k == "items" {
			// Item ids change on every replacement; compare the content.
			if !reflect.DeepEqual(itemContent(before.Items), itemContent(after.Items)) {
				out[k] = map[string]any{"old": bm[k], "new": nv}
			}
			continue
		}
		if k == "updated_at" || k == "version" {
			continue
		}
		if !jsonEqual(bm[k], nv) {
			out[k] = map[string]any{"old": bm[k], "new": nv}
		}
	}
	return out
}

func itemContent(items []ItemView) []ItemView {
	out := make([]ItemView, len(items))
	for i, it := range items {
		it.ID = uuid.Nil
		out[i] = it
	}
	return out
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	_ = json.Unmarshal(a, &x)
	_ = json.Unmarshal(b, &y)
	return reflect.DeepEqual(x, y)
}

// enqueueInvoice marks the order's invoice pending and enqueues its job
// inside tx, as package invoice does for a request (which order cannot
// call: invoice imports order).
func enqueueInvoice(ctx context.Context, tx Tx, tenantID, orderID uuid.UUID, at time.Time) error {
	gen, err := tx.OrderInvoiceRequest(ctx, tenantID, orderID, at)
	if err != nil {
		return fmt.Errorf("request invoice: %w", err)
	}
	if _, err := tx.JobInsert(ctx, jobs.InvoiceArgs{TenantID: tenantID, OrderID: orderID, Generation: gen}, nil); err != nil {
		return fmt.Errorf("enqueue invoice: %w", err)
	}
	return nil
}

// Transition moves an order along the status machine.
func (s *Service) Transition(ctx context.Context, p access.Principal, id uuid.UUID, to Status, ifMatch *int64, m access.Meta) (Order, error) {
	if err := p.Require(access.ActOrderWrite); err != nil {
		return Order{}, err
	}
	if !to.Valid() {
		return Order{}, apperr.Invalid("to", "must be pending, processing, shipped, delivered or cancelled")
	}
	var o Order
	err := s.store.InTx(ctx, func(tx Tx) error {
		var err error
		if o, err = tx.OrderGet(ctx, p.TenantID, id); err != nil {
			return err
		}
		if ifMatch != nil && *ifMatch != o.Version {
			return ErrStale
		}
		from := o.Status
		if !CanTransition(from, to) {
			return apperr.Conflict("an order cannot go from %s to %s", apperr.Word(from), apperr.Word(to))
		}
		now := s.clock()
		o.Status, o.Version, o.UpdatedAt = to, o.Version+1, now
		items := o.Items
		o.Items = nil
		if err := tx.OrderUpdate(ctx, o); err != nil {
			return err
		}
		o.Items = items
		if err := tx.OrderStatusChangeInsert(ctx, StatusChange{ID: newID(), TenantID: o.TenantID, OrderID: o.ID, From: from, To: to, ActorID: p.ActorID(), CreatedAt: now}); err != nil {
			return err
		}
		if to == StatusShipped {
			// Shipping an order invoices it.
			if err := enqueueInvoice(ctx, tx, o.TenantID, o.ID, now); err != nil {
				return err
			}
		}
		return record(ctx, tx, p, m, now, o, "order.status_changed", event.OrderStatusChanged, map[string]any{"from": from, "to": to, "number": o.DisplayNumber()})
	})
	return o, err
}

// maxAttachments bounds the attachments deleted with an order.
const maxAttachments = 10_000

// Delete removes an order and its attachments; the audit entry keeps a
// snapshot of the order. An invoiced order is an accounting record and is
// never deleted (409: cancel it instead). Attachment files go at once
// after the commit, and by a job enqueued in the same transaction should
// this process die first.
func (s *Service) Delete(ctx context.Context, p access.Principal, id uuid.UUID, m access.Meta) error {
	if err := p.Require(access.ActOrderDelete); err != nil {
		return err
	}
	var keys []string
	err := s.store.InTx(ctx, func(tx Tx) error {
		o, err := tx.OrderGet(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		// The store refuses too (so that an invoice requested meanwhile
		// cannot slip by); this says which invoice.
		inv, err := tx.OrderInvoiceNumber(ctx, p.TenantID, id)
		if err != nil {
			return err
		}
		if inv != "" {
			return apperr.Conflict("order %s has invoice %s; an invoiced order cannot be deleted: cancel it instead", o.DisplayNumber(), inv)
		}
		atts, err := tx.AttachmentList(ctx, p.TenantID, &id, page.Request{Limit: maxAttachments})
		if err != nil {
			return err
		}
		for _, a := range atts {
			if err := tx.AttachmentDelete(ctx, p.TenantID, a.ID); err != nil {
				return err
			}
			keys = append(keys, a.ObjectKey, a.UploadKey()) // a pending one's file is at its upload key
		}
		if err := tx.OrderDelete(ctx, p.TenantID, id); err != nil {
			return err
		}
		if err := jobs.DeleteBlobs(ctx, tx, p.TenantID, keys...); err != nil {
			return err
		}
		return record(ctx, tx, p, m, s.clock(), o, "order.deleted", event.OrderDeleted, map[string]any{"snapshot": ToView(o), "attachments": len(atts)})
	})
	if err != nil {
		return err
	}
	if s.blobs == nil {
		return nil
	}
	for _, k := range keys {
		// A failure is retried by the job enqueued with the delete.
		_ = s.blobs.Delete(context.WithoutCancel(ctx), k)
	}
	return nil
}
