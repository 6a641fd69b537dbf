// Ordo: a process-wide cache of parsed UTF-8 (TrueType) fonts.

package fpdf

import (
	"sync"
	"unsafe"
)

// parsedFont is a font file as parseFile left it, and the font's ID.
// Neither is modified after it is cached: documents copy file, and share
// its CharWidths read-only.
type parsedFont struct {
	file *utf8FontFile
	id   string
}

type parsedFontKey struct {
	data    *byte // the font bytes, by identity: they are embedded in the binary
	size    int
	fontkey string // the font's ID covers its name
}

var parsedFonts sync.Map // parsedFontKey → *parsedFont

// parsedUTF8Font parses a TrueType font for family+style fontkey, or
// returns the parse made for the same bytes before. Parsing and hashing a
// font's metrics (its ID) cost several milliseconds per document, more
// than laying out an invoice. The cache is keyed by the bytes' address, so
// callers must not modify font bytes once added; fonts embedded in the
// binary never are.
func parsedUTF8Font(fontkey string, b []byte) (*parsedFont, error) {
	key := parsedFontKey{data: unsafe.SliceData(b), size: len(b), fontkey: fontkey}
	if v, ok := parsedFonts.Load(key); ok {
		return v.(*parsedFont), nil
	}
	file := newUTF8Font(&fileReader{array: b})
	if err := file.parseFile(); err != nil {
		return nil, err
	}
	// The ID hashes the definition's exported fields, which come from the
	// parse alone; the per-document fields (utf8File, usedRunes) are
	// unexported and not part of it.
	id, err := generateFontID(fontDefType{
		Tp:   "UTF8",
		Name: fontkey,
		Desc: FontDescType{
			Ascent:       int(file.Ascent),
			Descent:      int(file.Descent),
			CapHeight:    file.CapHeight,
			Flags:        file.Flags,
			FontBBox:     file.Bbox,
			ItalicAngle:  file.ItalicAngle,
			StemV:        file.StemV,
			MissingWidth: round(file.DefaultWidth),
		},
		Up: int(round(file.UnderlinePosition)),
		Ut: round(file.UnderlineThickness),
		Cw: file.CharWidths,
	})
	if err != nil {
		return nil, err
	}
	file.fileReader = nil // each document reads through its own
	v, _ := parsedFonts.LoadOrStore(key, &parsedFont{file: file, id: id})
	return v.(*parsedFont), nil
}
