package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/order"
)

// The audit log and an order's audit trail, in words: who did it (a name,
// never a UUID), what they did (a sentence from the catalogue, one literal
// key per action code, so the completeness test sees each), what it was
// done to (a link where the thing has a page) and, for changes, the old
// and new values the entry's metadata records.

// auditRow is one audit entry as a page shows it.
type auditRow struct {
	ID uuid.UUID
	// At is the entry's time; When is it written for the viewer.
	At   time.Time
	When string
	// Actor is a person's name or e-mail, "API key <name>" or "System".
	Actor string
	Label string
	// Target names what was acted on; TargetURL is its page, "" for none.
	Target, TargetURL string
	// TargetID is the raw id of a thing the page has no words for.
	TargetID string
	Changes  []auditChange
	IP       string
}

// auditChange is one changed field: its label and old and new values.
type auditChange struct {
	Field, Old, New string
}

// actorNames maps user and API key ids to what a page calls them. It is
// filled once per page (one query for the members, one for the keys when
// the viewer may read them), never per entry.
type actorNames struct {
	users map[uuid.UUID]string
	keys  map[uuid.UUID]string
}

// loadActorNames reads the tenant's members and, when p may see them, its
// API keys. A list p may not read is left out: entries then fall back to
// the name recorded with them.
func (s *Server) loadActorNames(r *http.Request, p access.Principal) actorNames {
	n := actorNames{users: map[uuid.UUID]string{}, keys: map[uuid.UUID]string{}}
	if s.tenants != nil && p.Can(access.ActMemberRead) {
		if ms, err := s.tenants.ListMembers(r.Context(), p, wholeList()); err == nil {
			for _, m := range ms.Rows {
				n.users[m.User.ID] = personName(m.User.Name, m.User.Email)
			}
		}
	}
	if s.auth != nil && p.Can(access.ActAPIKeyRead) {
		if ks, err := s.auth.ListAPIKeys(r.Context(), p, wholeList()); err == nil {
			for _, k := range ks.Rows {
				n.keys[k.ID] = k.Name
			}
		}
	}
	return n
}

// personName is a user's name, else their e-mail address.
func personName(name, email string) string {
	if strings.TrimSpace(name) != "" {
		return name
	}
	return email
}

// actor names who wrote e.
func (s *Server) actor(r *http.Request, n actorNames, e audit.Entry) string {
	switch e.ActorType {
	case "system":
		return s.tr(r, "System")
	case "api_key":
		name := strings.TrimPrefix(e.ActorName, "API key ")
		if e.ActorID != nil && n.keys[*e.ActorID] != "" {
			name = n.keys[*e.ActorID]
		}
		return s.tr(r, "API key %s", name)
	}
	if e.ActorID != nil && n.users[*e.ActorID] != "" {
		return n.users[*e.ActorID]
	}
	if p := personName(e.ActorName, e.ActorEmail); p != "" {
		return p
	}
	if e.ActorID == nil {
		return s.tr(r, "System")
	}
	return s.tr(r, "A former member")
}

// when writes t for the viewer: day-month order and 24-hour clock in
// German, month first and 12-hour clock in US English; always UTC.
func (s *Server) when(r *http.Request, t time.Time) string {
	t = t.UTC()
	tag := s.locale(r).Tag
	switch {
	case strings.HasPrefix(tag, "de"):
		return t.Format("02.01.2006, 15:04") + " UTC"
	case tag == "en-US":
		return t.Format("Jan 2, 2006, 3:04 PM") + " UTC"
	}
	return t.Format("2 Jan 2006, 15:04") + " UTC"
}

// statusWord is an order status in the viewer's language.
func (s *Server) statusWord(r *http.Request, st string) string {
	switch order.Status(st) {
	case order.StatusPending:
		return s.tr(r, "Pending")
	case order.StatusProcessing:
		return s.tr(r, "Processing")
	case order.StatusShipped:
		return s.tr(r, "Shipped")
	case order.StatusDelivered:
		return s.tr(r, "Delivered")
	case order.StatusCancelled:
		return s.tr(r, "Cancelled")
	}
	return st
}

// metaString is metadata field k as text ("" when missing).
func metaString(m map[string]json.RawMessage, k string) string {
	raw, ok := m[k]
	if !ok {
		return ""
	}
	return jsonText(raw)
}

// jsonText shows a JSON value: a string without quotes, null as "—",
// anything else compact.
func jsonText(raw json.RawMessage) string {
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str
	}
	if t := strings.TrimSpace(string(raw)); t == "null" || t == "" {
		return "—"
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) == nil {
		return b.String()
	}
	return string(raw)
}

