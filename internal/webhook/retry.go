package webhook

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultSchedule is the wait before each retry: eight attempts in all,
// spread over about 28 hours, so a receiver that is down for a day still
// gets the message. It is the default of ORDO_WEBHOOK_RETRY_SCHEDULE.
// Treat it as read-only.
var DefaultSchedule = []time.Duration{
	5 * time.Second,
	5 * time.Minute,
	30 * time.Minute,
	2 * time.Hour,
	5 * time.Hour,
	10 * time.Hour,
	10 * time.Hour,
}

// MaxScheduleLen is the most retries a schedule may have.
const MaxScheduleLen = 20

// jitter is the fraction by which a scheduled delay is randomly varied,
// either way, so that endpoints failing together do not retry together.
const jitter = 0.10

// ParseSchedule parses a comma-separated list of Go durations, such as
// "5s,5m,30m,2h,5h,10h,10h" (the form of ORDO_WEBHOOK_RETRY_SCHEDULE).
// Spaces around items are ignored. Every item must be positive, and there
// must be 1 to MaxScheduleLen of them.
func ParseSchedule(s string) ([]time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("retry schedule is empty: want a comma-separated list of durations such as 5s,5m,30m")
	}
	items := strings.Split(s, ",")
	if len(items) > MaxScheduleLen {
		return nil, fmt.Errorf("retry schedule has %d items, at most %d allowed", len(items), MaxScheduleLen)
	}
	out := make([]time.Duration, 0, len(items))
	for i, item := range items {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("retry schedule item %d is empty", i+1)
		}
		d, err := time.ParseDuration(item)
		if err != nil {
			return nil, fmt.Errorf("retry schedule item %d (%q) is not a duration such as 30s or 2h", i+1, item)
		}
		if d <= 0 {
			return nil, fmt.Errorf("retry schedule item %d (%q) must be positive", i+1, item)
		}
		out = append(out, d)
	}
	return out, nil
}

// NextDelay says how long to wait after a failed attempt. attempt is the
// 1-based number of the attempt that just failed; ok is false when no
// attempts are left, so a message gets 1 + len(schedule) attempts in all.
//
// The delay is schedule[attempt-1] varied by up to ±10% (rnd returns a
// value in [0, 1); nil means math/rand/v2.Float64).
//
// retryAfter is the receiver's Retry-After (see ParseRetryAfter; 0 when
// absent). It can only lengthen the wait, never shorten it, and it is
// capped at the longest delay in the schedule: a receiver may ask us to
// back off, but not to hold a message longer than our own slowest retry,
// nor to retry faster than we planned.
func NextDelay(schedule []time.Duration, attempt int, retryAfter time.Duration, rnd func() float64) (d time.Duration, ok bool) {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > len(schedule) {
		return 0, false
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	planned := time.Duration(float64(schedule[attempt-1]) * (1 - jitter + 2*jitter*rnd()))
	if retryAfter <= planned {
		return planned, true
	}
	// The cap can sit below the planned delay when this is the longest
	// step and jitter went up; never wait less than planned.
	return max(planned, min(retryAfter, slices.Max(schedule))), true
}

// ParseRetryAfter parses a Retry-After header value, either delay-seconds
// ("120") or an HTTP-date, relative to now. It returns 0 when h is empty,
// malformed or in the past.
func ParseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseUint(h, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		// Absurdly long waits saturate; NextDelay caps them anyway.
		if err != nil || n > uint64(math.MaxInt64/int64(time.Second)) {
			return time.Duration(math.MaxInt64)
		}
		return time.Duration(n) * time.Second
	}
	t, err := http.ParseTime(h)
	if err != nil {
		return 0
	}
	if d := t.Sub(now); d > 0 {
		return d
	}
	return 0
}
