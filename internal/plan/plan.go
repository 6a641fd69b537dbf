// Package plan is what a tenant's subscription plan allows: the limits
// of each plan (free, pro, enterprise), built in and overridable by the
// operator per plan and per tenant, the usage counted against them, and
// the check that refuses what would go past one.
//
// Limits are enforced only when the operator turns them on
// (ORDO_PLAN_LIMITS): a company running Ordo for itself is never limited,
// and turning them on is a decision, not a surprise of an upgrade (every
// tenant made before plans existed is on "free"). Usage is counted either
// way.
package plan

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
)

// Name names a limit.
type Name string

const (
	Members        Name = "members"
	OrdersPerMonth Name = "orders_per_month"
	// StorageBytes is what the tenant's files take now: its attachments,
	// pending ones included (an upload reserves its size when signed).
	StorageBytes Name = "storage_bytes"
	// APIRequestsPerMinute is the rate of the tenant's /api/ requests,
	// all its keys and members together (429 past it, not 403).
	APIRequestsPerMinute Name = "api_requests_per_minute"
	// ExportsPerDay counts the exports created since 00:00 UTC.
	ExportsPerDay    Name = "exports_per_day"
	WebhookEndpoints Name = "webhook_endpoints"
	// JobsAtOnce is how many of the tenant's background jobs of one queue
	// (exports, invoices, e-mails, webhook deliveries) run at once, in all
	// worker processes together; the rest wait their turn (jobs.FetchParams).
	JobsAtOnce Name = "jobs_at_once"
	// AuditRetentionDays is how many days the tenant's audit log keeps
	// its entries: a nightly job prunes older ones behind a signed
	// retention cut (audit.PruneAll). With limits off nothing is pruned.
	AuditRetentionDays Name = "audit_retention_days"
)

// Names lists the limits, in the order pages show them.
func Names() []Name {
	return []Name{Members, OrdersPerMonth, StorageBytes, APIRequestsPerMinute, ExportsPerDay, WebhookEndpoints, JobsAtOnce, AuditRetentionDays}
}

// Valid reports whether n names a limit.
func (n Name) Valid() bool { return slices.Contains(Names(), n) }

// Unlimited is the value of a limit that does not apply.
const Unlimited int64 = -1

// Plans are the plans, cheapest first.
var Plans = []string{"free", "pro", "enterprise"}

// Builtin are each plan's limits unless the operator overrides them.
var Builtin = map[string]map[Name]int64{
	"free": {Members: 3, OrdersPerMonth: 100, StorageBytes: 1 << 30, APIRequestsPerMinute: 60,
		ExportsPerDay: 10, WebhookEndpoints: 1, JobsAtOnce: 2, AuditRetentionDays: 90},
	"pro": {Members: 25, OrdersPerMonth: 10_000, StorageBytes: 50 << 30, APIRequestsPerMinute: 600,
		ExportsPerDay: 100, WebhookEndpoints: 10, JobsAtOnce: 8, AuditRetentionDays: 365},
	"enterprise": {Members: Unlimited, OrdersPerMonth: Unlimited, StorageBytes: Unlimited, APIRequestsPerMinute: Unlimited,
		ExportsPerDay: Unlimited, WebhookEndpoints: Unlimited, JobsAtOnce: Unlimited, AuditRetentionDays: Unlimited},
}

// Limits are a tenant's effective limits and where they come from.
type Limits struct {
	Plan   string
	Values map[Name]int64
}

// Store reads the plan and overrides of a tenant.
type Store interface {
	// PlanOf reads the tenant's plan, the operator's overrides of that
	// plan's limits, and the tenant's own overrides.
	PlanOf(ctx context.Context, tenantID uuid.UUID) (plan string, planOverrides, tenantOverrides map[string]int64, err error)
}

// Resolve is the effective limits: the plan's built-in ones, then the
// operator's overrides of the plan, then the tenant's own.
func Resolve(plan string, planOverrides, tenantOverrides map[string]int64) Limits {
	l := Limits{Plan: plan, Values: map[Name]int64{}}
	for _, n := range Names() {
		v, ok := Builtin[plan][n]
		if !ok {
			v = Unlimited
		}
		if o, ok := planOverrides[string(n)]; ok {
			v = o
		}
		if o, ok := tenantOverrides[string(n)]; ok {
			v = o
		}
		l.Values[n] = v
	}
	return l
}

