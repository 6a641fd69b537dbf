package webhook_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/ordo/ordo/internal/webhook"
)

// BenchmarkSign is the signature of a typical delivery (a 2 KiB order
// event), with one secret and with two during a rotation.
func BenchmarkSign(b *testing.B) {
	body := bytes.Repeat([]byte(`{"k":"v"}`), 2048/9)
	s1, err := webhook.NewSecret()
	if err != nil {
		b.Fatal(err)
	}
	s2, err := webhook.NewSecret()
	if err != nil {
		b.Fatal(err)
	}
	ts := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		secrets []string
	}{{"one secret", []string{s1}}, {"rotation", []string{s1, s2}}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := webhook.Sign("msg_2Vx9", ts, body, tc.secrets...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
