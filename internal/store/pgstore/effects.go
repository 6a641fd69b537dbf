package pgstore

import (
	"context"
	"fmt"
	"time"
)

func (q *queries) EffectDone(ctx context.Context, key string) (bool, error) {
	var n int
	if err := q.db.QueryRow(ctx, `SELECT count(*) FROM job_effects WHERE key = $1`, key).Scan(&n); err != nil {
		return false, fmt.Errorf("EffectDone(%s): %w", key, err)
	}
	return n > 0, nil
}

func (q *queries) EffectRecord(ctx context.Context, key string, at time.Time) error {
	if _, err := q.db.Exec(ctx, `INSERT INTO job_effects (key, done_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, at); err != nil {
		return fmt.Errorf("EffectRecord(%s): %w", key, err)
	}
	return nil
}
