package archive

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// A row of an archive written before a table gained a column (Added)
// reads with the column's default, not NULL that a NOT NULL column would
// refuse; a row that has the column keeps its value.
func TestReadTableAddedColumns(t *testing.T) {
	var tb Table
	for _, x := range Tables {
		if x.Name == "tenant_usage" {
			tb = x
		}
	}
	if len(tb.Added) == 0 {
		t.Fatal("tenant_usage has no added columns")
	}
	lines := `{"tenant_id":"0191e1e0-0000-7000-8000-000000000001","month":"2026-11-01","orders_created":7}` + "\n" +
		`{"tenant_id":"0191e1e0-0000-7000-8000-000000000001","month":"2026-12-01","orders_created":1,"api_requests":42}` + "\n"
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("tables/tenant_usage.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(lines)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(lines))
	m := Manifest{Tables: map[string]TableInfo{"tenant_usage": {Rows: 2, SHA256: hex.EncodeToString(sum[:]),
		Columns: []string{"tenant_id", "month", "orders_created", "api_requests"}}}}
	idx := map[string]int{}
	for i, c := range tb.Columns {
		idx[c.Name] = i
	}
	var rows [][]any
	err = readTable(map[string]*zip.File{"tables/tenant_usage.jsonl": zr.File[0]}, m, tb, func(row []any) error {
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, c := range []struct {
		row  int
		col  string
		want any
	}{
		{0, "orders_created", int64(7)}, {0, "api_requests", int64(0)}, {0, "emails_sent", int64(0)},
		{1, "api_requests", int64(42)}, {1, "export_rows", int64(0)},
	} {
		if got := rows[c.row][idx[c.col]]; got != c.want {
			t.Errorf("row %d %s = %#v, want %#v", c.row, c.col, got, c.want)
		}
	}
}
