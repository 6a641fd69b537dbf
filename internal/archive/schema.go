// Package archive is a tenant's whole data as one portable file: every
// row of the tenant, table by table as JSON Lines, plus its stored
// objects (attachments, invoice PDFs, exports, the logo), in a zip with a
// manifest. Export writes one from either engine and storage kind; Import
// loads one into another Ordo, which is also the way from the embedded
// SQLite mode to a PostgreSQL cluster. docs/tenant-archive.md documents
// the format.
//
// The tables and their columns are listed here, typed by Kind, so that a
// value reads and writes the same way on both engines; a test compares
// the list with the live schema, so a new column or tenant table cannot
// be left out unnoticed.
package archive

// Kind is how a column's value is written in the archive.
type Kind string

const (
	KindText  Kind = "text"  // a JSON string
	KindInt   Kind = "int"   // a JSON number (64-bit integer)
	KindBool  Kind = "bool"  // true or false
	KindUUID  Kind = "uuid"  // "01a2…" in canonical form
	KindTime  Kind = "time"  // RFC 3339 in UTC with microseconds
	KindDate  Kind = "date"  // "2006-01-02"
	KindJSON  Kind = "json"  // the JSON value itself
	KindBytes Kind = "bytes" // base64 (standard, padded)
	// KindUser is a uuid that may name a user (or, for an actor, an API
	// key): on import it is mapped to the target's user of the same
	// e-mail when that user has another id.
	KindUser Kind = "user"
)

// Column is one column of a table.
type Column struct {
	Name string
	Kind Kind
}

// Table is one table of the archive, in import order (the foreign keys'
// order).
type Table struct {
	Name string
	// Where selects the tenant's rows with $1 the tenant id; Order makes
	// the export deterministic.
	Where, Order string
	Columns      []Column
	// Added are the NOT NULL columns added to the table after archives
	// were first written, with the value a row of an older archive,
	// which lacks them, is imported with (the column's default).
	Added map[string]any
}

func cols(spec ...string) []Column {
	out := make([]Column, 0, len(spec)/2)
	for i := 0; i < len(spec); i += 2 {
		out = append(out, Column{Name: spec[i], Kind: Kind(spec[i+1])})
	}
	return out
}

const byTenant = "tenant_id = $1"

// Users is the users table's part: the users the tenant's rows name
// (members, former members, creators, inviters). Users are not the
// tenant's, so Import matches them by id or e-mail before adding any.
var Users = Table{Name: "users", Order: "id", Columns: cols(
	"id", "uuid", "email", "text", "name", "text", "image", "text", "password_hash", "text",
	"email_verified_at", "time", "created_at", "time", "updated_at", "time", "session_epoch", "int", "locale", "text", "disabled_at", "time")}

// usersPasswordHash is the index of password_hash in Users.
const usersPasswordHash = 4

