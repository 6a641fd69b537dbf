package web

import (
	"io"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/language"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/i18n"
	"github.com/ordo/ordo/internal/order"
)

// BenchmarkOrdersPage renders a full orders page (50 rows) in German, the
// template work alone: what a list page costs beyond its queries.
func BenchmarkOrdersPage(b *testing.B) {
	static, err := newAssets(staticFS)
	if err != nil {
		b.Fatal(err)
	}
	ps, err := parsePages(static)
	if err != nil {
		b.Fatal(err)
	}
	cat, err := i18n.New()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	os := make([]order.Order, 50)
	for i := range os {
		os[i] = order.Order{ID: uuid.New(), Number: int64(i + 1), CustomerName: "Grace Hopper", CustomerEmail: "grace@example.com",
			Status: order.StatusPending, Currency: "EUR", Total: 123456, CreatedAt: now}
	}
	p := access.Principal{UserID: uuid.New(), TenantID: uuid.New(), Role: access.RoleOwner, Name: "Owner"}
	v := view{Title: "Orders", Principal: &p, Lang: language.German, catalog: cat, Locale: order.Locale{Decimal: ',', Group: '.'},
		Path: "/app/orders", Data: ordersPage{Orders: os, Statuses: map[order.Status]string{order.StatusPending: "Offen"}, HasCount: true, Count: 50}}
	b.ReportAllocs()
	for b.Loop() {
		if err := ps["orders"].ExecuteTemplate(io.Discard, "layout", v); err != nil {
			b.Fatal(err)
		}
	}
}
