package version

import (
	"testing"
	"time"
)

func TestNext(t *testing.T) {
	base := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		now  time.Time
		was  int64
		want int64
	}{
		{"clock moved on", base.Add(time.Second), Of(base), Of(base.Add(time.Second))},
		{"same microsecond", base.Add(300 * time.Nanosecond), Of(base), Of(base) + 1},
		{"clock went back", base.Add(-time.Hour), Of(base), Of(base) + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Of(Next(tt.now, tt.was)); got != tt.want {
				t.Fatalf("Of(Next) = %d, want %d", got, tt.want)
			}
		})
	}
}
