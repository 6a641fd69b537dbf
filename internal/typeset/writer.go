package typeset

import (
	"strings"
	"unicode"

	"github.com/ordo/ordo/internal/fpdf"
)

// Writer sets text on one fpdf document in the Library's fonts. Its
// methods mirror fpdf's CellFormat, MultiCell, SplitText and
// GetStringWidth, in the document's user units, so layout code reads as
// before. A Writer holds pooled shaping state: Close it when the document
// is done. It is not safe for concurrent use (nor is the document).
type Writer struct {
	pdf  *fpdf.Fpdf
	lib  *Library
	sh   *shaper
	size float64 // points
	bold bool
	// Mirror lays the page out right to left: every x is reflected about
	// the page's centre, left and right alignment swap, and paragraphs'
	// base direction is right-to-left. Layout code keeps computing
	// left-to-right positions; see X.
	Mirror bool
}

// NewWriter returns a Writer drawing on pdf.
func (l *Library) NewWriter(pdf *fpdf.Fpdf) *Writer {
	return &Writer{pdf: pdf, lib: l, sh: l.pool.Get().(*shaper), size: 10}
}

// Close returns the Writer's shaping state to the Library's pool.
func (w *Writer) Close() {
	if w.sh != nil {
		w.lib.pool.Put(w.sh)
		w.sh = nil
	}
}

// SetFont sets the size in points and the weight of the text that
// follows.
func (w *Writer) SetFont(bold bool, size float64) { w.bold, w.size = bold, size }

// X is where a box at left-to-right position x of width wd is drawn:
// x itself, or its reflection when the Writer mirrors the page.
func (w *Writer) X(x, wd float64) float64 {
	if !w.Mirror {
		return x
	}
	pw, _ := w.pdf.GetPageSize()
	return pw - x - wd
}

func (w *Writer) k() float64 { return w.pdf.GetConversionRatio() }

// Lines lays text out in lines at most width user units wide (0: as
// wide as the text).
func (w *Writer) Lines(text string, width float64) []Line {
	return w.sh.layout(text, w.size, w.bold, w.Mirror, width*w.k())
}

// Width is text's width in user units, set on one line.
func (w *Writer) Width(text string) float64 {
	wd := 0.0
	for _, l := range w.Lines(text, 0) {
		wd = max(wd, l.Width)
	}
	return wd / w.k()
}

// Split wraps text into lines fitting a cell of width wd, as fpdf's
// SplitText does (the cell margins are left free).
func (w *Writer) Split(text string, wd float64) []Line {
	return w.Lines(text, wd-2*w.pdf.GetCellMargin())
}

