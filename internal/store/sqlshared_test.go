package store_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestSharedSQL keeps the engines in step: a query whose text is the same
// in pgstore and sqlitestore (whitespace aside) belongs in sqlshared, as
// one constant both engines run, so that a change to it is a change on
// both. It fails on
//   - a statement (SELECT, INSERT INTO, UPDATE, DELETE FROM, WITH ...)
//     written out in both engines' non-test source with the same text,
//     be it a whole query or the head of one an engine completes;
//   - a string constant declared in both with the same value (a column
//     list, a shared condition);
//   - a constant of sqlshared that not both engines use (directly or
//     through another of sqlshared's), which belongs in its engine.
//
// A text counts once the constants it is built from are filled in, so
// `SELECT `+exportColumns+` FROM exports` in both is caught as well.
// Smaller fragments (" ORDER BY id", "status = ?") are not compared.
// It reads the source and needs no database.
func TestSharedSQL(t *testing.T) {
	shared := parseGoPackage(t, "sqlshared")
	pg := parseGoPackage(t, "pgstore")
	lite := parseGoPackage(t, "sqlitestore")
	pgTexts, liteTexts := queryTexts(pg, shared.consts), queryTexts(lite, shared.consts)

	// The engines' own statements prove the reading works.
	for name, texts := range map[string][]sqlText{"pgstore": pgTexts, "sqlitestore": liteTexts} {
		if n := countStatements(texts); n < 10 {
			t.Fatalf("read only %d statements in %s: is the reading broken?", n, name)
		}
	}

	dups := duplicatedSQL(pgTexts, liteTexts)
	for _, d := range dups {
		t.Errorf("the same SQL in both engines (%s): put it in internal/store/sqlshared and use it from both:\n\t%s", d.where, d.text)
	}
	for _, name := range unsharedConsts(shared, pg, lite) {
		t.Errorf("sqlshared.%s is not used by both engines: move it to the engine that uses it", name)
	}
	t.Logf("%d string constants in sqlshared; statements written out in pgstore %d, in sqlitestore %d; the same in both: %d",
		len(shared.consts), countStatements(pgTexts), countStatements(liteTexts), len(dups))
}

// TestSharedSQLDetects runs TestSharedSQL's reading on two small
// packages made up for it, so that its passing means the engines agree
// and not that it sees nothing.
func TestSharedSQLDetects(t *testing.T) {
	dir := t.TempDir()
	write := func(pkg, src string) *goPackage {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, pkg), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, pkg, pkg+".go"), []byte("package "+pkg+"\n\n"+src), 0o600); err != nil {
			t.Fatal(err)
		}
		return parseGoPackage(t, filepath.Join(dir, pkg))
	}
	shared := write("sqlshared", "const (\n\tDelete = `DELETE FROM t WHERE id = $1`\n\tCols = `a, b`\n\tGet = `SELECT ` + Cols + ` FROM t`\n\tUnused = `SELECT 2`\n\tOnlyPG = `SELECT 3`\n)\n")
	pg := write("pgstore", "const cols = `a, b`\n\n"+
		"func f() {\n"+
		"\tq(`SELECT ` + cols + ` FROM t WHERE id = $1`)\n"+
		"\tq(`UPDATE t SET a = $2\n\t\tWHERE id = $1`)\n"+
		"\tq(sqlshared.Delete, sqlshared.Get, sqlshared.OnlyPG)\n"+
		"\tq(`SELECT a FROM t WHERE id = ANY($1)`)\n"+
		"\tq(`SELECT ` + sqlshared.Cols + ` FROM u WHERE ` + where())\n"+
		"\tq(`SELECT ` + cols + ` FROM v WHERE x = $1`)\n"+
		"\tfmt.Errorf(\"f: %w\", err)\n"+
		"\tq(\" ORDER BY id\")\n"+
		"}\n")
	lite := write("sqlitestore", "const columns = `a, b`\n\n"+
		"func g() {\n"+
		"\tq(\"SELECT a, b FROM t WHERE id = $1\")\n"+
		"\tq(`UPDATE t SET a = $2 WHERE id = $1`)\n"+
		"\tq(sqlshared.Delete, sqlshared.Get)\n"+
		"\tq(`SELECT a FROM t WHERE id IN (SELECT value FROM json_each($1))`)\n"+
		"\tq(`SELECT a, b FROM u WHERE ` + where())\n"+
		"\tq(`SELECT ` + columns + ` FROM v WHERE x = $1 COLLATE NOCASE`)\n"+
		"\tfmt.Errorf(\"f: %w\", err)\n"+
		"\tq(\" ORDER BY id\")\n"+
		"}\n")

	var got []string
	for _, d := range duplicatedSQL(queryTexts(pg, shared.consts), queryTexts(lite, shared.consts)) {
		got = append(got, d.text)
	}
	want := []string{"SELECT a, b FROM t WHERE id = $1", "SELECT a, b FROM u WHERE", "UPDATE t SET a = $2 WHERE id = $1", "a, b"}
	if !slices.Equal(got, want) {
		t.Errorf("duplicatedSQL found\n\t%q\nwant\n\t%q", got, want)
	}
	if got, want := unsharedConsts(shared, pg, lite), []string{"OnlyPG", "Unused"}; !slices.Equal(got, want) {
		t.Errorf("unsharedConsts = %q, want %q", got, want)
	}
}

// goPackage is the parsed non-test source of one package directory.
type goPackage struct {
	fset   *token.FileSet
	files  []*ast.File
	consts map[string]ast.Expr // its constants' values by name, local ones too
}

