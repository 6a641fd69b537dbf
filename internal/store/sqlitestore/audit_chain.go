package sqlitestore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/audit"
	"github.com/ordo/ordo/internal/store/sqlshared"
)

func (q *queries) AuditChain(ctx context.Context, tenantID uuid.UUID) ([]audit.Entry, audit.Head, error) {
	h := audit.Head{TenantID: tenantID}
	err := q.db.QueryRowContext(ctx, sqlshared.AuditHead, tenantID).Scan(&h.Seq, &h.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, h, fmt.Errorf("AuditChain(%s): head: %w", tenantID, err)
	}
	rows, err := q.db.QueryContext(ctx, sqlshared.AuditChainSelect, tenantID)
	if err != nil {
		return nil, h, fmt.Errorf("AuditChain(%s): %w", tenantID, err)
	}
	out, err := collect(rows, scanChainEntry)
	if err != nil {
		return nil, h, fmt.Errorf("AuditChain(%s): %w", tenantID, err)
	}
	return out, h, nil
}

func (q *queries) AuditCheckpointInsert(ctx context.Context, c audit.Checkpoint) error {
	if _, err := q.db.ExecContext(ctx, sqlshared.AuditCheckpointInsert, c.TenantID, c.Seq, c.Hash, ts(c.SignedAt), c.Signature); err != nil {
		return fmt.Errorf("AuditCheckpointInsert(%s, %d): %w", c.TenantID, c.Seq, err)
	}
	return nil
}

func (q *queries) AuditCheckpoints(ctx context.Context, tenantID uuid.UUID) ([]audit.Checkpoint, error) {
	rows, err := q.db.QueryContext(ctx, sqlshared.AuditCheckpoints, tenantID)
	if err != nil {
		return nil, fmt.Errorf("AuditCheckpoints(%s): %w", tenantID, err)
	}
	out, err := collect(rows, func(r scanner) (audit.Checkpoint, error) {
		var c audit.Checkpoint
		err := r.Scan(&c.TenantID, &c.Seq, &c.Hash, timeCol{&c.SignedAt}, &c.Signature, &c.Cut)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("AuditCheckpoints(%s): %w", tenantID, err)
	}
	return out, nil
}

func (q *queries) AuditHeadsToCheckpoint(ctx context.Context, limit int) ([]audit.Head, error) {
	rows, err := q.db.QueryContext(ctx, sqlshared.AuditHeadsToCheckpoint, limit)
	if err != nil {
		return nil, fmt.Errorf("AuditHeadsToCheckpoint: %w", err)
	}
	out, err := collect(rows, func(r scanner) (audit.Head, error) {
		var h audit.Head
		err := r.Scan(&h.TenantID, &h.Seq, &h.Hash)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("AuditHeadsToCheckpoint: %w", err)
	}
	return out, nil
}

// scanChainEntry scans AuditColumns and the chain's columns.
func scanChainEntry(r scanner) (audit.Entry, error) {
	var e audit.Entry
	var meta string
	var seq sql.NullInt64
	err := r.Scan(&e.ID, &e.TenantID, &e.ActorID, &e.ActorName, &e.ActorEmail, &e.Action, &e.EntityType, &e.EntityID, &e.OrderID, &e.IP, &e.UserAgent, &e.RequestID, &e.ActorType, &meta, timeCol{&e.CreatedAt},
		&seq, &e.PrevHash, &e.Hash)
	e.Metadata = []byte(meta)
	e.Seq = seq.Int64
	return e, err
}

func (q *queries) AuditChainPage(ctx context.Context, tenantID uuid.UUID, afterSeq int64, afterID uuid.UUID, limit int) ([]audit.Entry, error) {
	var out []audit.Entry
	if afterSeq == 0 {
		rows, err := q.db.QueryContext(ctx, sqlshared.AuditUnchainedPage, tenantID, afterID, limit)
		if err != nil {
			return nil, fmt.Errorf("AuditChainPage(%s): %w", tenantID, err)
		}
		if out, err = collect(rows, scanChainEntry); err != nil {
			return nil, fmt.Errorf("AuditChainPage(%s): %w", tenantID, err)
		}
		if len(out) == limit {
			return out, nil
		}
		afterID = uuid.Nil
	}
	rows, err := q.db.QueryContext(ctx, sqlshared.AuditChainedPage, tenantID, afterSeq, afterID, limit-len(out))
	if err != nil {
		return nil, fmt.Errorf("AuditChainPage(%s): %w", tenantID, err)
	}
	chained, err := collect(rows, scanChainEntry)
	if err != nil {
		return nil, fmt.Errorf("AuditChainPage(%s): %w", tenantID, err)
	}
	return append(out, chained...), nil
}

func (q *queries) AuditHeadGet(ctx context.Context, tenantID uuid.UUID) (audit.Head, error) {
	h := audit.Head{TenantID: tenantID}
	err := q.db.QueryRowContext(ctx, sqlshared.AuditHead, tenantID).Scan(&h.Seq, &h.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return h, fmt.Errorf("AuditHeadGet(%s): %w", tenantID, err)
	}
	return h, nil
}

func (q *queries) AuditChainTenants(ctx context.Context, after uuid.UUID, limit int) ([]uuid.UUID, error) {
	rows, err := q.db.QueryContext(ctx, sqlshared.AuditChainTenants, after, limit)
	if err != nil {
		return nil, fmt.Errorf("AuditChainTenants: %w", err)
	}
	out, err := collect(rows, func(r scanner) (uuid.UUID, error) {
		var id uuid.UUID
		err := r.Scan(&id)
		return id, err
	})
	if err != nil {
		return nil, fmt.Errorf("AuditChainTenants: %w", err)
	}
	return out, nil
}

func (q *queries) AuditPrune(ctx context.Context, cut audit.Checkpoint) (int, error) {
	n := 0
	err := q.atomic(ctx, func(q *queries) error {
		var hash []byte
		err := q.db.QueryRowContext(ctx, sqlshared.AuditHashAt, cut.TenantID, cut.Seq).Scan(&hash)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && !bytes.Equal(hash, cut.Hash)) {
			return fmt.Errorf("%w: the entry at seq %d is not the one the cut signs", audit.ErrCutRefused, cut.Seq)
		}
		if err != nil {
			return err
		}
		var pinned int64
		if err := q.db.QueryRowContext(ctx, sqlshared.AuditLastCheckpoint, cut.TenantID).Scan(&pinned); err != nil {
			return err
		}
		if cut.Seq > pinned {
			return fmt.Errorf("%w: seq %d is past the newest checkpoint (%d)", audit.ErrCutRefused, cut.Seq, pinned)
		}
		res, err := q.db.ExecContext(ctx, sqlshared.AuditCutSet, cut.TenantID, cut.Seq, cut.Hash, ts(cut.SignedAt), cut.Signature)
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return fmt.Errorf("%w: the chain is already cut at or past seq %d", audit.ErrCutRefused, cut.Seq)
		}
		res, err = q.db.ExecContext(ctx, sqlshared.AuditPruneEntries, cut.TenantID, cut.Seq)
		if err != nil {
			return err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return err
		}
		n = int(k)
		_, err = q.db.ExecContext(ctx, sqlshared.AuditPruneCheckpoints, cut.TenantID, cut.Seq)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("AuditPrune(%s, %d): %w", cut.TenantID, cut.Seq, err)
	}
	return n, nil
}