// auditLabel is what e did, as a sentence.
func (s *Server) auditLabel(r *http.Request, e audit.Entry, m map[string]json.RawMessage) string {
	file := metaString(m, "filename")
	switch e.Action {
	case "order.created":
		return s.tr(r, "Created the order")
	case "order.updated":
		return s.tr(r, "Changed the order")
	case "order.status_changed":
		return s.tr(r, "Changed status from %s to %s", s.statusWord(r, metaString(m, "from")), s.statusWord(r, metaString(m, "to")))
	case "order.deleted":
		return s.tr(r, "Deleted the order")
	case "attachment.presigned":
		return s.tr(r, "Started uploading %s", file)
	case "attachment.uploaded":
		return s.tr(r, "Uploaded %s", file)
	case "attachment.deleted":
		return s.tr(r, "Deleted the file %s", file)
	case "invoice.requested":
		return s.tr(r, "Requested the invoice")
	case "export.created":
		return s.tr(r, "Started an export")
	case "export.cancelled":
		return s.tr(r, "Cancelled an export")
	case "export.deleted":
		return s.tr(r, "Deleted an export")
	case "auth.login":
		return s.tr(r, "Signed in")
	case "auth.login_failed":
		return s.tr(r, "Failed to sign in")
	case "auth.logout":
		return s.tr(r, "Signed out")
	case "auth.logout_everywhere":
		return s.tr(r, "Signed out everywhere")
	case "auth.password_changed":
		return s.tr(r, "Changed the password")
	case "auth.password_reset_requested":
		return s.tr(r, "Asked for a password reset")
	case "auth.password_reset":
		return s.tr(r, "Reset the password")
	case "auth.session_revoked":
		return s.tr(r, "Ended a session")
	case "user.email_verified":
		return s.tr(r, "Confirmed the e-mail address")
	case "user.verification_sent":
		return s.tr(r, "Asked for a new confirmation e-mail")
	case "user.email_change_requested":
		return s.tr(r, "Asked to change the e-mail address")
	case "user.email_changed":
		return s.tr(r, "Changed the e-mail address")
	case "user.profile_updated":
		return s.tr(r, "Updated the profile")
	case "user.avatar_updated":
		return s.tr(r, "Changed the profile picture")
	case "user.deleted":
		return s.tr(r, "Deleted the account")
	case "tenant.created":
		return s.tr(r, "Created the tenant")
	case "tenant.renamed":
		return s.tr(r, "Renamed the tenant")
	case "tenant.status_changed":
		return s.tr(r, "Changed the tenant's status")
	case "tenant.branding_updated":
		return s.tr(r, "Updated the invoice branding")
	case "member.role_changed":
		return s.tr(r, "Changed a member's role")
	case "member.removed":
		return s.tr(r, "Removed a member")
	case "member.left":
		return s.tr(r, "Left the tenant")
	case "invitation.created":
		return s.tr(r, "Invited %s", metaString(m, "email"))
	case "invitation.resent":
		return s.tr(r, "Sent the invitation to %s again", metaString(m, "email"))
	case "invitation.revoked":
		return s.tr(r, "Revoked the invitation to %s", metaString(m, "email"))
	case "invitation.accepted":
		return s.tr(r, "Accepted an invitation")
	case "api_key.created":
		return s.tr(r, "Created an API key")
	case "api_key.revoked":
		return s.tr(r, "Revoked an API key")
	case "webhook_endpoint.created":
		return s.tr(r, "Added a webhook endpoint")
	case "webhook_endpoint.updated":
		return s.tr(r, "Changed a webhook endpoint")
	case "webhook_endpoint.deleted":
		return s.tr(r, "Removed a webhook endpoint")
	case "webhook_endpoint.secret_rotated":
		return s.tr(r, "Rotated a webhook signing secret")
	case "webhook_endpoint.tested":
		return s.tr(r, "Sent a test webhook")
	case "webhook_endpoint.disabled":
		return s.tr(r, "Disabled a webhook endpoint")
	case "webhook_delivery.replayed":
		return s.tr(r, "Sent webhook deliveries again")
	case "job.retried":
		return s.tr(r, "Retried a failed job")
	}
	return e.Action
}

