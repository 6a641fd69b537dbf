package export

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/order"
)

// benchOrders are n typical orders of 3 items.
func benchOrders(n int) []order.Order {
	os := make([]order.Order, n)
	for i := range os {
		at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
		o := order.Order{ID: uuid.Must(uuid.NewV7()), Number: int64(i + 1), Status: order.StatusShipped, CustomerName: "Grace Hopper",
			CustomerEmail: "grace.hopper@example.com", Currency: "EUR", ExternalRef: fmt.Sprintf("PO-%05d", i), CreatedAt: at, UpdatedAt: at,
			Items: []order.Item{
				{SKU: "MUG-01", Name: "Ceramic mug", Quantity: 2, UnitPrice: 1290, TaxRateBP: 2000},
				{SKU: "KB-75", Name: "Mechanical keyboard", Quantity: 1, UnitPrice: 12900, TaxRateBP: 2000},
				{SKU: "CBL-C", Name: "USB-C cable", Quantity: 3, UnitPrice: 1490, TaxRateBP: 2000},
			}}
		order.Compute(&o)
		os[i] = o
	}
	return os
}

// benchmarkWriter writes 1,000 orders per file; it reports file rows
// per second (CSV: one per item; XLSX: one per order and one per item).
func benchmarkWriter(b *testing.B, f Format) {
	os := benchOrders(1000)
	var rows int64
	b.ReportAllocs()
	for b.Loop() {
		w, err := NewWriter(f, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range os {
			if err := w.WriteOrder(o); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		rows += int64(len(os) * 3)
		if f == FormatXLSX {
			rows += int64(len(os))
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkCSVWriter(b *testing.B) { benchmarkWriter(b, FormatCSV) }

func BenchmarkXLSXWriter(b *testing.B) { benchmarkWriter(b, FormatXLSX) }

// BenchmarkCSVWriteOrder is one order's rows, without the file's set-up.
func BenchmarkCSVWriteOrder(b *testing.B) {
	os := benchOrders(100)
	w, err := NewWriter(FormatCSV, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := w.WriteOrder(os[i%len(os)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkXLSXWriteOrder is one order's rows (one on Orders, three on
// Items), without the file's set-up and end.
func BenchmarkXLSXWriteOrder(b *testing.B) {
	b.Setenv("TMPDIR", b.TempDir())
	os := benchOrders(100)
	w, err := NewWriter(FormatXLSX, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		o := os[i%len(os)]
		o.Number = int64(i + 1)
		if err := w.WriteOrder(o); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(4*i)/b.Elapsed().Seconds(), "rows/s")
	b.StopTimer()
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}
