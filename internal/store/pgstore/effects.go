package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/ordo/ordo/internal/store/sqlshared"
)

func (q *queries) EffectDone(ctx context.Context, key string) (bool, error) {
	var n int
	if err := q.db.QueryRow(ctx, sqlshared.EffectDone, key).Scan(&n); err != nil {
		return false, fmt.Errorf("EffectDone(%s): %w", key, err)
	}
	return n > 0, nil
}

func (q *queries) EffectRecord(ctx context.Context, key string, at time.Time) error {
	if _, err := q.db.Exec(ctx, sqlshared.EffectRecord, key, at); err != nil {
		return fmt.Errorf("EffectRecord(%s): %w", key, err)
	}
	return nil
}
