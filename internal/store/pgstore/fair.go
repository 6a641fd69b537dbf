package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ordo/ordo/internal/jobs"
)

// fairFetchLockSpace is the first key of the fair fetch's advisory locks
// (the second is the queue's hash); migrationLockID is a single key.
const fairFetchLockSpace = 0x6f72646f // "ordo"

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
    WHERE state = 'running' AND queue = $1 AND id <> ALL($13::bigint[]) GROUP BY 1
),
room AS (
    SELECT s.k, coalesce(r.n, 0) AS running,
        CASE WHEN NOT $9::boolean OR te.id IS NULL THEN -1
             ELSE coalesce(tl.value, pl.value, b.cap, -1) END AS cap
    FROM seen s
    LEFT JOIN running r ON r.k = s.k
    LEFT JOIN tenants te ON $9::boolean
        AND te.id = CASE WHEN s.k ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN s.k::uuid END
    LEFT JOIN tenant_limits tl ON tl.tenant_id = te.id AND tl.name = 'jobs_at_once'
    LEFT JOIN plan_limits pl ON pl.plan = te.plan AND pl.name = 'jobs_at_once'
    LEFT JOIN unnest($10::text[], $11::bigint[]) AS b(plan, cap) ON b.plan = te.plan
),
cand AS (
    SELECT j.id, j.priority, j.scheduled_at, rm.running, rm.cap,
        row_number() OVER (PARTITION BY rm.k ORDER BY j.priority, j.scheduled_at, j.id) AS rn
    FROM room rm
    CROSS JOIN LATERAL (
        SELECT id, priority, scheduled_at FROM river_job
        WHERE state = 'available' AND queue = $1 AND coalesce(args->>'tenant_id', '-') = rm.k
          AND scheduled_at <= coalesce($3::timestamptz, now())
          AND ($6::text[] IS NULL OR kind = ANY($6::text[]))
        ORDER BY priority, scheduled_at, id
        LIMIT $2
    ) j
),
eligible AS (
    SELECT id, running, rn, row_number() OVER (ORDER BY running + rn, priority, scheduled_at, id) AS pos
    FROM cand WHERE cap < 0 OR rn <= greatest(cap, 1) - running
),
picked AS (
    SELECT id FROM eligible
    WHERE pos <= $2 AND (NOT $12::boolean OR pos < $2 OR (running = 0 AND rn = 1))
),
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
SELECT coalesce((SELECT array_agg(id) FROM moved), '{}'), coalesce((SELECT max(k) FROM seen), ''), (SELECT count(*) FROM seen),
    (SELECT count(*) FROM moved) < $2 AND (SELECT count(*) FROM cand) > (SELECT count(*) FROM picked)`

// fairFetch carries out one fair fetch (jobs.FetchParams).
func (s *Store) fairFetch(ctx context.Context, p *jobs.FetchParams) (*jobs.FetchResult, error) {
	finished := p.Finished
	if finished == nil {
		finished = []int64{} // <> ALL(NULL) is NULL: no row would count
	}
	res := &jobs.FetchResult{}
	// With caps, the fetches of every process queue on one lock per
	// queue, so that the running counts they read are not stale; the
	// batch runs as one implicit transaction, which holds the lock.
	b := &pgx.Batch{}
	if p.Enforce {
		b.Queue(`SELECT pg_advisory_xact_lock($1::int, hashtext($2))`, fairFetchLockSpace, p.Queue)
	}
	b.Queue(fairFetchSQL, p.Queue, p.Limit, p.Now, p.ClientID, p.MaxAttemptedBy, p.Kinds, p.Cursor, p.ScanTenants,
		p.Enforce, p.Plans, p.Caps, p.Reserve, finished).QueryRow(func(row pgx.Row) error {
		return row.Scan(&res.IDs, &res.LastTenant, &res.Scanned, &res.Held)
	})
	err := s.pool.SendBatch(ctx, b).Close()
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
