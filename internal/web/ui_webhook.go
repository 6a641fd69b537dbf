package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/webhook"
)

// Webhook pages: the endpoint list with its create form, and an
// endpoint's page with its edit form, actions and delivery log. Secrets
// are shown once, on the response that made them, never from a session.

type webhooksPage struct {
	Endpoints  []webhook.Endpoint
	EventTypes []string
	// Checked are the event types ticked on the create form.
	Checked map[string]bool
	// Created is the endpoint just made, with its secret.
	Created *webhook.Endpoint
}

// webhookPage is an endpoint with its delivery log.
type webhookPage struct {
	Endpoint   webhook.Endpoint
	EventTypes []string
	Checked    map[string]bool
	// Secret is a freshly rotated secret, shown on this response only.
	Secret     string
	Deliveries []deliveryRow
	// FilterTypes are the event types the log can be filtered by.
	FilterTypes []string
	Statuses    []webhook.DeliveryStatus
	// Pager links the pages of older and newer deliveries.
	Pager pager
	// Filtered is set when a filter is applied.
	Filtered bool
}

type deliveryRow struct {
	webhook.Delivery
	Ago     string
	Log     []attemptRow
	CanSend bool // not pending, so it may be replayed
}

type attemptRow struct {
	webhook.Attempt
	At        string
	LatencyMS int64
}

var deliveryStatuses = []webhook.DeliveryStatus{webhook.DeliveryPending, webhook.DeliverySucceeded, webhook.DeliveryFailed}

// ago says how long ago t was, in words of r's language.
func (s *Server) ago(r *http.Request, t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 10*time.Second:
		return s.tr(r, "just now")
	case d < time.Minute:
		return s.tr(r, "%d seconds ago", int(d/time.Second))
	case d < 2*time.Minute:
		return s.tr(r, "1 minute ago")
	case d < time.Hour:
		return s.tr(r, "%d minutes ago", int(d/time.Minute))
	case d < 2*time.Hour:
		return s.tr(r, "1 hour ago")
	case d < 24*time.Hour:
		return s.tr(r, "%d hours ago", int(d/time.Hour))
	case d < 48*time.Hour:
		return s.tr(r, "1 day ago")
	case d < 30*24*time.Hour:
		return s.tr(r, "%d days ago", int(d/(24*time.Hour)))
	}
	return t.UTC().Format("2 Jan 2006")
}

// checked reads the event-type boxes of a posted form.
func checked(r *http.Request) ([]string, map[string]bool) {
	types := []string{}
	m := map[string]bool{}
	for _, t := range r.PostForm["event_types"] {
		if t = strings.TrimSpace(t); t != "" && !m[t] {
			types = append(types, t)
			m[t] = true
		}
	}
	return types, m
}

func (s *Server) fieldErrors(r *http.Request, v *view, err error) bool {
	e, ok := apperr.As(err)
	if !ok || len(e.Fields) == 0 {
		return false
	}
	v.Errors = map[string]string{}
	for _, f := range e.Fields {
		v.Errors[f.Field] = s.detailText(r, f)
	}
	return true
}

func (s *Server) renderWebhooks(w http.ResponseWriter, r *http.Request, status int, v view, page webhooksPage) error {
	es, err := s.webhooks.List(r.Context(), mustPrincipal(r), wholeList())
	if err != nil {
		return err
	}
	page.Endpoints, page.EventTypes = es.Rows, webhook.EventTypes
	if page.Checked == nil {
		page.Checked = map[string]bool{}
	}
	v.Title, v.Data = s.tr(r, "Webhooks"), page
	s.render(w, r, status, "webhooks", v)
	return nil
}

func (s *Server) uiWebhooks(w http.ResponseWriter, r *http.Request) error {
	return s.renderWebhooks(w, r, http.StatusOK, view{}, webhooksPage{})
}