// Month is the first day (UTC) of t's month: usage's key.
func Month(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// ErrLimit is the error of a request that would go past a limit:
// 403 with problem type plan-limit, naming the limit, its value, the
// usage and the plan.
type ErrLimit struct {
	Limit Name
	Value int64
	Usage int64
	Plan  string
}

func (e *ErrLimit) Error() string { return e.AppError().Msg }

// AppError is the error as the API and pages word it.
func (e *ErrLimit) AppError() *apperr.Error {
	words := limitWords[e.Limit]
	if e.Value == 1 {
		words = limitWordsOne[e.Limit] // "1 order a month", not "1 orders"
	}
	return &apperr.Error{Kind: apperr.KindForbidden,
		Msg:    fmt.Sprintf("the %s plan allows %d %s and this tenant has used %d: ask an owner to change the plan, or the operator to raise the limit", e.Plan, e.Value, words, e.Usage),
		Format: "the %s plan allows %d %s and this tenant has used %d: ask an owner to change the plan, or the operator to raise the limit",
		Args:   []any{apperr.Word(e.Plan), e.Value, apperr.Word(words), e.Usage}}
}

// Unwrap makes errors.As(err, **apperr.Error) and apperr.HTTPStatus see
// a forbidden error.
func (e *ErrLimit) Unwrap() error { return e.AppError() }

// LimitWords are the words messages name each limit with, which the UI
// translates (apperr.Word).
func LimitWords() []string {
	out := make([]string, 0, 2*len(limitWords))
	for _, n := range Names() {
		out = append(out, limitWords[n], limitWordsOne[n])
	}
	return out
}

var limitWords = map[Name]string{
	Members:              "members",
	OrdersPerMonth:       "orders a month",
	StorageBytes:         "bytes of storage",
	APIRequestsPerMinute: "API requests a minute",
	ExportsPerDay:        "exports a day",
	WebhookEndpoints:     "webhook endpoints",
	JobsAtOnce:           "background jobs of a kind at once",
	AuditRetentionDays:   "days of audit log",
}

// limitWordsOne are the same after a limit of 1.
var limitWordsOne = map[Name]string{
	Members:              "member",
	OrdersPerMonth:       "order a month",
	StorageBytes:         "byte of storage",
	APIRequestsPerMinute: "API request a minute",
	ExportsPerDay:        "export a day",
	WebhookEndpoints:     "webhook endpoint",
	JobsAtOnce:           "background job of a kind at once",
	AuditRetentionDays:   "day of audit log",
}

// Checker resolves limits, cached for a few seconds per tenant (a change
// of plan or limit is seen within that time), and says whether a new
// usage is allowed.
type Checker struct {
	store   Store
	enforce bool
	ttl     time.Duration

	mu    sync.Mutex
	cache map[uuid.UUID]cached
}

type cached struct {
	l  Limits
	at time.Time
}

// NewChecker returns a Checker on store; enforce false counts but never
// refuses.
func NewChecker(store Store, enforce bool) *Checker {
	return &Checker{store: store, enforce: enforce, ttl: 5 * time.Second, cache: map[uuid.UUID]cached{}}
}

// Enforced reports whether limits refuse anything.
func (c *Checker) Enforced() bool { return c != nil && c.enforce }

// Limits returns the tenant's effective limits.
func (c *Checker) Limits(ctx context.Context, tenantID uuid.UUID) (Limits, error) {
	c.mu.Lock()
	e, ok := c.cache[tenantID]
	c.mu.Unlock()
	if ok && time.Since(e.at) < c.ttl {
		return e.l, nil
	}
	p, po, to, err := c.store.PlanOf(ctx, tenantID)
	if err != nil {
		return Limits{}, err
	}
	l := Resolve(p, po, to)
	c.mu.Lock()
	if len(c.cache) > 10_000 {
		clear(c.cache)
	}
	c.cache[tenantID] = cached{l, time.Now()}
	c.mu.Unlock()
	return l, nil
}

// Forget drops the tenant's cached limits (after a change here).
func (c *Checker) Forget(tenantID uuid.UUID) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.cache, tenantID)
	c.mu.Unlock()
}

// Allow returns ErrLimit when usage (counted with the new one included)
// goes past the tenant's limit n, and nil when it does not, when limits
// are not enforced, or for a nil Checker.
func (c *Checker) Allow(ctx context.Context, tenantID uuid.UUID, n Name, usage int64) error {
	return c.AllowAdd(ctx, tenantID, n, usage-1, 1)
}

// AllowAdd is Allow for a change that adds adding to what is used now
// (used, without it): bytes of an upload rather than one more of a thing.
func (c *Checker) AllowAdd(ctx context.Context, tenantID uuid.UUID, n Name, used, adding int64) error {
	if !c.Enforced() {
		return nil
	}
	l, err := c.Limits(ctx, tenantID)
	if err != nil {
		return err
	}
	if v := l.Values[n]; v != Unlimited && used+adding > v {
		return &ErrLimit{Limit: n, Value: v, Usage: used, Plan: l.Plan}
	}
	return nil
}

// Limited reports whether limit n is enforced for the tenant at all: a
// caller skips counting what no limit would refuse.
func (c *Checker) Limited(ctx context.Context, tenantID uuid.UUID, n Name) (bool, error) {
	if !c.Enforced() {
		return false, nil
	}
	l, err := c.Limits(ctx, tenantID)
	if err != nil {
		return false, err
	}
	return l.Values[n] != Unlimited, nil
}

// Day is the start (UTC) of t's day: what exports_per_day counts from.
func Day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// Counter names a monthly counter of tenant_usage that is counted but
// limits nothing (orders_created, which limits, has its own query).
type Counter string

