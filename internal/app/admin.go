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
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"golang.org/x/term"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/archive"
	"github.com/ordo/ordo/internal/config"
	"github.com/ordo/ordo/internal/operator"
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
		now     = new(bool)
	)
	switch cmd + " " + sub {
	case "users create":
		email = fs.String("email", "", "e-mail address (required); the password is read from stdin or prompted")
	case "tenants create":
		owner = fs.String("owner", "", "e-mail of the owning user (required)")
	case "tenants suspend", "tenants resume", "tenants list", "tenants restore", "tenants export", "tenants import",
		"tenants set-plan", "tenants limit", "plans limit", "operators add", "operators remove", "operators list",
		"users disable", "users enable", "users logout", "users reset-password":
	case "tenants delete":
		now = fs.Bool("now", false, "purge at once instead of after the grace period (ORDO_TENANT_DELETION_GRACE)")
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
	// Flags may come after the arguments too (`tenants delete SLUG
	// --now`): the flag package stops at the first argument, so parse
	// again after each.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
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
	cli := access.Meta{UserAgent: "ordo cli"}
	ops := operator.NewService(store.Narrow[operator.Tx]{Store: svc.store})

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
		if len(pos) != 1 {
			return usageError{cmd + " " + sub + " needs the tenant's slug"}
		}
		t, err := svc.store.TenantGetBySlug(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("tenant %s: %w", pos[0], err)
		}
		status := tenantpkg.StatusSuspended
		if sub == "resume" {
			status = tenantpkg.StatusActive
		}
		if err := svc.tenants.SetTenantStatus(ctx, access.Operator(t.ID), status, cli); err != nil {
			return describe(err)
		}
		fmt.Fprintln(std.stderr, t.Slug, "is", status)
	case "tenants delete", "tenants restore":
		if len(pos) != 1 {
			return usageError{cmd + " " + sub + " needs the tenant's slug"}
		}
		t, err := svc.store.TenantGetBySlug(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("tenant %s: %w", pos[0], err)
		}
		if sub == "restore" {
			if _, err := svc.tenants.CancelDeletion(ctx, access.Operator(t.ID), cli); err != nil {
				return describe(err)
			}
			fmt.Fprintln(std.stderr, t.Slug, "is restored: its deletion is cancelled")
			return nil
		}
		if t.Status != tenantpkg.StatusDeleted {
			grace := cfg.TenantDeletionGrace
			if *now {
				grace = 0
			}
			if t, err = svc.tenants.DeleteTenantAsOperator(ctx, access.Operator(t.ID), grace, cli); err != nil {
				return describe(err)
			}
		}
		if !*now {
			fmt.Fprintf(std.stderr, "%s is deleted: it is purged after %s; until then `ordo tenants restore %s` gives it back\n",
				t.Slug, t.PurgeAfter.UTC().Format(time.RFC3339), t.Slug)
			return nil
		}
		if err := svc.openBlobs(ctx); err != nil {
			return err
		}
		if err := svc.tenantPurger().Purge(ctx, t); err != nil {
			return err
		}
		fmt.Fprintln(std.stderr, t.Slug, "is purged: its rows and files are gone")
	case "tenants set-plan":
		if len(pos) != 2 {
			return usageError{"tenants set-plan needs the tenant's slug and a plan (free, pro, enterprise)"}
		}
		t, err := svc.store.TenantGetBySlug(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("tenant %s: %w", pos[0], err)
		}
		if err := svc.tenants.SetPlan(ctx, access.Operator(t.ID), tenantpkg.Plan(pos[1]), cli); err != nil {
			return describe(err)
		}
		fmt.Fprintln(std.stderr, t.Slug, "is on the", pos[1], "plan")
	case "tenants limit", "plans limit":
		if len(pos) != 3 {
			return usageError{cmd + " limit needs a " + strings.TrimSuffix(cmd, "s") + ", a limit (" + limitNames() + ") and a value (a number, unlimited, or default)"}
		}
		name := plan.Name(pos[1])
		if !name.Valid() {
			return usageError{"the limit must be one of " + limitNames()}
		}
		var value *int64
		if pos[2] == "unlimited" {
			value = new(plan.Unlimited)
		} else if pos[2] != "default" {
			v, err := strconv.ParseInt(pos[2], 10, 64)
			if err != nil || v < 0 {
				return usageError{"the value must be a number, unlimited, or default"}
			}
			value = &v
		}
		if cmd == "plans" {
			if !slices.Contains(plan.Plans, pos[0]) {
				return usageError{"the plan must be free, pro or enterprise"}
			}
			if err := ops.SetPlanLimit(ctx, access.Operator(uuid.Nil), pos[0], name, value, cli); err != nil {
				return describe(err)
			}
			fmt.Fprintf(std.stderr, "the %s plan's %s is %s (servers see it within seconds)\n", pos[0], name, pos[2])
			return nil
		}
		t, err := svc.store.TenantGetBySlug(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("tenant %s: %w", pos[0], err)
		}
		if err := svc.tenants.SetLimit(ctx, access.Operator(t.ID), name, value, cli); err != nil {
			return describe(err)
		}
		fmt.Fprintf(std.stderr, "%s's %s is %s (servers see it within seconds)\n", t.Slug, name, pos[2])
	case "operators add", "operators remove":
		if len(pos) != 1 {
			return usageError{cmd + " " + sub + " needs the user's e-mail"}
		}
		f := ops.Add
		if sub == "remove" {
			f = ops.Remove
		}
		if _, err := f(ctx, access.Operator(uuid.Nil), pos[0], cli); err != nil {
			return describe(err)
		}
		if sub == "add" {
			fmt.Fprintln(std.stderr, pos[0], "is an operator: the console is at /admin")
		} else {
			fmt.Fprintln(std.stderr, pos[0], "is no longer an operator")
		}
	case "operators list":
		list, err := ops.List(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(std.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tNAME\tSINCE")
		for _, o := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", o.User.Email, o.User.Name, o.Since.UTC().Format(time.DateOnly))
		}
		return tw.Flush()
	case "users disable", "users enable", "users logout", "users reset-password":
		if len(pos) != 1 {
			return usageError{cmd + " " + sub + " needs the user's e-mail"}
		}
		u, err := svc.store.UserGetByEmail(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("user %s: %w", pos[0], err)
		}
		op := access.Operator(uuid.Nil)
		switch sub {
		case "disable", "enable":
			err = svc.accounts.OperatorSetDisabled(ctx, op, u.ID, sub == "disable", cli)
		case "logout":
			err = svc.accounts.OperatorEndSessions(ctx, op, u.ID, cli)
		default:
			err = svc.accounts.OperatorForcePasswordReset(ctx, op, u.ID, cli)
		}
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(std.stderr, "%s: done (%s); their sessions have ended\n", u.Email, sub)
	case "tenants export":
		if len(pos) != 2 {
			return usageError{"tenants export needs the tenant's slug and the file to write"}
		}
		t, err := svc.store.TenantGetBySlug(ctx, pos[0])
		if err != nil {
			return fmt.Errorf("tenant %s: %w", pos[0], err)
		}
		if err := svc.openBlobs(ctx); err != nil {
			return err
		}
		m, err := exportArchive(ctx, svc, t.ID, pos[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(std.stderr, "%s exported to %s: %d rows, %d objects\n", t.Slug, pos[1], m.RowCount(), len(m.Objects))
	case "tenants import":
		if len(pos) != 1 {
			return usageError{"tenants import needs the archive file"}
		}
		if err := svc.openBlobs(ctx); err != nil {
			return err
		}
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		m, err := archive.Import(ctx, svc.store, svc.blobs, f, fi.Size(), nil)
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(std.stderr, "%s imported: %d rows, %d objects\n", m.Slug, m.RowCount(), len(m.Objects))
		fmt.Fprintln(std.stdout, m.Slug)
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
		if len(pos) != 1 {
			return usageError{"apikeys revoke needs the key's prefix"}
		}
		prefix := strings.TrimPrefix(pos[0], "ordo_")
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
		if len(pos) != 1 {
			return usageError{"jobs retry needs the job's id"}
		}
		id, err := strconv.ParseInt(pos[0], 10, 64)
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

// exportArchive writes the tenant's archive to path, through a temporary
// file beside it, so that a failed export leaves no half-written file.
func exportArchive(ctx context.Context, svc *services, tenantID uuid.UUID, path string) (*archive.Manifest, error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".ordo-archive-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	m, err := archive.Export(ctx, svc.store, svc.blobs, tenantID, f, archive.Options{Engine: svc.store.Engine(), Credentials: true})
	if err != nil {
		return nil, describe(err)
	}
	if err := f.Sync(); err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return m, os.Rename(f.Name(), path)
}

// limitNames lists the plans' limits for messages.
func limitNames() string {
	var ns []string
	for _, n := range plan.Names() {
		ns = append(ns, string(n))
	}
	return strings.Join(ns, ", ")
}