func (s *Server) uiWebhookCreate(w http.ResponseWriter, r *http.Request) error {
	u, desc := r.PostFormValue("url"), r.PostFormValue("description")
	types, ticked := checked(r)
	e, err := s.webhooks.Create(r.Context(), mustPrincipal(r), webhook.Input{URL: &u, Description: &desc, EventTypes: &types}, s.meta(r))
	if err != nil {
		v := view{Form: formValues(r, "url", "description")}
		status := http.StatusUnprocessableEntity
		var le *plan.ErrLimit
		if e, ok := apperr.As(err); ok && errors.As(err, &le) {
			// Said above the form, keeping what was typed.
			v.Error, status = s.errText(r, e), http.StatusForbidden
		} else if !s.fieldErrors(r, &v, err) {
			return err
		}
		return s.renderWebhooks(w, r, status, v, webhooksPage{Checked: ticked})
	}
	// The secret is on this response only: the page is no-store, and
	// neither the list nor the endpoint's page shows it again.
	return s.renderWebhooks(w, r, http.StatusCreated, view{Flash: s.tr(r, "Endpoint added.")}, webhooksPage{Created: &e})
}

// renderWebhook shows an endpoint's page: v carries the form and errors,
// page the secret of a rotation.
func (s *Server) renderWebhook(w http.ResponseWriter, r *http.Request, status int, id uuid.UUID, v view, page webhookPage) error {
	p := mustPrincipal(r)
	e, err := s.webhooks.Get(r.Context(), p, id)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := webhook.DeliveryFilter{EndpointID: id, EventType: q.Get("event_type"), Status: webhook.DeliveryStatus(q.Get("status")), Limit: 25}
	if !slices.Contains(deliveryStatuses, f.Status) {
		f.Status = ""
	}
	f.Before, f.After, _ = parseIDCursor(q.Get("cursor")) // a broken one shows the newest page
	dp, err := s.webhooks.Deliveries(r.Context(), p, f)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, d := range dp.Deliveries {
		row := deliveryRow{Delivery: d, Ago: s.ago(r, d.CreatedAt, now), CanSend: d.Status != webhook.DeliveryPending}
		for _, a := range dp.Attempts[d.ID] {
			row.Log = append(row.Log, attemptRow{Attempt: a, At: a.CreatedAt.UTC().Format("2 Jan 15:04:05 UTC"), LatencyMS: a.Latency.Milliseconds()})
		}
		page.Deliveries = append(page.Deliveries, row)
	}
	var next, prev string
	if dp.Next != nil {
		next = olderCursor(*dp.Next)
	}
	if dp.Prev != nil {
		prev = newerCursor(*dp.Prev)
	}
	page.Pager = newPager(r.URL.Path, keepParams(url.Values{"event_type": {f.EventType}, "status": {string(f.Status)}}, "event_type", "status"), next, prev)
	page.Endpoint, page.EventTypes, page.Statuses = e, webhook.EventTypes, deliveryStatuses
	page.FilterTypes = append([]string{webhook.EventTest}, webhook.EventTypes...)
	page.Filtered = f.EventType != "" || f.Status != "" || f.Before != nil || f.After != nil
	if page.Checked == nil {
		page.Checked = map[string]bool{}
		for _, t := range e.EventTypes {
			page.Checked[t] = true
		}
	}
	// The forms show what was posted, and the endpoint for the rest.
	if v.Form == nil {
		v.Form = map[string]string{}
	}
	enabled := ""
	if e.Enabled {
		enabled = "true"
	}
	for k, val := range map[string]string{"url": e.URL, "description": e.Description, "enabled": enabled,
		"since": now.UTC().Add(-24 * time.Hour).Format("2006-01-02T15:04")} {
		if _, ok := v.Form[k]; !ok {
			v.Form[k] = val
		}
	}
	v.Form["event_type"], v.Form["status"] = f.EventType, string(f.Status)
	title := e.Description
	if title == "" {
		title = e.URL
	}
	v.Title, v.Data = s.tr(r, "Webhook %s", title), page
	s.render(w, r, status, "webhook", v)
	return nil
}

