package typeset

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"

	sfnt "github.com/tdewolff/font"
)

// CFF-outline fonts (Noto Sans CJK) are CID-keyed with many font dicts,
// which tdewolff/font cannot subset. Their subsets are made here instead
// as small TrueType fonts: each glyph's outline is read as a path and
// written as a TrueType glyph, every cubic Bézier approximated by four
// quadratic ones (well under a font unit off at 1000 units per em). The
// PDF then embeds every font the same way (CIDFontType2).

type point struct {
	x, y int16
	on   bool
}

// contours collects a glyph's outline as TrueType contours.
type contours struct {
	all  [][]point
	cur  []point
	x, y float64
}

func (c *contours) add(x, y float64, on bool) {
	c.cur = append(c.cur, point{int16(math.Round(x)), int16(math.Round(y)), on})
}

func (c *contours) MoveTo(x, y float64) {
	c.Close()
	c.add(x, y, true)
	c.x, c.y = x, y
}

func (c *contours) LineTo(x, y float64) {
	c.add(x, y, true)
	c.x, c.y = x, y
}

func (c *contours) QuadTo(cx, cy, x, y float64) {
	c.add(cx, cy, false)
	c.add(x, y, true)
	c.x, c.y = x, y
}

func (c *contours) CubeTo(c1x, c1y, c2x, c2y, x, y float64) {
	const n = 4
	p0x, p0y := c.x, c.y
	at := func(t float64) (float64, float64) {
		u := 1 - t
		return u*u*u*p0x + 3*u*u*t*c1x + 3*u*t*t*c2x + t*t*t*x,
			u*u*u*p0y + 3*u*u*t*c1y + 3*u*t*t*c2y + t*t*t*y
	}
	// Derivative, for each piece's tangents.
	d := func(t float64) (float64, float64) {
		u := 1 - t
		return 3*u*u*(c1x-p0x) + 6*u*t*(c2x-c1x) + 3*t*t*(x-c2x),
			3*u*u*(c1y-p0y) + 6*u*t*(c2y-c1y) + 3*t*t*(y-c2y)
	}
	for i := range n {
		t0, t1 := float64(i)/n, float64(i+1)/n
		ax, ay := at(t0)
		bx, by := at(t1)
		// The piece as a cubic: its control points from the tangents;
		// then the quadratic's control point (3(c1+c2) − (a+b)) / 4.
		dax, day := d(t0)
		dbx, dby := d(t1)
		h := (t1 - t0) / 3
		q1x, q1y := ax+dax*h, ay+day*h
		q2x, q2y := bx-dbx*h, by-dby*h
		c.add((3*(q1x+q2x)-ax-bx)/4, (3*(q1y+q2y)-ay-by)/4, false)
		c.add(bx, by, true)
	}
	c.x, c.y = x, y
}

func (c *contours) Close() {
	if n := len(c.cur); n > 1 && c.cur[0] == c.cur[n-1] {
		c.cur = c.cur[:n-1]
	}
	if len(c.cur) > 1 {
		c.all = append(c.all, c.cur)
	}
	c.cur = nil
}