// changedFieldLabel names a changed field of an order (or of another entity).
func (s *Server) changedFieldLabel(r *http.Request, k string) string {
	switch k {
	case "status":
		return s.tr(r, "Status")
	case "customer_name":
		return s.tr(r, "Customer")
	case "customer_email":
		return s.tr(r, "E-mail")
	case "customer_phone":
		return s.tr(r, "Phone")
	case "shipping_address":
		return s.tr(r, "Shipping address")
	case "billing_address":
		return s.tr(r, "Billing address")
	case "currency":
		return s.tr(r, "Currency")
	case "subtotal":
		return s.tr(r, "Subtotal")
	case "tax":
		return s.tr(r, "Tax")
	case "discount":
		return s.tr(r, "Discount")
	case "total":
		return s.tr(r, "Total")
	case "notes":
		return s.tr(r, "Notes")
	case "external_ref":
		return s.tr(r, "Reference")
	case "metadata":
		return s.tr(r, "Metadata")
	case "items":
		return s.tr(r, "Items")
	case "role":
		return s.tr(r, "Role")
	case "name":
		return s.tr(r, "Name")
	}
	return k
}

// changeValue shows an old or new value of field k: amounts as money in
// the order's currency, items as a count, addresses on one line.
func (s *Server) changeValue(r *http.Request, k string, raw json.RawMessage, currency string) string {
	switch k {
	case "subtotal", "tax", "discount", "total":
		if n, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64); err == nil && currency != "" {
			return order.FormatMoneyIn(n, currency, s.locale(r))
		}
	case "items":
		var items []order.ItemView
		if json.Unmarshal(raw, &items) == nil {
			parts := make([]string, len(items))
			for i, it := range items {
				parts[i] = strconv.FormatInt(it.Quantity, 10) + " × " + it.Name
			}
			if len(parts) == 0 {
				return "—"
			}
			return strings.Join(parts, ", ")
		}
	case "shipping_address", "billing_address":
		var a order.Address
		if json.Unmarshal(raw, &a) == nil {
			var parts []string
			for _, p := range []string{a.Line1, a.Line2, a.PostalCode, a.City, a.Country} {
				if p != "" {
					parts = append(parts, p)
				}
			}
			if len(parts) == 0 {
				return "—"
			}
			return strings.Join(parts, ", ")
		}
	case "status":
		return s.statusWord(r, jsonText(raw))
	}
	if v := jsonText(raw); v != "" {
		return v
	}
	return "—"
}

// changes lists the old and new values e records: an order update's
// "changes" map, or a single "old"/"new" pair (a role, a tenant's name).
func (s *Server) changes(r *http.Request, e audit.Entry, m map[string]json.RawMessage) []auditChange {
	type pair struct {
		Old json.RawMessage `json:"old"`
		New json.RawMessage `json:"new"`
	}
	var out []auditChange
	if raw, ok := m["changes"]; ok {
		var cs map[string]pair
		if json.Unmarshal(raw, &cs) != nil {
			return nil
		}
		currency := ""
		if c, ok := cs["currency"]; ok {
			currency = jsonText(c.New)
		}
		if currency == "" {
			currency = metaString(m, "currency")
		}
		keys := make([]string, 0, len(cs))
		for k := range cs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "subtotal" || k == "tax" || k == "total" {
				if currency == "" {
					continue // amounts without a currency say little; the items say it
				}
			}
			out = append(out, auditChange{Field: s.changedFieldLabel(r, k), Old: s.changeValue(r, k, cs[k].Old, currency), New: s.changeValue(r, k, cs[k].New, currency)})
		}
		return out
	}
	if _, ok := m["old"]; ok {
		field := "name"
		if e.Action == "member.role_changed" {
			field = "role"
		}
		return []auditChange{{Field: s.changedFieldLabel(r, field), Old: jsonText(m["old"]), New: jsonText(m["new"])}}
	}
	return nil
}