func (s *Server) uiWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "webhook endpoint")
	if err != nil {
		return err
	}
	return s.renderWebhook(w, r, http.StatusOK, id, view{}, webhookPage{})
}

func (s *Server) uiWebhookSave(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "webhook endpoint")
	if err != nil {
		return err
	}
	u, desc := r.PostFormValue("url"), r.PostFormValue("description")
	enabled := r.PostFormValue("enabled") == "true"
	types, ticked := checked(r)
	_, err = s.webhooks.Update(r.Context(), mustPrincipal(r), id, webhook.Input{URL: &u, Description: &desc, EventTypes: &types, Enabled: &enabled}, s.meta(r))
	if err != nil {
		v := view{Form: formValues(r, "url", "description", "enabled")}
		if !s.fieldErrors(r, &v, err) {
			return err
		}
		return s.renderWebhook(w, r, http.StatusUnprocessableEntity, id, v, webhookPage{Checked: ticked})
	}
	return s.uiDone(w, r, nil, s.tr(r, "Endpoint saved."), "/app/webhooks/"+id.String())
}

func (s *Server) uiWebhookTest(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "webhook endpoint")
	if err == nil {
		_, err = s.webhooks.SendTest(r.Context(), mustPrincipal(r), id, s.meta(r))
	}
	return s.uiDone(w, r, err, s.tr(r, "Test event queued; it appears in the delivery log below."), "/app/webhooks/"+r.PathValue("id"))
}

func (s *Server) uiWebhookRotate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "webhook endpoint")
	var e webhook.Endpoint
	if err == nil {
		e, err = s.webhooks.RotateSecret(r.Context(), mustPrincipal(r), id, s.meta(r))
	}
	if err != nil {
		return err
	}
	return s.renderWebhook(w, r, http.StatusOK, id, view{Flash: s.tr(r, "Secret rotated.")}, webhookPage{Secret: e.Secret})
}

func (s *Server) uiWebhookDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "webhook endpoint")
	if err == nil {
		err = s.webhooks.Delete(r.Context(), mustPrincipal(r), id, s.meta(r))
	}
	return s.uiDone(w, r, err, s.tr(r, "Endpoint deleted; nothing more is sent to it."), "/app/webhooks")
}

func (s *Server) uiWebhookReplay(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "webhook endpoint")
	var did uuid.UUID
	if err == nil {
		did, err = pathID(r, "delivery_id", "webhook delivery")
	}
	if err == nil {
		_, err = s.webhooks.Replay(r.Context(), mustPrincipal(r), id, did, s.meta(r))
	}
	return s.uiDone(w, r, err, s.tr(r, "Delivery queued to be sent again."), "/app/webhooks/"+r.PathValue("id"))
}

// uiWebhookReplayFailed takes the time from a datetime-local field, read
// as UTC like every time the pages show.
func (s *Server) uiWebhookReplayFailed(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "webhook endpoint")
	if err != nil {
		return err
	}
	since, perr := time.Parse("2006-01-02T15:04", r.PostFormValue("since"))
	if perr != nil {
		if since, perr = time.Parse("2006-01-02T15:04:05", r.PostFormValue("since")); perr != nil {
			err = apperr.Invalid("since", "must be a date and time such as 2026-01-31T09:00")
		}
	}
	n := 0
	if err == nil {
		n, err = s.webhooks.ReplayFailed(r.Context(), mustPrincipal(r), id, since.UTC(), s.meta(r))
	}
	if err != nil {
		v := view{Form: formValues(r, "since")}
		if !s.fieldErrors(r, &v, err) {
			return err
		}
		return s.renderWebhook(w, r, http.StatusUnprocessableEntity, id, v, webhookPage{})
	}
	msg := s.tr(r, "%d failed deliveries queued to be sent again.", n)
	if n == 1 {
		msg = s.tr(r, "1 failed delivery queued to be sent again.")
	}
	return s.uiDone(w, r, nil, msg, "/app/webhooks/"+id.String())
}
