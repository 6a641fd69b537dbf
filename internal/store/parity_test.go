package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ordo/ordo/internal/store/pgstore"
	"github.com/ordo/ordo/internal/store/sqlitestore"
	"github.com/ordo/ordo/internal/testkit"
)

// schemaDifference is a deliberate difference between the engines'
// schemas: what the subject reads as on each engine, and why.
type schemaDifference struct {
	Postgres, SQLite string
	Why              string
}

// allowedSchemaDifferences are the differences TestSchemaParity accepts,
// by subject. Any other difference fails the test, and so does an entry
// here that no longer matches what the engines have (so the list never
// goes stale): a change to one engine's schema needs the same change in
// the other, or an entry here saying why not.
var allowedSchemaDifferences = map[string]schemaDifference{
	"column sessions.expiry": {
		Postgres: "TEXT NOT NULL", SQLite: "REAL NOT NULL", // PostgreSQL's is timestamptz, TEXT by pgToSQLite
		Why: "the session stores of scs (pgxstore, sqlite3store) own this column's type: sqlite3store writes and compares a julian day number",
	},
	"checks orders": {
		Postgres: "currency ~ '^[A-Z]{3}$' | status in 'pending', 'processing', 'shipped', 'delivered', 'cancelled'",
		SQLite:   "length currency = 3 and currency glob '[A-Z][A-Z][A-Z]' | status in 'pending', 'processing', 'shipped', 'delivered', 'cancelled'",
		Why:      "SQLite has no regular expressions without an extension: length and GLOB accept the same three capital letters",
	},
	"foreign key invoices -> orders": {
		Postgres: "(tenant_id, order_id) -> orders (tenant_id, id) ON DELETE NO ACTION", SQLite: "(tenant_id, order_id) -> orders (tenant_id, id) ON DELETE CASCADE",
		Why: "an invoiced order is never deleted: PostgreSQL refuses by the key; SQLite cannot change a key without rebuilding both tables, so its trigger orders_keep_invoiced refuses the delete instead (00010_invoiced_orders_kept.sql); a tenant's deletion still takes both",
	},
	"foreign key attachments -> orders": {
		Postgres: "(tenant_id, order_id) -> orders (tenant_id, id) ON DELETE SET NULL (order_id)", SQLite: "(order_id) -> orders (id) ON DELETE SET NULL",
		Why: "SQLite has no SET NULL of some columns only: its SET NULL on the composite key would null tenant_id as well, so the link is by id alone and the store checks the order's tenant",
	},
}

// pgToSQLite is the SQLite declared type each PostgreSQL type is stored
// as, the conventions sqlitestore/migrations/00001_init.sql states: ids,
// timestamps (fixed-width UTC text, see sqlitestore/time.go) and JSON are
// TEXT, booleans and integers INTEGER, bytes BLOB. A PostgreSQL type not
// listed here fails the test until its SQLite twin is decided.
var pgToSQLite = map[string]string{
	"uuid":        "TEXT",
	"text":        "TEXT",
	"varchar":     "TEXT",
	"timestamptz": "TEXT",
	"date":        "TEXT", // an ISO date, 2006-01-02
	"jsonb":       "TEXT",
	"json":        "TEXT",
	"int2":        "INTEGER",
	"int4":        "INTEGER",
	"int8":        "INTEGER",
	"bool":        "INTEGER",
	"bytea":       "BLOB",
	"float8":      "REAL",
}

