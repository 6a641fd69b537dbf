// Package plan is what a tenant's plan allows: the limits (members,
// orders per month, storage...), their built-in values for each plan, the
// operator's overrides per plan and per tenant, and the usage counted
// against them.
//
// It is a leaf package (it imports only apperr), so that every domain that
// enforces a limit (order, tenant, webhook, export, attachment) can import
// it without importing package tenant, which owns the tenants themselves;
// a plan is named by its string ("free", "pro", "enterprise"), the same
// value as tenant.Plan.
//
// Resolution: a tenant's override wins over its plan's override, which
// wins over the built-in value. Unlimited is -1, at every level; a missing
// override means "no override" (the next level decides).
package plan

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
)

// Limit names one limit.
type Limit string

// The limits. Names are stable: they are stored (plan_limits,
// tenant_limits), typed at the CLI and sent in the API.
const (
	Members              Limit = "members"
	OrdersPerMonth       Limit = "orders_per_month"
	StorageBytes         Limit = "storage_bytes"
	APIRequestsPerMinute Limit = "api_requests_per_minute"
	ExportsPerDay        Limit = "exports_per_day"
	WebhookEndpoints     Limit = "webhook_endpoints"
)

// Names lists every limit, in the order pages and the API show them.
var Names = []Limit{Members, OrdersPerMonth, StorageBytes, APIRequestsPerMinute, ExportsPerDay, WebhookEndpoints}

// Known reports whether name is a limit.
func Known(name Limit) bool {
	for _, n := range Names {
		if n == name {
			return true
		}
	}
	return false
}

// Plans lists the plans.
var Plans = []string{"free", "pro", "enterprise"}

// KnownPlan reports whether p is a plan.
func KnownPlan(p string) bool {
	for _, q := range Plans {
		if q == p {
			return true
		}
	}
	return false
}

// Unlimited is the value of a limit that does not limit.
const Unlimited int64 = -1

// Limits is a value for every limit.
type Limits map[Limit]int64

const (
	gib = int64(1) << 30
)

// builtin are the limits of each plan unless an operator overrides them.
// Free is sized for a small team trying Ordo out; pro for a business;
// enterprise limits nothing but the API rate (which protects the service).
var builtin = map[string]Limits{
	"free": {
		Members: 5, OrdersPerMonth: 1000, StorageBytes: 1 * gib,
		APIRequestsPerMinute: 120, ExportsPerDay: 20, WebhookEndpoints: 3,
	},
	"pro": {
		Members: 50, OrdersPerMonth: 50_000, StorageBytes: 50 * gib,
		APIRequestsPerMinute: 1200, ExportsPerDay: 200, WebhookEndpoints: 20,
	},
	"enterprise": {
		Members: Unlimited, OrdersPerMonth: Unlimited, StorageBytes: Unlimited,
		APIRequestsPerMinute: 6000, ExportsPerDay: Unlimited, WebhookEndpoints: Unlimited,
	},
}

// Builtin returns a copy of the built-in limits of plan p (the free
// plan's for an unknown plan).
func Builtin(p string) Limits {
	b, ok := builtin[p]
	if !ok {
		b = builtin["free"]
	}
	out := make(Limits, len(b))
	for k, v := range b {
		out[k] = v
	}
	return out
}

// Overrides are what the store holds for one tenant: its plan, the
// plan's overrides and the tenant's own.
type Overrides struct {
	Plan   string
	ByPlan map[Limit]int64
	Tenant map[Limit]int64
}

// Value resolves one limit: the tenant's override, else the plan's,
// else the built-in value.
func (o Overrides) Value(name Limit) int64 {
	if v, ok := o.Tenant[name]; ok {
		return v
	}
	if v, ok := o.ByPlan[name]; ok {
		return v
	}
	return Builtin(o.Plan)[name]
}

// Limits resolves every limit.
func (o Overrides) Limits() Limits {
	out := make(Limits, len(Names))
	for _, n := range Names {
		out[n] = o.Value(n)
	}
	return out
}

// Check returns an *ExceededError when taking adding more of name, on top
// of usage, would go over the limit; nil when it fits (or is unlimited).
func (o Overrides) Check(name Limit, usage, adding int64) error {
	return Check(o.Plan, name, o.Value(name), usage, adding)
}

