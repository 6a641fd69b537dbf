package store_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ordo/ordo/internal/store"
	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/store/sqlitestore"
)

// notInSuite lists the store methods the conformance suite does not call,
// each with where it is exercised instead. TestConformanceCoverage
// fails on a method missing from the suite and not listed here, and on an
// entry here that the suite has since started to call (so the list never
// goes stale).
var notInSuite = map[string]string{
	"Close":           "each engine's TestConformance closes the store in t.Cleanup; the suite shares one open store between its subtests",
	"ArchiveSnapshot": "internal/web TestTenantArchiveRoundTrip exports a tenant that used every feature from each engine and imports it into the other, comparing every row; TestArchiveCoversSchema checks the columns",
	"ArchiveLoad":     "internal/web TestTenantArchiveRoundTrip, as ArchiveSnapshot",
	"MigrateDown":     "rolling back under the suite's parallel subtests would break them; each engine's TestMigrateDownUp rolls back and migrates again on its own database",
}

// storeInterfaces are the types whose values the suite calls the store
// through; a method call on an expression of another type is not counted.
var storeInterfaces = []string{"Store", "Tx", "Querier"}

// TestConformanceCoverage fails when a method of store.Store (its
// own and every domain Store interface that store.Querier embeds) is not
// called by internal/store/storetest, the suite both engines run: a method
// the suite never calls can differ between PostgreSQL and SQLite unseen.
//
// It reads the suite's source rather than recording calls at run time, so
// it is deterministic and needs no database: a call counts when its
// receiver is a variable or parameter declared as store.Store, store.Tx or
// store.Querier (the suite's s and tx), or when the method is taken as a
// value from one.
func TestConformanceCoverage(t *testing.T) {
	called := suiteCalls(t, "storetest")

	st := reflect.TypeFor[store.Store]()
	var missing []string
	methods := map[string]bool{}
	for i := range st.NumMethod() {
		name := st.Method(i).Name
		methods[name] = true
		if called[name] == 0 && notInSuite[name] == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("store methods the conformance suite (internal/store/storetest) never calls: %s\n"+
			"add a case that calls each on both engines, or list it in notInSuite with where it is tested instead",
			strings.Join(missing, ", "))
	}
	for name := range notInSuite {
		if !methods[name] {
			t.Errorf("notInSuite lists %s, which is not a store method any more", name)
		} else if called[name] > 0 {
			t.Errorf("notInSuite lists %s, but the suite calls it %d times: remove it from the list", name, called[name])
		}
	}

	// The analysis itself must see the suite: the most used methods are
	// called many times.
	if called["TenantCreate"] < 5 || called["InTx"] < 2 {
		t.Fatalf("suite analysis found too few calls (TenantCreate %d, InTx %d): does it still recognise the store's variables?",
			called["TenantCreate"], called["InTx"])
	}
}

// engineOnly lists the exported methods an engine has beyond store.Store,
// which the suite cannot call through the interface.
var engineOnly = map[string]string{
	"pgstore.Pool": "the pgx pool, for tests and benchmarks that need raw SQL",
	// Read replicas are PostgreSQL's only (SQLite has none); TestReadReplica
	// checks them.
	"pgstore.MarkWritten":   "raises a tenant's read-replica floor (read-your-writes)",
	"pgstore.ReplicaStatus": "the read replicas' state, for /readyz and metrics",
	"sqlitestore.DB":        "the database handle, for tests and benchmarks that need raw SQL",
}

// TestConformanceCoverageEngineMethods fails when an engine has an
// exported method outside store.Store that engineOnly does not list: code
// reaching an engine's own method is code the suite does not check on the
// other engine.
func TestConformanceCoverageEngineMethods(t *testing.T) {
	iface := map[string]bool{}
	st := reflect.TypeFor[store.Store]()
	for i := range st.NumMethod() {
		iface[st.Method(i).Name] = true
	}
	seen := map[string]bool{}
	for _, engine := range []reflect.Type{reflect.TypeFor[*pgstore.Store](), reflect.TypeFor[*sqlitestore.Store]()} {
		pkg := path.Base(engine.Elem().PkgPath())
		for i := range engine.NumMethod() {
			name := pkg + "." + engine.Method(i).Name
			seen[name] = true
			if !iface[engine.Method(i).Name] && engineOnly[name] == "" {
				t.Errorf("%s is not a method of store.Store: add it to the interface (and the suite), or list it in engineOnly with why", name)
			}
		}
	}
	for name := range engineOnly {
		if !seen[name] {
			t.Errorf("engineOnly lists %s, which is not a method any more", name)
		}
	}
}

