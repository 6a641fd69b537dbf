package typeset

import (
	"bytes"
	"image/png"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/fpdf"
	"github.com/ordo/ordo/internal/testkit"
)

// cjkLibrary is the Library with Noto Sans CJK: missing fails in CI (which
// installs fonts-noto-cjk) and skips elsewhere.
func cjkLibrary(t *testing.T) *Library {
	t.Helper()
	lib, err := Load(os.Getenv("ORDO_FONT_DIR"), nil)
	require.NoError(t, err)
	if ok, _ := lib.HasCJK(); !ok {
		testkit.Missing(t, "Noto Sans CJK (apt-get install fonts-noto-cjk, or ORDO_FONT_DIR)")
	}
	return lib
}

// render sets each of lines as a wrapped paragraph, 100 mm wide.
func render(t testing.TB, lib *Library, bold bool, lines ...string) []byte {
	t.Helper()
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddPage()
	w := lib.NewWriter(pdf)
	defer w.Close()
	w.SetFont(bold, 12)
	for _, l := range lines {
		pdf.SetX(20)
		w.MultiCell(100, 7, l, "L")
	}
	var buf bytes.Buffer
	require.NoError(t, pdf.Output(&buf))
	return buf.Bytes()
}

// words is a text's words, sorted: pdftotext puts a right-to-left line's
// runs in visual order, each run's text in logical order, so right-to-left
// text is compared as the words it has.
func words(s string) []string {
	w := strings.Fields(testkit.PDFTextNormal(s))
	slices.Sort(w)
	return w
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name, text string
		rtl        bool
		font       string // a font pdffonts must list
		cjk        bool
	}{
		{"latin greek cyrillic", "Ærøskøbing Ψυχή Дмитрий", false, "GoRegular", false},
		{"arabic", "محمد بن سلمان، شارع 12", true, "NotoSansArabic-Regular", false},
		{"hebrew", "שרה כהן, רחוב הרצל 42", true, "NotoSansHebrew-Regular", false},
		{"devanagari", "राजेश क्षत्रिय, मुंबई", false, "NotoSansDevanagari-Regular", false},
		{"thai", "สมชาย ใจดี กรุงเทพฯ", false, "NotoSansThai-Regular", false},
		{"cjk", "山田太郎 東京都 김민준", false, "NotoSansCJK-Regular", true},
		{"mixed", "Invoice for محمد and שרה, राजेश and สมชาย 2026", true, "NotoSansThai-Regular", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lib, err := Load("", nil)
			require.NoError(t, err)
			if tt.cjk {
				lib = cjkLibrary(t)
			}
			pdf := render(t, lib, false, tt.text)
			got := testkit.PDFText(t, pdf)
			if tt.rtl {
				// Every word reads in logical order, whatever order the
				// runs of a line come in.
				flat := strings.ReplaceAll(testkit.PDFTextNormal(got), " ", "")
				for _, w := range words(tt.text) {
					require.Contains(t, flat, strings.TrimFunc(w, unicode.IsPunct), "in %q", got)
				}
				require.Equal(t, len([]rune(strings.ReplaceAll(testkit.PDFTextNormal(tt.text), " ", ""))), len([]rune(flat)), "nothing more, nothing less: %q", got)
			} else {
				require.Equal(t, testkit.PDFTextNormal(tt.text), testkit.PDFTextNormal(got))
			}
			fonts := testkit.PDFFonts(t, pdf)
			require.NotEmpty(t, fonts)
			found := false
			for _, f := range fonts {
				cols := strings.Fields(f)
				// name, "CID", "TrueType", encoding, emb, sub, uni, ...
				require.GreaterOrEqual(t, len(cols), 7, f)
				require.Regexp(t, `^[A-Z]{6}\+`, cols[0], "a subset's tagged name: %s", f)
				require.Equal(t, []string{"CID", "TrueType", "Identity-H", "yes", "yes", "yes"}, cols[1:7], f)
				found = found || strings.HasSuffix(cols[0], "+"+tt.font)
			}
			require.True(t, found, "%s among %v", tt.font, fonts)
		})
	}
}

