package fpdf

import (
	"bytes"
	"compress/zlib"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// fakeFont has glyphs 1–20, 500 units wide, and records what it was asked
// to subset.
type fakeFont struct{ subset []uint16 }

func (f *fakeFont) PostScriptName() string { return "Fake" }
func (f *fakeFont) UnitsPerEm() int        { return 1000 }
func (f *fakeFont) Advance(uint16) int     { return 500 }
func (f *fakeFont) Metrics() GlyphFontMetrics {
	return GlyphFontMetrics{Ascent: 800, Descent: -200, CapHeight: 700, BBox: [4]int{0, -200, 1000, 800}}
}
func (f *fakeFont) Subset(gids []uint16) ([]byte, bool, error) {
	f.subset = append([]uint16(nil), gids...)
	return []byte("font file"), false, nil
}

func inflate(t *testing.T, b []byte) string {
	t.Helper()
	r, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestGlyphText: CIDs are numbered in order of first use, the subset holds
// exactly the glyphs used, ToUnicode maps CIDs to their clusters' text,
// and the page count is filled in at the end.
func TestGlyphText(t *testing.T) {
	pdf := New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	pdf.AddPage()
	gf := &fakeFont{}
	var digits [10]Glyph
	for i := range digits {
		digits[i] = Glyph{ID: uint16(10 + i), Advance: 6, Text: string(rune('0' + i))}
	}
	pdf.GlyphText(gf, 12, 10, 20, []Glyph{{ID: 7, Advance: 6, Text: "क्ष"}, {ID: 3, Advance: 6, Text: "a"}, {ID: 7, Advance: 6}}, "क्षa", false)
	pdf.GlyphPageCount(gf, 12, 10, 30, digits)
	pdf.AddPage()
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if want := []uint16{0, 7, 3, 12}; !slices.Equal(gf.subset, want) {
		t.Errorf("subset %v, want %v (.notdef, first use order, then the page count's digit 2)", gf.subset, want)
	}
	for _, want := range []string{"/Subtype /Type0", "/Encoding /Identity-H", "/Subtype /CIDFontType2", "/CIDToGIDMap /Identity", "/ActualText<FEFF", "[<0001><0002><0001>]TJ", "[<0003>] TJ"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the PDF", want)
		}
	}
	if !regexp.MustCompile(`/BaseFont /[A-Z]{6}\+Fake`).MatchString(out) {
		t.Error("the subset's name has no tag")
	}
	// The ToUnicode stream is compressed whatever SetCompression says.
	m := regexp.MustCompile(`(?s)<</Length \d+ /Filter /FlateDecode>>\nstream\n(.*?)\nendstream`).FindAllStringSubmatch(out, -1)
	found := false
	for _, s := range m {
		if c := inflate(t, []byte(s[1])); strings.Contains(c, "beginbfchar") {
			found = true
			for _, want := range []string{"<0001> <0915094D0937>", "<0002> <0061>", "<0003> <0032>"} {
				if !strings.Contains(c, want) {
					t.Errorf("ToUnicode has no %q:\n%s", want, c)
				}
			}
		}
	}
	if !found {
		t.Error("no ToUnicode CMap")
	}
}
