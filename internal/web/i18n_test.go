package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/i18n"
)

// uiKeys finds every catalogue key the UI uses: literal {{... .T "text"}}
// in templates, s.tr(r, "text") and v.T("text") in handlers, and the
// month names dates show.
func uiKeys(t *testing.T) map[string]string {
	t.Helper()
	keys := map[string]string{}
	tmpl := regexp.MustCompile(`\.T\s+("(?:[^"\\]|\\.)*")`)
	goCall := regexp.MustCompile(`(?:\.tr\(r,\s*|\.T\()("(?:[^"\\]|\\.)*")`)
	add := func(where string, re *regexp.Regexp, src string) {
		for _, m := range re.FindAllStringSubmatch(src, -1) {
			k, err := strconv.Unquote(m[1])
			require.NoError(t, err, where)
			keys[k] = where
		}
	}
	require.NoError(t, fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, p)
		add(p, tmpl, string(b))
		return err
	}))
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		add(f, goCall, string(b))
	}
	for _, m := range monthAbbr {
		keys[m] = "render.go monthAbbr"
	}
	return keys
}

// TestCatalogueComplete: every text the UI shows has its translation in
// every language, and no translation is left over from text that is gone.
func TestCatalogueComplete(t *testing.T) {
	cat, err := i18n.New()
	require.NoError(t, err)
	used := uiKeys(t)
	require.NotEmpty(t, used)
	for _, l := range i18n.Supported[1:] {
		var missing []string
		for k, where := range used {
			if !cat.Has(l.Tag, k) {
				missing = append(missing, where+": "+strconv.Quote(k))
			}
		}
		require.Empty(t, missing, "no %s translation (internal/i18n/locales/%s.json)", l.Name, l.Tag)
		var stale []string
		for _, k := range cat.Keys(l.Tag) {
			if _, ok := used[k]; !ok {
				stale = append(stale, strconv.Quote(k))
			}
		}
		require.Empty(t, stale, "%s translations of text the UI no longer shows", l.Name)
	}
}