// TestSchemaParity migrates an empty PostgreSQL and an empty SQLite
// database and compares Ordo's schema in them: the same tables; columns
// of the same type (through pgToSQLite), nullability and default; primary
// keys; indexes (columns or expressions, uniqueness, partial predicate,
// and the name of every index a migration names); foreign keys with their
// ON DELETE / ON UPDATE actions; CHECK constraints. The job queue's tables
// are River's, which River migrates and tests for each engine in its own
// way (enums, arrays, GIN indexes on PostgreSQL): only their names are
// compared. Each difference must be in allowedSchemaDifferences.
func TestSchemaParity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	pg, err := pgstore.Open(ctx, testkit.PostgresURL(t), testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Close)
	if err := pg.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	lite, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "ordo.db"), testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lite.Close)
	if err := lite.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}

	pgFacts := pgSchema(ctx, t, pg.Pool())
	liteFacts := sqliteSchema(ctx, t, lite.DB())
	if len(pgFacts) < 20 || len(liteFacts) < 20 {
		t.Fatalf("read too little schema (PostgreSQL %d facts, SQLite %d): is the reading broken?", len(pgFacts), len(liteFacts))
	}
	for _, must := range []string{"table tenants", "column tenants.id", "primary key memberships", "index orders_tenant_email_idx", "foreign key order_items -> orders", "checks tenants", "unique tenants (slug)", "table river_job"} {
		if _, ok := pgFacts[must]; !ok {
			t.Errorf("PostgreSQL schema has no %q: is the reading broken?", must)
		}
		if _, ok := liteFacts[must]; !ok {
			t.Errorf("SQLite schema has no %q: is the reading broken?", must)
		}
	}

	// The order search index is each engine's own (migration 00029): pg_trgm
	// GIN indexes on PostgreSQL, an FTS5 trigram table (and its shadow
	// tables, kept by triggers) on SQLite. The conformance suite's
	// OrderSearch checks they answer alike; here only that both exist.
	if _, ok := pgFacts["index orders_customer_name_trgm_idx"]; !ok {
		t.Error("PostgreSQL schema has no order search index orders_customer_name_trgm_idx")
	}
	if _, ok := liteFacts["table orders_fts"]; !ok {
		t.Error("SQLite schema has no order search table orders_fts")
	}
	for _, d := range diffSchemas(pgFacts, liteFacts) {
		if orderSearchIndex(d.subject) {
			continue
		}
		allowed, ok := allowedSchemaDifferences[d.subject]
		switch {
		case !ok:
			t.Errorf("%s differs between the engines:\n\tPostgreSQL: %s\n\tSQLite:     %s\n"+
				"make both migrations agree, or list it in allowedSchemaDifferences with the reason", d.subject, d.pg, d.sqlite)
		case allowed.Postgres != d.pg || allowed.SQLite != d.sqlite:
			t.Errorf("%s differs otherwise than allowedSchemaDifferences says:\n\tPostgreSQL: %s (listed: %s)\n\tSQLite:     %s (listed: %s)",
				d.subject, d.pg, allowed.Postgres, d.sqlite, allowed.SQLite)
		}
	}
	for subject, allowed := range allowedSchemaDifferences {
		if pgFacts[subject] == liteFacts[subject] {
			t.Errorf("allowedSchemaDifferences lists %s (%s), but both engines now have %q: remove the entry", subject, allowed.Why, pgFacts[subject])
		}
	}
}

type schemaDiff struct{ subject, pg, sqlite string }

// diffSchemas lists the subjects whose facts differ, "(none)" standing for
// a subject one engine lacks.
func diffSchemas(pg, sqlite map[string]string) []schemaDiff {
	subjects := map[string]bool{}
	for s := range pg {
		subjects[s] = true
	}
	for s := range sqlite {
		subjects[s] = true
	}
	var out []schemaDiff
	for s := range subjects {
		p, pok := pg[s]
		l, lok := sqlite[s]
		if pok && lok && p == l {
			continue
		}
		if !pok {
			p = "(none)"
		}
		if !lok {
			l = "(none)"
		}
		out = append(out, schemaDiff{s, p, l})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].subject < out[j].subject })
	return out
}

// isRiverTable tells the job queue's tables, which River owns.
func isRiverTable(name string) bool { return strings.HasPrefix(name, "river_") }

// isMigrationTable tells the migration tools' own bookkeeping.
func isMigrationTable(name string) bool { return name == "ordo_schema_migrations" }

