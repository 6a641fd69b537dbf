package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/archive"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

var _ archive.Store = (*Store)(nil)

// ArchiveSnapshot reads in one REPEATABLE READ, read-only transaction:
// every table as of the same moment, writers never blocked.
func (s *Store) ArchiveSnapshot(ctx context.Context, fn func(archive.Reader) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("begin snapshot: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	return fn(archiveTx{tx})
}

// ArchiveLoad runs fn in one transaction.
func (s *Store) ArchiveLoad(ctx context.Context, fn func(archive.Writer) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(archiveTx{tx}) })
}

type archiveTx struct{ tx pgx.Tx }

// archiveCast reads uuids, JSON and dates as text, the portable form.
func archiveCast(col string, k archive.Kind) string {
	switch k {
	case archive.KindUUID, archive.KindUser, archive.KindJSON, archive.KindDate:
		return col + "::text"
	}
	return col
}

func (a archiveTx) Rows(ctx context.Context, t archive.Table, tenantID uuid.UUID, fn func([]any) error) error {
	return a.each(ctx, t, sqlshared.ArchiveSelect(t, archiveCast), []any{tenantID}, fn)
}

func (a archiveTx) Count(ctx context.Context, t archive.Table, tenantID uuid.UUID) (int64, error) {
	var n int64
	err := a.tx.QueryRow(ctx, sqlshared.ArchiveCount(t), tenantID).Scan(&n)
	return n, err
}

func (a archiveTx) UserRows(ctx context.Context, ids []uuid.UUID, fn func([]any) error) error {
	t := archive.Users
	t.Where = "id = ANY($1)"
	return a.each(ctx, t, sqlshared.ArchiveSelect(t, archiveCast), []any{uuidArray(ids)}, fn)
}

func (a archiveTx) each(ctx context.Context, t archive.Table, q string, args []any, fn func([]any) error) error {
	rows, err := a.tx.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", t.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		for i, c := range t.Columns {
			if vals[i], err = archive.Portable(c.Kind, vals[i]); err != nil {
				return fmt.Errorf("%s.%s: %w", t.Name, c.Name, err)
			}
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (a archiveTx) Insert(ctx context.Context, t archive.Table, row []any) error {
	args := make([]any, len(row))
	for i, c := range t.Columns {
		v := row[i]
		if v == nil {
			continue
		}
		var err error
		switch c.Kind {
		case archive.KindUUID, archive.KindUser:
			args[i], err = uuid.Parse(v.(string))
		case archive.KindTime:
			args[i], err = time.Parse(archive.TimeLayout, v.(string))
		case archive.KindDate:
			args[i], err = time.Parse(time.DateOnly, v.(string))
		case archive.KindJSON:
			args[i] = string(v.(json.RawMessage))
		default:
			args[i] = v
		}
		if err != nil {
			return fmt.Errorf("%s.%s: %w", t.Name, c.Name, err)
		}
	}
	if _, err := a.tx.Exec(ctx, sqlshared.ArchiveInsert(t), args...); err != nil {
		return fmt.Errorf("insert into %s: %w", t.Name, interpretError(err, t.Name))
	}
	return nil
}

func (a archiveTx) UserIDByEmail(ctx context.Context, email string) (uuid.UUID, error) {
	var id uuid.UUID
	err := a.tx.QueryRow(ctx, sqlshared.ArchiveUserIDByEmail, email).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, nil
	}
	return id, err
}

func (a archiveTx) UserExists(ctx context.Context, id uuid.UUID) (bool, error) {
	var n int
	err := a.tx.QueryRow(ctx, sqlshared.ArchiveUserExists, id).Scan(&n)
	return n > 0, err
}

func (a archiveTx) TenantTaken(ctx context.Context, id uuid.UUID, slug string) (bool, error) {
	var n int
	err := a.tx.QueryRow(ctx, sqlshared.ArchiveTenantTaken, id, slug).Scan(&n)
	return n > 0, err
}
