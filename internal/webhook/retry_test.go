package webhook_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ordo/ordo/internal/webhook"
)

func TestParseSchedule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []time.Duration
		wantErr string
	}{
		{in: "5s,5m,30m,2h,5h,10h,10h", want: webhook.DefaultSchedule},
		{in: " 1s , 1m30s ", want: []time.Duration{time.Second, 90 * time.Second}},
		{in: "100ms", want: []time.Duration{100 * time.Millisecond}},
		{in: "", wantErr: "retry schedule is empty"},
		{in: "   ", wantErr: "retry schedule is empty"},
		{in: "5s,,5m", wantErr: "item 2 is empty"},
		{in: "5s,", wantErr: "item 2 is empty"},
		{in: "5s,soon", wantErr: `item 2 ("soon") is not a duration`},
		{in: "5", wantErr: `item 1 ("5") is not a duration`},
		{in: "5s,0s", wantErr: `item 2 ("0s") must be positive`},
		{in: "-5s", wantErr: `item 1 ("-5s") must be positive`},
		{in: strings.Repeat("1s,", 20) + "1s", wantErr: "21 items, at most 20"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := webhook.ParseSchedule(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNextDelay(t *testing.T) {
	t.Parallel()
	sched := []time.Duration{10 * time.Second, time.Minute, time.Hour}
	fixed := func(f float64) func() float64 { return func() float64 { return f } }
	tests := []struct {
		name       string
		attempt    int
		retryAfter time.Duration
		rnd        float64
		want       time.Duration
		wantOK     bool
	}{
		{name: "first failure, no jitter", attempt: 1, rnd: 0.5, want: 10 * time.Second, wantOK: true},
		{name: "jitter low end", attempt: 1, rnd: 0, want: 9 * time.Second, wantOK: true},
		{name: "jitter high end", attempt: 2, rnd: 1, want: 66 * time.Second, wantOK: true},
		{name: "last retry", attempt: 3, rnd: 0.5, want: time.Hour, wantOK: true},
		{name: "exhausted", attempt: 4, rnd: 0.5, wantOK: false},
		{name: "far past exhausted", attempt: 40, rnd: 0.5, wantOK: false},
		{name: "attempt 0 treated as 1", attempt: 0, rnd: 0.5, want: 10 * time.Second, wantOK: true},
		{name: "retry-after shorter is ignored", attempt: 2, retryAfter: 5 * time.Second, rnd: 0.5, want: time.Minute, wantOK: true},
		{name: "retry-after longer is honoured", attempt: 1, retryAfter: 30 * time.Minute, rnd: 0.5, want: 30 * time.Minute, wantOK: true},
		{name: "retry-after capped at longest step", attempt: 1, retryAfter: 48 * time.Hour, rnd: 0.5, want: time.Hour, wantOK: true},
		{name: "cap never undercuts jitter", attempt: 3, retryAfter: 48 * time.Hour, rnd: 1, want: 66 * time.Minute, wantOK: true},
		{name: "retry-after does not revive exhausted", attempt: 4, retryAfter: time.Minute, rnd: 0.5, wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := webhook.NextDelay(sched, tt.attempt, tt.retryAfter, fixed(tt.rnd))
			if ok != tt.wantOK || got != tt.want {
				t.Fatalf("got (%v, %v), want (%v, %v)", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// With the real random source every delay stays within ±10%, and the
// default schedule gives 1 + 7 attempts.
func TestNextDelayDefaultSchedule(t *testing.T) {
	t.Parallel()
	for attempt := 1; attempt <= len(webhook.DefaultSchedule); attempt++ {
		base := webhook.DefaultSchedule[attempt-1]
		lo, hi := base*9/10, base*11/10
		for range 200 {
			d, ok := webhook.NextDelay(webhook.DefaultSchedule, attempt, 0, nil)
			if !ok || d < lo || d > hi {
				t.Fatalf("attempt %d: got (%v, %v), want within [%v, %v]", attempt, d, ok, lo, hi)
			}
		}
	}
	if _, ok := webhook.NextDelay(webhook.DefaultSchedule, 8, 0, nil); ok {
		t.Fatal("attempt 8 failed: want no more attempts")
	}
	if _, ok := webhook.NextDelay(nil, 1, 0, nil); ok {
		t.Fatal("empty schedule: want no retries")
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 7 ", 7 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"1.5", 0},
		{"soon", 0},
		{"Sun, 01 Mar 2026 12:05:00 GMT", 5 * time.Minute},
		{"Sunday, 01-Mar-26 12:00:30 GMT", 30 * time.Second}, // RFC 850
		{"Sun Mar  1 12:01:00 2026", time.Minute},            // ANSI C
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0},                 // past
		{"99999999999999999999", time.Duration(1<<63 - 1)},   // overflows uint64
		{"9999999999999", time.Duration(1<<63 - 1)},          // saturates
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := webhook.ParseRetryAfter(tt.in, now); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}