// Facts are subject → description. Subjects:
//
//	table T                     → "" (it exists)
//	column T.C                  → type and nullability
//	primary key T               → column list
//	index N                     → for an index a migration names
//	unique T (cols)             → for a UNIQUE constraint's index
//	foreign key T -> U          → columns, target columns and actions
//	checks T                    → its CHECK expressions
//
// Column types are SQLite's declared types, PostgreSQL's mapped through
// pgToSQLite (unmapped ones keep their name, and so differ).

func pgSchema(ctx context.Context, t *testing.T, db *pgxpool.Pool) map[string]string {
	t.Helper()
	facts := map[string]string{}
	tables := map[string]bool{}

	rows, err := db.Query(ctx, `
		SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables[name] = true
		if !isMigrationTable(name) {
			facts["table "+name] = ""
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	skip := func(table string) bool { return !tables[table] || isRiverTable(table) || isMigrationTable(table) }

	rows, err = db.Query(ctx, `
		SELECT table_name, column_name, udt_name, is_nullable = 'YES', COALESCE(column_default, '')
		FROM information_schema.columns WHERE table_schema = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, column, udt, def string
		var nullable bool
		if err := rows.Scan(&table, &column, &udt, &nullable, &def); err != nil {
			t.Fatal(err)
		}
		if skip(table) {
			continue
		}
		typ, ok := pgToSQLite[udt]
		if !ok {
			typ = udt
		}
		facts["column "+table+"."+column] = typ + nullability(nullable) + pgDefault(def)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	// Every index with its key columns or expressions; whether it backs a
	// primary key or UNIQUE constraint (PostgreSQL names those itself, as
	// SQLite does, differently) or was created by name.
	rows, err = db.Query(ctx, `
		SELECT tc.relname, ic.relname, x.indisprimary, x.indisunique,
		       ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true) FROM generate_series(1, x.indnkeyatts) AS k ORDER BY k),
		       COALESCE(pg_get_expr(x.indpred, x.indrelid, true), ''),
		       EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid AND c.contype IN ('p', 'u'))
		FROM pg_index x
		JOIN pg_class ic ON ic.oid = x.indexrelid
		JOIN pg_class tc ON tc.oid = x.indrelid
		JOIN pg_namespace n ON n.oid = tc.relnamespace
		WHERE n.nspname = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, index, where string
		var primary, unique, constraint bool
		var cols []string
		if err := rows.Scan(&table, &index, &primary, &unique, &cols, &where, &constraint); err != nil {
			t.Fatal(err)
		}
		if skip(table) {
			continue
		}
		addIndex(facts, table, index, primary, unique, !constraint, cols, where)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	rows, err = db.Query(ctx, `
		SELECT c.conrelid::regclass::text,
		       ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(n, i)
		             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
		       c.confrelid::regclass::text,
		       ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(n, i)
		             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i),
		       c.confdeltype::text, c.confupdtype::text,
		       ARRAY(SELECT a.attname::text FROM unnest(COALESCE(c.confdelsetcols, '{}')) WITH ORDINALITY AS k(n, i)
		             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i)
		FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
		WHERE c.contype = 'f' AND n.nspname = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]string{"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
	for rows.Next() {
		var table, target, onDelete, onUpdate string
		var cols, targetCols, setCols []string
		if err := rows.Scan(&table, &cols, &target, &targetCols, &onDelete, &onUpdate, &setCols); err != nil {
			t.Fatal(err)
		}
		if skip(table) {
			continue
		}
		del := actions[onDelete]
		if len(setCols) > 0 {
			del += " " + list(setCols)
		}
		addForeignKey(facts, table, cols, target, targetCols, del, actions[onUpdate])
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	checks := map[string][]string{}
	rows, err = db.Query(ctx, `
		SELECT c.conrelid::regclass::text, pg_get_constraintdef(c.oid, true)
		FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
		WHERE c.contype = 'c' AND n.nspname = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var table, def string
		if err := rows.Scan(&table, &def); err != nil {
			t.Fatal(err)
		}
		if skip(table) {
			continue
		}
		checks[table] = append(checks[table], pgCheck(def))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	addChecks(facts, checks)
	return facts
}

// orderSearchIndex reports whether a schema fact belongs to either engine's
// order search index (see TestSchemaParity).
func orderSearchIndex(subject string) bool {
	_, name, _ := strings.Cut(subject, " ")
	if rest, ok := strings.CutPrefix(name, "key "); ok { // "primary key orders_fts_data"
		name = rest
	}
	return strings.HasPrefix(name, "orders_fts") || strings.HasSuffix(name, "_trgm_idx")
}

func sqliteSchema(ctx context.Context, t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	facts := map[string]string{}
	type table struct{ name, sql string }
	var tables []table
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tb table
		if err := rows.Scan(&tb.name, &tb.sql); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, tb)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()

	checks := map[string][]string{}
	for _, tb := range tables {
		if isMigrationTable(tb.name) {
			continue
		}
		facts["table "+tb.name] = ""
		if isRiverTable(tb.name) {
			continue
		}
		// A STRICT table's primary key columns are NOT NULL, as they are
		// in PostgreSQL, whether or not the column says so.
		strict := regexp.MustCompile(`(?i)\)\s*STRICT\s*$`).MatchString(strings.TrimSpace(tb.sql))
		type column struct {
			name, typ  string
			notNull    bool
			def        string
			pkPosition int
		}
		var cols []column
		crows, err := db.QueryContext(ctx, `SELECT name, type, "notnull", COALESCE(dflt_value, ''), pk FROM pragma_table_info(?)`, tb.name)
		if err != nil {
			t.Fatal(err)
		}
		for crows.Next() {
			var c column
			if err := crows.Scan(&c.name, &c.typ, &c.notNull, &c.def, &c.pkPosition); err != nil {
				t.Fatal(err)
			}
			cols = append(cols, c)
		}
		if err := crows.Err(); err != nil {
			t.Fatal(err)
		}
		crows.Close()
		var pk []string
		slices.SortFunc(cols, func(a, b column) int { return a.pkPosition - b.pkPosition })
		for _, c := range cols {
			if c.pkPosition > 0 {
				pk = append(pk, c.name)
			}
		}
		for _, c := range cols {
			// A single INTEGER primary key is the rowid, never NULL.
			rowid := len(pk) == 1 && c.pkPosition == 1 && strings.EqualFold(c.typ, "INTEGER")
			nullable := !c.notNull && !(c.pkPosition > 0 && (strict || rowid))
			def := ""
			if c.def != "" {
				def = " DEFAULT " + c.def
			}
			facts["column "+tb.name+"."+c.name] = strings.ToUpper(c.typ) + nullability(nullable) + def
		}
		if len(pk) > 0 {
			facts["primary key "+tb.name] = list(pk)
		}

		type index struct {
			name, origin string
			unique       bool
		}
		var indexes []index
		irows, err := db.QueryContext(ctx, `SELECT name, "unique", origin FROM pragma_index_list(?)`, tb.name)
		if err != nil {
			t.Fatal(err)
		}
		for irows.Next() {
			var ix index
			if err := irows.Scan(&ix.name, &ix.unique, &ix.origin); err != nil {
				t.Fatal(err)
			}
			indexes = append(indexes, ix)
		}
		if err := irows.Err(); err != nil {
			t.Fatal(err)
		}
		irows.Close()
		for _, ix := range indexes {
			if ix.origin == "pk" {
				continue // the primary key, compared above
			}
			var keys []string
			var where string
			if ix.origin == "c" {
				// CREATE INDEX: its text has the expressions and predicate
				// that pragma_index_info leaves out.
				var text string
				if err := db.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?`, ix.name).Scan(&text); err != nil {
					t.Fatal(err)
				}
				keys, where = parseCreateIndex(t, text)
			} else {
				krows, err := db.QueryContext(ctx, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix.name)
				if err != nil {
					t.Fatal(err)
				}
				for krows.Next() {
					var k string
					if err := krows.Scan(&k); err != nil {
						t.Fatal(err)
					}
					keys = append(keys, k)
				}
				if err := krows.Err(); err != nil {
					t.Fatal(err)
				}
				krows.Close()
			}
			addIndex(facts, tb.name, ix.name, false, ix.unique, ix.origin == "c", keys, where)
		}

		type fk struct {
			target             string
			from, to           []string
			onDelete, onUpdate string
		}
		fks := map[int]*fk{}
		frows, err := db.QueryContext(ctx, `SELECT id, "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq`, tb.name)
		if err != nil {
			t.Fatal(err)
		}
		for frows.Next() {
			var id int
			var target, from, onUpdate, onDelete string
			var to sql.NullString
			if err := frows.Scan(&id, &target, &from, &to, &onUpdate, &onDelete); err != nil {
				t.Fatal(err)
			}
			f := fks[id]
			if f == nil {
				f = &fk{target: target, onDelete: onDelete, onUpdate: onUpdate}
				fks[id] = f
			}
			f.from = append(f.from, from)
			f.to = append(f.to, to.String) // empty: the target's primary key
		}
		if err := frows.Err(); err != nil {
			t.Fatal(err)
		}
		frows.Close()
		for _, f := range fks {
			addForeignKey(facts, tb.name, f.from, f.target, f.to, f.onDelete, f.onUpdate)
		}
		checks[tb.name] = sqliteChecks(t, tb.sql)
	}
	addChecks(facts, checks)
	return facts
}