// glyph encodes the contours as a TrueType simple glyph.
func (c *contours) glyph() (data []byte, xMin, yMin, xMax, yMax int16, points int) {
	c.Close()
	if len(c.all) == 0 {
		return nil, 0, 0, 0, 0, 0
	}
	xMin, yMin, xMax, yMax = math.MaxInt16, math.MaxInt16, math.MinInt16, math.MinInt16
	for _, ct := range c.all {
		for _, p := range ct {
			xMin, yMin, xMax, yMax = min(xMin, p.x), min(yMin, p.y), max(xMax, p.x), max(yMax, p.y)
			points++
		}
	}
	b := make([]byte, 0, 12+2*len(c.all)+5*points)
	b = binary.BigEndian.AppendUint16(b, uint16(len(c.all)))
	for _, v := range []int16{xMin, yMin, xMax, yMax} {
		b = binary.BigEndian.AppendUint16(b, uint16(v))
	}
	end := -1
	for _, ct := range c.all {
		end += len(ct)
		b = binary.BigEndian.AppendUint16(b, uint16(end))
	}
	b = binary.BigEndian.AppendUint16(b, 0) // no instructions
	for _, ct := range c.all {
		for _, p := range ct {
			if p.on {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		}
	}
	// Coordinates as 16-bit deltas: simple, and flate compresses them.
	var px, py int16
	for _, ct := range c.all {
		for _, p := range ct {
			b = binary.BigEndian.AppendUint16(b, uint16(p.x-px))
			px = p.x
		}
	}
	for _, ct := range c.all {
		for _, p := range ct {
			b = binary.BigEndian.AppendUint16(b, uint16(p.y-py))
			py = p.y
		}
	}
	if len(b)%2 == 1 {
		b = append(b, 0)
	}
	return b, xMin, yMin, xMax, yMax, points
}

// trueTypeSubset writes glyphs gids of f as a TrueType font, glyph i
// being gids[i].
func trueTypeSubset(f *Font, gids []uint16) ([]byte, error) {
	var glyf []byte
	loca := make([]uint32, 0, len(gids)+1)
	var bx0, by0, bx1, by1 int16 = math.MaxInt16, math.MaxInt16, math.MinInt16, math.MinInt16
	maxPts, maxCts := 0, 0
	for _, g := range gids {
		loca = append(loca, uint32(len(glyf)))
		if g == 0 {
			continue // .notdef left empty
		}
		var c contours
		if err := f.sf.GlyphPath(&c, g, 0, 0, 0, 1, sfnt.NoHinting); err != nil {
			return nil, fmt.Errorf("outline of glyph %d of %s: %w", g, f.name, err)
		}
		data, x0, y0, x1, y1, pts := c.glyph()
		if data == nil {
			continue
		}
		bx0, by0, bx1, by1 = min(bx0, x0), min(by0, y0), max(bx1, x1), max(by1, y1)
		maxPts, maxCts = max(maxPts, pts), max(maxCts, len(c.all))
		glyf = append(glyf, data...)
	}
	loca = append(loca, uint32(len(glyf)))
	if bx0 > bx1 {
		bx0, by0, bx1, by1 = 0, 0, 0, 0
	}
	be := binary.BigEndian
	u16 := func(b []byte, v int) []byte { return be.AppendUint16(b, uint16(v)) }

	head := be.AppendUint32(nil, 0x00010000)
	head = be.AppendUint32(head, 0x00010000) // fontRevision
	head = be.AppendUint32(head, 0)          // checkSumAdjustment
	head = be.AppendUint32(head, 0x5F0F3CF5)
	head = u16(head, 3) // baseline and left side bearing at 0
	head = u16(head, f.upem)
	head = append(head, make([]byte, 16)...) // created, modified
	for _, v := range []int16{bx0, by0, bx1, by1} {
		head = u16(head, int(v))
	}
	head = u16(head, 0) // macStyle
	head = u16(head, 8) // lowestRecPPEM
	head = u16(head, 2) // fontDirectionHint
	head = u16(head, 1) // indexToLocFormat: long
	head = u16(head, 0)

	advMax := 0
	hmtx := make([]byte, 0, 4*len(gids))
	for _, g := range gids {
		a := f.Advance(g)
		advMax = max(advMax, a)
		hmtx = u16(u16(hmtx, a), 0)
	}
	hhea := be.AppendUint32(nil, 0x00010000)
	hhea = u16(hhea, f.metrics.Ascent)
	hhea = u16(hhea, f.metrics.Descent)
	hhea = u16(hhea, 0) // lineGap
	hhea = u16(hhea, advMax)
	hhea = u16(hhea, 0)                 // minLeftSideBearing
	hhea = u16(hhea, 0)                 // minRightSideBearing
	hhea = u16(hhea, int(bx1))          // xMaxExtent
	hhea = u16(u16(u16(hhea, 1), 0), 0) // caret
	hhea = append(hhea, make([]byte, 10)...)
	hhea = u16(hhea, len(gids)) // numberOfHMetrics

	maxp := be.AppendUint32(nil, 0x00010000)
	maxp = u16(maxp, len(gids))
	maxp = u16(maxp, maxPts)
	maxp = u16(maxp, maxCts)
	maxp = u16(u16(maxp, 0), 0)
	maxp = u16(maxp, 2) // maxZones
	maxp = append(maxp, make([]byte, 18)...)

	locaB := make([]byte, 0, 4*len(loca))
	for _, o := range loca {
		locaB = be.AppendUint32(locaB, o)
	}
	return sfntFile(map[string][]byte{"glyf": glyf, "head": head, "hhea": hhea, "hmtx": hmtx, "loca": locaB, "maxp": maxp}), nil
}

// sfntFile lays tables out as an sfnt font file.
func sfntFile(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	be := binary.BigEndian
	n := len(tags)
	es := 0
	for 1<<(es+1) <= n {
		es++
	}
	out := be.AppendUint32(nil, 0x00010000)
	out = be.AppendUint16(out, uint16(n))
	out = be.AppendUint16(out, uint16(16<<es))
	out = be.AppendUint16(out, uint16(es))
	out = be.AppendUint16(out, uint16(n*16-16<<es))
	off := 12 + 16*n
	for _, t := range tags {
		data := tables[t]
		var sum uint32
		for i := 0; i < len(data); i += 4 {
			var w [4]byte
			copy(w[:], data[i:])
			sum += be.Uint32(w[:])
		}
		out = append(out, t...)
		out = be.AppendUint32(out, sum)
		out = be.AppendUint32(out, uint32(off))
		out = be.AppendUint32(out, uint32(len(data)))
		off += (len(data) + 3) &^ 3
	}
	for _, t := range tags {
		out = append(out, tables[t]...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out
}
