package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/order"
)

// orderItemInput is an item as clients send it: no ids, no totals.
type orderItemInput struct {
	SKU         string          `json:"sku"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Quantity    int64           `json:"quantity"`
	UnitPrice   int64           `json:"unit_price"`
	TaxRateBP   int64           `json:"tax_rate_bp"`
	Metadata    json.RawMessage `json:"metadata,omitempty"`
}

// orderInput is the create body. Totals are computed by the server.
type orderInput struct {
	CustomerName    string           `json:"customer_name"`
	CustomerEmail   string           `json:"customer_email"`
	CustomerPhone   string           `json:"customer_phone"`
	Currency        string           `json:"currency"`
	ShippingAddress *order.Address   `json:"shipping_address,omitempty"`
	BillingAddress  *order.Address   `json:"billing_address,omitempty"`
	Notes           string           `json:"notes"`
	ExternalRef     string           `json:"external_ref"`
	Metadata        json.RawMessage  `json:"metadata,omitempty"`
	Discount        int64            `json:"discount"`
	Items           []orderItemInput `json:"items"`
}

func toItems(in []orderItemInput) []order.Item {
	out := make([]order.Item, len(in))
	for i, it := range in {
		out[i] = order.Item{SKU: strings.TrimSpace(it.SKU), Name: strings.TrimSpace(it.Name), Description: it.Description,
			Quantity: it.Quantity, UnitPrice: it.UnitPrice, TaxRateBP: it.TaxRateBP, Metadata: it.Metadata}
	}
	return out
}

// orderPatch is the PATCH body: every field optional; items replace all.
type orderPatch struct {
	CustomerName    *string           `json:"customer_name,omitempty"`
	CustomerEmail   *string           `json:"customer_email,omitempty"`
	CustomerPhone   *string           `json:"customer_phone,omitempty"`
	Currency        *string           `json:"currency,omitempty"`
	ShippingAddress *order.Address    `json:"shipping_address,omitempty"`
	BillingAddress  *order.Address    `json:"billing_address,omitempty"`
	Notes           *string           `json:"notes,omitempty"`
	ExternalRef     *string           `json:"external_ref,omitempty"`
	Metadata        *json.RawMessage  `json:"metadata,omitempty"`
	Discount        *int64            `json:"discount,omitempty"`
	Items           *[]orderItemInput `json:"items,omitempty"`
}

type transitionInput struct {
	To order.Status `json:"to"`
}

// statusChangeJSON is an entry of an order's status history, oldest
// first.
type statusChangeJSON struct {
	From      order.Status `json:"from" emptyEnum:"true" description:"Empty on the entry of the order's creation."`
	To        order.Status `json:"to"`
	ActorID   *uuid.UUID   `json:"actor_id"`
	CreatedAt time.Time    `json:"created_at"`
}

// orderList is a page of orders.
type orderList struct {
	Data       []order.View `json:"data"`
	NextCursor *string      `json:"next_cursor"`
	// PrevCursor is the cursor of the page before this one, null on the
	// first page.
	PrevCursor *string `json:"prev_cursor"`
}

// etag is a version (an order's, a tenant's) as a strong entity tag.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// ifMatch reads If-Match: nil when absent or "*", else the version; an
// entity tag we never issued is stale, the resource's ErrStale.
func ifMatch(r *http.Request, stale error) (*int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return nil, nil
	}
	h = strings.TrimPrefix(h, "W/")
	v, err := strconv.ParseInt(strings.Trim(h, `"`), 10, 64)
	if err != nil {
		// An entity tag we never issued cannot match.
		return nil, stale
	}
	return &v, nil
}

// notModified answers 304 with the ETag when If-None-Match holds tag.
func notModified(w http.ResponseWriter, r *http.Request, tag string) bool {
	if inm := r.Header.Get("If-None-Match"); inm == "" || inm != tag {
		return false
	}
	w.Header().Set("ETag", tag)
	w.WriteHeader(http.StatusNotModified)
	return true
}

func (s *Server) writeOrder(w http.ResponseWriter, status int, o order.Order) {
	w.Header().Set("ETag", etag(o.Version))
	writeJSON(w, status, order.ToView(o))
}

