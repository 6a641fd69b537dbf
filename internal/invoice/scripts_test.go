package invoice

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/testkit"
	"github.com/ordo/ordo/internal/typeset"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden/*.png from the rendered invoices")

// latinOnlySizeBefore is a Latin-only invoice's size (latinInvoice) when
// invoices were set in fpdf's rune-based Go fonts, before shaping
// (measured on main at 07a69fe). The shaped invoice must stay within 10%.
const latinOnlySizeBefore = 30154

// scriptCase is one script's invoice: customer, address and items written
// in it.
type scriptCase struct {
	name   string
	rtl    bool   // right-to-left script: text compared word by word
	font   string // a font pdffonts must list
	cjk    bool   // needs Noto Sans CJK
	mirror bool   // the tenant's right-to-left layout
	cust   string
	addr   [2]string
	items  [2]string
}

var scriptCases = []scriptCase{
	{name: "latin", font: "GoRegular", cust: "Ærøskøbing Ψυχή Дмитрий", addr: [2]string{"Οδός Αθηνάς 12", "Αθήνα"}, items: [2]string{"Widget, large", "Доставка"}},
	{name: "arabic", rtl: true, mirror: true, font: "NotoSansArabic-Bold", cust: "محمد بن سلمان", addr: [2]string{"شارع الملك فهد 12", "الرياض"}, items: [2]string{"أداة كبيرة", "شحن"}},
	{name: "hebrew", rtl: true, mirror: true, font: "NotoSansHebrew-Bold", cust: "שרה כהן", addr: [2]string{"רחוב הרצל 42", "תל אביב"}, items: [2]string{"מכשיר גדול", "משלוח"}},
	{name: "devanagari", font: "NotoSansDevanagari-Bold", cust: "राजेश क्षत्रिय", addr: [2]string{"गांधी मार्ग 7", "मुंबई"}, items: [2]string{"बड़ा उपकरण", "शिपिंग"}},
	{name: "thai", font: "NotoSansThai-Bold", cust: "สมชาย ใจดี", addr: [2]string{"ถนนสุขุมวิท 55", "กรุงเทพฯ"}, items: [2]string{"อุปกรณ์ขนาดใหญ่", "ค่าจัดส่ง"}},
	{name: "cjk", cjk: true, font: "NotoSansCJK-Regular", cust: "山田太郎", addr: [2]string{"千代田区丸の内1-1", "東京都"}, items: [2]string{"大型ウィジェット", "배송료"}},
}

func (c scriptCase) invoice() Invoice {
	inv := fixture(2)
	o := &inv.Order
	o.CustomerName = c.cust
	o.BillingAddress = &order.Address{Name: c.cust, Line1: c.addr[0], City: c.addr[1], PostalCode: "10001", Country: "XX"}
	o.ShippingAddress = nil
	o.Items[0].Name, o.Items[1].Name = c.items[0], c.items[1]
	inv.Branding.RTL = c.mirror
	return inv
}

func (c scriptCase) library(t *testing.T) *typeset.Library {
	t.Helper()
	lib, err := typeset.Load(os.Getenv("ORDO_FONT_DIR"), nil)
	require.NoError(t, err)
	if ok, _ := lib.HasCJK(); c.cjk && !ok {
		testkit.Missing(t, "Noto Sans CJK (apt-get install fonts-noto-cjk, or ORDO_FONT_DIR)")
	}
	return lib
}

func renderWith(t testing.TB, inv Invoice, lib *typeset.Library) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, RenderWith(&buf, inv, lib))
	return buf.Bytes()
}

// TestRenderScripts: each script's invoice gives its customer's name,
// address and items back through pdftotext, in logical order (for
// right-to-left text, word by word: pdftotext orders a line's runs
// visually), and embeds subsets only.
func TestRenderScripts(t *testing.T) {
	for _, c := range scriptCases {
		t.Run(c.name, func(t *testing.T) {
			pdf := renderWith(t, c.invoice(), c.library(t))
			text := testkit.PDFTextNormal(testkit.PDFText(t, pdf))
			for _, s := range []string{c.cust, c.addr[0], c.addr[1], c.items[0], c.items[1]} {
				if c.rtl {
					for _, w := range strings.Fields(s) {
						require.Contains(t, text, strings.TrimFunc(w, unicode.IsPunct))
					}
				} else {
					require.Contains(t, text, s)
				}
			}
			require.Contains(t, text, "INV-2026-0042")
			found := false
			for _, f := range testkit.PDFFonts(t, pdf) {
				cols := strings.Fields(f)
				require.GreaterOrEqual(t, len(cols), 7, f)
				require.Regexp(t, `^[A-Z]{6}\+`, cols[0], "a subset: %s", f)
				require.Equal(t, []string{"yes", "yes", "yes"}, cols[4:7], "embedded, subset, ToUnicode: %s", f)
				found = found || strings.HasSuffix(cols[0], "+"+c.font)
			}
			require.True(t, found, "pdffonts lists %s", c.font)
		})
	}
}

// TestRenderGolden compares each script's first page, rendered by
// pdftoppm, with testdata/golden/NAME.png (go test -run Golden -update
// rewrites them). Poppler versions antialias a little differently, so
// pages match when few pixels differ much. The rendered pages go to
// $ORDO_TEST_ARTIFACTS when it is set.
func TestRenderGolden(t *testing.T) {
	const dpi = 50
	for _, c := range scriptCases {
		t.Run(c.name, func(t *testing.T) {
			page := testkit.PDFPagePNG(t, renderWith(t, c.invoice(), c.library(t)), dpi)
			testkit.Artifact(t, "invoice-"+c.name+".png", page)
			path := filepath.Join("testdata", "golden", c.name+".png")
			if *updateGolden {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, page, 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "golden page (go test ./internal/invoice -run Golden -update)")
			got := decodeGray(t, page)
			exp := decodeGray(t, want)
			require.Equal(t, exp.Bounds(), got.Bounds())
			differ := 0
			for i := range got.Pix {
				d := int(got.Pix[i]) - int(exp.Pix[i])
				if d > 64 || d < -64 {
					differ++
				}
			}
			frac := float64(differ) / float64(len(got.Pix))
			require.Less(t, frac, 0.002, "%d pixels of %d differ from %s", differ, len(got.Pix), path)
		})
	}
}

func decodeGray(t *testing.T, b []byte) *image.Gray {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	if g, ok := img.(*image.Gray); ok {
		return g
	}
	g := image.NewGray(img.Bounds())
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			g.Set(x, y, img.At(x, y))
		}
	}
	return g
}

// latinInvoice is a Latin-only invoice like the bench harness's.
func latinInvoice() Invoice {
	inv := fixture(3)
	o := &inv.Order
	o.CustomerName = "John Smith"
	o.BillingAddress = &order.Address{Name: "John Smith", Line1: "1 Main St", City: "Springfield", PostalCode: "62701", Country: "US"}
	o.ShippingAddress = nil
	for i := range o.Items {
		o.Items[i].Name, o.Items[i].SKU = "Widget", "W-1"
	}
	inv.Branding.Name = "Acme Trading GmbH"
	return inv
}

// mixedInvoice names its customer and items in every embedded script.
func mixedInvoice() Invoice {
	inv := fixture(3)
	o := &inv.Order
	o.CustomerName = "محمد Cohen שרה"
	o.Items[0].Name = "राजेश widget"
	o.Items[1].Name = "สมชาย gadget"
	o.Items[2].Name = "Доставка شحن"
	return inv
}

// TestInvoiceSize: subsetting keeps a Latin-only invoice within 10% of
// its size before shaping.
func TestInvoiceSize(t *testing.T) {
	lib, err := typeset.Load("", nil)
	require.NoError(t, err)
	latin := len(renderWith(t, latinInvoice(), lib))
	mixed := len(renderWith(t, mixedInvoice(), lib))
	t.Logf("Latin-only invoice: %d bytes (before shaping: %d); mixed-script invoice: %d bytes", latin, latinOnlySizeBefore, mixed)
	require.LessOrEqual(t, latin, latinOnlySizeBefore*11/10)
	require.Less(t, mixed, 3*latinOnlySizeBefore, "five fonts' subsets, not whole fonts")
}

func BenchmarkRenderMixed(b *testing.B) {
	inv := mixedInvoice()
	inv.Branding.Logo = logoPNG(b, false)
	for b.Loop() {
		if err := Render(io.Discard, inv); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRenderConcurrent renders every script's invoice from several
// goroutines at once: fonts, their subsetting and the layout cache are
// shared (run with -race).
func TestRenderConcurrent(t *testing.T) {
	lib, err := typeset.Load("", nil)
	require.NoError(t, err)
	errs := make(chan error, 4*len(scriptCases))
	for range 4 {
		go func() {
			for _, c := range scriptCases {
				errs <- RenderWith(io.Discard, c.invoice(), lib)
			}
		}()
	}
	for range 4 * len(scriptCases) {
		require.NoError(t, <-errs)
	}
}

// TestRenderWrapsLongNames: a long Thai customer name and a long CJK item
// name (neither has spaces) wrap onto several lines of their columns, and
// every character is printed once.
func TestRenderWrapsLongNames(t *testing.T) {
	c := scriptCases[len(scriptCases)-1] // cjk
	lib := c.library(t)
	inv := c.invoice()
	thai := strings.Repeat("บริษัทสมชายใจดีจำกัด", 4)
	cjk := strings.Repeat("山田太郎商事株式会社東京支店", 4)
	inv.Order.CustomerName, inv.Order.BillingAddress.Name = thai, thai
	inv.Order.Items[0].Name = cjk
	text := testkit.PDFText(t, renderWith(t, inv, lib))
	lines := strings.Split(text, "\n")
	var thaiLines, cjkLines int
	var thaiText, cjkText strings.Builder
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if r := []rune(l); len(r) > 0 && unicode.Is(unicode.Thai, r[0]) {
			thaiLines++
			thaiText.WriteString(l)
		}
		if r := []rune(l); len(r) > 0 && unicode.Is(unicode.Han, r[0]) && !strings.Contains(l, "区") {
			cjkLines++
			cjkText.WriteString(strings.Fields(l)[0])
		}
	}
	require.Greater(t, thaiLines, 1, "the Thai name wraps: %q", text)
	require.Greater(t, cjkLines, 1, "the CJK item name wraps: %q", text)
	require.Equal(t, thai, thaiText.String())
	require.Equal(t, cjk, cjkText.String())
}
