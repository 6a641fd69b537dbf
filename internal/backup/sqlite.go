package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"syscall"

	_ "modernc.org/sqlite" // the "sqlite" driver, as sqlitestore uses
)

// sqliteDB backs up the embedded database: VACUUM INTO a temporary file
// beside it (a consistent snapshot while Ordo runs), then upload.
type sqliteDB struct{ path string }

func (e *sqliteDB) name() string     { return "sqlite" }
func (e *sqliteDB) dumpName() string { return "ordo.db" }

const sqliteTables = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`

func openSQLite(path string) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

type sqlQuerier struct{ db *sql.DB }

func (q sqlQuerier) each(ctx context.Context, query string, fn func(scan func(...any) error) error) error {
	rows, err := q.db.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (e *sqliteDB) dump(ctx context.Context, put func(io.Reader, string) error) (snapshot, error) {
	if _, err := os.Stat(e.path); err != nil {
		return snapshot{}, fmt.Errorf("database %s: %w", e.path, err)
	}
	// Beside the database, not in /tmp: the same disk, and room for it.
	dir, err := os.MkdirTemp(filepath.Dir(e.path), ".backup-")
	if err != nil {
		return snapshot{}, fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "ordo.db")

	live, err := openSQLite(e.path)
	if err != nil {
		return snapshot{}, err
	}
	_, err = live.ExecContext(ctx, `VACUUM INTO ?`, tmp)
	live.Close()
	if err != nil {
		return snapshot{}, fmt.Errorf("VACUUM INTO: %w", err)
	}

	snapDB, err := openSQLite(tmp)
	if err != nil {
		return snapshot{}, err
	}
	// The order search index (orders_fts, migration 00029) refers to
	// orders by rowid, which SQLite documents VACUUM may renumber: the
	// copy's index is made again from the copy's own rows, so a restore
	// never searches with stale rowids.
	if err := rebuildSearch(ctx, snapDB); err != nil {
		snapDB.Close()
		return snapshot{}, err
	}
	snap, err := describe(ctx, sqlQuerier{snapDB}, sqliteTables)
	snapDB.Close()
	if err != nil {
		return snapshot{}, err
	}
	f, err := os.Open(tmp)
	if err != nil {
		return snapshot{}, err
	}
	defer f.Close()
	if err := put(f, "application/vnd.sqlite3"); err != nil {
		return snapshot{}, err
	}
	return snap, nil
}

// rebuildSearch rebuilds the order search index of db, if it has one.
func rebuildSearch(ctx context.Context, db *sql.DB) error {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE name = 'orders_fts'`).Scan(&n); err != nil || n == 0 {
		return err
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO orders_fts (orders_fts) VALUES ('rebuild')`); err != nil {
		return fmt.Errorf("rebuild the order search index of the copy: %w", err)
	}
	return nil
}

// lockNB takes an exclusive lock on path without waiting; the returned
// file holds it until closed.
func lockNB(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// restore refuses while an Ordo process may use the database: a running
// serve or worker holds <db>.worker.lock (see sqlitestore.JobRunner), and
// migrations hold <db>.lock. It then downloads the backup beside the
// database, checks it, and renames it into place.
func (e *sqliteDB) restore(ctx context.Context, m Manifest, open func(context.Context) (io.ReadCloser, error), check func(int64, string) error) error {
	if err := os.MkdirAll(filepath.Dir(e.path), 0o750); err != nil {
		return err
	}
	for _, lock := range []string{e.path + ".worker.lock", e.path + ".lock"} {
		f, err := lockNB(lock)
		if err != nil {
			return fmt.Errorf("an ordo process is using %s (%s is locked): stop serve and worker before restoring", e.path, filepath.Base(lock))
		}
		defer f.Close()
	}
	if err := e.checkEmpty(ctx); err != nil {
		return err
	}

	tmp, err := os.CreateTemp(filepath.Dir(e.path), ".restore-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	rc, err := open(ctx)
	if err != nil {
		tmp.Close()
		return err
	}
	size, sum, err := hashCopy(tmp, rc)
	rc.Close()
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("download %s: %w", m.Database.Key, err)
	}
	if err := check(size, sum); err != nil {
		return err
	}
	// A write-ahead log left by the old file must not be applied to the
	// new one.
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(e.path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(tmp.Name(), e.path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(e.path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// checkEmpty accepts no file, an empty file, or a database without a
// tenants table or with neither tenants nor users.
func (e *sqliteDB) checkEmpty(ctx context.Context) error {
	fi, err := os.Stat(e.path)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && fi.Size() == 0) {
		return nil
	}
	if err != nil {
		return err
	}
	db, err := openSQLite(e.path)
	if err != nil {
		return err
	}
	defer db.Close()
	return checkEmpty(ctx, sqlQuerier{db}, sqliteTables, e.path)
}

// checkEmpty is the shared rule: no tenants table, or no tenants and no
// users in it.
func checkEmpty(ctx context.Context, q querier, tablesSQL, what string) error {
	var hasTenants bool
	err := q.each(ctx, tablesSQL, func(scan func(...any) error) error {
		var t string
		if err := scan(&t); err != nil {
			return err
		}
		hasTenants = hasTenants || t == "tenants"
		return nil
	})
	if err != nil {
		return fmt.Errorf("check that %s is empty: %w", what, err)
	}
	if !hasTenants {
		return nil
	}
	rows, err := countRows(ctx, q, []string{"tenants", "users"})
	if err != nil {
		return err
	}
	if rows["tenants"] > 0 || rows["users"] > 0 {
		return fmt.Errorf("%w: %s holds %d tenants and %d users (restore only into a new, empty database)", ErrNotEmpty, what, rows["tenants"], rows["users"])
	}
	return nil
}

func (e *sqliteDB) rowCounts(ctx context.Context) (map[string]int64, error) {
	db, err := openSQLite(e.path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	q := sqlQuerier{db}
	var tables []string
	err = q.each(ctx, sqliteTables, func(scan func(...any) error) error {
		var t string
		err := scan(&t)
		tables = append(tables, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	return countRows(ctx, q, tables)
}