// TestShaping checks what shaping is for: Arabic letters take their
// joining forms, Devanagari forms conjuncts, Thai marks sit on their base.
func TestShaping(t *testing.T) {
	lib, err := Load("", nil)
	require.NoError(t, err)
	sh := lib.pool.Get().(*shaper)
	defer lib.pool.Put(sh)
	nominal := func(f *Font, r rune) uint16 {
		for i, face := range sh.faces[0] {
			if lib.regular[i] == f {
				g, _ := face.NominalGlyph(r)
				return uint16(g)
			}
		}
		return 0
	}
	glyphs := func(text string) (*Font, []fpdf.Glyph) {
		l := sh.layout(text, 12, false, false, 0)
		require.Len(t, l, 1)
		require.Len(t, l[0].Runs, 1, text)
		return l[0].Runs[0].Font, l[0].Runs[0].Glyphs
	}

	// محمد: four letters, each in a contextual form, not the isolated one.
	f, gs := glyphs("محمد")
	require.Len(t, gs, 4)
	isolated := 0
	for _, g := range gs {
		for _, r := range "محد" {
			if g.ID == nominal(f, r) {
				isolated++
			}
		}
	}
	require.Zero(t, isolated, "Arabic letters joined")
	require.Equal(t, "د", gs[0].Text, "visual order: the last letter is leftmost")

	// क्ष (ka, virama, ssa) is one conjunct glyph.
	_, gs = glyphs("क्ष")
	require.Len(t, gs, 1)
	require.Equal(t, "क्ष", gs[0].Text)

	// น้ำ: the tone mark is placed over its base with no advance of its own.
	_, gs = glyphs("น้ำ")
	require.GreaterOrEqual(t, len(gs), 3)
	require.Zero(t, gs[1].Advance, "the tone mark does not advance")
}

// TestBidiOrder: numbers stay left-to-right inside right-to-left text, and
// right-to-left runs are ordered right to left.
func TestBidiOrder(t *testing.T) {
	lib, err := Load("", nil)
	require.NoError(t, err)
	sh := lib.pool.Get().(*shaper)
	defer lib.pool.Put(sh)
	l := sh.layout("שרה 42 כהן", 12, false, true, 0)
	require.Len(t, l, 1)
	var visual []string
	for _, r := range l[0].Runs {
		visual = append(visual, strings.TrimSpace(r.Text))
	}
	require.Equal(t, []string{"כהן", "42", "שרה"}, visual)
	digits := l[0].Runs[1].Glyphs
	require.Equal(t, "4", digits[0].Text, "42 reads left to right")

	// A number first, then Arabic: the paragraph is right to left (its
	// first strong character), so the number is rightmost.
	l = sh.layout("10001 الرياض", 12, false, false, 0)
	require.Len(t, l, 1)
	visual = visual[:0]
	for _, r := range l[0].Runs {
		visual = append(visual, strings.TrimSpace(r.Text))
	}
	require.Equal(t, []string{"الرياض", "10001"}, visual)
}

// TestWrap: long CJK and Thai names wrap at line-break opportunities
// (they have no spaces), within the width, never inside a cluster.
func TestWrap(t *testing.T) {
	tests := []struct {
		name, text string
		cjk        bool
	}{
		{"thai", strings.Repeat("บริษัทสมชายใจดีจำกัด", 4), false},
		{"cjk", strings.Repeat("山田太郎商事株式会社東京支店", 3), true},
		{"latin", strings.Repeat("Widget deluxe anodised ", 8), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lib, err := Load("", nil)
			require.NoError(t, err)
			if tt.cjk {
				lib = cjkLibrary(t)
			}
			sh := lib.pool.Get().(*shaper)
			defer lib.pool.Put(sh)
			const width = 150.0 // points
			lines := sh.layout(tt.text, 10, false, false, width)
			require.Greater(t, len(lines), 2)
			var joined strings.Builder
			for i, l := range lines {
				require.LessOrEqual(t, l.Width, width+0.01, "line %d", i)
				first := []rune(l.Text)[0]
				require.False(t, unicode.Is(unicode.Mn, first), "line %d starts with a mark: %q", i, l.Text)
				for _, r := range l.Runs {
					for _, g := range r.Glyphs {
						require.NotZero(t, g.ID, "no .notdef")
					}
				}
				joined.WriteString(l.Text)
			}
			want := strings.ReplaceAll(tt.text, " ", "")
			require.Equal(t, want, strings.ReplaceAll(joined.String(), " ", ""), "every character once, in order")
		})
	}
}