// suiteCalls counts, per method name, the selector expressions x.Method
// whose x is declared with one of the store interface types, in the
// functions of the package in dir (its non-test Go files) that its
// exported functions (Exercise and the checks engines run themselves)
// reach: a case no one runs does not count.
func suiteCalls(t *testing.T, dir string) map[string]int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	type fn struct {
		decl       *ast.FuncDecl
		storeAlias string // the file's name for package store
	}
	funcs := map[string]fn{}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		// Object resolution (on by default) binds each use of a local
		// name to its declaration, which is what tells s the store from
		// other values.
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		alias := importName(f, "github.com/ordo/ordo/internal/store")
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Body != nil {
				funcs[fd.Name.Name] = fn{fd, alias}
			}
		}
	}

	var queue []string
	reached := map[string]bool{}
	reach := func(name string) {
		if _, ok := funcs[name]; ok && !reached[name] {
			reached[name] = true
			queue = append(queue, name)
		}
	}
	for name := range funcs {
		if ast.IsExported(name) {
			reach(name)
		}
	}
	called := map[string]int{}
	for len(queue) > 0 {
		f := funcs[queue[0]]
		queue = queue[1:]
		ast.Inspect(f.decl.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok && f.storeAlias != "" && declaredAsStore(id, f.storeAlias) {
					called[n.Sel.Name]++
				}
				// n.Sel names a method or field, never a function of
				// the package: only n.X can refer to one.
				ast.Inspect(n.X, func(m ast.Node) bool {
					if id, ok := m.(*ast.Ident); ok && id.Obj == nil {
						reach(id.Name)
					}
					return true
				})
				return false
			case *ast.Ident:
				// A package-level function used in another file is
				// unresolved (Obj nil); in the same file it is an ast.Fun.
				if n.Obj == nil || n.Obj.Kind == ast.Fun {
					reach(n.Name)
				}
			}
			return true
		})
	}
	if len(called) == 0 {
		t.Fatalf("no store calls found in %s", dir)
	}
	return called
}

// importName is the name file f refers to the package at path by, "" if f
// does not import it.
func importName(f *ast.File, path string) string {
	for _, imp := range f.Imports {
		if strings.Trim(imp.Path.Value, `"`) != path {
			continue
		}
		if imp.Name != nil {
			return imp.Name.Name
		}
		return path[strings.LastIndex(path, "/")+1:]
	}
	return ""
}

// declaredAsStore reports whether id refers to a variable, parameter or
// field declared with type alias.Store, alias.Tx or alias.Querier.
func declaredAsStore(id *ast.Ident, alias string) bool {
	if id.Obj == nil || id.Obj.Kind != ast.Var {
		return false
	}
	var typ ast.Expr
	switch d := id.Obj.Decl.(type) {
	case *ast.Field:
		typ = d.Type
	case *ast.ValueSpec:
		typ = d.Type
	default:
		return false
	}
	sel, ok := typ.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == alias && slices.Contains(storeInterfaces, sel.Sel.Name)
}

// TestConformanceCoverageAnalysis checks the analysis on a small source: only calls
// through values declared as store interfaces count.
func TestConformanceCoverageAnalysis(t *testing.T) {
	dir := t.TempDir()
	src := `package x

import (
	"context"

	st "github.com/ordo/ordo/internal/store"
)

type other struct{}

func (other) ExportDelete() {}

func Run(ctx context.Context, s st.Store, o other) {
	s.UserListByIDs(ctx, nil, nil)
	_ = s.InTx(ctx, func(tx st.Tx) error { tx.TenantCreate(ctx, nil); return nil })
	o.ExportDelete()
	helper(ctx, s)
}

func helper(ctx context.Context, s st.Store) {
	var q st.Querier = s
	get := q.ExportGet
	_ = get
}

// Nobody calls it: its call does not count.
func unused(ctx context.Context, s st.Store) { s.ExportList(ctx, nil, 1) }
`
	if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	got := suiteCalls(t, dir)
	var names []string
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	want := []string{"ExportGet", "InTx", "TenantCreate", "UserListByIDs"}
	if !slices.Equal(names, want) {
		t.Fatalf("calls found: %v, want %v (ExportDelete is on another type, ExportList in a function never called)", names, want)
	}
}
