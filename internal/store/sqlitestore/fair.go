package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ordo/ordo/internal/jobs"
)

// fairScan finds the tenants with waiting jobs in a queue, after a cursor
// (a loose scan of river_job_tenant_available).
const fairScan = `
WITH RECURSIVE scan(k, n) AS (
    SELECT (SELECT coalesce(json_extract(args, '$.tenant_id'), '-') AS k FROM river_job
            WHERE state = 'available' AND queue = ?1 AND coalesce(json_extract(args, '$.tenant_id'), '-') > ?2
            ORDER BY k LIMIT 1), 1
  UNION ALL
    SELECT (SELECT coalesce(json_extract(j.args, '$.tenant_id'), '-') AS k FROM river_job j
            WHERE j.state = 'available' AND j.queue = ?1 AND coalesce(json_extract(j.args, '$.tenant_id'), '-') > scan.k
            ORDER BY k LIMIT 1), scan.n + 1
    FROM scan WHERE scan.k IS NOT NULL AND scan.n < ?3
)
SELECT k FROM scan WHERE k IS NOT NULL`

// fairMove is the rest of jobs.FetchParams for the tenants fairScan found
// (a JSON array, ?1): each gives its first jobs, which are taken in the
// fair order and moved to running exactly as River's SQLite fetch moves
// them. One statement, so under SQLite's one writer nobody else takes
// them meanwhile.
const fairMove = `
WITH seen AS (SELECT value AS k FROM json_each(?1)),
running AS (
    SELECT coalesce(json_extract(args, '$.tenant_id'), '-') AS k, count(*) AS n FROM river_job
    WHERE state = 'running' AND queue = ?2 AND id NOT IN (SELECT value FROM json_each(?11)) GROUP BY 1
),
room AS (
    SELECT s.k, coalesce(r.n, 0) AS running,
        CASE WHEN NOT ?8 OR te.id IS NULL THEN -1
             ELSE coalesce(tl.value, pl.value, json_extract(?9, '$."' || te.plan || '"'), -1) END AS cap
    FROM seen s
    LEFT JOIN running r ON r.k = s.k
    LEFT JOIN tenants te ON ?8 AND te.id = s.k
    LEFT JOIN tenant_limits tl ON tl.tenant_id = te.id AND tl.name = 'jobs_at_once'
    LEFT JOIN plan_limits pl ON pl.plan = te.plan AND pl.name = 'jobs_at_once'
),
cand AS (
    SELECT j.id, j.priority, j.scheduled_at, rm.running, rm.cap,
        row_number() OVER (PARTITION BY rm.k ORDER BY j.priority, j.scheduled_at, j.id) AS rn
    FROM room rm
    JOIN river_job j ON j.id IN (
        SELECT id FROM river_job
        WHERE state = 'available' AND queue = ?2 AND coalesce(json_extract(args, '$.tenant_id'), '-') = rm.k
          AND scheduled_at <= coalesce(?3, datetime('now', 'subsec'))
          AND (?4 IS NULL OR kind IN (SELECT value FROM json_each(?4)))
        ORDER BY priority, scheduled_at, id
        LIMIT ?5)
),
eligible AS (
    SELECT id, running, rn, row_number() OVER (ORDER BY running + rn, priority, scheduled_at, id) AS pos
    FROM cand WHERE cap < 0 OR rn <= max(cap, 1) - running
),
picked AS (
    SELECT id FROM eligible
    WHERE pos <= ?5 AND (NOT ?10 OR pos < ?5 OR (running = 0 AND rn = 1))
)
UPDATE river_job SET
    attempt = river_job.attempt + 1,
    attempted_at = coalesce(?3, datetime('now', 'subsec')),
    attempted_by = CASE WHEN typeof(attempted_by) = 'text' AND NOT json_valid(attempted_by) THEN attempted_by ELSE
        jsonb(json_insert(
            (SELECT jsonb_group_array(value) FROM (
                SELECT * FROM (
                    SELECT * FROM json_each(CASE WHEN typeof(attempted_by) = 'text' AND NOT json_valid(attempted_by) THEN jsonb('[]') ELSE coalesce(attempted_by, jsonb('[]')) END)
                    ORDER BY key DESC
                    LIMIT ?6 - 1)
                ORDER BY key)),
            '$[#]',
            ?7))
        END,
    state = 'running'
WHERE id IN (SELECT id FROM picked) AND state = 'available'
RETURNING id`

// sqliteTime is how River's SQLite driver writes times: any other format
// stores fine and then compares wrongly.
func sqliteTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC().Round(time.Millisecond).Format("2006-01-02 15:04:05.000")
}

// fairFetch carries out one fair fetch (jobs.FetchParams) on River's own
// connection: only the process that works the jobs (it holds the worker
// lock) moves them to running, so the scan and the move need no
// transaction between them. It leaves FetchResult.Held unset: SQLite has
// no notifications to wake a producer with, so a runner with caps polls
// often instead (JobRunner).
func fairFetch(db *sql.DB) jobs.FetchFunc {
	return func(ctx context.Context, p *jobs.FetchParams) (*jobs.FetchResult, error) {
		res := &jobs.FetchResult{}
		rows, err := db.QueryContext(ctx, fairScan, p.Queue, p.Cursor, p.ScanTenants)
		if err != nil {
			return nil, fmt.Errorf("fair fetch: scan tenants: %w", err)
		}
		var seen []string
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return nil, fmt.Errorf("fair fetch: scan tenants: %w", err)
			}
			seen = append(seen, k)
			res.LastTenant = max(res.LastTenant, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("fair fetch: scan tenants: %w", err)
		}
		res.Scanned = len(seen)
		if len(seen) == 0 {
			return res, nil
		}
		keys, err := json.Marshal(seen)
		if err != nil {
			return nil, err
		}
		fin := p.Finished
		if fin == nil {
			fin = []int64{}
		}
		finishedJSON, err := json.Marshal(fin)
		if err != nil {
			return nil, err
		}
		finished := string(finishedJSON)
		var kinds any
		if p.Kinds != nil {
			b, err := json.Marshal(p.Kinds)
			if err != nil {
				return nil, err
			}
			kinds = string(b)
		}
		rows, err = db.QueryContext(ctx, fairMove, string(keys), p.Queue, sqliteTime(p.Now), kinds, p.Limit, p.MaxAttemptedBy, p.ClientID,
			p.Enforce, p.CapsJSON(), p.Reserve, finished)
		if err != nil {
			return nil, fmt.Errorf("fair fetch: move jobs: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, fmt.Errorf("fair fetch: move jobs: %w", err)
			}
			res.IDs = append(res.IDs, id)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("fair fetch: move jobs: %w", err)
		}
		return res, nil
	}
}

// fairFetchIndex serves the fair fetch's scan of tenants and each
// tenant's first jobs. River's table, so made after River's migrations
// (sqlshared.Migrations.OnJobs).
const fairFetchIndex = `CREATE INDEX IF NOT EXISTS river_job_tenant_available
	ON river_job (queue, coalesce(json_extract(args, '$.tenant_id'), '-'), priority, scheduled_at, id)
	WHERE state = 'available'`

func (s *Store) indexJobs(ctx context.Context) error {
	if _, err := s.rw.ExecContext(ctx, fairFetchIndex); err != nil {
		return fmt.Errorf("create river_job_tenant_available: %w", err)
	}
	return nil
}
