package attachment

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitizeFilename(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"invoice.pdf", "invoice.pdf"},
		{"../../etc/passwd", "passwd"},
		{`C:\Users\ann\report.xlsx`, "report.xlsx"},
		{"a/b/c.txt", "c.txt"},
		{"..", "file"},
		{".hidden", "hidden"},
		{"", "file"},
		{"   ", "file"},
		{"bad\x00name\x1f.txt", "badname.txt"},
		{"evil\u202Etxt.exe", "eviltxt.exe"}, // right-to-left override dropped
		{"quo\"te<>|?*.png", "quo_te_____.png"},
		{"cafe\u0301.txt", "café.txt"}, // NFC
		{"tab\tand\nnewline.csv", "tab andnewline.csv"},
		{"\xff\xfeweird.bin", "_weird.bin"},
	}
	for _, tt := range tests {
		if got := SanitizeFilename(tt.in); got != tt.want {
			t.Errorf("SanitizeFilename(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := strings.Repeat("é", 300) + ".pdf"
	got := SanitizeFilename(long)
	if len(got) > MaxFilename || !strings.HasSuffix(got, ".pdf") || !utf8.ValidString(got) {
		t.Errorf("long name: %d bytes, %q", len(got), got[len(got)-10:])
	}
}

func FuzzSanitizeFilename(f *testing.F) {
	for _, s := range []string{"a.txt", "../x", "\x00", "é.pdf", strings.Repeat("x", 500)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := SanitizeFilename(in)
		if got == "" || len(got) > MaxFilename || !utf8.ValidString(got) {
			t.Fatalf("SanitizeFilename(%q) = %q", in, got)
		}
		if strings.ContainsAny(got, "/\\\x00") || strings.HasPrefix(got, ".") {
			t.Fatalf("unsafe result %q from %q", got, in)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("control character in %q", got)
			}
		}
		if SanitizeFilename(got) != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, got, SanitizeFilename(got))
		}
	})
}
