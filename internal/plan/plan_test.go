package plan

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/apperr"
)

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		name          string
		plan          string
		planO, tenant map[string]int64
		want          map[Name]int64
	}{
		{"built in", "free", nil, nil, map[Name]int64{Members: 3, OrdersPerMonth: 100, WebhookEndpoints: 1}},
		{"plan override", "free", map[string]int64{"members": 5}, nil, map[Name]int64{Members: 5, OrdersPerMonth: 100, WebhookEndpoints: 1}},
		{"tenant beats plan", "pro", map[string]int64{"members": 5}, map[string]int64{"members": -1}, map[Name]int64{Members: Unlimited, OrdersPerMonth: 10_000, WebhookEndpoints: 10}},
		{"unknown plan is unlimited", "gold", nil, nil, map[Name]int64{Members: Unlimited, OrdersPerMonth: Unlimited, WebhookEndpoints: Unlimited}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Resolve(tc.plan, tc.planO, tc.tenant)
			for n, v := range tc.want {
				if got.Values[n] != v {
					t.Errorf("%s = %d, want %d", n, got.Values[n], v)
				}
			}
		})
	}
}

type fakeStore struct{ plan string }

func (f fakeStore) PlanOf(context.Context, uuid.UUID) (string, map[string]int64, map[string]int64, error) {
	return f.plan, nil, map[string]int64{"orders_per_month": 2}, nil
}

func TestAllow(t *testing.T) {
	ctx, id := context.Background(), uuid.New()
	c := NewChecker(fakeStore{"free"}, true)
	for used, ok := range map[int64]bool{1: true, 2: true, 3: false} {
		err := c.Allow(ctx, id, OrdersPerMonth, used)
		if (err == nil) != ok {
			t.Fatalf("usage %d: %v", used, err)
		}
		var le *ErrLimit
		if err != nil && (!errors.As(err, &le) || le.Value != 2 || le.Usage != 2 || le.Plan != "free" || apperr.HTTPStatus(err) != 403) {
			t.Fatalf("usage %d: %#v (status %d)", used, err, apperr.HTTPStatus(err))
		}
	}
	if err := NewChecker(fakeStore{"free"}, false).Allow(ctx, id, OrdersPerMonth, 1_000); err != nil {
		t.Fatalf("not enforced, yet refused: %v", err)
	}
	var none *Checker
	if err := none.Allow(ctx, id, OrdersPerMonth, 1_000); err != nil {
		t.Fatalf("no checker, yet refused: %v", err)
	}
}

// AllowAdd weighs what a change adds (an upload's bytes) against what is
// used without it; the refusal reports the usage before the change.
func TestAllowAdd(t *testing.T) {
	ctx, id := context.Background(), uuid.New()
	c := NewChecker(fakeStore{"free"}, true) // free: 1 GiB of storage
	const gib = int64(1) << 30
	for _, tc := range []struct {
		name         string
		used, adding int64
		ok           bool
	}{
		{"fits", 0, gib, true},
		{"fills the last byte", gib - 10, 10, true},
		{"one byte over", gib - 10, 11, false},
		{"already over", gib + 1, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.AllowAdd(ctx, id, StorageBytes, tc.used, tc.adding)
			if (err == nil) != tc.ok {
				t.Fatalf("used %d adding %d: %v", tc.used, tc.adding, err)
			}
			var le *ErrLimit
			if err != nil && (!errors.As(err, &le) || le.Limit != StorageBytes || le.Value != gib || le.Usage != tc.used) {
				t.Fatalf("%#v", err)
			}
		})
	}
}

// Limited says whether counting is worth it: not when limits are off or
// the tenant's limit is unlimited.
func TestLimited(t *testing.T) {
	ctx, id := context.Background(), uuid.New()
	for _, tc := range []struct {
		plan    string
		enforce bool
		name    Name
		want    bool
	}{
		{"free", true, ExportsPerDay, true},
		{"free", false, ExportsPerDay, false},
		{"enterprise", true, StorageBytes, false},
		{"pro", true, APIRequestsPerMinute, true},
	} {
		got, err := NewChecker(fakeStore{tc.plan}, tc.enforce).Limited(ctx, id, tc.name)
		if err != nil || got != tc.want {
			t.Errorf("%s enforce=%v %s: %v, %v; want %v", tc.plan, tc.enforce, tc.name, got, err, tc.want)
		}
	}
}

func TestDay(t *testing.T) {
	in := time.Date(2026, 12, 31, 23, 30, 0, 0, time.FixedZone("x", -2*3600))
	if got, want := Day(in), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("Day(%s) = %s, want %s (the UTC day)", in, got, want)
	}
}
