package fpdf

// Ordo: this file is Ordo's, not upstream's. It lets a caller that shapes
// text itself (internal/typeset, with a HarfBuzz port) place glyphs by ID:
// Arabic joining forms, Devanagari conjuncts and Thai mark stacks are
// glyphs with no code point of their own, which fpdf's rune-based UTF-8
// fonts cannot print. Each such font is embedded once per document as a
// Type0 font with Identity-H encoding over a CIDFontType2 (TrueType
// outlines) or CIDFontType0 (CFF outlines) subset holding only the glyphs
// used; CIDs are numbered in order of first use, so CID n is glyph n of
// the subset and the subset's size follows the text, not the font. A
// ToUnicode CMap maps each CID to the text of its cluster, and every run
// is wrapped in an ActualText span with its logical text, so that text
// extraction returns what was written, in logical order, even for
// right-to-left runs and glyphs made of several characters.

import (
	"crypto/sha1"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// GlyphFont is a font whose glyphs a caller places by ID. Implementations
// are shared by concurrent documents, so their methods must be safe for
// concurrent use.
type GlyphFont interface {
	// PostScriptName names the font in the PDF (without subset tag).
	PostScriptName() string
	// UnitsPerEm is the font's design units per em.
	UnitsPerEm() int
	// Advance is glyph gid's advance width in font units.
	Advance(gid uint16) int
	// Metrics are the font descriptor's values, in font units.
	Metrics() GlyphFontMetrics
	// Subset returns a font file holding glyphs gids (gids[0] is 0,
	// .notdef) such that glyph i of the file is gids[i], and whether its
	// outlines are CFF (an OpenType file) rather than TrueType.
	Subset(gids []uint16) (data []byte, cff bool, err error)
}

// GlyphFontMetrics are a GlyphFont's descriptor values, in font units.
type GlyphFontMetrics struct {
	Ascent, Descent, CapHeight int
	BBox                       [4]int // xMin, yMin, xMax, yMax
}

// Glyph is one glyph to place: Advance moves the pen after it, XOff and
// YOff shift it from the pen, all in points. Text is the text of the
// cluster the glyph starts, or "" for the further glyphs of a cluster.
type Glyph struct {
	ID                  uint16
	Advance, XOff, YOff float64
	Text                string
}

// glyphFontUse is one GlyphFont's use in one document.
type glyphFontUse struct {
	font   GlyphFont
	res    string            // resource name, "GF1"
	cids   map[uint16]uint16 // glyph ID → CID
	gids   []uint16          // CID → glyph ID; gids[0] is 0
	text   []string          // CID → text, for ToUnicode
	objNum int
}

func (f *Fpdf) glyphFont(gf GlyphFont) *glyphFontUse {
	for _, u := range f.glyphFonts {
		if u.font == gf {
			return u
		}
	}
	u := &glyphFontUse{font: gf, res: "GF" + strconv.Itoa(len(f.glyphFonts)+1),
		cids: map[uint16]uint16{0: 0}, gids: []uint16{0}, text: []string{""}}
	f.glyphFonts = append(f.glyphFonts, u)
	return u
}

func (u *glyphFontUse) cid(g Glyph) uint16 {
	c, ok := u.cids[g.ID]
	if !ok {
		c = uint16(len(u.gids))
		u.cids[g.ID] = c
		u.gids = append(u.gids, g.ID)
		u.text = append(u.text, g.Text)
	} else if u.text[c] == "" && g.Text != "" {
		u.text[c] = g.Text
	}
	return c
}

// GlyphText draws glyphs of gf at size points, the pen starting at x on
// the baseline y (in user units), in the current text colour. actual, if
// not "", is given to text extraction in place of the glyphs' ToUnicode
// text (an ActualText span inside the text object, where readers still
// know the font and position it applies to). Bold asks
// for a stroked outline on top of the fill: fonts that have no bold face
// are emboldened this way.
func (f *Fpdf) GlyphText(gf GlyphFont, size, x, y float64, glyphs []Glyph, actual string, bold bool) {
	if f.err != nil || len(glyphs) == 0 {
		return
	}
	if f.page == 0 {
		f.err = fmt.Errorf("glyph text: no page")
		return
	}
	u := f.glyphFont(gf)
	upem := float64(gf.UnitsPerEm())
	// Appended by hand, not with fmt: a report's cells make thousands of
	// these per document.
	num := func(b []byte, v float64, prec int) []byte {
		if v > -0.005 && v < 0.005 {
			return append(b, '0')
		}
		return strconv.AppendFloat(b, v, 'f', prec, 64)
	}
	b := make([]byte, 0, 96+len(actual)*4+10*len(glyphs))
	b = append(b, "q "...)
	b = append(b, f.color.text.str...)
	if bold {
		// Stroke in the fill colour: the text colour operator set "rg"
		// only.
		b = append(b, ' ')
		b = append(b, strings.Replace(f.color.text.str, "rg", "RG", 1)...)
		b = append(b, ' ')
		b = num(b, size*0.03, 3)
		b = append(b, " w 2 Tr"...)
	}
	b = append(b, " BT /"...)
	b = append(b, u.res...)
	b = append(b, ' ')
	b = num(b, size, 2)
	b = append(b, " Tf "...)
	b = num(b, x*f.k, 2)
	b = append(b, ' ')
	b = num(b, (f.h-y)*f.k, 2)
	b = append(b, " Td "...)
	if actual != "" {
		b = append(b, "/Span<</ActualText<FEFF"...)
		for _, c := range utf16.Encode([]rune(actual)) {
			b = appendHex4(b, c)
		}
		b = append(b, ">>>BDC "...)
	}
	// The viewer moves by each glyph's width in the W array; TJ's numbers
	// correct that to the shaped positions (kerning, zero-width marks,
	// mark offsets).
	pen, cur, rise := 0.0, 0.0, 0.0
	open := false
	for _, g := range glyphs {
		if g.YOff != rise {
			if open {
				b = append(b, "]TJ "...)
				open = false
			}
			rise = g.YOff
			b = num(b, rise, 2)
			b = append(b, " Ts "...)
		}
		if !open {
			b = append(b, '[')
			open = true
		}
		want := pen + g.XOff
		if d := (want - cur) * 1000 / size; d > 0.05 || d < -0.05 {
			b = num(b, -d, 1)
		}
		b = append(b, '<')
		b = appendHex4(b, u.cid(g))
		b = append(b, '>')
		cur = want + float64(gf.Advance(g.ID))*size/upem
		pen += g.Advance
	}
	if open {
		b = append(b, "]TJ"...)
	}
	if rise != 0 {
		b = append(b, " 0 Ts"...)
	}
	if actual != "" {
		b = append(b, " EMC"...)
	}
	b = append(b, " ET Q"...)
	f.out(string(b))
}

// appendHex4 appends v as four upper-case hexadecimal digits.
func appendHex4(b []byte, v uint16) []byte {
	const hex = "0123456789ABCDEF"
	return append(b, hex[v>>12], hex[v>>8&15], hex[v>>4&15], hex[v&15])
}

// glyphPageCount is one place where the page count is drawn in glyphs.
type glyphPageCount struct {
	u      *glyphFontUse
	digits [10]Glyph
}

// GlyphPageCount draws the document's page count, which is known only
// when the document is written, in gf's glyphs digits (those of "0" to
// "9") at size points from x on the baseline y. Like AliasNbPages, it
// leaves a token in the page that is replaced at the end.
func (f *Fpdf) GlyphPageCount(gf GlyphFont, size, x, y float64, digits [10]Glyph) {
	if f.err != nil || f.page == 0 {
		return
	}
	u := f.glyphFont(gf)
	// One token per font: each token costs a pass over every page.
	known := false
	for _, pc := range f.glyphPageCounts {
		known = known || pc.u == u
	}
	if !known {
		f.glyphPageCounts = append(f.glyphPageCounts, glyphPageCount{u: u, digits: digits})
	}
	f.outf("q %s BT /%s %.2f Tf %.2f %.2f Td [{ordo-nb-%s}] TJ ET Q", f.color.text.str, u.res, size, x*f.k, (f.h-y)*f.k, u.res)
}

func (f *Fpdf) glyphPageCountAliases(nb int) {
	for _, pc := range f.glyphPageCounts {
		var b strings.Builder
		for _, d := range strconv.Itoa(nb) {
			fmt.Fprintf(&b, "<%04X>", pc.u.cid(pc.digits[d-'0']))
		}
		f.RegisterAlias("{ordo-nb-"+pc.u.res+"}", b.String())
	}
}

// putGlyphFonts writes each glyph font used: the Type0 font, its CID
// font, descriptor, ToUnicode CMap and subset font file.
func (f *Fpdf) putGlyphFonts() {
	for _, u := range f.glyphFonts {
		if f.err != nil {
			return
		}
		gf := u.font
		data, cff, err := gf.Subset(u.gids)
		if err != nil {
			f.err = fmt.Errorf("subset font %s: %w", gf.PostScriptName(), err)
			return
		}
		// The subset tag is six capitals derived from the glyphs, so the
		// same text gives the same bytes.
		h := sha1.New()
		for _, g := range u.gids {
			h.Write([]byte{byte(g >> 8), byte(g)})
		}
		sum := h.Sum(nil)
		tag := make([]byte, 6)
		for i := range tag {
			tag[i] = 'A' + sum[i]%26
		}
		name := string(tag) + "+" + gf.PostScriptName()
		scale := 1000 / float64(gf.UnitsPerEm())
		m := gf.Metrics()

		f.newobj()
		u.objNum = f.n
		f.outf("<</Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R>>", name, f.n+1, f.n+2)
		f.out("endobj")

		f.newobj()
		var s fmtBuffer
		sub := "CIDFontType2"
		if cff {
			sub = "CIDFontType0"
		}
		s.printf("<</Type /Font /Subtype /%s /BaseFont /%s /CIDSystemInfo <</Registry (Adobe) /Ordering (Identity) /Supplement 0>> /FontDescriptor %d 0 R", sub, name, f.n+2)
		if !cff {
			s.printf(" /CIDToGIDMap /Identity")
		}
		s.printf(" /W [1 [")
		for _, g := range u.gids[1:] {
			s.printf("%d ", int(float64(gf.Advance(g))*scale+0.5))
		}
		s.printf("]]>>")
		f.out(s.String())
		f.out("endobj")

		// ToUnicode
		f.newobj()
		cmap := toUnicodeCMap(u.text)
		mem := xmem.compress([]byte(cmap))
		cb := mem.bytes()
		f.outf("<</Length %d /Filter /FlateDecode>>", len(cb))
		f.putstream(cb)
		f.out("endobj")
		mem.release()

		// Descriptor
		f.newobj()
		s = fmtBuffer{}
		file := "FontFile2"
		if cff {
			file = "FontFile3"
		}
		s.printf("<</Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [%d %d %d %d] /ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV 80 /%s %d 0 R>>",
			name, int(float64(m.BBox[0])*scale), int(float64(m.BBox[1])*scale), int(float64(m.BBox[2])*scale), int(float64(m.BBox[3])*scale),
			int(float64(m.Ascent)*scale), int(float64(m.Descent)*scale), int(float64(m.CapHeight)*scale), file, f.n+1)
		f.out(s.String())
		f.out("endobj")

		// Font file
		f.newobj()
		mem = xmem.compress(data)
		fb := mem.bytes()
		if cff {
			f.outf("<</Length %d /Filter /FlateDecode /Subtype /OpenType>>", len(fb))
		} else {
			f.outf("<</Length %d /Filter /FlateDecode /Length1 %d>>", len(fb), len(data))
		}
		f.putstream(fb)
		f.out("endobj")
		mem.release()
	}
}

// toUnicodeCMap maps CID i to text[i], for the CIDs that have text.
func toUnicodeCMap(text []string) string {
	var b strings.Builder
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo <</Registry (Adobe) /Ordering (UCS) /Supplement 0>> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	var cids []int
	for i, t := range text {
		if t != "" {
			cids = append(cids, i)
		}
	}
	sort.Ints(cids)
	for len(cids) > 0 {
		n := min(len(cids), 100) // at most 100 entries per block
		fmt.Fprintf(&b, "%d beginbfchar\n", n)
		for _, c := range cids[:n] {
			fmt.Fprintf(&b, "<%04X> <", c)
			for _, u := range utf16.Encode([]rune(text[c])) {
				fmt.Fprintf(&b, "%04X", u)
			}
			b.WriteString(">\n")
		}
		b.WriteString("endbfchar\n")
		cids = cids[n:]
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend")
	return b.String()
}
