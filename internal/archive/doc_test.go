package archive

import (
	"os"
	"strings"
	"testing"
)

// docs/tenant-archive.md lists every archived table with every column and
// its kind: the format is documented as the code writes it.
func TestFormatDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/tenant-archive.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, tb := range append([]Table{Users}, Tables...) {
		i := strings.Index(doc, "- **"+tb.Name+"**: ")
		if i < 0 {
			t.Errorf("docs/tenant-archive.md does not list table %s", tb.Name)
			continue
		}
		line, _, _ := strings.Cut(doc[i:], "\n")
		for _, c := range tb.Columns {
			if !strings.Contains(line, "`"+c.Name+"` ("+string(c.Kind)+")") {
				t.Errorf("docs/tenant-archive.md: table %s does not list column %s (%s)", tb.Name, c.Name, c.Kind)
			}
		}
	}
}
