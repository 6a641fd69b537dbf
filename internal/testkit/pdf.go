package testkit

import (
	"bytes"
	"os/exec"
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