// addIndex records an index: a named one (a migration's CREATE INDEX) by
// its name, one backing a UNIQUE constraint by its table and columns, for
// the engines name those differently.
func addIndex(facts map[string]string, table, name string, primary, unique, named bool, keys []string, where string) {
	for i, k := range keys {
		keys[i] = normaliseSQL(k)
	}
	desc := "ON " + table + " " + list(keys)
	if unique {
		desc = "UNIQUE " + desc
	}
	if where != "" {
		desc += " WHERE " + normaliseSQL(where)
	}
	switch {
	case primary:
		facts["primary key "+table] = list(keys)
	case named:
		facts["index "+name] = desc
	default:
		facts["unique "+table+" "+list(keys)] = desc
	}
}

// addForeignKey records a foreign key under its table and the table it
// references: a link may be by different columns on each engine (where
// that is a deliberate difference) and is still the same link.
func addForeignKey(facts map[string]string, table string, cols []string, target string, targetCols []string, onDelete, onUpdate string) {
	desc := list(cols) + " -> " + target + " " + list(targetCols) + " ON DELETE " + onDelete
	if onUpdate != "NO ACTION" {
		desc += " ON UPDATE " + onUpdate
	}
	subject := "foreign key " + table + " -> " + target
	if _, taken := facts[subject]; taken {
		// Two links to the same table: told apart by their columns.
		subject += " " + list(cols)
	}
	facts[subject] = desc
}

