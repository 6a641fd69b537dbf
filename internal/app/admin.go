package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"golang.org/x/term"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/config"
	"github.com/ordo/ordo/internal/plan"
	"github.com/ordo/ordo/internal/store"
	tenantpkg "github.com/ordo/ordo/internal/tenant"
	"github.com/ordo/ordo/internal/webhook"
)

// Operator commands for scripts and first set-up: users, tenants, API
// keys, and failed background jobs. They open only the database and act as the operator.

// adminIO is where the operator commands read and write.
type adminIO struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func adminCommand(ctx context.Context, cmd string, args []string, cfg config.Config, log *slog.Logger, std adminIO) error {
	if len(args) == 0 {
		return usageError{fmt.Sprintf("%s needs a subcommand", cmd)}
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("ordo "+cmd+" "+sub, flag.ContinueOnError)
	fs.SetOutput(std.stderr)
	var (
		email   = new(string)
		name    = fs.String("name", "", "display name")
		owner   = new(string)
		tenant  = new(string)
		role    = new(string)
		expires = new(string)
	)
	switch cmd + " " + sub {
	case "users create":
		email = fs.String("email", "", "e-mail address (required); the password is read from stdin or prompted")
	case "tenants create":
		owner = fs.String("owner", "", "e-mail of the owning user (required)")
	case "tenants suspend", "tenants resume", "tenants list", "tenants set-plan", "tenants limit", "plans limit":
	case "apikeys create":
		tenant = fs.String("tenant", "", "tenant slug (required)")
		role = fs.String("role", "", "owner, admin, member or viewer (required)")
		expires = fs.String("expires", "", "lifetime, e.g. 30d or 12h (default: no expiry)")
	case "apikeys revoke":
	case "jobs failed":
		tenant = fs.String("tenant", "", "only this tenant's jobs (slug); default: every job")
	case "jobs retry":
	default:
		return usageError{fmt.Sprintf("unknown command %q", cmd+" "+sub)}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}

	svc, err := openServices(ctx, cfg, log, openOpts{migrate: cfg.Mode() == config.ModeEmbedded, storeOnly: true, redis: true})
	if err != nil {
		return err
	}
	defer svc.close()
	if err := svc.openIdentity(log); err != nil {
		return err
	}
	as := svc.auth

	switch cmd + " " + sub {
	case "users create":
		if *email == "" {
			return usageError{"--email is required"}
		}
		pw, err := readPassword(std)
		if err != nil {
			return err
		}
		u, err := svc.accounts.CreateUser(ctx, *email, pw, *name)
		if err != nil {
			return describe(err)
		}
		fmt.Fprintln(std.stdout, u.ID)
	case "tenants create":
		if *name == "" || *owner == "" {
			return usageError{"--name and --owner are required"}
		}
		u, err := svc.store.UserGetByEmail(ctx, *owner)
		if err != nil {
			return fmt.Errorf("owner %s: %w", *owner, err)
		}
		t, err := svc.tenants.CreateTenant(ctx, access.Principal{UserID: u.ID, Email: u.Email, Name: u.Name}, *name, access.Meta{UserAgent: "ordo cli"})
		if err != nil {
			return describe(err)
		}
		fmt.Fprintln(std.stdout, t.Slug)
	case "tenants list":
		tw := tabwriter.NewWriter(std.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SLUG\tNAME\tPLAN\tSTATUS\tCREATED")
		var after uuid.UUID
		for {
			ts, err := svc.store.TenantListAfter(ctx, after, 500)
			if err != nil {
				return err
			}
			for _, t := range ts {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Slug, t.Name, t.Plan, t.Status, t.CreatedAt.UTC().Format(time.DateOnly))
				after = t.ID
			}
			if len(ts) < 500 {
				break
			}
		}
		return tw.Flush()
	case "tenants suspend", "tenants resume":
		if fs.NArg() != 1 {
			return usageError{cmd + " " + sub + " needs the tenant's slug"}
		}
		t, err := svc.store.TenantGetBySlug(ctx, fs.Arg(0))
		if err != nil {
			return fmt.Errorf("tenant %s: %w", fs.Arg(0), err)
		}
		status := tenantpkg.StatusSuspended
		if sub == "resume" {
			status = tenantpkg.StatusActive
		}
		if err := svc.tenants.SetTenantStatus(ctx, t.ID, status); err != nil {
			return describe(err)
		}
		fmt.Fprintln(std.stderr, t.Slug, "is", status)
	case "tenants set-plan":
		if fs.NArg() != 2 {
			return usageError{"tenants set-plan needs the tenant's slug and a plan (free, pro or enterprise)"}
		}
		t, err := svc.store.TenantGetBySlug(ctx, fs.Arg(0))
		if err != nil {
			return fmt.Errorf("tenant %s: %w", fs.Arg(0), err)
		}
		if err := svc.tenants.SetPlan(ctx, t.ID, tenantpkg.Plan(fs.Arg(1))); err != nil {
			return describe(err)
		}
		fmt.Fprintln(std.stderr, t.Slug, "is on the", fs.Arg(1), "plan")
	case "tenants limit", "plans limit":
		if fs.NArg() != 3 {
			return usageError{cmd + " limit needs the " + strings.TrimSuffix(cmd, "s") + ", a limit (" + limitNames() + ") and a value (a number, unlimited or default)"}
		}
		name := plan.Limit(fs.Arg(1))
		value, err := parseLimitValue(fs.Arg(2))
		if err != nil {
			return usageError{err.Error()}
		}
		if cmd == "plans" {
			if err := svc.tenants.SetPlanLimit(ctx, tenantpkg.Plan(fs.Arg(0)), name, value); err != nil {
				return describe(err)
			}
			fmt.Fprintln(std.stderr, "plan", fs.Arg(0), name, "is", describeLimit(value, plan.Builtin(fs.Arg(0))[name]))
			break
		}
		t, err := svc.store.TenantGetBySlug(ctx, fs.Arg(0))
		if err != nil {
			return fmt.Errorf("tenant %s: %w", fs.Arg(0), err)
		}
		if err := svc.tenants.SetLimit(ctx, t.ID, name, value); err != nil {
			return describe(err)
		}
		fmt.Fprintln(std.stderr, t.Slug, name, "is", describeLimit(value, -2))
	case "apikeys create":
		if *tenant == "" || *role == "" {
			return usageError{"--tenant and --role are required"}
		}
		if *name == "" {
			*name = "cli"
		}
		var exp *time.Time
		if *expires != "" {
			d, err := parseLifetime(*expires)
			if err != nil {
				return usageError{"--expires: " + err.Error()}
			}
			e := time.Now().Add(d)
			exp = &e
		}
		t, err := svc.store.TenantGetBySlug(ctx, *tenant)
		if err != nil {
			return fmt.Errorf("tenant %s: %w", *tenant, err)
		}
		_, key, err := as.CreateAPIKey(ctx, access.Operator(t.ID), *name, access.Role(*role), exp, access.Meta{UserAgent: "ordo cli"})
		if err != nil {
			return describe(err)
		}
		// Only the key on stdout, so that scripts can capture it.
		fmt.Fprintln(std.stdout, key)
	case "apikeys revoke":
		if fs.NArg() != 1 {
			return usageError{"apikeys revoke needs the key's prefix"}
		}
		prefix := strings.TrimPrefix(fs.Arg(0), "ordo_")
		prefix, _, _ = strings.Cut(prefix, "_")
		k, err := svc.store.APIKeyGetByPrefix(ctx, prefix)
		if err != nil {
			return fmt.Errorf("API key %s: %w", prefix, err)
		}
		if err := as.RevokeAPIKey(ctx, access.Operator(k.TenantID), k.ID, access.Meta{UserAgent: "ordo cli"}); err != nil {
			return err
		}
		fmt.Fprintln(std.stderr, "revoked", prefix)
	case "jobs failed":
		var tid *uuid.UUID
		if *tenant != "" {
			t, err := svc.store.TenantGetBySlug(ctx, *tenant)
			if err != nil {
				return fmt.Errorf("tenant %s: %w", *tenant, err)
			}
			tid = &t.ID
		}
		js, _, err := svc.store.JobListFailed(ctx, tid, 500, "")
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(std.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tSTATE\tATTEMPT\tTENANT\tLAST ERROR")
		for _, j := range js {
			msg := ""
			if n := len(j.Errors); n > 0 {
				msg = strings.Join(strings.Fields(j.Errors[n-1].Error), " ")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d/%d\t%s\t%s\n", j.ID, j.Kind, j.State, j.Attempt, j.MaxAttempts, j.Tenant(), msg)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		// Webhook deliveries retry on their own schedule, outside the
		// job queue: they are kept per tenant.
		if tid == nil {
			fmt.Fprintln(std.stderr, "webhook deliveries retry outside the job queue: add --tenant SLUG to list a tenant's failing ones")
			return nil
		}
		return printFailingDeliveries(ctx, svc.store, *tid, std.stdout)
	case "jobs retry":
		if fs.NArg() != 1 {
			return usageError{"jobs retry needs the job's id"}
		}
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil {
			return usageError{"jobs retry: the id is a number"}
		}
		if _, err := svc.store.JobRetry(ctx, nil, id); err != nil {
			return describe(err)
		}
		fmt.Fprintln(std.stderr, "retrying job", id)
	}
	return nil
}

// readPassword prompts without echo on a terminal, else reads one line.
func readPassword(std adminIO) (string, error) {
	if f, ok := std.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(std.stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(std.stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(std.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// describe turns a validation error into "field: detail" lines.
func describe(err error) error {
	e, ok := apperr.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, f.Field+" "+f.Detail)
	}
	return errors.New(strings.Join(parts, "; "))
}

// parseLifetime reads "30d" as well as Go durations such as "12h".
func parseLifetime(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 1 {
			return 0, fmt.Errorf("want a number of days such as 30d, got %q", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a lifetime such as 30d or 12h, got %q", s)
	}
	return d, nil
}

// printFailingDeliveries lists the tenant's webhook deliveries that are
// retrying or gave up, as the failed-jobs page does.
func printFailingDeliveries(ctx context.Context, st store.Store, tenantID uuid.UUID, w io.Writer) error {
	ds, err := st.WebhookDeliveryListFailing(ctx, tenantID, 500)
	if err != nil || len(ds) == 0 {
		return err
	}
	eps, err := st.WebhookEndpointList(ctx, tenantID, false)
	if err != nil {
		return err
	}
	urls := make(map[uuid.UUID]string, len(eps))
	for _, e := range eps {
		urls[e.ID] = e.URL
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WEBHOOK DELIVERY\tEVENT\tSTATE\tATTEMPTS\tENDPOINT\tNEXT ATTEMPT\tLAST ERROR")
	for _, d := range ds {
		state, next := "retrying", "-"
		if d.Status == webhook.DeliveryFailed {
			state = "failed"
		}
		if d.NextAttemptAt != nil {
			next = d.NextAttemptAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", d.ID, d.EventType, state, d.Attempts, urls[d.EndpointID], next,
			strings.Join(strings.Fields(d.LastError), " "))
	}
	return tw.Flush()
}

// limitNames lists the limits, for usage messages.
func limitNames() string {
	names := make([]string, len(plan.Names))
	for i, n := range plan.Names {
		names[i] = string(n)
	}
	return strings.Join(names, ", ")
}

// parseLimitValue reads a limit's value on the command line: a number of
// at least 0, "unlimited" (or -1), or "default", which removes the
// override (nil).
func parseLimitValue(s string) (*int64, error) {
	switch s {
	case "default":
		return nil, nil
	case "unlimited":
		v := plan.Unlimited
		return &v, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < plan.Unlimited {
		return nil, fmt.Errorf("limit value %q: want a number of at least 0, unlimited or default", s)
	}
	return &v, nil
}

// describeLimit words a limit just set: its value, or for a removed
// override what applies instead (builtin, or -2 when that depends on the
// tenant's plan).
func describeLimit(v *int64, builtin int64) string {
	switch {
	case v != nil:
		return plan.String(*v)
	case builtin == -2:
		return "the plan's again"
	}
	return "built-in again (" + plan.String(builtin) + ")"
}