// Check is Overrides.Check for a resolved value.
func Check(plan string, name Limit, value, usage, adding int64) error {
	if value == Unlimited || usage+adding <= value {
		return nil
	}
	return &ExceededError{Plan: plan, Limit: name, Value: value, Usage: usage}
}

// ExceededError is the answer to a change that a limit of the tenant's
// plan does not allow. Nothing of the change was written. It is an
// apperr Forbidden (errors.As finds the *apperr.Error), which the web
// layer renders as a plan-limit problem carrying these fields.
type ExceededError struct {
	Plan  string
	Limit Limit
	Value int64 // the limit
	Usage int64 // what the tenant has used, before the refused change
}

// labels name the limits in messages, as words a UI translates.
var labels = map[Limit]apperr.Word{
	Members:              apperr.Word("members"),
	OrdersPerMonth:       apperr.Word("orders per month"),
	StorageBytes:         apperr.Word("storage bytes"),
	APIRequestsPerMinute: apperr.Word("API requests per minute"),
	ExportsPerDay:        apperr.Word("exports per day"),
	WebhookEndpoints:     apperr.Word("webhook endpoints"),
}

// Label names the limit for people ("orders per month").
func (l Limit) Label() string {
	if w, ok := labels[l]; ok {
		return string(w)
	}
	return string(l)
}

func (e *ExceededError) appErr() *apperr.Error {
	err, _ := apperr.Forbidden("the %s limit of the %s plan is %d, and %d are used: nothing was saved; the operator of this Ordo service can raise the limit or change the plan",
		labels[e.Limit], apperr.Word(e.Plan), e.Value, e.Usage).(*apperr.Error)
	return err
}

func (e *ExceededError) Error() string { return e.appErr().Msg }

// Unwrap makes the error an apperr Forbidden.
func (e *ExceededError) Unwrap() error { return e.appErr() }

// Usage is what a tenant used in one month, plus its stored bytes now.
type Usage struct {
	Month             time.Time // the month's first day, UTC
	OrdersCreated     int64
	APIRequests       int64
	ExportRows        int64
	WebhookDeliveries int64
	EmailsSent        int64
}

// Counter names a monthly counter of tenant_usage that is only counted,
// never checked in its transaction.
type Counter string

// The counters UsageAdd takes.
const (
	CountAPIRequests       Counter = "api_requests"
	CountExportRows        Counter = "export_rows"
	CountWebhookDeliveries Counter = "webhook_deliveries"
	CountEmailsSent        Counter = "emails_sent"
)

// MonthOf returns the first day of t's UTC month.
func MonthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// DayOf returns the start of t's UTC day.
func DayOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// OrderTake is what taking an order's slot of the month answers: the
// month's count including the new order, and what resolves the limit.
type OrderTake struct {
	Count int64
	Overrides
}

// Check refuses the order when its slot is past the month's limit.
func (t OrderTake) Check() error {
	// Count includes the order being created: usage before it is Count-1.
	return t.Overrides.Check(OrdersPerMonth, t.Count-1, 1)
}