// addChecks records each table's CHECK constraints, as one sorted list:
// the engines name them differently, or not at all.
func addChecks(facts map[string]string, checks map[string][]string) {
	for table, cs := range checks {
		if len(cs) == 0 {
			continue
		}
		for i, c := range cs {
			cs[i] = normaliseSQL(c)
		}
		sort.Strings(cs)
		facts["checks "+table] = strings.Join(cs, " | ")
	}
}

var (
	pgCast  = regexp.MustCompile(`::[a-z][a-z ]*(\[\])?`)
	pgInAny = regexp.MustCompile(`= ANY \(ARRAY\[(.*?)\]\)`)
)

// pgCheck writes a PostgreSQL CHECK as its SQLite twin reads: without
// casts, x = ANY (ARRAY[...]) as x IN (...).
func pgCheck(def string) string {
	def = strings.TrimPrefix(def, "CHECK ")
	def = pgCast.ReplaceAllString(def, "")
	return pgInAny.ReplaceAllString(def, "IN ($1)")
}

// sqliteChecks lists the CHECK expressions in SQLite's stored CREATE TABLE
// text, which keeps the migration's comments.
func sqliteChecks(t *testing.T, text string) []string {
	t.Helper()
	text = regexp.MustCompile(`--[^\n]*`).ReplaceAllString(text, "")
	var out []string
	for _, loc := range regexp.MustCompile(`(?i)\bCHECK\s*\(`).FindAllStringIndex(text, -1) {
		depth, quoted := 1, false
		i := loc[1]
		for ; i < len(text) && depth > 0; i++ {
			switch c := text[i]; {
			case c == '\'':
				quoted = !quoted
			case quoted:
			case c == '(':
				depth++
			case c == ')':
				depth--
			}
		}
		if depth != 0 {
			t.Fatalf("cannot read CHECK in: %s", text)
		}
		out = append(out, strings.TrimSpace(text[loc[1]:i-1]))
	}
	return out
}

