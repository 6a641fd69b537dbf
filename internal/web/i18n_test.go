package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/access"
	"github.com/ordo/ordo/internal/account"
	"github.com/ordo/ordo/internal/i18n"
	"github.com/ordo/ordo/internal/order"
	"github.com/ordo/ordo/internal/plan"
)

// uiKeys finds every catalogue key the UI uses: literal {{... .T "text"}}
// in templates, s.tr(r, "text") and v.T("text") in handlers, the month
// names dates show, and the domain's error messages (domainKeys).
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
	for k, where := range domainKeys(t) {
		keys[k] = where
	}
	return keys
}

// domainKeys finds the messages of *apperr.Error that the UI translates
// (errText, detailText) in every non-test Go file under internal/: the
// literal format of apperr.Conflict and apperr.Forbidden, the literal
// detail of apperr.Invalid, the literal Msg and Format of an apperr.Error,
// and the words (apperr.Word) that fill them in: literal apperr.Word and
// apperr.NotFound arguments, the entity names that pathID and the stores
// (wrapErr, interpretError) hand on to NotFound, and the closed sets that
// are passed as Word from variables (roles, actions, order statuses, the
// invitation statuses and job states a conflict names).
//
// A message built at run time (fmt.Sprintf, +) has no key and shows in
// English; messages should be literal formats with their arguments.
func domainKeys(t *testing.T) map[string]string {
	t.Helper()
	// literalArg is, for each function, the argument that is a key.
	literalArg := map[string]int{
		"apperr.Conflict":  0,
		"apperr.Forbidden": 0,
		"apperr.Invalid":   1,
		"apperr.NotFound":  0,
		"apperr.Word":      0,
		"pathID":           2, // web: NotFound(what) for a bad id
		"wrapErr":          1, // stores: NotFound(kind), Conflict("%s already exists", kind)…
		"interpretError":   1,
	}
	keys := map[string]string{}
	fset := token.NewFileSet()
	lit := func(e ast.Expr) (string, bool) {
		b, ok := e.(*ast.BasicLit)
		if !ok || b.Kind != token.STRING {
			return "", false
		}
		v, err := strconv.Unquote(b.Value)
		require.NoError(t, err, fset.Position(b.Pos()))
		return v, true
	}
	add := func(e ast.Expr) {
		if v, ok := lit(e); ok {
			p := fset.Position(e.Pos())
			keys[v] = p.Filename + ":" + strconv.Itoa(p.Line)
		}
	}
	require.NoError(t, filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		// qualified names a reference as "apperr.X" inside package apperr
		// too, where it is written X.
		qualified := func(e ast.Expr) string {
			switch e := e.(type) {
			case *ast.Ident:
				if f.Name.Name == "apperr" {
					return "apperr." + e.Name
				}
				return e.Name
			case *ast.SelectorExpr:
				if x, ok := e.X.(*ast.Ident); ok {
					return x.Name + "." + e.Sel.Name
				}
			}
			return ""
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if i, ok := literalArg[qualified(n.Fun)]; ok && i < len(n.Args) {
					add(n.Args[i])
				}
			case *ast.CompositeLit:
				if qualified(n.Type) != "apperr.Error" {
					return true
				}
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok && (k.Name == "Msg" || k.Name == "Format") {
							add(kv.Value)
						}
					}
				}
			}
			return true
		})
		return nil
	}))
	for _, r := range access.Roles() {
		keys[string(r)] = "access.Roles"
	}
	for _, w := range plan.LimitWords() {
		keys[w] = "plan.ErrLimit's limit"
	}
	for _, a := range access.Actions() {
		keys[string(a)] = "access.Actions"
	}
	for _, st := range []order.Status{order.StatusPending, order.StatusProcessing, order.StatusShipped, order.StatusDelivered, order.StatusCancelled} {
		keys[string(st)] = "order.Status"
	}
	for _, st := range []account.InvitationStatus{account.InvitationAccepted, account.InvitationRevoked} {
		keys[string(st)] = "tenant.ResendInvitation's conflict"
	}
	for _, st := range rivertype.JobStates() {
		keys[string(st)] = "jobs.State"
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
