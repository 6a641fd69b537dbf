package app

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/config"
	"github.com/ordo/ordo/internal/plan"
)

// auditCommand runs `ordo audit verify|checkpoint|prune|pubkey`.
func auditCommand(ctx context.Context, args []string, cfg config.Config, log *slog.Logger, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"audit needs a subcommand: verify, checkpoint, prune or pubkey"}
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("ordo audit "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var slug, file, pubArg *string
	switch sub {
	case "verify":
		slug = fs.String("tenant", "", "the tenant's slug (this or --file)")
		file = fs.String("file", "", "verify an export (GET /api/v1/audit-log/export) offline instead of a tenant in the database")
		pubArg = fs.String("pubkey", "", "verify the checkpoints with this public key (base64) instead of the configured key's")
	case "checkpoint", "prune", "pubkey":
	default:
		return usageError{fmt.Sprintf("unknown command %q", "audit "+sub)}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("audit %s takes no arguments, got %q", sub, strings.Join(fs.Args(), " "))}
	}
	if sub == "verify" && (*slug == "") == (*file == "") {
		return usageError{"give one of --tenant or --file"}
	}
	var pub ed25519.PublicKey
	if sub == "verify" && *pubArg != "" {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(*pubArg))
		if err != nil || len(b) != ed25519.PublicKeySize {
			return usageError{"--pubkey must be the base64 of a 32-byte Ed25519 public key (ordo audit pubkey prints one)"}
		}
		pub = b
	}
	if sub == "verify" && *file != "" {
		return verifyExportFile(*file, pub, stdout)
	}
	if cfg.Mode() == config.ModeEmbedded {
		// The key may be derived from the secret kept in the data
		// directory.
		if err := config.EnsureSecret(&cfg); err != nil {
			return err
		}
	}
	key, err := audit.SigningKey(cfg.AuditSigningKey, cfg.Secret)
	if err != nil {
		return err
	}
	if pub == nil {
		pub = key.Public().(ed25519.PublicKey)
	}
	if sub == "pubkey" {
		fmt.Fprintln(stdout, base64.StdEncoding.EncodeToString(pub))
		return nil
	}

	svc, err := openServices(ctx, cfg, log, openOpts{migrate: cfg.Mode() == config.ModeEmbedded, storeOnly: true})
	if err != nil {
		return err
	}
	defer svc.close()
	if sub == "checkpoint" {
		n, err := audit.WriteCheckpoints(ctx, svc.store, key, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d checkpoints signed\n", n)
		return nil
	}
	if sub == "prune" {
		return pruneNow(ctx, svc, cfg, key, stdout, stderr)
	}

	t, err := svc.store.TenantGetBySlug(ctx, *slug)
	if err != nil {
		return fmt.Errorf("tenant %s: %w", *slug, err)
	}
	entries, head, err := svc.store.AuditChain(ctx, t.ID)
	if err != nil {
		return err
	}
	cps, err := svc.store.AuditCheckpoints(ctx, t.ID)
	if err != nil {
		return err
	}
	return printVerify(stdout, t.Slug, audit.Verify(entries, head, cps, pub))
}

// verifyExportFile verifies an export offline: with pub, or with the
// public key the export names when pub is nil (which proves only that the
// file is consistent: whoever wrote it may have signed it too).
func verifyExportFile(path string, pub ed25519.PublicKey, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	x, err := audit.ReadExport(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if pub == nil {
		pub = x.PublicKey
		fmt.Fprintln(stdout, "note: checking the checkpoints with the public key the export names; pass --pubkey with a key you kept to trust them")
	}
	return printVerify(stdout, x.Header.TenantSlug, audit.Verify(x.Entries, x.Head, x.Checkpoints, pub))
}

// printVerify prints what Verify found and returns its problem.
func printVerify(stdout io.Writer, slug string, r audit.Report) error {
	fmt.Fprintf(stdout, "tenant %s: %d entries chained (head %d), %d checkpoints", slug, r.Chained, r.Head, r.Checkpoints)
	if r.Unchained > 0 {
		fmt.Fprintf(stdout, ", %d entries from before the chain (not covered)", r.Unchained)
	}
	if r.Start > 1 {
		fmt.Fprintf(stdout, ", starting at seq %d after a signed retention cut", r.Start)
	}
	fmt.Fprintln(stdout)
	if r.Problem != nil {
		return fmt.Errorf("tenant %s: %w", slug, r.Problem)
	}
	fmt.Fprintln(stdout, "ok: the audit log is intact")
	return nil
}

// retentionDays reads a tenant's audit_retention_days from its plan
// limits (cached by c for a few seconds).
func retentionDays(c *plan.Checker) audit.RetentionDays {
	return func(ctx context.Context, tenantID uuid.UUID) (int64, error) {
		l, err := c.Limits(ctx, tenantID)
		return l.Values[plan.AuditRetentionDays], err
	}
}

// pruneNow runs the nightly retention prune at once: `ordo audit prune`.
func pruneNow(ctx context.Context, svc *services, cfg config.Config, key ed25519.PrivateKey, stdout, stderr io.Writer) error {
	if !cfg.PlanLimits {
		fmt.Fprintln(stdout, "plan limits are off (ORDO_PLAN_LIMITS): every audit log is kept whole")
		return nil
	}
	n, err := audit.PruneAll(ctx, svc.store, key, retentionDays(plan.NewChecker(svc.store, true)), time.Now(), func(id uuid.UUID, err error) {
		fmt.Fprintf(stderr, "tenant %s not pruned: %v\n", id, err)
	})
	fmt.Fprintf(stdout, "%d audit log entries pruned\n", n)
	return err
}
