package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/webhook"
)

type endpointInput struct {
	URL         *string   `json:"url" description:"https URL of the receiver; private and loopback addresses are refused."`
	Description *string   `json:"description"`
	EventTypes  *[]string `json:"event_types" description:"Event types to send; empty or missing for all."`
	Enabled     *bool     `json:"enabled"`
}

type endpointJSON struct {
	ID             uuid.UUID  `json:"id"`
	URL            string     `json:"url"`
	Description    string     `json:"description"`
	EventTypes     []string   `json:"event_types"`
	Enabled        bool       `json:"enabled"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	FailingSince   *time.Time `json:"failing_since"`
	// Secret is present only when the endpoint is created and when its
	// secret is rotated.
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type endpointList struct {
	Data       []endpointJSON `json:"data"`
	NextCursor *string        `json:"next_cursor"`
	PrevCursor *string        `json:"prev_cursor"`
	EventTypes []string       `json:"event_types" description:"Every event type an endpoint may subscribe to."`
}

// holdsSecret makes the create and rotate responses, which hold the
// signing secret, ones that are never stored for an idempotent replay.
func (e endpointJSON) holdsSecret() bool { return e.Secret != "" }

func toEndpointJSON(e webhook.Endpoint, withSecret bool) endpointJSON {
	out := endpointJSON{ID: e.ID, URL: e.URL, Description: e.Description, EventTypes: e.EventTypes, Enabled: e.Enabled,
		DisabledReason: e.DisabledReason, FailingSince: e.FailingSince, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
	if out.EventTypes == nil {
		out.EventTypes = []string{}
	}
	if withSecret {
		out.Secret = e.Secret
	}
	return out
}

type attemptJSON struct {
	Number     int       `json:"number"`
	StatusCode int       `json:"status_code"`
	LatencyMS  int64     `json:"latency_ms"`
	Response   string    `json:"response"`
	Error      string    `json:"error"`
	CreatedAt  time.Time `json:"created_at"`
}

type deliveryJSON struct {
	ID             uuid.UUID              `json:"id"`
	EventID        uuid.UUID              `json:"event_id" description:"The webhook-id header of every attempt."`
	EventType      string                 `json:"event_type"`
	Status         webhook.DeliveryStatus `json:"status" enum:"pending,succeeded,failed"`
	Attempts       []attemptJSON          `json:"attempts"`
	NextAttemptAt  *time.Time             `json:"next_attempt_at"`
	LastStatusCode int                    `json:"last_status_code"`
	LastError      string                 `json:"last_error"`
	CreatedAt      time.Time              `json:"created_at"`
	DeliveredAt    *time.Time             `json:"delivered_at"`
}

type deliveryList struct {
	Data       []deliveryJSON `json:"data"`
	NextCursor *string        `json:"next_cursor"`
	// PrevCursor is the cursor of the newer page, null on the first.
	PrevCursor *string `json:"prev_cursor"`
}

type deliveryListReq struct {
	idPath
	EventType string `query:"event_type"`
	Status    string `query:"status" enum:"pending,succeeded,failed"`
	Since     string `query:"since" format:"date-time"`
	Cursor    string `query:"cursor" description:"next_cursor (older deliveries) or prev_cursor (newer deliveries) of another page."`
	Limit     int    `query:"limit" minimum:"1" maximum:"200"`
}

type replayPath struct {
	idPath
	DeliveryID uuid.UUID `path:"delivery_id"`
}

type replayFailedReq struct {
	idPath
	Since time.Time `json:"since" required:"true" description:"Replay the failed deliveries created since this time."`
}

type replayFailedJSON struct {
	Replayed int `json:"replayed"`
}

func toDeliveryJSON(d webhook.Delivery, as []webhook.Attempt) deliveryJSON {
	out := deliveryJSON{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Status: d.Status, Attempts: make([]attemptJSON, len(as)),
		NextAttemptAt: d.NextAttemptAt, LastStatusCode: d.LastStatusCode, LastError: d.LastError, CreatedAt: d.CreatedAt, DeliveredAt: d.DeliveredAt}
	for i, a := range as {
		out.Attempts[i] = attemptJSON{Number: a.Number, StatusCode: a.StatusCode, LatencyMS: a.Latency.Milliseconds(), Response: a.Response,
			Error: a.Error, CreatedAt: a.CreatedAt}
	}
	return out
}

func (s *Server) handleEndpointCreate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	var in endpointInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	e, err := s.webhooks.Create(r.Context(), p, webhook.Input{URL: in.URL, Description: in.Description, EventTypes: in.EventTypes}, s.meta(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/webhook-endpoints/"+e.ID.String())
	writeJSON(w, http.StatusCreated, toEndpointJSON(e, true))
	return nil
}

func (s *Server) handleEndpointList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	pr, err := pageRequest(r.URL.Query())
	if err != nil {
		return err
	}
	es, err := s.webhooks.List(r.Context(), p, pr)
	if err != nil {
		return err
	}
	out := endpointList{Data: make([]endpointJSON, len(es.Rows)), EventTypes: webhook.EventTypes}
	for i, e := range es.Rows {
		out.Data[i] = toEndpointJSON(e, false)
	}
	out.NextCursor, out.PrevCursor = pageCursors(es)
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleEndpointGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "webhook endpoint")
	if err != nil {
		return err
	}
	e, err := s.webhooks.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	if notModified(w, r, etag(e.Version())) {
		return nil
	}
	w.Header().Set("ETag", etag(e.Version()))
	writeJSON(w, http.StatusOK, toEndpointJSON(e, false))
	return nil
}

func (s *Server) handleEndpointUpdate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "webhook endpoint")
	if err != nil {
		return err
	}
	var in endpointInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	version, err := ifMatch(r, webhook.ErrStale)
	if err != nil {
		return err
	}
	e, err := s.webhooks.UpdateIf(r.Context(), p, id, webhook.Input(in), version, s.meta(r))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(e.Version()))
	writeJSON(w, http.StatusOK, toEndpointJSON(e, false))
	return nil
}

func (s *Server) handleEndpointDelete(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "webhook endpoint")
	if err == nil {
		err = s.webhooks.Delete(r.Context(), p, id, s.meta(r))
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleEndpointRotate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "webhook endpoint")
	if err != nil {
		return err
	}
	e, err := s.webhooks.RotateSecret(r.Context(), p, id, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toEndpointJSON(e, true))
	return nil
}

func (s *Server) handleEndpointTest(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "webhook endpoint")
	if err != nil {
		return err
	}
	d, err := s.webhooks.SendTest(r.Context(), p, id, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, toDeliveryJSON(d, nil))
	return nil
}

func (s *Server) handleDeliveryList(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "webhook endpoint")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := webhook.DeliveryFilter{EndpointID: id, EventType: q.Get("event_type"), Status: webhook.DeliveryStatus(q.Get("status"))}
	var v apperr.Validation
	switch f.Status {
	case "", webhook.DeliveryPending, webhook.DeliverySucceeded, webhook.DeliveryFailed:
	default:
		v.Add("status", "must be pending, succeeded or failed")
	}
	if since := q.Get("since"); since != "" {
		t, err := time.Parse(time.RFC3339, since)
		if err != nil {
			v.Add("since", "must be an RFC 3339 time such as 2026-01-31T00:00:00Z")
		}
		f.Since = &t
	}
	if c := q.Get("cursor"); c != "" {
		var ok bool
		if f.Before, f.After, ok = parseIDCursor(c); !ok {
			v.Add("cursor", "is not a cursor from this API")
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			v.Add("limit", "must be an integer from 1 to 200")
		}
		f.Limit = n
	}
	if err := v.Err(); err != nil {
		return err
	}
	page, err := s.webhooks.Deliveries(r.Context(), p, f)
	if err != nil {
		return err
	}
	out := deliveryList{Data: make([]deliveryJSON, len(page.Deliveries))}
	for i, d := range page.Deliveries {
		out.Data[i] = toDeliveryJSON(d, page.Attempts[d.ID])
	}
	if page.Next != nil {
		c := olderCursor(*page.Next)
		out.NextCursor = &c
	}
	if page.Prev != nil {
		c := newerCursor(*page.Prev)
		out.PrevCursor = &c
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleDeliveryReplay(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "webhook endpoint")
	if err != nil {
		return err
	}
	did, err := pathID(r, "delivery_id", "webhook delivery")
	if err != nil {
		return err
	}
	d, err := s.webhooks.Replay(r.Context(), p, id, did, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, toDeliveryJSON(d, nil))
	return nil
}

func (s *Server) handleReplayFailed(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "id", "webhook endpoint")
	if err != nil {
		return err
	}
	var in struct {
		Since *time.Time `json:"since"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Since == nil {
		return apperr.Invalid("since", "is required")
	}
	n, err := s.webhooks.ReplayFailed(r.Context(), p, id, *in.Since, s.meta(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, replayFailedJSON{Replayed: n})
	return nil
}
