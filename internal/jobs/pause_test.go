package jobs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
)

// The jobs of a suspended tenant are snoozed, not run and not failed;
// jobs of other tenants and of none run; the status is looked up once per
// tenant and recheck period.
func TestPauseSuspended(t *testing.T) {
	suspended, active := uuid.New(), uuid.New()
	lookups := map[uuid.UUID]int{}
	mw := PauseSuspended(func(_ context.Context, id uuid.UUID) (bool, error) {
		lookups[id]++
		return id == suspended, nil
	}, time.Hour).(*pauseMiddleware)

	for _, tc := range []struct {
		name    string
		args    string
		runs    bool
		snoozed bool
	}{
		{"suspended tenant", `{"tenant_id":"` + suspended.String() + `"}`, false, true},
		{"suspended again", `{"tenant_id":"` + suspended.String() + `","to":"a@example.com"}`, false, true},
		{"active tenant", `{"tenant_id":"` + active.String() + `"}`, true, false},
		{"no tenant", `{"to":"a@example.com"}`, true, false},
		{"null tenant", `{"tenant_id":null}`, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ran := false
			err := mw.Work(t.Context(), &rivertype.JobRow{EncodedArgs: []byte(tc.args)}, func(context.Context) error {
				ran = true
				return nil
			})
			require.Equal(t, tc.runs, ran)
			var snooze *rivertype.JobSnoozeError
			require.Equal(t, tc.snoozed, errors.As(err, &snooze), "err: %v", err)
		})
	}
	require.Equal(t, 1, lookups[suspended], "one lookup per tenant and period")
	require.Equal(t, 1, lookups[active])
}

// DailyAt runs at the hour, today if it is still ahead, else tomorrow.
func TestDailyAt(t *testing.T) {
	t.Parallel()
	s := DailyAt(2)
	at := func(h, m int) time.Time { return time.Date(2026, 12, 4, h, m, 0, 0, time.UTC) }
	require.Equal(t, at(2, 0), s.Next(at(1, 59)))
	require.Equal(t, at(2, 0).AddDate(0, 0, 1), s.Next(at(2, 0)))
	require.Equal(t, at(2, 0).AddDate(0, 0, 1), s.Next(at(23, 0)))
}