// target names what e acted on and links to its page.
func (s *Server) target(r *http.Request, n actorNames, e audit.Entry, m map[string]json.RawMessage) (string, string) {
	id, _ := uuid.Parse(e.EntityID)
	switch e.EntityType {
	case "order":
		num := metaString(m, "number")
		if e.Action == "invoice.requested" {
			// The number is the invoice's; the link goes to its order.
			return s.tr(r, "Invoice %s", num), "/app/orders/" + e.EntityID
		}
		if e.Action == "order.deleted" {
			var snap struct {
				Number string `json:"number"`
			}
			_ = json.Unmarshal(m["snapshot"], &snap)
			return s.tr(r, "Order %s (deleted)", snap.Number), ""
		}
		if num == "" {
			return s.tr(r, "Order"), "/app/orders/" + e.EntityID
		}
		return s.tr(r, "Order %s", num), "/app/orders/" + e.EntityID
	case "attachment":
		if e.OrderID != nil {
			return metaString(m, "filename"), "/app/orders/" + e.OrderID.String()
		}
		return metaString(m, "filename"), ""
	case "membership":
		if name := n.users[id]; name != "" {
			return name, "/app/members"
		}
		return s.tr(r, "A former member"), ""
	case "user":
		if e.ActorID != nil && *e.ActorID == id {
			return "", "" // their own account: the actor column says it
		}
		if name := n.users[id]; name != "" {
			return name, ""
		}
		return "", ""
	case "api_key":
		name := metaString(m, "name")
		if k := n.keys[id]; k != "" {
			name = k
		}
		return s.tr(r, "API key %s", name), "/app/api-keys"
	case "invitation":
		return metaString(m, "email"), "/app/members"
	case "webhook_endpoint":
		if e.Action == "webhook_endpoint.deleted" {
			return s.tr(r, "Webhook endpoint"), ""
		}
		return s.tr(r, "Webhook endpoint"), "/app/webhooks/" + e.EntityID
	case "export":
		return s.tr(r, "Export"), "/app/exports"
	case "job":
		return s.tr(r, "Job %s", e.EntityID), "/app/jobs"
	case "tenant":
		return s.tr(r, "Tenant settings"), "/app/settings"
	}
	if e.OrderID != nil {
		return s.tr(r, "Order"), "/app/orders/" + e.OrderID.String()
	}
	return e.EntityType, ""
}

// auditRows humanizes entries for a page.
func (s *Server) auditRows(r *http.Request, n actorNames, entries []audit.Entry) []auditRow {
	out := make([]auditRow, 0, len(entries))
	for _, e := range entries {
		var m map[string]json.RawMessage
		_ = json.Unmarshal(e.Metadata, &m)
		row := auditRow{ID: e.ID, At: e.CreatedAt, When: s.when(r, e.CreatedAt), Actor: s.actor(r, n, e),
			Label: s.auditLabel(r, e, m), Changes: s.changes(r, e, m), IP: e.IP}
		row.Target, row.TargetURL = s.target(r, n, e, m)
		if row.Target == e.EntityType && row.TargetURL == "" {
			row.TargetID = e.EntityID // an entity type without a page or words
		}
		out = append(out, row)
	}
	return out
}

// auditActions are the action codes the log's filter offers, each with
// its label through auditLabel.
var auditActions = []string{
	"order.created", "order.updated", "order.status_changed", "order.deleted",
	"attachment.uploaded", "attachment.deleted", "invoice.requested",
	"export.created", "export.cancelled", "export.deleted",
	"auth.login", "auth.login_failed", "auth.logout", "auth.logout_everywhere", "auth.password_changed",
	"auth.password_reset_requested", "auth.password_reset", "auth.session_revoked",
	"user.email_verified", "user.email_changed", "user.profile_updated", "user.avatar_updated", "user.deleted",
	"tenant.created", "tenant.renamed", "tenant.branding_updated",
	"member.role_changed", "member.removed", "member.left",
	"invitation.created", "invitation.resent", "invitation.revoked", "invitation.accepted",
	"api_key.created", "api_key.revoked",
	"webhook_endpoint.created", "webhook_endpoint.updated", "webhook_endpoint.deleted",
	"webhook_endpoint.secret_rotated", "webhook_endpoint.tested", "webhook_delivery.replayed",
	"job.retried",
}

// option is one choice of a filter's select.
type option struct {
	Value, Label string
	Selected     bool
}

type auditPage struct {
	Rows    []auditRow
	Actions []option
	Actors  []option
	// Filtered is true when a filter is set: the empty state then says
	// to clear them.
	Filtered bool
	Pager    pager
}

