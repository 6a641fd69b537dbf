package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/archive"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

var _ archive.Store = (*Store)(nil)

// ArchiveSnapshot reads in one deferred read transaction on a connection
// of its own: in WAL mode it sees the database as of its first read,
// and the writer is never blocked (transactions of the pool begin
// IMMEDIATE, which would take the write lock).
func (s *Store) ArchiveSnapshot(ctx context.Context, fn func(archive.Reader) error) error {
	conn, err := s.rw.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return fmt.Errorf("begin snapshot: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	return fn(archiveTx{conn})
}

// ArchiveLoad runs fn in one transaction.
func (s *Store) ArchiveLoad(ctx context.Context, fn func(archive.Writer) error) error {
	tx, err := s.rw.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(archiveTx{tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

type archiveTx struct {
	db interface {
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	}
}

// Every column is read as stored: uuids, times, dates and JSON are
// already text in their portable form.
func asStored(col string, _ archive.Kind) string { return col }

func (a archiveTx) Rows(ctx context.Context, t archive.Table, tenantID uuid.UUID, fn func([]any) error) error {
	return a.each(ctx, t, sqlshared.ArchiveSelect(t, asStored), []any{tenantID}, fn)
}

func (a archiveTx) Count(ctx context.Context, t archive.Table, tenantID uuid.UUID) (int64, error) {
	var n int64
	err := a.db.QueryRowContext(ctx, sqlshared.ArchiveCount(t), tenantID).Scan(&n)
	return n, err
}

func (a archiveTx) UserRows(ctx context.Context, ids []uuid.UUID, fn func([]any) error) error {
	for len(ids) > 0 {
		n := min(len(ids), 500)
		t := archive.Users
		ph := make([]string, n)
		args := make([]any, n)
		for i, id := range ids[:n] {
			ph[i], args[i] = fmt.Sprintf("$%d", i+1), id.String()
		}
		t.Where = "id IN (" + strings.Join(ph, ", ") + ")"
		if err := a.each(ctx, t, sqlshared.ArchiveSelect(t, asStored), args, fn); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

func (a archiveTx) each(ctx context.Context, t archive.Table, q string, args []any, fn func([]any) error) error {
	rows, err := a.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", t.Name, err)
	}
	defer rows.Close()
	vals := make([]any, len(t.Columns))
	ptrs := make([]any, len(t.Columns))
	for rows.Next() {
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		row := make([]any, len(vals))
		for i, c := range t.Columns {
			if row[i], err = archive.Portable(c.Kind, vals[i]); err != nil {
				return fmt.Errorf("%s.%s: %w", t.Name, c.Name, err)
			}
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (a archiveTx) Insert(ctx context.Context, t archive.Table, row []any) error {
	args := make([]any, len(row))
	for i := range t.Columns {
		switch v := row[i].(type) {
		case json.RawMessage:
			args[i] = string(v)
		case bool:
			args[i] = map[bool]int64{false: 0, true: 1}[v]
		default:
			args[i] = v
		}
	}
	if _, err := a.db.ExecContext(ctx, sqlshared.ArchiveInsert(t), args...); err != nil {
		return fmt.Errorf("insert into %s: %w", t.Name, interpretError(err, t.Name))
	}
	return nil
}

func (a archiveTx) UserIDByEmail(ctx context.Context, email string) (uuid.UUID, error) {
	var id uuid.UUID
	err := a.db.QueryRowContext(ctx, sqlshared.ArchiveUserIDByEmail, email).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return uuid.Nil, nil
	}
	return id, err
}

func (a archiveTx) UserExists(ctx context.Context, id uuid.UUID) (bool, error) {
	var n int
	err := a.db.QueryRowContext(ctx, sqlshared.ArchiveUserExists, id.String()).Scan(&n)
	return n > 0, err
}

func (a archiveTx) TenantTaken(ctx context.Context, id uuid.UUID, slug string) (bool, error) {
	var n int
	err := a.db.QueryRowContext(ctx, sqlshared.ArchiveTenantTaken, id.String(), slug).Scan(&n)
	return n > 0, err
}