func (s *Server) handleOrderCreate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	var in orderInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	o := order.Order{CustomerName: strings.TrimSpace(in.CustomerName), CustomerEmail: strings.TrimSpace(in.CustomerEmail),
		CustomerPhone: strings.TrimSpace(in.CustomerPhone), Currency: strings.TrimSpace(in.Currency), ShippingAddress: in.ShippingAddress,
		BillingAddress: in.BillingAddress, Notes: in.Notes, ExternalRef: strings.TrimSpace(in.ExternalRef), Metadata: in.Metadata,
		Discount: in.Discount, Items: toItems(in.Items)}
	key := r.Header.Get("Idempotency-Key")
	created, _, err := s.orders.Create(r.Context(), p, o, key, s.meta(r))
	if err != nil {
		return err
	}
	if key != "" && created.IdempotencyKey == key {
		keyedEffect(r) // the order keeps the key (not when an expired one was reused)
	}
	w.Header().Set("Location", "/api/v1/orders/"+created.ID.String())
	s.writeOrder(w, http.StatusCreated, created)
	return nil
}

func (s *Server) handleOrderGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "order")
	if err != nil {
		return err
	}
	o, err := s.orders.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	if notModified(w, r, etag(o.Version)) {
		return nil
	}
	s.writeOrder(w, http.StatusOK, o)
	return nil
}

func (s *Server) handleOrderHistory(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "order")
	if err != nil {
		return err
	}
	pr, err := pageRequest(r.URL.Query())
	if err != nil {
		return err
	}
	hist, err := s.orders.History(r.Context(), p, id, pr)
	if err != nil {
		return err
	}
	out := historyList{Data: make([]statusChangeJSON, len(hist.Rows))}
	for i, h := range hist.Rows {
		out.Data[i] = statusChangeJSON{From: h.From, To: h.To, ActorID: h.ActorID, CreatedAt: h.CreatedAt}
	}
	out.NextCursor, out.PrevCursor = pageCursors(hist)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleOrderUpdate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "order")
	if err != nil {
		return err
	}
	var in orderPatch
	raw, err := decodeWithPresence(r, &in)
	if err != nil {
		return err
	}
	version, err := ifMatch(r, order.ErrStale)
	if err != nil {
		return err
	}
	patch := order.Patch{CustomerName: in.CustomerName, CustomerEmail: in.CustomerEmail, CustomerPhone: in.CustomerPhone,
		Currency: in.Currency, Notes: in.Notes, ExternalRef: in.ExternalRef, Metadata: in.Metadata, Discount: in.Discount}
	// An address given as null removes it; absent leaves it.
	if _, ok := raw["shipping_address"]; ok {
		patch.ShippingAddress = &in.ShippingAddress
	}
	if _, ok := raw["billing_address"]; ok {
		patch.BillingAddress = &in.BillingAddress
	}
	if in.Items != nil {
		items := toItems(*in.Items)
		patch.Items = &items
	}
	o, err := s.orders.Update(r.Context(), p, id, patch, version, s.meta(r))
	if err != nil {
		return err
	}
	s.writeOrder(w, http.StatusOK, o)
	return nil
}

// decodeWithPresence decodes a JSON object into dst and also returns its
// raw fields, so that "absent" and "null" can be told apart.
func decodeWithPresence(r *http.Request, dst any) (map[string]json.RawMessage, error) {
	var buf bytes.Buffer
	r.Body = readAndKeep(r.Body, &buf)
	if err := decodeJSON(r, dst); err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(buf.Bytes(), &raw)
	return raw, nil
}

func (s *Server) handleOrderTransition(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "order")
	if err != nil {
		return err
	}
	var in transitionInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	version, err := ifMatch(r, order.ErrStale)
	if err != nil {
		return err
	}
	o, err := s.orders.Transition(r.Context(), p, id, in.To, version, s.meta(r))
	if err != nil {
		return err
	}
	s.writeOrder(w, http.StatusOK, o)
	return nil
}