// uiAudit is the audit log: newest first, filtered by action, actor and
// date, paged both ways with the filters kept.
func (s *Server) uiAudit(w http.ResponseWriter, r *http.Request) error {
	p := mustPrincipal(r)
	if !p.Can(access.ActAuditRead) {
		return apperr.Forbidden("your role (%s) may not read the audit log", apperr.Word(p.Role))
	}
	// Unknown parameters, a broken cursor or date are ignored: the page
	// still shows (see uiOrders).
	q := r.URL.Query()
	f := audit.Filter{Action: q.Get("action"), EntityType: q.Get("entity_type"), Limit: 50}
	form := map[string]string{"action": f.Action, "entity_type": f.EntityType}
	if id, err := uuid.Parse(q.Get("actor")); err == nil {
		f.ActorID = &id
		form["actor"] = id.String()
	}
	if d, err := time.Parse(time.DateOnly, q.Get("from")); err == nil {
		f.From = &d
		form["from"] = q.Get("from")
	}
	if d, err := time.Parse(time.DateOnly, q.Get("to")); err == nil {
		end := d.AddDate(0, 0, 1) // the whole "to" day
		f.To = &end
		form["to"] = q.Get("to")
	}
	f.Before, f.After, _ = parseIDCursor(q.Get("cursor"))
	entries, next, prev, err := s.auditPage(r.Context(), p, f)
	if err != nil {
		return err
	}
	names := s.loadActorNames(r, p)
	page := auditPage{Rows: s.auditRows(r, names, entries)}
	filters := url.Values{}
	for k, v := range form {
		if v != "" {
			filters.Set(k, v)
		}
	}
	page.Filtered = len(filters) > 0
	page.Pager = newPager(r.URL.Path, filters, next, prev)
	for _, a := range auditActions {
		page.Actions = append(page.Actions, option{Value: a, Label: s.actionName(r, a), Selected: a == f.Action})
	}
	for id, name := range names.users {
		page.Actors = append(page.Actors, option{Value: id.String(), Label: name, Selected: form["actor"] == id.String()})
	}
	for id, name := range names.keys {
		page.Actors = append(page.Actors, option{Value: id.String(), Label: s.tr(r, "API key %s", name), Selected: form["actor"] == id.String()})
	}
	sort.Slice(page.Actors, func(i, j int) bool {
		return strings.ToLower(page.Actors[i].Label) < strings.ToLower(page.Actors[j].Label)
	})
	s.render(w, r, http.StatusOK, "audit", view{Title: s.tr(r, "Audit log"), Data: page, Form: form})
	return nil
}

// actionName labels an action code in the filter, without the details a
// single entry would fill in (a file name, an address).
func (s *Server) actionName(r *http.Request, action string) string {
	switch action {
	case "order.status_changed":
		return s.tr(r, "Changed an order's status")
	case "attachment.uploaded":
		return s.tr(r, "Uploaded a file")
	case "attachment.deleted":
		return s.tr(r, "Deleted a file")
	case "invitation.created":
		return s.tr(r, "Invited someone")
	case "invitation.resent":
		return s.tr(r, "Sent an invitation again")
	case "invitation.revoked":
		return s.tr(r, "Revoked an invitation")
	case "order.created":
		return s.tr(r, "Created an order")
	case "order.updated":
		return s.tr(r, "Changed an order")
	case "order.deleted":
		return s.tr(r, "Deleted an order")
	case "invoice.requested":
		return s.tr(r, "Requested an invoice")
	}
	return s.auditLabel(r, audit.Entry{Action: action}, nil)
}

// timelineStep is one status change of an order, with who made it.
type timelineStep struct {
	From, To string // status words; From is "" for creation
	Status   string // the new status code, for the badge
	Actor    string
	At       time.Time
	When     string
}

// timeline writes an order's status history for the page. Who made each
// change comes from the names loaded once for the page and, for actors
// the viewer may not list (API keys, for a member), from the audit
// entries of the order the page already read.
func (s *Server) timeline(r *http.Request, n actorNames, hist []order.StatusChange, entries []audit.Entry) []timelineStep {
	fromAudit := map[uuid.UUID]string{}
	for _, e := range entries {
		if e.ActorID != nil {
			fromAudit[*e.ActorID] = s.actor(r, n, e)
		}
	}
	out := make([]timelineStep, 0, len(hist))
	for _, h := range hist {
		st := timelineStep{To: s.statusWord(r, string(h.To)), Status: string(h.To), At: h.CreatedAt, When: s.when(r, h.CreatedAt)}
		if h.From != "" {
			st.From = s.statusWord(r, string(h.From))
		}
		switch {
		case h.ActorID == nil:
			st.Actor = s.tr(r, "System")
		case n.users[*h.ActorID] != "":
			st.Actor = n.users[*h.ActorID]
		case n.keys[*h.ActorID] != "":
			st.Actor = s.tr(r, "API key %s", n.keys[*h.ActorID])
		case fromAudit[*h.ActorID] != "":
			st.Actor = fromAudit[*h.ActorID]
		default:
			st.Actor = s.tr(r, "A former member")
		}
		out = append(out, st)
	}
	return out
}
