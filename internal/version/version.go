// Package version gives editable rows their version for optimistic
// concurrency: the ETag a client sends back as If-Match. A row's version is
// its updated_at in microseconds (the precision both engines store), so no
// column is needed beyond the one every editable row already has.
package version

import "time"

// Of is the version of a row last changed at updatedAt.
func Of(updatedAt time.Time) int64 { return updatedAt.UnixMicro() }

// Next is the updated_at a change made at now records: now, or a
// microsecond past the version it replaces when the clock has not moved
// beyond it, so that every change gives a new version.
func Next(now time.Time, was int64) time.Time {
	if now.UnixMicro() <= was {
		return time.UnixMicro(was + 1).UTC()
	}
	return now
}
