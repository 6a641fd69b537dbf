package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/ordo/ordo/internal/backup"
	"github.com/ordo/ordo/internal/config"
	"github.com/ordo/ordo/internal/jobs"
)

// errBackupNeedsDirectURL refuses backups through a transaction-mode
// pooler: pg_dump and pg_restore set session state outside their
// transaction, which such a pooler would run on another server connection.
var errBackupNeedsDirectURL = errors.New("backups cannot run through a transaction-mode pooler (DATABASE_POOLER=transaction): set DATABASE_DIRECT_URL to a direct connection to the database")

// backupService backs up the database cfg selects into s.blobs, through
// the direct connection when there is one.
func (s *services) backupService() (*backup.Service, error) {
	o := backup.Options{Blobs: s.blobs, Log: s.log, Version: Version()}
	if s.cfg.Mode() == config.ModeProduction {
		if s.cfg.Pooled() && s.cfg.DatabaseDirectURL == "" {
			return nil, errBackupNeedsDirectURL
		}
		o.DatabaseURL = s.cfg.DirectDatabaseURL()
	} else {
		o.SQLitePath = filepath.Join(s.cfg.DataDir, "ordo.db")
	}
	return backup.New(o)
}

// addBackupJob registers the backup job's worker, and schedules it
// nightly when ORDO_BACKUP_NIGHTLY is set.
func (s *services) addBackupJob(cfg *jobs.RunConfig) error {
	b, err := s.backupService()
	if errors.Is(err, errBackupNeedsDirectURL) {
		// Config refuses ORDO_BACKUP_NIGHTLY in this case, so nothing
		// enqueues backup jobs: the worker runs without them.
		s.log.Warn("backup jobs are off", "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	b.RegisterWorkers(cfg.Workers)
	if s.cfg.BackupNightly {
		cfg.AddPeriodic(backup.PeriodicJob())
	}
	return nil
}

// backupCommand runs `ordo backup [list]` and `ordo restore ID`. They open
// only object storage: restore must not create or migrate the database it
// is about to fill.
func backupCommand(ctx context.Context, cmd string, args []string, cfg config.Config, log *slog.Logger, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ordo "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", cfg.DataDir, "data directory (overrides ORDO_DATA_DIR)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	cfg.DataDir = *dataDir
	rest := fs.Args()
	switch {
	case cmd == "backup" && len(rest) == 1 && rest[0] == "list":
	case cmd == "backup" && len(rest) == 0:
	case cmd == "restore" && len(rest) == 1:
	case cmd == "backup":
		return usageError{"backup takes nothing, or list"}
	default:
		return usageError{"restore needs the id of a backup (see ordo backup list)"}
	}

	svc := &services{cfg: cfg, log: log}
	if cfg.Mode() == config.ModeEmbedded {
		// 0700, as EnsureSecret makes it: the database, the secret and
		// the local blobs are the owner's only.
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
		// The local-disk blob store signs URLs with it.
		if err := config.EnsureSecret(&svc.cfg); err != nil {
			return err
		}
	}
	if err := svc.openBlobs(ctx); err != nil {
		return err
	}
	b, err := svc.backupService()
	if err != nil {
		return err
	}

	switch {
	case cmd == "restore":
		return restoreBackup(ctx, b, rest[0], cfg, stdout)
	case len(rest) == 1:
		list, err := b.List(ctx)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintln(stdout, "no backups yet (ordo backup makes one)")
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCREATED\tENGINE\tSIZE\tATTACHMENTS")
		for _, m := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", m.ID, m.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"), m.Engine, humanBytes(m.Database.Size), m.Attachments.Count)
		}
		return tw.Flush()
	}
	res, err := b.Backup(ctx)
	m := res.Manifest
	if m.ID != "" {
		fmt.Fprintf(stdout, "backup %s: %s database, %s, SHA-256 %s\n", m.ID, m.Engine, humanBytes(m.Database.Size), m.Database.SHA256)
		fmt.Fprintf(stdout, "attachment manifest: %d attachments, %s uploaded (the files stay where they are in object storage)\n", m.Attachments.Count, humanBytes(m.Attachments.Bytes))
	}
	for _, id := range res.Deleted {
		fmt.Fprintf(stdout, "deleted by retention: %s\n", id)
	}
	return err
}

func restoreBackup(ctx context.Context, b *backup.Service, id string, cfg config.Config, stdout io.Writer) error {
	res, err := b.Restore(ctx, id)
	if err != nil {
		return err
	}
	m := res.Manifest
	var rows int64
	for _, n := range m.Rows {
		rows += n
	}
	fmt.Fprintf(stdout, "restored backup %s of %s (%s database, schema ordo %d, river %d): %d tables, %d rows, all counts match\n",
		m.ID, m.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"), m.Engine, m.Schema["ordo"], m.Schema["river"], len(m.Rows), rows)
	if cfg.Mode() == config.ModeProduction {
		fmt.Fprintln(stdout, "next: ordo migrate up (applies the migrations of this Ordo that the backup predates), then start serve and worker")
	}
	if len(res.Missing) == 0 {
		fmt.Fprintf(stdout, "attachments: %d uploaded files checked in object storage, all present\n", res.Checked)
		return nil
	}
	for _, a := range res.Missing {
		fmt.Fprintf(stdout, "missing attachment: %s (%d bytes)\n", a.Key, a.Size)
	}
	return fmt.Errorf("database restored, but %d of %d attachment files are missing or of another size in object storage", len(res.Missing), res.Checked)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