func parseGoPackage(t *testing.T, dir string) *goPackage {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	p := &goPackage{fset: token.NewFileSet(), consts: map[string]ast.Expr{}}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(p.fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		p.files = append(p.files, f)
		ast.Inspect(f, func(n ast.Node) bool {
			if d, ok := n.(*ast.GenDecl); ok && d.Tok == token.CONST {
				for _, s := range d.Specs {
					vs := s.(*ast.ValueSpec)
					for i, id := range vs.Names {
						if i < len(vs.Values) {
							p.consts[id.Name] = vs.Values[i]
						}
					}
				}
			}
			return true
		})
	}
	if len(p.files) == 0 {
		t.Fatalf("no Go source in %s", dir)
	}
	return p
}

// sqlText is one constant string expression of an engine's source as it
// reads with its constants filled in: a literal, or literals and
// constants joined with +.
type sqlText struct {
	where string // file:line
	text  string // whitespace normalised
	named bool   // the value of a const declaration
}

var sqlStatement = regexp.MustCompile(`^(SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH)\s`)

func countStatements(texts []sqlText) int {
	n := 0
	for _, x := range texts {
		if sqlStatement.MatchString(x.text) {
			n++
		}
	}
	return n
}

// queryTexts lists the largest constant string expressions of p that
// write text of their own (hold a literal): what p could share. An
// expression only naming a constant is not one; the constant's
// declaration is.
func queryTexts(p *goPackage, shared map[string]ast.Expr) []sqlText {
	f := constFolder{local: p.consts, shared: shared}
	var out []sqlText
	add := func(e ast.Expr, named bool) bool {
		s, ok := f.fold(e, 0)
		if !ok {
			return false
		}
		if hasStringLiteral(e) {
			pos := p.fset.Position(e.Pos())
			out = append(out, sqlText{where: fmt.Sprintf("%s:%d", filepath.Base(pos.Filename), pos.Line), text: oneSpaced(s), named: named})
		}
		return true
	}
	for _, file := range p.files {
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ImportSpec, *ast.Field: // import paths, struct tags
				return false
			case *ast.GenDecl:
				if n.Tok != token.CONST {
					return true
				}
				for _, s := range n.Specs {
					for _, v := range s.(*ast.ValueSpec).Values {
						add(v, true)
					}
				}
				return false
			case ast.Expr:
				return !add(n, false)
			}
			return true
		})
	}
	return out
}

// constFolder folds a constant string expression: literals, the
// package's constants and sqlshared's, joined with +.
type constFolder struct {
	local, shared map[string]ast.Expr
}

func (c constFolder) fold(e ast.Expr, depth int) (string, bool) {
	if depth > 50 { // a constant defined by itself does not compile; guard anyway
		return "", false
	}
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.ParenExpr:
		return c.fold(e.X, depth+1)
	case *ast.Ident:
		if v, ok := c.local[e.Name]; ok {
			return c.fold(v, depth+1)
		}
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok && x.Name == "sqlshared" {
			if v, ok := c.shared[e.Sel.Name]; ok {
				// sqlshared's constants refer to each other unqualified.
				return constFolder{local: c.shared, shared: c.shared}.fold(v, depth+1)
			}
		}
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		l, ok := c.fold(e.X, depth+1)
		if !ok {
			return "", false
		}
		r, ok := c.fold(e.Y, depth+1)
		return l + r, ok
	}
	return "", false
}

func hasStringLiteral(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if l, ok := n.(*ast.BasicLit); ok && l.Kind == token.STRING {
			found = true
		}
		return !found
	})
	return found
}

var runsOfSpace = regexp.MustCompile(`\s+`)

// oneSpaced makes query texts comparable whatever their line breaks and
// indentation.
func oneSpaced(s string) string { return strings.TrimSpace(runsOfSpace.ReplaceAllString(s, " ")) }

type duplicate struct{ text, where string }

// duplicatedSQL lists, sorted by text, the statements and constant
// values both engines write with the same text.
func duplicatedSQL(pg, lite []sqlText) []duplicate {
	liteAt := map[string][]sqlText{}
	for _, x := range lite {
		liteAt[x.text] = append(liteAt[x.text], x)
	}
	seen := map[string]bool{}
	var out []duplicate
	for _, x := range pg {
		ls := liteAt[x.text]
		if len(ls) == 0 || seen[x.text] {
			continue
		}
		named := x.named
		where := []string{"pgstore/" + x.where}
		for _, l := range ls {
			named = named || l.named
			where = append(where, "sqlitestore/"+l.where)
		}
		if !named && !sqlStatement.MatchString(x.text) {
			continue
		}
		seen[x.text] = true
		out = append(out, duplicate{text: x.text, where: strings.Join(where, ", ")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].text < out[j].text })
	return out
}

// unsharedConsts lists, sorted, the constants of shared that some engine
// does not use, directly or through another of shared's constants.
func unsharedConsts(shared *goPackage, engines ...*goPackage) []string {
	// refs: the shared constants each shared constant's value names.
	refs := map[string][]string{}
	for name, v := range shared.consts {
		ast.Inspect(v, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				if _, ok := shared.consts[id.Name]; ok {
					refs[name] = append(refs[name], id.Name)
				}
			}
			return true
		})
	}
	usedBy := map[string]int{}
	for _, p := range engines {
		used := map[string]bool{}
		var use func(string)
		use = func(name string) {
			if used[name] {
				return
			}
			used[name] = true
			for _, r := range refs[name] {
				use(r)
			}
		}
		for _, f := range p.files {
			ast.Inspect(f, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "sqlshared" {
						if _, ok := shared.consts[sel.Sel.Name]; ok {
							use(sel.Sel.Name)
						}
					}
				}
				return true
			})
		}
		for name := range used {
			usedBy[name]++
		}
	}
	var out []string
	for name := range shared.consts {
		if usedBy[name] < len(engines) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