func (s *Server) handleOrderDelete(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "order")
	if err != nil {
		return err
	}
	if err := s.orders.Delete(r.Context(), p, id, s.meta(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// cursorJSON is the content of an opaque list cursor. The sort it was
// made for is inside, so a cursor cannot be used with another sort.
type cursorJSON struct {
	Sort      order.Sort `json:"s"`
	Desc      bool       `json:"d"`
	CreatedAt time.Time  `json:"c"`
	Total     int64      `json:"t"`
	Number    int64      `json:"n,omitempty"`
	ID        uuid.UUID  `json:"i"`
	// Back marks a prev_cursor: the page ends before this key.
	Back bool `json:"b,omitempty"`
}

// encodeCursor makes the cursor of the page after c, or with back of the
// page before it.
func encodeCursor(lp order.ListParams, c *order.Cursor, back bool) *string {
	if c == nil {
		return nil
	}
	b, _ := json.Marshal(cursorJSON{Sort: lp.Sort, Desc: lp.Desc, CreatedAt: c.CreatedAt, Total: c.Total, Number: c.Number, ID: c.ID, Back: back})
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

// dateLayout is how the date range's days are written (an HTML date input's value).
const dateLayout = "2006-01-02"

// parseOrderList reads the list's query parameters.
func parseOrderList(r *http.Request) (order.ListParams, error) {
	q := r.URL.Query()
	lp := order.ListParams{Limit: 50, Sort: order.SortCreatedAt, Desc: true}
	var v apperr.Validation
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			v.Add("limit", "must be an integer from 1 to 200")
		}
		lp.Limit = n
	}
	// sort is a field, descending unless direction=asc, as in v1's first
	// release (a bare sort=total was largest first then); a leading "-"
	// says descending too.
	sortBy, dirGiven := q.Get("sort"), q.Get("direction")
	field, minus := strings.CutPrefix(sortBy, "-")
	if sortBy == "" {
		field = string(order.SortCreatedAt)
	}
	if !order.Sort(field).Valid() {
		v.Add("sort", "must be created_at, total or number (descending; add direction=asc for ascending)")
	} else {
		lp.Sort = order.Sort(field)
	}
	switch dirGiven {
	case "", "desc":
		lp.Desc = true
	case "asc":
		if minus {
			v.Add("direction", "contradicts the - of sort; leave direction out")
		}
		lp.Desc = false
	default:
		v.Add("direction", "must be asc or desc")
	}
	if st := q.Get("status"); st != "" {
		if !order.Status(st).Valid() {
			v.Add("status", "must be pending, processing, shipped, delivered or cancelled")
		}
		lp.Status = order.Status(st)
	}
	for name, dst := range map[string]**time.Time{"created_after": &lp.CreatedAfter, "created_before": &lp.CreatedBefore} {
		if s := q.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				v.Add(name, "must be an RFC 3339 time such as 2026-01-31T00:00:00Z")
			}
			*dst = &t
		}
	}
	// created_from and created_to are whole UTC days, both included: the
	// range a person picks in a date input.
	var from, to *time.Time
	for name, dst := range map[string]**time.Time{"created_from": &from, "created_to": &to} {
		if s := q.Get(name); s != "" {
			t, err := time.Parse(dateLayout, s)
			if err != nil {
				v.Add(name, "must be a date such as 2026-01-31")
				continue
			}
			*dst = &t
		}
	}
	if from != nil && to != nil && from.After(*to) {
		v.Add("created_to", "must be on or after created_from")
	}
	if from != nil && (lp.CreatedAfter == nil || from.After(*lp.CreatedAfter)) {
		lp.CreatedAfter = from
	}
	if to != nil {
		end := to.AddDate(0, 0, 1) // the day after: created_before is exclusive
		if lp.CreatedBefore == nil || end.Before(*lp.CreatedBefore) {
			lp.CreatedBefore = &end
		}
	}
	lp.CustomerEmail = q.Get("customer_email")
	lp.Query = strings.TrimSpace(q.Get("q"))
	if len(lp.Query) > 200 {
		v.Add("q", "must be at most 200 characters")
	}
	if c := q.Get("cursor"); c != "" {
		var cj cursorJSON
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err == nil {
			err = json.Unmarshal(b, &cj)
		}
		if err != nil || cj.ID == uuid.Nil {
			v.Add("cursor", "is not a cursor from this API")
		} else if cj.Sort != lp.Sort || cj.Desc != lp.Desc {
			v.Add("cursor", "belongs to another sort order; start again without it")
		} else {
			key := &order.Cursor{CreatedAt: cj.CreatedAt, Total: cj.Total, Number: cj.Number, ID: cj.ID}
			if cj.Back {
				lp.Before = key
			} else {
				lp.After = key
			}
		}
	}
	return lp, v.Err()
}

func (s *Server) handleOrderList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	lp, err := parseOrderList(r)
	if err != nil {
		return err
	}
	os, cs, err := s.orders.List(r.Context(), p, lp)
	if err != nil {
		return err
	}
	out := orderList{Data: make([]order.View, len(os)), NextCursor: encodeCursor(lp, cs.Next, false), PrevCursor: encodeCursor(lp, cs.Prev, true)}
	for i, o := range os {
		out.Data[i] = order.ToView(o)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
