package pgstore

import (
	"context"
	"fmt"

	"github.com/ordo/ordo/internal/jobs"
)

// fairFetch is jobs.FetchParams in one statement: a loose index scan
// finds the tenants with waiting jobs (river_job_tenant_available, made by
// sqlshared.FairFetchIndexes), each gives its first jobs, and the jobs are
// taken in the fair order, locked with SKIP LOCKED as River's own fetch
// does, and moved to running exactly as River's fetch moves them.
const fairFetchSQL = `
WITH RECURSIVE scan(k, n) AS (
    (SELECT coalesce(args->>'tenant_id', '-'), 1 FROM river_job
     WHERE state = 'available' AND queue = $1 AND coalesce(args->>'tenant_id', '-') > $7
     ORDER BY 1 LIMIT 1)
  UNION ALL
    SELECT (SELECT coalesce(j.args->>'tenant_id', '-') FROM river_job j
            WHERE j.state = 'available' AND j.queue = $1 AND coalesce(j.args->>'tenant_id', '-') > scan.k
            ORDER BY 1 LIMIT 1), scan.n + 1
    FROM scan WHERE scan.k IS NOT NULL AND scan.n < $8
),
seen AS (SELECT k FROM scan WHERE k IS NOT NULL),
running AS (
    SELECT coalesce(args->>'tenant_id', '-') AS k, count(*) AS n FROM river_job
    WHERE state = 'running' AND queue = $1 GROUP BY 1
),
cand AS (
    SELECT j.id, j.priority, j.scheduled_at,
        coalesce(r.n, 0) + row_number() OVER (PARTITION BY s.k ORDER BY j.priority, j.scheduled_at, j.id) AS rank
    FROM seen s
    LEFT JOIN running r ON r.k = s.k
    CROSS JOIN LATERAL (
        SELECT id, priority, scheduled_at FROM river_job
        WHERE state = 'available' AND queue = $1 AND coalesce(args->>'tenant_id', '-') = s.k
          AND scheduled_at <= coalesce($3::timestamptz, now())
          AND ($6::text[] IS NULL OR kind = ANY($6::text[]))
        ORDER BY priority, scheduled_at, id
        LIMIT $2
    ) j
),
picked AS (SELECT id FROM cand ORDER BY rank, priority, scheduled_at, id LIMIT $2),
locked AS (
    SELECT j.id FROM river_job j WHERE j.id IN (SELECT id FROM picked) AND j.state = 'available'
    FOR UPDATE SKIP LOCKED
),
moved AS (
    UPDATE river_job SET
        state = 'running',
        attempt = river_job.attempt + 1,
        attempted_at = coalesce($3::timestamptz, now()),
        attempted_by = array_append(
            CASE WHEN array_length(river_job.attempted_by, 1) >= $5::int
            THEN river_job.attempted_by[array_length(river_job.attempted_by, 1) + 2 - $5::int:]
            ELSE river_job.attempted_by END,
            $4::text)
    FROM locked WHERE river_job.id = locked.id
    RETURNING river_job.id
)
SELECT coalesce((SELECT array_agg(id) FROM moved), '{}'), coalesce((SELECT max(k) FROM seen), ''), (SELECT count(*) FROM seen)`

// fairFetch carries out one fair fetch (jobs.FetchParams).
func (s *Store) fairFetch(ctx context.Context, p *jobs.FetchParams) (*jobs.FetchResult, error) {
	var kinds []string
	if p.Kinds != nil {
		kinds = p.Kinds
	}
	res := &jobs.FetchResult{}
	err := s.pool.QueryRow(ctx, fairFetchSQL, p.Queue, p.Limit, p.Now, p.ClientID, p.MaxAttemptedBy, kinds, p.Cursor, p.ScanTenants).
		Scan(&res.IDs, &res.LastTenant, &res.Scanned)
	if err != nil {
		return nil, fmt.Errorf("fair fetch: %w", err)
	}
	return res, nil
}

// fairFetchIndex serves the fair fetch's scan of tenants and each
// tenant's first jobs. River's table, so made after River's migrations
// (sqlshared.Migrations.OnJobs).
const fairFetchIndex = `CREATE INDEX IF NOT EXISTS river_job_tenant_available
	ON river_job (queue, (coalesce(args->>'tenant_id', '-')), priority, scheduled_at, id)
	WHERE state = 'available'`

func (s *Store) indexJobs(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, fairFetchIndex); err != nil {
		return fmt.Errorf("create river_job_tenant_available: %w", err)
	}
	return nil
}