// The counters Adder.UsageAdd takes: a closed set, since each names a
// column.
const (
	CountAPIRequests       Counter = "api_requests"
	CountExportRows        Counter = "export_rows"
	CountWebhookDeliveries Counter = "webhook_deliveries"
	CountEmailsSent        Counter = "emails_sent"
)

// Counters lists the counters, in the order the API shows them.
func Counters() []Counter {
	return []Counter{CountAPIRequests, CountExportRows, CountWebhookDeliveries, CountEmailsSent}
}

// Adder adds to a monthly counter: a domain's Tx embeds it to count what
// it did in the same transaction, so a rolled back change counts nothing.
type Adder interface {
	// UsageAdd adds n to counter c of the tenant's month (plan.Month) in
	// one UPSERT; a missing tenant is apperr.ErrInvalid.
	UsageAdd(ctx context.Context, tenantID uuid.UUID, month time.Time, c Counter, n int64) error
}

// Counts are a tenant's counters of one month.
type Counts struct {
	OrdersCreated     int64
	APIRequests       int64
	ExportRows        int64
	WebhookDeliveries int64
	EmailsSent        int64
}

// Tx is what a limited change does inside its transaction.
type Tx interface {
	// UsageAddOrders adds n to the orders the tenant created in month
	// (plan.Month) and returns the new count.
	UsageAddOrders(ctx context.Context, tenantID uuid.UUID, month time.Time, n int64) (int64, error)
	// MembershipLock locks the tenant's row until the transaction ends:
	// the tenant's limited changes run one after the other, so a count
	// read after it still holds at the commit.
	MembershipLock(ctx context.Context, tenantID uuid.UUID) error
	Adder
	// UsageStorageBytes sums the sizes of the tenant's pending and
	// uploaded attachments.
	UsageStorageBytes(ctx context.Context, tenantID uuid.UUID) (int64, error)
	// UsageExportsSince counts the exports (not archives) the tenant
	// created at or after since, deleted ones included.
	UsageExportsSince(ctx context.Context, tenantID uuid.UUID, since time.Time) (int64, error)
}

// AdminStore is what operators change and owners read.
type AdminStore interface {
	Store
	// PlanLimitSet overrides a plan's limit for every tenant on it;
	// PlanLimitDelete goes back to the built-in one.
	PlanLimitSet(ctx context.Context, plan string, name Name, value int64) error
	PlanLimitDelete(ctx context.Context, plan string, name Name) error
	// TenantLimitSet overrides one tenant's limit; TenantLimitDelete
	// goes back to its plan's.
	TenantLimitSet(ctx context.Context, tenantID uuid.UUID, name Name, value int64) error
	TenantLimitDelete(ctx context.Context, tenantID uuid.UUID, name Name) error
	// UsageCounts counts the tenant's members and webhook endpoints.
	UsageCounts(ctx context.Context, tenantID uuid.UUID) (members, webhookEndpoints int64, err error)
	// UsageMonth reads the tenant's counters of month (zeros when
	// nothing was counted).
	UsageMonth(ctx context.Context, tenantID uuid.UUID, month time.Time) (Counts, error)
	UsageStorageBytes(ctx context.Context, tenantID uuid.UUID) (int64, error)
	UsageExportsSince(ctx context.Context, tenantID uuid.UUID, since time.Time) (int64, error)
}

// Report is a tenant's usage against its limits in one month.
type Report struct {
	Plan     string
	Month    time.Time
	Enforced bool
	Items    []Item
	// Counts are the month's counters; StorageBytes is what the tenant's
	// files take now.
	Counts       Counts
	StorageBytes int64
}

// Item is one limit and what is used of it; Limit is Unlimited when none
// applies. The API rate's Used is 0: the rate limiter keeps no count a
// report could read (the month's API requests are in Counts).
type Item struct {
	Name  Name
	Limit int64
	Used  int64
}

// Usage reports the tenant's usage in now's month against its limits.
func Usage(ctx context.Context, st AdminStore, c *Checker, tenantID uuid.UUID, now time.Time) (Report, error) {
	l, err := c.Limits(ctx, tenantID)
	if err != nil {
		return Report{}, err
	}
	month := Month(now)
	counts, err := st.UsageMonth(ctx, tenantID, month)
	if err != nil {
		return Report{}, err
	}
	members, hooks, err := st.UsageCounts(ctx, tenantID)
	if err != nil {
		return Report{}, err
	}
	storage, err := st.UsageStorageBytes(ctx, tenantID)
	if err != nil {
		return Report{}, err
	}
	exports, err := st.UsageExportsSince(ctx, tenantID, Day(now))
	if err != nil {
		return Report{}, err
	}
	used := map[Name]int64{Members: members, OrdersPerMonth: counts.OrdersCreated, StorageBytes: storage,
		ExportsPerDay: exports, WebhookEndpoints: hooks}
	r := Report{Plan: l.Plan, Month: month, Enforced: c.Enforced(), Counts: counts, StorageBytes: storage}
	for _, n := range Names() {
		r.Items = append(r.Items, Item{Name: n, Limit: l.Values[n], Used: used[n]})
	}
	return r, nil
}