// Fit shortens text with an ellipsis to fit a cell of width wd on one
// line.
func (w *Writer) Fit(text string, wd float64) string {
	wd -= 2 * w.pdf.GetCellMargin()
	if w.Width(text) <= wd {
		return text
	}
	rs := []rune(text)
	// Cut only where a cluster ends: not before a combining mark (Thai
	// tone marks, Devanagari vowel signs) nor after a virama or joiner,
	// which would change the letters left standing.
	var cuts []int
	for i := 1; i < len(rs); i++ {
		if !unicode.In(rs[i], unicode.Mn, unicode.Mc, unicode.Me) && !joins(rs[i-1]) {
			cuts = append(cuts, i)
		}
	}
	// Halve the search: names may be 2000 characters long.
	lo, hi := -1, len(cuts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if w.Width(strings.TrimSpace(string(rs[:cuts[mid]]))+"…") <= wd {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo < 0 {
		return "…"
	}
	return strings.TrimSpace(string(rs[:cuts[lo]])) + "…"
}

// joins reports whether r joins the next character into its cluster: a
// virama (Indic scripts) or a zero-width joiner.
func joins(r rune) bool {
	return r == '\u200D' || unicode.Is(unicode.Mn, r) && strings.ContainsRune("\u094D\u09CD\u0A4D\u0ACD\u0B4D\u0BCD\u0C4D\u0CCD\u0D4D\u0E3A", r)
}

// Cell is fpdf's CellFormat for shaped text: a cell of wd × h at the
// current position (wd 0 reaches the right margin), text aligned "L",
// "C" or "R", filled in the fill colour if fill, then the position moves
// as CellFormat's ln says (0 right, 1 next line, 2 below). Text wider
// than the cell overflows it, as in fpdf; use Fit to cut it.
func (w *Writer) Cell(wd, h float64, text, align string, fill bool, ln int) {
	lines := w.Lines(text, 0)
	var l Line
	if len(lines) > 0 {
		l = lines[0]
	}
	w.CellLine(wd, h, l, align, fill, ln)
}

// CellLine is Cell for a line laid out already (by Split or Lines).
func (w *Writer) CellLine(wd, h float64, l Line, align string, fill bool, ln int) {
	p := w.pdf
	x0 := p.GetX()
	if wd == 0 {
		pw, _ := p.GetPageSize()
		_, _, right, _ := p.GetMargins()
		wd = pw - right - x0
	}
	// fpdf's empty cell does the bookkeeping: the automatic page break
	// (with its header and footer) and the move afterwards.
	p.CellFormat(wd, h, "", "", ln, "", false, 0, "")
	y := p.GetY()
	if ln != 0 {
		y -= h
	}
	if fill {
		p.Rect(w.X(x0, wd), y, wd, h, "F")
	}
	w.draw(l, x0, y, wd, h, align)
}

// MultiCell prints text wrapped to width wd, h per line, from the
// current position; afterwards x is the left margin and y is below the
// text, as after fpdf's MultiCell.
func (w *Writer) MultiCell(wd, h float64, text, align string) {
	x := w.pdf.GetX()
	for _, l := range w.Split(text, wd) {
		w.pdf.SetX(x)
		w.CellLine(wd, h, l, align, false, 2)
	}
	left, _, _, _ := w.pdf.GetMargins()
	w.pdf.SetX(left)
}

// draw sets line l in the cell at x, y (left-to-right coordinates) of
// wd × h, vertically centred as fpdf centres cell text.
func (w *Writer) draw(l Line, x, y, wd, h float64, align string) {
	if len(l.Runs) == 0 {
		return
	}
	p, k := w.pdf, w.k()
	if w.Mirror {
		x = w.X(x, wd)
		switch align {
		case "L", "":
			align = "R"
		case "R":
			align = "L"
		}
	}
	m := p.GetCellMargin()
	lw := l.Width / k
	switch align {
	case "R":
		x += wd - m - lw
	case "C":
		x += (wd - lw) / 2
	default:
		x += m
	}
	base := y + h/2 + 0.3*w.size/k
	for _, r := range l.Runs {
		// Left-to-right runs carry their text as ActualText, so that
		// conjuncts, reordered vowel signs and ligatures extract as
		// written. Right-to-left runs are extracted from their glyphs'
		// ToUnicode text, in visual order, which readers reorder
		// themselves; ActualText there would be reordered a second time.
		// Runs of one glyph per character need neither: their ToUnicode
		// text is theirs, and leaving ActualText out keeps documents small.
		text := r.Text
		if r.RTL || r.Simple {
			text = ""
		}
		p.GlyphText(r.Font, w.size, x, base, r.Glyphs, text, w.bold && r.Font.FauxBold)
		for _, g := range r.Glyphs {
			x += g.Advance / k
		}
	}
}

// CellPageCount is Cell for prefix followed by the document's page
// count, which is known only when the document is written (fpdf's
// AliasNbPages cannot be used: shaped text holds glyph IDs, not the
// alias's characters). The text is left-aligned so that it does not
// depend on the count's width.
func (w *Writer) CellPageCount(wd, h float64, prefix string, ln int) {
	p, k := w.pdf, w.k()
	x0 := p.GetX()
	p.CellFormat(wd, h, "", "", ln, "", false, 0, "")
	y := p.GetY()
	if ln != 0 {
		y -= h
	}
	var pre Line
	if l := w.sh.layout(prefix, w.size, w.bold, false, 0); len(l) > 0 {
		pre = l[0]
	}
	digits := w.sh.layout("0123456789", w.size, w.bold, false, 0)
	if len(digits) == 0 || len(digits[0].Runs) != 1 || len(digits[0].Runs[0].Glyphs) != 10 {
		return // no font would set digits as ten glyphs: leave the count out
	}
	x := w.X(x0, wd)
	base := y + h/2 + 0.3*w.size/k
	mirror := w.Mirror
	w.Mirror = false // the cell is placed already
	w.draw(pre, x, y, wd, h, "L")
	w.Mirror = mirror
	x += p.GetCellMargin()
	run := digits[0].Runs[0]
	var d [10]fpdf.Glyph
	copy(d[:], run.Glyphs)
	p.GlyphPageCount(run.Font, w.size, x+pre.Width/k, base, d)
}
