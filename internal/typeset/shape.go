package typeset

import (
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/go-text/typesetting/bidi"
	"github.com/go-text/typesetting/di"
	gtfont "github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"
	xbidi "golang.org/x/text/unicode/bidi"

	"github.com/ordo/ordo/internal/fpdf"
)

// placeholder stands in for a character no font has, so that it shows
// as a mark a reader notices (U+FFFD, the replacement character) rather
// than as nothing; text extraction still returns the real character.
const placeholder = '\uFFFD'

// shapeSize is the size, in points, text is shaped at; results are scaled
// to the size asked for. go-text rounds the shaping size up to a whole
// number, which would set 8.5 pt text 6% too wide.
const shapeSize = 1000

// Line is one laid-out line of text.
type Line struct {
	Runs  []Run   // in visual order, left to right
	Width float64 // points
	Text  string  // the line's text, in logical order
}

// Run is a sequence of glyphs of one font and direction.
type Run struct {
	Font   *Font
	Glyphs []fpdf.Glyph
	Text   string // in logical order
	RTL    bool
	// Simple: one glyph per character, in order, so the glyphs'
	// ToUnicode text reads as Text and no ActualText is needed.
	Simple bool
	level  int // bidi embedding level
}

// shaper is one goroutine's shaping state: go-text's faces, shaper and
// wrapper are not safe for concurrent use, so the Library pools them.
type shaper struct {
	lib    *Library
	faces  [2][]*gtfont.Face // regular, bold; parallel to lib.regular/bold
	font   map[*gtfont.Face]*Font
	hb     shaping.HarfbuzzShaper
	seg    shaping.Segmenter
	wrap   shaping.LineWrapper
	outs   []shaping.Output
	runes  []rune
	bidi   bidi.Paragraph
	levels []int // per rune of runes
}

func newShaper(l *Library) *shaper {
	s := &shaper{lib: l, font: map[*gtfont.Face]*Font{}}
	for i, fonts := range [2][]*Font{l.regular, l.bold} {
		for _, f := range fonts {
			face := gtfont.NewFace(f.gt)
			s.faces[i] = append(s.faces[i], face)
			s.font[face] = f
		}
	}
	return s
}

// fontmap picks, for each character, the first font that has it; the
// segmenter has already split text by script and direction, so a run
// never mixes fonts within a script.
type fontmap []*gtfont.Face

func (m fontmap) ResolveFace(r rune) *gtfont.Face {
	for _, f := range m {
		if _, ok := f.NominalGlyph(r); ok {
			return f
		}
	}
	return m[0]
}

// covered reports whether some font has r; controls and spaces need none.
func (m fontmap) covered(r rune) bool {
	if r < 0x20 || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Mn, r) {
		return true
	}
	for _, f := range m {
		if _, ok := f.NominalGlyph(r); ok {
			return true
		}
	}
	return false
}

// layout shapes text (one paragraph per "\n") at size points and wraps it
// to maxWidth points (0: no wrapping). rtl sets the paragraphs' base
// direction; runs within follow the bidi algorithm either way.
func (s *shaper) layout(text string, size float64, bold, rtl bool, maxWidth float64) []Line {
	key := layoutKey{text, size, maxWidth, bold, rtl}
	if len(text) <= layoutCacheText {
		if l, ok := s.lib.cache.get(key); ok {
			return l
		}
	}
	var lines []Line
	for para := range strings.SplitSeq(text, "\n") {
		lines = append(lines, s.paragraph(para, size, bold, rtl, maxWidth)...)
	}
	if len(text) <= layoutCacheText {
		s.lib.cache.put(key, lines)
	}
	return lines
}

// Laid-out short texts are cached per Library: documents repeat labels,
// dates, amounts, statuses and names, and shaping costs more than the
// lookup. Lines are read-only once made, so they are shared. The cache is
// bounded: at layoutCacheMax entries it starts again.
const (
	layoutCacheText = 64 // bytes; longer texts are rarely repeated
	layoutCacheMax  = 4096
)

type layoutKey struct {
	text           string
	size, maxWidth float64
	bold, rtl      bool
}

type layoutCache struct {
	mu sync.Mutex
	m  map[layoutKey][]Line
}

func (c *layoutCache) get(k layoutKey) ([]Line, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.m[k]
	return l, ok
}

func (c *layoutCache) put(k layoutKey, l []Line) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= layoutCacheMax {
		c.m = make(map[layoutKey][]Line, 256)
	}
	c.m[k] = l
}

