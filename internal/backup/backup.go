// Package backup makes and restores consistent snapshots of Ordo's
// database, kept in object storage beside the files they refer to.
//
// A backup is a few objects under backups/<id>/ in the configured blob
// store: the database (database.dump, from pg_dump --format=custom, or
// ordo.db, a SQLite VACUUM INTO copy) and manifest.json, written last. A
// prefix without a manifest is an unfinished (or failed) backup: List
// ignores it and retention removes it after a day. The manifest records
// the schema versions, the size and SHA-256 of the database object, the
// row count of every table and the attachment manifest (every attachment
// row's object key, size and status), all read from the same snapshot as
// the dump.
//
// Attachments themselves are not copied: they already live in the same
// object storage, which needs its own replication or versioning. Restore
// checks that every uploaded attachment of the manifest is still there.
package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/blob"
)

// Prefix is where backups live in the blob store.
const Prefix = "backups/"

// IDFormat is the layout of backup ids: UTC, sortable as strings.
const IDFormat = "20060102T150405Z"

// Retention: after each backup, the newest backup of each of the KeepDaily
// most recent days that have one is kept, and the newest of each of the
// KeepWeekly most recent ISO weeks that have one; the rest are deleted.
const (
	KeepDaily  = 7
	KeepWeekly = 4
	// incompleteAfter is how old an unfinished backup must be before
	// retention removes it: younger ones may still be being written.
	incompleteAfter = 24 * time.Hour
)

const manifestName = "manifest.json"

// ErrNotEmpty refuses a restore into a database that holds data.
var ErrNotEmpty = errors.New("the target database is not empty")

// Manifest describes one complete backup.
type Manifest struct {
	Format      int       `json:"format"` // 1
	ID          string    `json:"id"`
	CreatedAt   time.Time `json:"created_at"`
	Engine      string    `json:"engine"` // "postgres" or "sqlite"
	OrdoVersion string    `json:"ordo_version,omitempty"`
	// Schema holds the migration versions applied: "ordo" and "river".
	Schema   map[string]int64 `json:"schema"`
	Database Object           `json:"database"`
	// Rows counts every table's rows in the snapshot.
	Rows        map[string]int64 `json:"rows"`
	Attachments Attachments      `json:"attachments"`
}