// TestPlaceholder: without a CJK font, CJK text prints as visible
// placeholders, text extraction still returns it, and one warning is
// logged however often it happens.
func TestPlaceholder(t *testing.T) {
	var logs bytes.Buffer
	lib, err := newLibrary(nil, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	ok, _ := lib.HasCJK()
	require.False(t, ok)

	sh := lib.pool.Get().(*shaper)
	l := sh.layout("山田", 12, false, false, 0)
	lib.pool.Put(sh)
	require.Len(t, l, 1)
	for _, r := range l[0].Runs {
		for _, g := range r.Glyphs {
			require.NotZero(t, g.ID, "a placeholder glyph, not .notdef")
			require.Positive(t, g.Advance)
		}
	}

	pdf := render(t, lib, false, "山田太郎")
	_ = render(t, lib, true, "東京")
	require.Equal(t, 1, strings.Count(logs.String(), "level=WARN"), logs.String())
	require.Contains(t, logs.String(), "ORDO_FONT_DIR")
	require.Equal(t, "山田太郎", testkit.PDFTextNormal(testkit.PDFText(t, pdf)))

	// Visible: the text's place on the page has ink.
	img, err := png.Decode(bytes.NewReader(testkit.PDFPagePNG(t, pdf, 72)))
	require.NoError(t, err)
	dark := 0
	for y := range 60 {
		for x := range 200 {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				dark++
			}
		}
	}
	require.Greater(t, dark, 20, "placeholders print")
}

// TestSubsetSize: a document embeds only the glyphs it uses.
func TestSubsetSize(t *testing.T) {
	lib, err := Load("", nil)
	require.NoError(t, err)
	pdf := render(t, lib, false, "Ærøskøbing Ψυχή Дмитрий", "محمد", "สมชาย")
	require.Less(t, len(pdf), 20_000, "three fonts' subsets")
	testkit.Artifact(t, "typeset-subset.pdf", pdf)
}

// TestFit: text cut to a width ends at a cluster boundary with an
// ellipsis.
func TestFit(t *testing.T) {
	lib, err := Load("", nil)
	require.NoError(t, err)
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddPage()
	w := lib.NewWriter(pdf)
	defer w.Close()
	w.SetFont(false, 9)
	for _, text := range []string{"क्षत्रिय क्षत्रिय क्षत्रिय क्षत्रिय", "น้ำน้ำน้ำน้ำน้ำน้ำน้ำน้ำน้ำน้ำ", "Short"} {
		for wd := 5.0; wd < 40; wd += 0.7 {
			got := w.Fit(text, wd)
			if got == text || got == "…" { // all, or nothing fits
				continue
			}
			require.True(t, strings.HasSuffix(got, "…"), got)
			require.LessOrEqual(t, w.Width(got), wd-2*pdf.GetCellMargin()+0.01, got)
			cut := []rune(strings.TrimSuffix(got, "…"))
			if len(cut) == 0 {
				continue
			}
			next := []rune(text)[len(cut)]
			require.False(t, unicode.In(next, unicode.Mn, unicode.Mc), "cut before a mark: %q", got)
			require.False(t, joins(cut[len(cut)-1]), "cut after a virama: %q", got)
		}
	}
}

// TestFindCJK: the configured directory comes before the system's.
func TestFindCJK(t *testing.T) {
	dir := t.TempDir()
	_, _ = FindCJK(dir) // whatever the system has
	p := dir + "/" + CJKFile
	require.NoError(t, os.WriteFile(p, []byte("not read"), 0o644))
	got, ok := FindCJK(dir)
	require.True(t, ok)
	require.Equal(t, p, got)
}

// TestSubsetSameBytes: a subset made a second later is the same file
// (the font library stamps the time of writing into the head table, which
// made an invoice rendered twice differ).
func TestSubsetSameBytes(t *testing.T) {
	lib, err := Load("", nil)
	require.NoError(t, err)
	var f *Font
	for _, c := range lib.regular {
		if !c.cff && strings.Contains(c.name, "Arabic") {
			f = c // an embedded Noto font, subset by tdewolff/font
		}
	}
	require.NotNil(t, f)
	first, _, err := f.Subset([]uint16{0, 3, 5})
	require.NoError(t, err)
	time.Sleep(1100 * time.Millisecond)
	again, _, err := f.Subset([]uint16{0, 3, 5})
	require.NoError(t, err)
	require.Equal(t, first, again)
	require.Equal(t, uint32(0xB1B0AFBA), sfntSum(again), "the file's checksum adjustment holds")
}