// Store is what reads and writes limits and usage.
type Store interface {
	// PlanOverrides reads the tenant's plan and the overrides of its
	// limits. A missing tenant is apperr.ErrNotFound.
	PlanOverrides(ctx context.Context, tenantID uuid.UUID) (Overrides, error)
	// PlanLock, inside a transaction, makes the transactions that check
	// a limit of the tenant (and its membership changes, see
	// tenant.Store.MembershipLock) run one after the other, so that a
	// count still holds when the change it allowed commits; it returns
	// what PlanOverrides does.
	PlanLock(ctx context.Context, tenantID uuid.UUID) (Overrides, error)
	// PlanLimitSet overrides a limit of every tenant of plan; nil removes
	// the override.
	PlanLimitSet(ctx context.Context, plan string, name Limit, value *int64, now time.Time) error
	// PlanLimitsOf reads the overrides of plan.
	PlanLimitsOf(ctx context.Context, plan string) (map[Limit]int64, error)
	// TenantLimitSet overrides a limit of one tenant; nil removes the
	// override.
	TenantLimitSet(ctx context.Context, tenantID uuid.UUID, name Limit, value *int64, now time.Time) error

	// UsageTakeOrder counts an order created in month and returns the new
	// count with the limit's overrides, in one statement: inside the
	// order's transaction, after the tenant's order number, so that
	// creates of one tenant take their slots one after the other.
	UsageTakeOrder(ctx context.Context, tenantID uuid.UUID, month time.Time) (OrderTake, error)
	// UsageAdd adds n to a counter of the tenant's month.
	UsageAdd(ctx context.Context, tenantID uuid.UUID, month time.Time, c Counter, n int64) error
	// PlanCount counts the current use of a limit that is not a monthly
	// counter: members, storage bytes, webhook endpoints, and exports
	// created since day (the start of a UTC day). Other limits count 0.
	PlanCount(ctx context.Context, tenantID uuid.UUID, name Limit, day time.Time) (int64, error)
	// UsageGet reads the tenant's month (zeros when nothing was counted).
	UsageGet(ctx context.Context, tenantID uuid.UUID, month time.Time) (Usage, error)
}

// String renders a limit's value for people: a number or "unlimited".
func String(v int64) string {
	if v == Unlimited {
		return "unlimited"
	}
	return fmt.Sprint(v)
}

// Adder adds to a monthly counter (see Store.UsageAdd): a domain's Tx
// embeds it to count what it did in the same transaction.
type Adder interface {
	UsageAdd(ctx context.Context, tenantID uuid.UUID, month time.Time, c Counter, n int64) error
}

// Limiter is what checking a limit needs inside a transaction: a
// domain's Tx embeds it.
type Limiter interface {
	PlanLock(ctx context.Context, tenantID uuid.UUID) (Overrides, error)
	PlanCount(ctx context.Context, tenantID uuid.UUID, name Limit, day time.Time) (int64, error)
}

// Take checks, inside the transaction of a change, that adding n of name
// fits the tenant's limit: it locks the tenant's limits (so that
// concurrent changes check one after the other and cannot both take the
// last slot), counts the current use unless the limit is unlimited, and
// answers an *ExceededError when it does not fit. now gives the day of
// a daily limit.
func Take(ctx context.Context, tx Limiter, tenantID uuid.UUID, name Limit, n int64, now time.Time) error {
	o, err := tx.PlanLock(ctx, tenantID)
	if err != nil {
		return err
	}
	if o.Value(name) == Unlimited {
		return nil
	}
	used, err := tx.PlanCount(ctx, tenantID, name, now)
	if err != nil {
		return err
	}
	return o.Check(name, used, n)
}

// Reader is what a usage report reads.
type Reader interface {
	PlanOverrides(ctx context.Context, tenantID uuid.UUID) (Overrides, error)
	UsageGet(ctx context.Context, tenantID uuid.UUID, month time.Time) (Usage, error)
	PlanCount(ctx context.Context, tenantID uuid.UUID, name Limit, day time.Time) (int64, error)
}

// Line is one limit of a report: its value and what is used of it; Used
// is nil for the API rate, which is not stored per minute (see
// Usage.APIRequests for the month's).
type Line struct {
	Name  Limit
	Value int64
	Used  *int64
}

// Report is a tenant's usage against its limits.
type Report struct {
	Plan   string
	Limits []Line
	Usage  Usage // the month's counters
}

// BuildReport reads the tenant's limits and what it uses of them now.
func BuildReport(ctx context.Context, r Reader, tenantID uuid.UUID, now time.Time) (Report, error) {
	o, err := r.PlanOverrides(ctx, tenantID)
	if err != nil {
		return Report{}, err
	}
	u, err := r.UsageGet(ctx, tenantID, now)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Plan: o.Plan, Usage: u}
	for _, n := range Names {
		l := Line{Name: n, Value: o.Value(n)}
		switch n {
		case OrdersPerMonth:
			l.Used = &u.OrdersCreated
		case APIRequestsPerMinute:
		default:
			c, err := r.PlanCount(ctx, tenantID, n, now)
			if err != nil {
				return Report{}, err
			}
			l.Used = &c
		}
		rep.Limits = append(rep.Limits, l)
	}
	return rep, nil
}