func (s *shaper) paragraph(text string, size float64, bold, rtl bool, maxWidth float64) []Line {
	if text == "" {
		return []Line{{}}
	}
	fm := fontmap(s.faces[0])
	if bold {
		fm = fontmap(s.faces[1])
	}
	orig := []rune(text)
	s.runes = append(s.runes[:0], orig...)
	missing := false
	for i, r := range s.runes {
		if !fm.covered(r) {
			s.runes[i] = placeholder
			missing = true
		}
	}
	if missing {
		s.lib.warnCJK.Do(func() {
			s.lib.log.Warn("typeset: some characters have no font and print as placeholders; for CJK text install Noto Sans CJK (Debian: fonts-noto-cjk) or set ORDO_FONT_DIR to a directory holding " + CJKFile)
		})
	}
	// A paragraph's direction is its first strong character's (UAX #9,
	// P2–P3), so that on a mirrored invoice a phone number, an amount or a
	// Latin address still reads left to right, and an Arabic name on a
	// left-to-right invoice reads right to left. Mirroring moves and
	// aligns text; it does not reorder it.
	switch firstStrong(s.runes) {
	case xbidi.R, xbidi.AL:
		rtl = true
	default:
		rtl = false
	}
	dir := di.DirectionLTR
	if rtl {
		dir = di.DirectionRTL
	}
	// go-text's wrapper orders runs by direction only, which puts numbers
	// in right-to-left text on the wrong side; line() orders them by bidi
	// level (UAX #9, L2), from these levels.
	def := bidi.LeftToRight
	if rtl {
		def = bidi.RightToLeft
	}
	bruns := s.bidi.Segment(s.runes, def)
	s.levels = s.levels[:0]
	for i := range bruns.NumRuns() {
		r := bruns.Run(i)
		for len(s.levels) < r.End {
			s.levels = append(s.levels, int(r.Level))
		}
	}
	for len(s.levels) < len(s.runes) {
		s.levels = append(s.levels, int(def))
	}
	in := shaping.Input{Text: s.runes, RunEnd: len(s.runes), Direction: dir, Size: fixed.I(shapeSize)}
	s.outs = s.outs[:0]
	for _, part := range s.seg.Split(in, fm) {
		s.outs = append(s.outs, s.hb.Shape(part))
	}
	scale := size / shapeSize / 64
	limit := fixed.Int26_6(maxWidth * shapeSize / size * 64)
	if maxWidth <= 0 || s.width() <= limit {
		// One line: the wrapper's line-break analysis is not needed,
		// and most text (table cells, labels) is set this way.
		return []Line{s.line(shaping.Line(s.outs), orig, scale)}
	}
	cfg := shaping.WrapConfig{Direction: dir, BreakPolicy: shaping.WhenNecessary}
	wrapped, _ := s.wrap.WrapParagraphF(cfg, limit, s.runes, shaping.NewSliceIterator(s.outs))
	lines := make([]Line, 0, len(wrapped))
	for _, wl := range wrapped {
		lines = append(lines, s.line(wl, orig, scale))
	}
	return lines
}

// width is the shaped runs' advance, in shapeSize units.
func (s *shaper) width() fixed.Int26_6 {
	var w fixed.Int26_6
	for _, o := range s.outs {
		w += o.Advance
	}
	return w
}

// line turns a line's runs, in logical order, into glyphs in visual
// order.
// scale turns go-text's 26.6 fixed-point lengths into points.
func (s *shaper) line(runs shaping.Line, orig []rune, scale float64) Line {
	var l Line
	lo, hi := len(orig), 0
	for _, o := range runs {
		lo, hi = min(lo, o.Runes.Offset), max(hi, o.Runes.Offset+o.Runes.Count)
		r := Run{Font: s.font[o.Face], Glyphs: make([]fpdf.Glyph, 0, len(o.Glyphs)),
			Text: string(orig[o.Runes.Offset:min(o.Runes.Offset+o.Runes.Count, len(orig))]),
			RTL:  o.Direction.Progression() == di.TowardTopLeft, Simple: true}
		if o.Runes.Offset < len(s.levels) {
			r.level = s.levels[o.Runes.Offset]
		}
		seen := -1
		for _, g := range o.Glyphs {
			pg := fpdf.Glyph{ID: uint16(g.GlyphID), Advance: float64(g.XAdvance) * scale,
				XOff: float64(g.XOffset) * scale, YOff: float64(g.YOffset) * scale}
			if g.RuneCount != 1 || g.GlyphCount != 1 || g.ClusterIndex < len(orig) && s.runes[g.ClusterIndex] != orig[g.ClusterIndex] {
				r.Simple = false // a cluster, or a placeholder for another character
			}
			if g.ClusterIndex != seen {
				seen = g.ClusterIndex
				end := min(g.ClusterIndex+g.RuneCount, len(orig))
				pg.Text = string(orig[g.ClusterIndex:end])
			}
			l.Width += pg.Advance
			r.Glyphs = append(r.Glyphs, pg)
		}
		l.Runs = append(l.Runs, r)
	}
	reorder(l.Runs)
	if lo < hi {
		l.Text = strings.TrimSpace(string(orig[lo:hi]))
	}
	return l
}

// reorder puts runs, given in logical order, in visual order: from the
// highest level down to the lowest odd one, every maximal sequence of
// runs at that level or higher is reversed (UAX #9, rule L2).
func reorder(runs []Run) {
	hi, lo := 0, 1<<30
	for _, r := range runs {
		hi = max(hi, r.level)
		if r.level%2 == 1 {
			lo = min(lo, r.level)
		}
	}
	for lv := hi; lv >= lo; lv-- {
		for i := 0; i < len(runs); {
			if runs[i].level < lv {
				i++
				continue
			}
			j := i
			for j < len(runs) && runs[j].level >= lv {
				j++
			}
			slices.Reverse(runs[i:j])
			i = j
		}
	}
}

// firstStrong is the bidi class of text's first strongly directional
// character: L, R or AL, or ON when there is none.
func firstStrong(text []rune) xbidi.Class {
	for _, r := range text {
		p, _ := xbidi.LookupRune(r)
		switch c := p.Class(); c {
		case xbidi.L, xbidi.R, xbidi.AL:
			return c
		}
	}
	return xbidi.ON
}
