package fpdf

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// render makes a one-page document of text in the Go fonts, as exports
// and invoices do, with fixed dates so equal input gives equal bytes.
func render(t *testing.T, text string) []byte {
	t.Helper()
	pdf := New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("Go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("Go", "B", gobold.TTF)
	pdf.SetCatalogSort(true)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	pdf.SetCreationDate(at)
	pdf.SetModificationDate(at)
	pdf.AddPage()
	pdf.SetFont("Go", "B", 12)
	pdf.CellFormat(0, 8, "Title "+text, "", 1, "L", false, 0, "")
	pdf.SetFont("Go", "", 10)
	pdf.MultiCell(0, 5, text, "", "L", false)
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		t.Errorf("render %q: %v", text, err)
	}
	return b.Bytes()
}

// TestParseCacheConcurrentDocuments renders documents with different
// runes (so different font subsets) at once. They share one parse of each
// font (parsecache.go), which invoices and exports both rely on, so a
// document subsetting its copy must not change another's: each must come
// out as it does alone. Run with -race to catch shared writes.
func TestParseCacheConcurrentDocuments(t *testing.T) {
	texts := []string{
		"Plain ASCII 0123456789",
		"Ελληνικά και Кириллица",
		"Zürich, Łódź, Ærø, façade — “quoted”",
		"日本語 boxes but extractable",
	}
	want := make([][]byte, len(texts))
	for i, s := range texts {
		want[i] = render(t, s)
		if !bytes.HasPrefix(want[i], []byte("%PDF-")) {
			t.Fatalf("render %q: not a PDF: %.20q", s, want[i])
		}
	}
	if bytes.Equal(want[0], want[1]) {
		t.Fatal("documents with different text rendered the same bytes")
	}

	const rounds = 4
	var wg sync.WaitGroup
	errs := make(chan error, rounds*len(texts))
	for r := range rounds {
		for i := range texts {
			wg.Go(func() {
				// Start at a different text each round.
				i := (i + r) % len(texts)
				if got := render(t, texts[i]); !bytes.Equal(got, want[i]) {
					errs <- fmt.Errorf("round %d: %q rendered concurrently differs from alone (%d vs %d bytes)", r, texts[i], len(got), len(want[i]))
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
