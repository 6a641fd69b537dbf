package sqlshared

import (
	"fmt"
	"time"

	"github.com/ordo/ordo/internal/jobs"
)

// ScanJobBacklog reads the rows of an engine's JobTenantBacklog query:
// queue, tenant key, slug, waiting, running, and the oldest wait in
// seconds.
func ScanJobBacklog(rows Rows) ([]jobs.Backlog, error) {
	var out []jobs.Backlog
	for rows.Next() {
		var b jobs.Backlog
		var oldest float64
		if err := rows.Scan(&b.Queue, &b.Tenant, &b.Slug, &b.Waiting, &b.Running, &oldest); err != nil {
			return nil, fmt.Errorf("tenant job backlog: %w", err)
		}
		b.OldestWait = time.Duration(oldest * float64(time.Second))
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tenant job backlog: %w", err)
	}
	return out, nil
}
