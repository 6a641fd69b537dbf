package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"

	"github.com/jackc/pgx/v5"
)

// postgres backs up with pg_dump --format=custom, streamed from its
// stdout into object storage, and restores with pg_restore fed from the
// object on stdin: no temporary file either way.
//
// The dump runs in a snapshot exported by a REPEATABLE READ transaction
// that also reads the manifest (row counts, attachments), so both see
// exactly the same data.
type postgres struct{ url string }

func (e *postgres) name() string     { return "postgres" }
func (e *postgres) dumpName() string { return "database.dump" }

const pgTables = `SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`

type pgQuerier struct {
	db interface {
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	}
}

func (q pgQuerier) each(ctx context.Context, sql string, fn func(scan func(...any) error) error) error {
	rows, err := q.db.Query(ctx, sql)
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

// libpq turns DATABASE_URL into what libpq's tools take: a URL without
// the password, which goes into PGPASSWORD instead (so it shows in no
// process list), and without pgx's own parameters (pool_max_conns and the
// like), which libpq would refuse.
func libpq(raw string) (string, []string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, errors.New("DATABASE_URL is not a postgres:// URL")
	}
	env := os.Environ()
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
			u.User = url.User(u.User.Username())
		}
	}
	q := u.Query()
	if pw := q.Get("password"); pw != "" {
		env = append(env, "PGPASSWORD="+pw)
	}
	for k := range q {
		switch {
		case k == "password", strings.HasPrefix(k, "pool_"), k == "statement_cache_capacity", k == "description_cache_capacity",
			k == "default_query_exec_mode", k == "min_read_buffer_size", k == "servicefile":
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), env, nil
}

func (e *postgres) dump(ctx context.Context, put func(io.Reader, string) error) (snapshot, error) {
	bin, err := lookTool("pg_dump")
	if err != nil {
		return snapshot{}, err
	}
	dbURL, env, err := libpq(e.url)
	if err != nil {
		return snapshot{}, err
	}
	conn, err := pgx.Connect(ctx, e.url)
	if err != nil {
		return snapshot{}, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return snapshot{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var snapID string
	if err := tx.QueryRow(ctx, `SELECT pg_export_snapshot()`).Scan(&snapID); err != nil {
		return snapshot{}, fmt.Errorf("export snapshot: %w", err)
	}
	snap, err := describe(ctx, pgQuerier{tx}, pgTables)
	if err != nil {
		return snapshot{}, err
	}

	// pg_dump reads the transaction's snapshot, which stays exported
	// while the transaction is open, until it is done.
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(dctx, bin, "--format=custom", "--snapshot="+snapID, "--no-password", "--dbname="+dbURL)
	cmd.Env = env
	stderr := &tailBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return snapshot{}, err
	}
	if err := cmd.Start(); err != nil {
		return snapshot{}, fmt.Errorf("start pg_dump: %w", err)
	}
	putErr := put(stdout, "application/vnd.postgresql.pg-dump")
	if putErr != nil {
		cancel() // pg_dump would block on a full pipe
	}
	waitErr := cmd.Wait()
	switch {
	case waitErr != nil && putErr == nil:
		return snapshot{}, fmt.Errorf("pg_dump: %w: %s", waitErr, stderr)
	case putErr != nil:
		return snapshot{}, fmt.Errorf("upload dump: %w", putErr)
	}
	return snap, nil
}

// restore checks that the target is empty, then reads the dump twice:
// once to check its size and SHA-256, then into pg_restore, so that a
// damaged dump never reaches the database. pg_restore runs in one
// transaction: a failure leaves the database as it was.
func (e *postgres) restore(ctx context.Context, m Manifest, open func(context.Context) (io.ReadCloser, error), check func(int64, string) error) error {
	bin, err := lookTool("pg_restore")
	if err != nil {
		return err
	}
	dbURL, env, err := libpq(e.url)
	if err != nil {
		return err
	}
	hasSchema, err := e.checkEmpty(ctx)
	if err != nil {
		return err
	}

	rc, err := open(ctx)
	if err != nil {
		return err
	}
	size, sum, err := hashCopy(io.Discard, rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("download %s: %w", m.Database.Key, err)
	}
	if err := check(size, sum); err != nil {
		return err
	}

	rc, err = open(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	args := []string{"--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--no-password"}
	if hasSchema {
		// Migrated but empty: replace the empty tables with the backup's.
		args = append(args, "--clean", "--if-exists")
	}
	cmd := exec.CommandContext(ctx, bin, append(args, "--dbname="+dbURL)...)
	cmd.Env = env
	cmd.Stdin = rc
	stderr := &tailBuffer{}
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_restore: %w: %s", err, stderr)
	}
	return nil
}

// checkEmpty reports whether Ordo's tables exist (in which case they must
// hold neither tenants nor users).
func (e *postgres) checkEmpty(ctx context.Context) (hasSchema bool, err error) {
	conn, err := pgx.Connect(ctx, e.url)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := checkEmpty(ctx, pgQuerier{conn}, pgTables, "the database"); err != nil {
		return false, err
	}
	err = conn.QueryRow(ctx, `SELECT to_regclass('tenants') IS NOT NULL`).Scan(&hasSchema)
	return hasSchema, err
}

func (e *postgres) rowCounts(ctx context.Context) (map[string]int64, error) {
	conn, err := pgx.Connect(ctx, e.url)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	q := pgQuerier{conn}
	var tables []string
	err = q.each(ctx, pgTables, func(scan func(...any) error) error {
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
