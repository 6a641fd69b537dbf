// Package typeset lays out text for Ordo's PDFs (invoices and exports) in
// any script a customer's name may be written in: it picks a font for each
// run of text (font fallback by script and coverage), orders runs with the
// Unicode bidirectional algorithm, shapes them with go-text/typesetting
// (a pure-Go HarfBuzz port), wraps lines at UAX #14 line-break
// opportunities, and draws the glyphs by ID through fpdf's GlyphText
// (internal/fpdf/glyphtext.go), which embeds each font as a subset.
//
// Fonts: Latin, Greek and Cyrillic are set in the Go fonts; Arabic, Hebrew,
// Devanagari and Thai in Noto Sans fonts embedded in the binary (fonts/,
// OFL, about 1.1 MB). CJK fonts are too large to embed (Noto Sans CJK is
// 19 MB), so the Library looks for NotoSansCJK-Regular.ttc in a configured
// directory (ORDO_FONT_DIR) and then in the usual system font directories.
// Without one, CJK text prints as a visible placeholder (U+FFFD per
// character) while text extraction still returns the real text, and a
// warning is logged once per Library.
package typeset

import (
	"bytes"
	"embed"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	gtfont "github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/font/opentype"
	sfnt "github.com/tdewolff/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/ordo/ordo/internal/fpdf"
)

//go:embed fonts/*.ttf
var embedded embed.FS

// CJKFile is the font file the Library looks for in its font directory.
const CJKFile = "NotoSansCJK-Regular.ttc"

// systemFontDirs are searched for CJKFile after the configured directory:
// where Debian's fonts-noto-cjk and common distributions install it.
var systemFontDirs = []string{
	"/usr/share/fonts/opentype/noto",
	"/usr/share/fonts/noto-cjk",
	"/usr/share/fonts/google-noto-cjk",
	"/usr/share/fonts/opentype/noto-cjk",
	"/usr/local/share/fonts",
}

// Font is one parsed font file, shared read-only by every document and
// goroutine. It implements fpdf.GlyphFont.
type Font struct {
	name string // PostScript name
	// FauxBold: the font is used for bold text though it is a regular
	// face; the glyphs are emboldened when drawn.
	FauxBold bool
	gt       *gtfont.Font
	upem     int
	adv      []uint16 // advance per glyph, font units
	metrics  fpdf.GlyphFontMetrics

	// mu guards sf: Subset changes a few of its header fields while it
	// runs. A faux-bold copy of a Font shares both.
	mu  *sync.Mutex
	sf  *sfnt.SFNT
	cff bool
}

var _ fpdf.GlyphFont = (*Font)(nil)

func (f *Font) PostScriptName() string         { return f.name }
func (f *Font) UnitsPerEm() int                { return f.upem }
func (f *Font) Metrics() fpdf.GlyphFontMetrics { return f.metrics }
func (f *Font) Advance(gid uint16) int {
	if int(gid) < len(f.adv) {
		return int(f.adv[gid])
	}
	return 0
}

// Subset returns a font file of glyphs gids, glyph i being gids[i].
func (f *Font) Subset(gids []uint16) ([]byte, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cff {
		b, err := trueTypeSubset(f, gids)
		return b, false, err
	}
	// tdewolff/font's Subset writes through to these fields of the font
	// it subsets; put them back so the shared font stays as parsed.
	maxp, head, hhea := *f.sf.Maxp, *f.sf.Head, *f.sf.Hhea
	defer func() { *f.sf.Maxp, *f.sf.Head, *f.sf.Hhea = maxp, head, hhea }()
	// Only the tables a PDF reader needs; hinting programs (cvt, fpgm,
	// prep) are left out: readers rasterise at many sizes without them,
	// and they cost size and compression time in every document.
	tables := []string{"glyf", "head", "hhea", "hmtx", "loca", "maxp"}
	sub, err := f.sf.Subset(append([]uint16(nil), gids...), sfnt.SubsetOptions{Tables: tables})
	if err != nil {
		return nil, false, fmt.Errorf("subset %s: %w", f.name, err)
	}
	return pinModified(sub.Write()), f.cff, nil
}

// pinModified zeroes the modified time in a font file's head table, which
// tdewolff/font stamps with the time of writing, and sets the checksums
// again: a document's bytes must not depend on the second it was made in
// (an invoice rendered twice is the same file).
func pinModified(b []byte) []byte {
	be := binary.BigEndian
	if len(b) < 12 {
		return b
	}
	n := int(be.Uint16(b[4:6]))
	for i := range n {
		rec := 12 + 16*i
		if rec+16 > len(b) || string(b[rec:rec+4]) != "head" {
			continue
		}
		off, length := int(be.Uint32(b[rec+8:])), int(be.Uint32(b[rec+12:]))
		if length < 36 || off+length > len(b) {
			return b
		}
		head := b[off : off+length]
		clear(head[28:36])          // modified
		be.PutUint32(head[8:12], 0) // checkSumAdjustment, 0 while summing
		be.PutUint32(b[rec+4:], sfntSum(b[off:min(off+(length+3)&^3, len(b))]))
		be.PutUint32(head[8:12], 0xB1B0AFBA-sfntSum(b))
	}
	return b
}

// sfntSum is the OpenType checksum: the sum of big-endian uint32s, the
// last padded with zeros.
func sfntSum(b []byte) uint32 {
	var s uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		s += binary.BigEndian.Uint32(w[:])
	}
	return s
}