// Tables are the tenant's tables in import order. Left out (NotArchived):
// derived or transient rows and files (order_day_stats, which triggers
// rebuild on import; idempotency_keys, a day's replay cache; exports and
// their files, which expire; sessions), and the job queue: import an
// archive of a tenant whose background work is done.
var Tables = []Table{
	{Name: "tenants", Where: "id = $1", Order: "id", Columns: cols(
		"id", "uuid", "name", "text", "slug", "text", "plan", "text", "status", "text", "settings", "json",
		"order_seq", "int", "created_at", "time", "updated_at", "time", "invoice_seq", "int",
		"default_tax_rate_bp", "int", "purge_after", "time", "require_two_factor", "bool"),
		Added: map[string]any{"require_two_factor": false}},
	{Name: "tenant_limits", Where: byTenant, Order: "name", Columns: cols(
		"tenant_id", "uuid", "name", "text", "value", "int")},
	{Name: "tenant_usage", Where: byTenant, Order: "month", Columns: cols(
		"tenant_id", "uuid", "month", "date", "orders_created", "int",
		"api_requests", "int", "export_rows", "int", "webhook_deliveries", "int", "emails_sent", "int"),
		Added: map[string]any{"api_requests": int64(0), "export_rows": int64(0), "webhook_deliveries": int64(0), "emails_sent": int64(0)}},
	{Name: "memberships", Where: byTenant, Order: "user_id", Columns: cols(
		"tenant_id", "uuid", "user_id", "user", "role", "text", "created_at", "time", "updated_at", "time")},
	{Name: "membership_removals", Where: byTenant, Order: "user_id", Columns: cols(
		"tenant_id", "uuid", "user_id", "user", "removed_at", "time")},
	{Name: "api_keys", Where: byTenant, Order: "id", Columns: cols(
		"id", "uuid", "tenant_id", "uuid", "created_by", "user", "name", "text", "prefix", "text", "secret_hash", "bytes",
		"role", "text", "last_used_at", "time", "expires_at", "time", "revoked_at", "time", "created_at", "time")},
	{Name: "invitations", Where: byTenant, Order: "id", Columns: cols(
		"id", "uuid", "tenant_id", "uuid", "email", "text", "role", "text", "token_hash", "bytes", "invited_by", "user",
		"expires_at", "time", "accepted_at", "time", "revoked_at", "time", "created_at", "time", "updated_at", "time")},
	{Name: "orders", Where: byTenant, Order: "id", Columns: cols(
		"id", "uuid", "tenant_id", "uuid", "number", "int", "status", "text", "customer_name", "text",
		"customer_email", "text", "customer_phone", "text", "shipping_address", "json", "billing_address", "json",
		"currency", "text", "subtotal", "int", "tax", "int", "discount", "int", "total", "int", "notes", "text",
		"external_ref", "text", "metadata", "json", "created_by", "user", "created_at", "time", "updated_at", "time",
		"version", "int", "idempotency_key", "text")},
	{Name: "order_items", Where: byTenant, Order: "id", Columns: cols(
		"id", "uuid", "tenant_id", "uuid", "order_id", "uuid", "position", "int", "sku", "text", "name", "text",
		"description", "text", "quantity", "int", "unit_price", "int", "tax_rate_bp", "int", "line_total", "int", "metadata", "json")},
	{Name: "order_status_history", Where: byTenant, Order: "id", Columns: cols(
		"id", "uuid", "tenant_id", "uuid", "order_id", "uuid", "from_status", "text", "to_status", "text",
		"actor_id", "user", "created_at", "time")},
	{Name: "attachments", Where: byTenant, Order: "id", Columns: cols(
		"id", "uuid", "tenant_id", "uuid", "order_id", "uuid", "uploaded_by", "user", "filename", "text",
		"content_type", "text", "size", "int", "object_key", "text", "status", "text", "metadata", "json",
		"created_at", "time", "updated_at", "time")},
	{Name: "invoices", Where: byTenant, Order: "id", Columns: cols(
		"id", "uuid", "tenant_id", "uuid", "order_id", "uuid", "number", "text", "status", "text", "generation", "int",
		"object_key", "text", "size", "int", "error", "text", "generated_at", "time", "created_at", "time", "updated_at", "time")},
	{Name: "webhook_endpoints", Where: byTenant, Order: "id", Columns: cols(
		"id", "uuid", "tenant_id", "uuid", "url", "text", "description", "text", "event_types", "json", "enabled", "bool",
		"secret", "text", "previous_secret", "text", "previous_secret_expires_at", "time", "disabled_reason", "text",
		"failing_since", "time", "created_at", "time", "updated_at", "time")},
	{Name: "events", Where: byTenant, Order: "id", Columns: cols(
		"id", "uuid", "tenant_id", "uuid", "type", "text", "entity_id", "text", "data", "json", "created_at", "time")},
	{Name: "webhook_deliveries", Where: byTenant, Order: "id", Columns: cols(
		"id", "uuid", "tenant_id", "uuid", "endpoint_id", "uuid", "event_id", "uuid", "status", "text", "attempts", "int",
		"next_attempt_at", "time", "last_status_code", "int", "last_error", "text", "last_response_body", "text",
		"created_at", "time", "updated_at", "time", "delivered_at", "time", "event_type", "text")},
	{Name: "webhook_attempts", Where: byTenant, Order: "id", Columns: cols(
		"id", "uuid", "tenant_id", "uuid", "delivery_id", "uuid", "number", "int", "status_code", "int", "latency_ms", "int",
		"response", "text", "error", "text", "created_at", "time")},
	{Name: "audit_log", Where: byTenant, Order: "id", Columns: cols(
		"id", "uuid", "tenant_id", "uuid", "actor_id", "user", "actor_name", "text", "actor_email", "text", "action", "text",
		"entity_type", "text", "entity_id", "text", "order_id", "uuid", "ip", "text", "user_agent", "text", "metadata", "json",
		"created_at", "time", "request_id", "text", "actor_type", "text")},
}

// NotArchived are the tenant tables Tables leaves out, with why.
var NotArchived = map[string]string{
	"exports":           "download files that expire within a week (an archive is one of them); export again where it lands",
	"order_day_stats":   "derived: the orders' triggers rebuild it as they are imported",
	"idempotency_keys":  "a replay cache that expires after a day",
	"platform_audit":    "the operator's record of what operators did, not the tenant's data (the tenant's own audit_log has the same entries)",
	"audit_chain_heads": "the head of the audit log's hash chain, which the target starts afresh (see NotArchivedColumns)",
	"tenant_sso":        "the tenant's identity provider holds a client secret sealed with this service's ORDO_SECRET, which no other service can open; an owner sets single sign-on up again where the archive lands (its callback URL differs there anyway)",
	"audit_checkpoints": "signatures over the source's chain with the source's key; the target checkpoints its own chain",
	"audit_chain_cuts":  "the retention cut of the source's chain, signed with the source's key; the target's chain starts afresh",
}

// chainColumns is why the audit log's chain is not archived: an import
// may rewrite actor ids (KindUser), which changes the entries' hashes, and
// the source's checkpoints are signed with its own key. PostgreSQL chains
// the imported entries again as they are inserted; SQLite keeps them as
// entries from before the chain, which audit.Verify counts but does not
// cover.
const chainColumns = "the audit log's hash chain, begun afresh in the target: an import may rewrite actor ids, which changes the hashes"

// NotArchivedColumns are the columns of archived tables that Tables
// leaves out, as "table.column", with why.
var NotArchivedColumns = map[string]string{
	"audit_log.seq":       chainColumns,
	"audit_log.prev_hash": chainColumns,
	"audit_log.hash":      chainColumns,
}
