package testkit

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// PDFText extracts a PDF's text with poppler's pdftotext, a form feed
// after each page, failing t if the PDF does not parse cleanly. Without
// pdftotext the test is skipped locally and fails in CI.
func PDFText(t testing.TB, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		Missing(t, "pdftotext (apt-get install poppler-utils)")
	}
	cmd := exec.Command("pdftotext", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Fatalf("pdftotext complained about the PDF: %s", stderr.String())
	}
	return string(out)
}

// PDFTextNormal is s without the bidi controls with which pdftotext marks
// right-to-left runs, and with its white space squashed to single spaces:
// PDFText's output and the text that was set then compare.
func PDFTextNormal(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' || r == '\u200E' || r == '\u200F' {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// PDFFonts lists a PDF's fonts with poppler's pdffonts: one line per font,
// the columns name, type, encoding, emb, sub, uni, object ID. Without
// pdffonts the test is skipped locally and fails in CI.
func PDFFonts(t testing.TB, pdf []byte) []string {
	t.Helper()
	if _, err := exec.LookPath("pdffonts"); err != nil {
		Missing(t, "pdffonts (apt-get install poppler-utils)")
	}
	cmd := exec.Command("pdffonts", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pdffonts: %v: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 2 {
		return nil
	}
	return lines[2:] // after the header and its rule
}

// PDFPagePNG renders page 1 of a PDF as a greyscale PNG at dpi with
// poppler's pdftoppm. Without pdftoppm the test is skipped locally and
// fails in CI.
func PDFPagePNG(t testing.TB, pdf []byte, dpi int) []byte {
	t.Helper()
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		Missing(t, "pdftoppm (apt-get install poppler-utils)")
	}
	dir := t.TempDir()
	cmd := exec.Command("pdftoppm", "-png", "-gray", "-r", strconv.Itoa(dpi), "-f", "1", "-l", "1", "-singlefile", "-", filepath.Join(dir, "page"))
	cmd.Stdin = bytes.NewReader(pdf)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	out, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatalf("pdftoppm: %v", err)
	}
	return out
}

// Artifact writes data to $ORDO_TEST_ARTIFACTS/name when that is set, for
// a person (or CI's artifacts) to look at.
func Artifact(t testing.TB, name string, data []byte) {
	t.Helper()
	dir := os.Getenv("ORDO_TEST_ARTIFACTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatalf("artifacts: %v", err)
	}
}