// pgDefault writes a PostgreSQL column default as SQLite's twin reads:
// without casts ('{}'::jsonb is '{}'), booleans as 1 and 0.
func pgDefault(def string) string {
	if def == "" {
		return ""
	}
	def = pgCast.ReplaceAllString(def, "")
	switch def {
	case "true":
		def = "1"
	case "false":
		def = "0"
	}
	return " DEFAULT " + def
}

func list(cols []string) string { return "(" + strings.Join(cols, ", ") + ")" }

func nullability(nullable bool) string {
	if nullable {
		return ""
	}
	return " NOT NULL"
}

// normaliseSQL makes an index expression or predicate comparable across
// the engines: lower case but for string literals, without identifier
// quotes or parentheses, one space between words, for the two engines
// print them differently.
func normaliseSQL(s string) string {
	var b strings.Builder
	quoted := false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted = !quoted
		case quoted:
		case r == '"':
			continue
		case r == '(' || r == ')':
			r = ' '
		default:
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	// PostgreSQL prints the casts it infers ('failed'::text), which the
	// SQL as written has not.
	out := strings.Join(strings.Fields(b.String()), " ")
	for _, c := range []string{"::text", "::bigint", "::integer"} {
		out = strings.ReplaceAll(out, c, "")
	}
	return out
}

// parseCreateIndex splits SQLite's stored CREATE INDEX text into its key
// expressions and its WHERE predicate.
func parseCreateIndex(t *testing.T, text string) (keys []string, where string) {
	t.Helper()
	on := regexp.MustCompile(`(?is)\bON\s+"?\w+"?\s*\(`).FindStringIndex(text)
	if on == nil {
		t.Fatalf("cannot read index: %s", text)
	}
	depth, start := 1, on[1]
	i := start
	for ; i < len(text) && depth > 0; i++ {
		switch text[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 1 {
				keys = append(keys, strings.TrimSpace(text[start:i]))
				start = i + 1
			}
		}
	}
	if depth != 0 {
		t.Fatalf("cannot read index: %s", text)
	}
	keys = append(keys, strings.TrimSpace(text[start:i-1]))
	rest := strings.TrimSpace(text[i:])
	if m := regexp.MustCompile(`(?is)^WHERE\s+(.*)$`).FindStringSubmatch(rest); m != nil {
		where = strings.TrimSpace(m[1])
	} else if rest != "" {
		t.Fatalf("cannot read index: %s", text)
	}
	return keys, where
}

// TestMigrationFilesParity fails when the engines' migration folders do
// not hold the same versions under the same names: a schema change is a
// migration in both, so that `ordo migrate status` reads the same on
// either engine and TestSchemaParity compares like with like.
func TestMigrationFilesParity(t *testing.T) {
	names := func(dir string) []string {
		t.Helper()
		files, err := filepath.Glob(filepath.Join(dir, "migrations", "*.sql"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no migrations in %s", dir)
		}
		for i, f := range files {
			files[i] = filepath.Base(f)
		}
		return files
	}
	pg, lite := names("pgstore"), names("sqlitestore")
	for _, f := range pg {
		if !slices.Contains(lite, f) {
			t.Errorf("pgstore/migrations/%s has no twin in sqlitestore/migrations", f)
		}
	}
	for _, f := range lite {
		if !slices.Contains(pg, f) {
			t.Errorf("sqlitestore/migrations/%s has no twin in pgstore/migrations", f)
		}
	}
}