// parseFont parses font number index of data (a TTF, OTF or TTC).
func parseFont(name string, data []byte, index int) (*Font, error) {
	sf, err := sfnt.ParseSFNT(data, index)
	if err != nil {
		return nil, fmt.Errorf("parse font %s: %w", name, err)
	}
	// Only font index of a collection is loaded for shaping: Noto Sans
	// CJK's collection holds ten, and loading them all costs hundreds of
	// megabytes while it runs.
	lds, err := opentype.NewLoaders(bytes.NewReader(data))
	if err != nil || len(lds) <= index {
		return nil, fmt.Errorf("parse font %s for shaping: %v", name, err)
	}
	gt, err := gtfont.NewFont(lds[index])
	if err != nil {
		return nil, fmt.Errorf("parse font %s for shaping: %w", name, err)
	}
	f := &Font{name: name, gt: gt, mu: new(sync.Mutex), sf: sf, cff: sf.IsCFF, upem: int(sf.Head.UnitsPerEm)}
	n := sf.NumGlyphs()
	f.adv = make([]uint16, n)
	for g := range n {
		f.adv[g] = sf.GlyphAdvance(g)
	}
	f.metrics = fpdf.GlyphFontMetrics{
		Ascent: int(sf.Hhea.Ascender), Descent: int(sf.Hhea.Descender), CapHeight: int(sf.Hhea.Ascender),
		BBox: [4]int{int(sf.Head.XMin), int(sf.Head.YMin), int(sf.Head.XMax), int(sf.Head.YMax)},
	}
	return f, nil
}

// Library is the fonts text is set in, in fallback order, for regular and
// bold text. It is read-only once made, and shared.
type Library struct {
	regular, bold []*Font
	hasCJK        bool
	cjkPath       string
	log           *slog.Logger
	warnCJK       sync.Once
	pool          sync.Pool // *shaper
	cache         layoutCache
}

// The embedded fonts, parsed once per process: parsing costs milliseconds
// and the parsed fonts are read-only.
var (
	embeddedOnce sync.Once
	embeddedReg  []*Font
	embeddedBold []*Font
	embeddedErr  error
)

func loadEmbedded() ([]*Font, []*Font, error) {
	embeddedOnce.Do(func() {
		load := func(name string, data []byte) *Font {
			if embeddedErr != nil {
				return nil
			}
			f, err := parseFont(name, data, 0)
			if err != nil {
				embeddedErr = err
			}
			return f
		}
		file := func(n string) []byte {
			b, err := embedded.ReadFile("fonts/" + n + ".ttf")
			if err != nil && embeddedErr == nil {
				embeddedErr = fmt.Errorf("embedded font %s: %w", n, err)
			}
			return b
		}
		embeddedReg = []*Font{load("GoRegular", goregular.TTF)}
		embeddedBold = []*Font{load("GoBold", gobold.TTF)}
		for _, s := range []string{"Arabic", "Hebrew", "Devanagari", "Thai"} {
			embeddedReg = append(embeddedReg, load("NotoSans"+s+"-Regular", file("NotoSans"+s+"-Regular")))
			embeddedBold = append(embeddedBold, load("NotoSans"+s+"-Bold", file("NotoSans"+s+"-Bold")))
		}
	})
	return embeddedReg, embeddedBold, embeddedErr
}

// Libraries are cached per font directory: a CJK font takes a few hundred
// milliseconds and tens of megabytes to load.
var libraries sync.Map // dir → *libEntry

type libEntry struct {
	once sync.Once
	lib  *Library
	err  error
}

// Load returns the Library for font directory dir ("" for none: system
// directories only), made once per process and directory. log receives
// the one warning about a missing CJK font; nil means slog.Default().
func Load(dir string, log *slog.Logger) (*Library, error) {
	v, _ := libraries.LoadOrStore(dir, &libEntry{})
	e := v.(*libEntry)
	e.once.Do(func() {
		dirs := systemFontDirs
		if dir != "" {
			dirs = append([]string{dir}, dirs...)
		}
		e.lib, e.err = newLibrary(dirs, log)
	})
	return e.lib, e.err
}

// Default is Load with the directory in ORDO_FONT_DIR. Rendering code that
// is not handed a Library uses it.
func Default() (*Library, error) { return Load(os.Getenv("ORDO_FONT_DIR"), nil) }

// FindCJK returns where Load(dir, …) would find the CJK font, without
// loading it.
func FindCJK(dir string) (string, bool) {
	dirs := systemFontDirs
	if dir != "" {
		dirs = append([]string{dir}, dirs...)
	}
	for _, d := range dirs {
		p := filepath.Join(d, CJKFile)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, true
		}
	}
	return "", false
}

// newLibrary makes a Library with the CJK font of the first of dirs that
// has one.
func newLibrary(dirs []string, log *slog.Logger) (*Library, error) {
	if log == nil {
		log = slog.Default()
	}
	reg, bold, err := loadEmbedded()
	if err != nil {
		return nil, err
	}
	l := &Library{regular: reg, bold: bold, log: log}
	for _, d := range dirs {
		p := filepath.Join(d, CJKFile)
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		f, err := parseFont("NotoSansCJK-Regular", data, 0)
		if err != nil {
			log.Warn("typeset: CJK font unreadable, trying the next directory", "path", p, "err", err)
			continue
		}
		l.regular = append(l.regular[:len(l.regular):len(l.regular)], f)
		// No bold CJK face is loaded (another 19 MB): bold CJK text is the
		// regular outlines, emboldened.
		fb := &Font{name: f.name, FauxBold: true, gt: f.gt, upem: f.upem, adv: f.adv, metrics: f.metrics, mu: f.mu, sf: f.sf, cff: f.cff}
		l.bold = append(l.bold[:len(l.bold):len(l.bold)], fb)
		l.hasCJK, l.cjkPath = true, p
		break
	}
	l.pool.New = func() any { return newShaper(l) }
	return l, nil
}

// HasCJK says whether a CJK font was found, and where.
func (l *Library) HasCJK() (bool, string) { return l.hasCJK, l.cjkPath }