// Object is one stored object of a backup.
type Object struct {
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Attachments is the attachment manifest: every attachments row of the
// snapshot, whatever its status.
type Attachments struct {
	Count   int64        `json:"count"`
	Bytes   int64        `json:"bytes"` // of those uploaded
	Objects []Attachment `json:"objects"`
}

// Attachment is one attachment row's object.
type Attachment struct {
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	Status string `json:"status"`
}

// snapshot is what an engine reads from the snapshot it dumps.
type snapshot struct {
	schema      map[string]int64
	rows        map[string]int64
	attachments []Attachment
}

// engine is one database engine's way to dump and restore.
type engine interface {
	name() string
	// dump writes a consistent snapshot through put and describes it.
	dump(ctx context.Context, put func(r io.Reader, contentType string) error) (snapshot, error)
	// restore loads the database object into the target, which it first
	// checks is empty (ErrNotEmpty otherwise); check verifies a download
	// of it against the manifest.
	restore(ctx context.Context, m Manifest, open func(ctx context.Context) (io.ReadCloser, error), check func(size int64, sum string) error) error
	// rowCounts counts every table's rows in the target.
	rowCounts(ctx context.Context) (map[string]int64, error)
	// dumpName is the database object's name in a backup.
	dumpName() string
}

// Options configure a Service. Set DatabaseURL for PostgreSQL or
// SQLitePath for the embedded database.
type Options struct {
	Blobs       blob.Store
	Log         *slog.Logger
	DatabaseURL string
	SQLitePath  string
	// Version is Ordo's version, recorded in manifests.
	Version string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Service makes, lists, prunes and restores backups.
type Service struct {
	blobs   blob.Store
	log     *slog.Logger
	engine  engine
	version string
	now     func() time.Time
}

// New returns a service for the database that o names.
func New(o Options) (*Service, error) {
	s := &Service{blobs: o.Blobs, log: o.Log, version: o.Version, now: o.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.DatabaseURL != "" && o.SQLitePath != "":
		return nil, errors.New("backup: both a PostgreSQL URL and a SQLite path")
	case o.DatabaseURL != "":
		s.engine = &postgres{url: o.DatabaseURL}
	case o.SQLitePath != "":
		s.engine = &sqliteDB{path: o.SQLitePath}
	default:
		return nil, errors.New("backup: no database")
	}
	if o.Blobs == nil {
		return nil, errors.New("backup: no blob store")
	}
	return s, nil
}

// Result is what Backup did.
type Result struct {
	Manifest Manifest
	// Deleted are the backups that retention removed.
	Deleted []string
}

// Backup writes a new backup, then applies retention.
func (s *Service) Backup(ctx context.Context) (Result, error) {
	created := s.now().UTC().Truncate(time.Second)
	id := created.Format(IDFormat)
	dir := Prefix + id + "/"
	existing, err := s.blobs.List(ctx, dir)
	if err != nil {
		return Result{}, err
	}
	if len(existing) > 0 {
		return Result{}, fmt.Errorf("a backup %s already exists; try again in a second", id)
	}
	m := Manifest{Format: 1, ID: id, CreatedAt: created, Engine: s.engine.name(), OrdoVersion: s.version}
	m.Database.Key = dir + s.engine.dumpName()
	h := sha256.New()
	var size int64
	snap, err := s.engine.dump(ctx, func(r io.Reader, contentType string) error {
		info, err := s.blobs.Put(ctx, m.Database.Key, io.TeeReader(r, h), contentType)
		size = info.Size
		return err
	})
	if err != nil {
		// Leave no half-written dump behind; without a manifest it would
		// be ignored anyway.
		_ = s.blobs.Delete(context.WithoutCancel(ctx), m.Database.Key)
		return Result{}, fmt.Errorf("backup %s: %w", id, err)
	}
	m.Database.Size, m.Database.SHA256 = size, hex.EncodeToString(h.Sum(nil))
	m.Schema, m.Rows = snap.schema, snap.rows
	m.Attachments.Objects = snap.attachments
	if m.Attachments.Objects == nil {
		m.Attachments.Objects = []Attachment{}
	}
	for _, a := range snap.attachments {
		m.Attachments.Count++
		if a.Status == "uploaded" {
			m.Attachments.Bytes += a.Size
		}
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Result{}, err
	}
	// Last: the manifest makes the backup complete.
	if _, err := s.blobs.Put(ctx, dir+manifestName, bytes.NewReader(body), "application/json"); err != nil {
		return Result{}, fmt.Errorf("backup %s: write manifest: %w", id, err)
	}
	s.log.InfoContext(ctx, "backup written", "id", id, "engine", m.Engine, "bytes", size, "attachments", m.Attachments.Count)
	deleted, err := s.Prune(ctx)
	if err != nil {
		return Result{Manifest: m, Deleted: deleted}, fmt.Errorf("backup %s written, but retention failed: %w", id, err)
	}
	return Result{Manifest: m, Deleted: deleted}, nil
}

// backupDir is one backup id's objects.
type backupDir struct {
	id       string
	objects  []blob.Info
	complete bool // has a manifest
}

func (s *Service) dirs(ctx context.Context) ([]*backupDir, error) {
	infos, err := s.blobs.List(ctx, Prefix)
	if err != nil {
		return nil, err
	}
	byID := map[string]*backupDir{}
	var out []*backupDir
	for _, in := range infos {
		id, name, ok := strings.Cut(strings.TrimPrefix(in.Key, Prefix), "/")
		if !ok {
			continue // not ours
		}
		d := byID[id]
		if d == nil {
			d = &backupDir{id: id}
			byID[id] = d
			out = append(out, d)
		}
		d.objects = append(d.objects, in)
		if name == manifestName {
			d.complete = true
		}
	}
	slices.SortFunc(out, func(a, b *backupDir) int { return strings.Compare(b.id, a.id) })
	return out, nil
}

// List returns the complete backups, newest first.
func (s *Service) List(ctx context.Context) ([]Manifest, error) {
	dirs, err := s.dirs(ctx)
	if err != nil {
		return nil, err
	}
	var out []Manifest
	for _, d := range dirs {
		if !d.complete {
			continue
		}
		m, err := s.Manifest(ctx, d.id)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Manifest reads one complete backup's manifest.
func (s *Service) Manifest(ctx context.Context, id string) (Manifest, error) {
	if _, err := time.Parse(IDFormat, id); err != nil {
		return Manifest{}, fmt.Errorf("%q is not a backup id (such as 20261126T164500Z; see ordo backup list)", id)
	}
	rc, _, err := s.blobs.Open(ctx, Prefix+id+"/"+manifestName)
	if errors.Is(err, apperr.ErrNotFound) {
		return Manifest{}, fmt.Errorf("no complete backup %s (see ordo backup list)", id)
	}
	if err != nil {
		return Manifest{}, err
	}
	defer rc.Close()
	var m Manifest
	if err := json.NewDecoder(rc).Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("backup %s: read manifest: %w", id, err)
	}
	if m.Format != 1 || m.ID != id {
		return Manifest{}, fmt.Errorf("backup %s: manifest of format %d for %q, not understood", id, m.Format, m.ID)
	}
	return m, nil
}

// Prune applies retention: complete backups outside Retain are deleted,
// and so are unfinished ones older than a day. It returns the ids deleted.
func (s *Service) Prune(ctx context.Context) ([]string, error) {
	dirs, err := s.dirs(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, d := range dirs {
		if d.complete {
			ids = append(ids, d.id)
		}
	}
	keep := Retain(ids, KeepDaily, KeepWeekly)
	var deleted []string
	for _, d := range dirs {
		switch {
		case d.complete && keep[d.id]:
			continue
		case !d.complete:
			// Unfinished: removed once its start (its id) is a day old.
			started, err := time.Parse(IDFormat, d.id)
			if err != nil || s.now().Sub(started) < incompleteAfter {
				continue
			}
		}
		// The manifest first: a backup half deleted is then unfinished,
		// never a complete one with its dump missing.
		slices.SortStableFunc(d.objects, func(a, b blob.Info) int {
			return boolInt(!strings.HasSuffix(a.Key, "/"+manifestName)) - boolInt(!strings.HasSuffix(b.Key, "/"+manifestName))
		})
		for _, o := range d.objects {
			if err := s.blobs.Delete(ctx, o.Key); err != nil {
				return deleted, err
			}
		}
		deleted = append(deleted, d.id)
		s.log.InfoContext(ctx, "backup deleted by retention", "id", d.id, "complete", d.complete)
	}
	return deleted, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Retain picks the backups to keep among ids: the newest of each of the
// daily most recent UTC days that have a backup, and the newest of each
// of the weekly most recent ISO weeks that have one. An id that does not
// parse is kept: retention never deletes what it does not understand.
func Retain(ids []string, daily, weekly int) map[string]bool {
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	slices.Reverse(sorted)
	keep := map[string]bool{}
	days, weeks := map[string]bool{}, map[string]bool{}
	for _, id := range sorted {
		t, err := time.Parse(IDFormat, id)
		if err != nil {
			keep[id] = true
			continue
		}
		day := t.Format("2006-01-02")
		if !days[day] && len(days) < daily {
			days[day] = true
			keep[id] = true
		}
		y, w := t.ISOWeek()
		week := fmt.Sprintf("%d-W%02d", y, w)
		if !weeks[week] && len(weeks) < weekly {
			weeks[week] = true
			keep[id] = true
		}
	}
	return keep
}

// RestoreResult is what Restore found.
type RestoreResult struct {
	Manifest Manifest
	// Checked counts the uploaded attachments looked for in object
	// storage; Missing lists those absent or of another size.
	Checked int
	Missing []Attachment
}

// Restore loads backup id into the configured database, which must be
// empty (ErrNotEmpty), verifies the dump's SHA-256 and every table's row
// count, and checks that every uploaded attachment of the manifest is in
// object storage. Missing attachments are reported in the result, not as
// an error: the database is restored either way.
func (s *Service) Restore(ctx context.Context, id string) (RestoreResult, error) {
	m, err := s.Manifest(ctx, id)
	if err != nil {
		return RestoreResult{}, err
	}
	if m.Engine != s.engine.name() {
		return RestoreResult{}, fmt.Errorf("backup %s is of a %s database; this Ordo runs on %s", id, m.Engine, s.engine.name())
	}
	open := func(ctx context.Context) (io.ReadCloser, error) {
		rc, _, err := s.blobs.Open(ctx, m.Database.Key)
		if err != nil {
			return nil, fmt.Errorf("backup %s: %w", id, err)
		}
		return rc, nil
	}
	check := func(size int64, sum string) error {
		if size != m.Database.Size || sum != m.Database.SHA256 {
			return fmt.Errorf("backup %s: %s is damaged: %d bytes with SHA-256 %s, the manifest says %d bytes with %s",
				id, m.Database.Key, size, sum, m.Database.Size, m.Database.SHA256)
		}
		return nil
	}
	if err := s.engine.restore(ctx, m, open, check); err != nil {
		return RestoreResult{}, err
	}
	rows, err := s.engine.rowCounts(ctx)
	if err != nil {
		return RestoreResult{}, fmt.Errorf("count restored rows: %w", err)
	}
	var diffs []string
	for table, want := range m.Rows {
		if got, ok := rows[table]; !ok || got != want {
			diffs = append(diffs, fmt.Sprintf("%s: %d rows, the backup had %d", table, got, want))
		}
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		return RestoreResult{}, fmt.Errorf("restored database differs from backup %s: %s", id, strings.Join(diffs, "; "))
	}
	res := RestoreResult{Manifest: m}
	for _, a := range m.Attachments.Objects {
		if a.Status != "uploaded" {
			continue // pending or failed uploads need not exist
		}
		res.Checked++
		info, err := s.blobs.Stat(ctx, a.Key)
		switch {
		case errors.Is(err, apperr.ErrNotFound):
			res.Missing = append(res.Missing, a)
		case err != nil:
			return res, fmt.Errorf("check attachment %s: %w", a.Key, err)
		case info.Size != a.Size:
			res.Missing = append(res.Missing, a)
		}
	}
	s.log.InfoContext(ctx, "backup restored", "id", id, "attachments_checked", res.Checked, "attachments_missing", len(res.Missing))
	return res, nil
}

// hashCopy copies r to w and returns the size and SHA-256 of what passed.
func hashCopy(w io.Writer, r io.Reader) (int64, string, error) {
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), r)
	return n, hexSum(h), err
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// lookTool finds a PostgreSQL client program.
func lookTool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not found in PATH: install the PostgreSQL client tools, of the server's major version or newer (Debian and Ubuntu: apt-get install postgresql-client)", name)
	}
	return p, nil
}

// tailBuffer keeps the last few KiB written to it: a child's stderr.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return strings.TrimSpace(string(t.b)) }

// querier reads a snapshot, whichever the engine.
type querier interface {
	each(ctx context.Context, sql string, fn func(scan func(dest ...any) error) error) error
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// describe reads schema versions, row counts and the attachment manifest
// from a snapshot; tablesSQL lists its tables.
func describe(ctx context.Context, q querier, tablesSQL string) (snapshot, error) {
	var tables []string
	err := q.each(ctx, tablesSQL, func(scan func(...any) error) error {
		var t string
		err := scan(&t)
		tables = append(tables, t)
		return err
	})
	if err != nil {
		return snapshot{}, fmt.Errorf("list tables: %w", err)
	}
	snap := snapshot{schema: map[string]int64{}}
	snap.rows, err = countRows(ctx, q, tables)
	if err != nil {
		return snap, err
	}
	one := func(sql string, dst *int64) error {
		return q.each(ctx, sql, func(scan func(...any) error) error { return scan(dst) })
	}
	for _, v := range []struct{ component, table, sql string }{
		{"ordo", "ordo_schema_migrations", `SELECT COALESCE(max(version_id), 0) FROM ordo_schema_migrations`},
		{"river", "river_migration", `SELECT COALESCE(max(version), 0) FROM river_migration`},
	} {
		var n int64
		if slices.Contains(tables, v.table) {
			if err := one(v.sql, &n); err != nil {
				return snap, fmt.Errorf("%s schema version: %w", v.component, err)
			}
		}
		snap.schema[v.component] = n
	}
	if slices.Contains(tables, "attachments") {
		err = q.each(ctx, `SELECT object_key, size, status FROM attachments ORDER BY object_key`, func(scan func(...any) error) error {
			var a Attachment
			err := scan(&a.Key, &a.Size, &a.Status)
			snap.attachments = append(snap.attachments, a)
			return err
		})
		if err != nil {
			return snap, fmt.Errorf("attachment manifest: %w", err)
		}
	}
	return snap, nil
}

func countRows(ctx context.Context, q querier, tables []string) (map[string]int64, error) {
	rows := map[string]int64{}
	for _, t := range tables {
		var n int64
		err := q.each(ctx, `SELECT count(*) FROM `+quoteIdent(t), func(scan func(...any) error) error { return scan(&n) })
		if err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		rows[t] = n
	}
	return rows, nil
}
