package order

import (
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/uuid"
)

// benchOrder is a typical order: 3 items, a shipping address.
func benchOrder(i int) Order {
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	o := Order{ID: uuid.Must(uuid.NewV7()), TenantID: uuid.Must(uuid.NewV7()), Number: int64(i + 1), Status: StatusProcessing,
		CustomerName: "Grace Hopper", CustomerEmail: "grace.hopper@example.com", Currency: "EUR",
		ShippingAddress: &Address{Name: "Grace Hopper", Line1: "12 Market Street", City: "Lyon", Country: "FR"},
		ExternalRef:     fmt.Sprintf("PO-%05d", i), Version: 2, CreatedAt: at, UpdatedAt: at, Discount: 500,
		Items: []Item{
			{ID: uuid.Must(uuid.NewV7()), SKU: "MUG-01", Name: "Ceramic mug", Quantity: 2, UnitPrice: 1290, TaxRateBP: 2000},
			{ID: uuid.Must(uuid.NewV7()), SKU: "KB-75", Name: "Mechanical keyboard", Quantity: 1, UnitPrice: 12900, TaxRateBP: 2000},
			{ID: uuid.Must(uuid.NewV7()), SKU: "CBL-C", Name: "USB-C cable", Quantity: 3, UnitPrice: 1490, TaxRateBP: 550},
		}}
	Compute(&o)
	return o
}

// BenchmarkCompute is the totals of a 3-item order.
func BenchmarkCompute(b *testing.B) {
	o := benchOrder(0)
	for b.Loop() {
		Compute(&o)
	}
	if o.Total <= 0 {
		b.Fatal(o.Total)
	}
}

// BenchmarkValidate is what a create does before storing: validation,
// then Compute.
func BenchmarkValidate(b *testing.B) {
	o := benchOrder(0)
	for b.Loop() {
		if err := Validate(&o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeOrderPage is the JSON of a list page of 50 orders, as
// the API writes it: ToView, then encoding/json.
func BenchmarkEncodeOrderPage(b *testing.B) {
	os := make([]Order, 50)
	for i := range os {
		os[i] = benchOrder(i)
	}
	type page struct {
		Data       []View  `json:"data"`
		NextCursor *string `json:"next_cursor"`
	}
	enc := json.NewEncoder(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		p := page{Data: make([]View, len(os))}
		for i, o := range os {
			p.Data[i] = ToView(o)
		}
		if err := enc.Encode(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeOrder is the JSON of one order (GET by id).
func BenchmarkEncodeOrder(b *testing.B) {
	o := benchOrder(0)
	enc := json.NewEncoder(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		if err := enc.Encode(ToView(o)); err != nil {
			b.Fatal(err)
		}
	}
}
