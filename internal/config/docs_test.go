package config

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

// update rewrites README.md's configuration table and .env.example's
// comments from fields: go test ./internal/config -run Documented -update
var update = flag.Bool("update", false, "rewrite README.md's configuration table and .env.example from fields")

const (
	readmePath     = "../../README.md"
	envExamplePath = "../../.env.example"
)

// readmeRow is a variable's row in the README's configuration table.
func readmeRow(f field) string {
	return "| `" + f.Env + "` | " + f.defaultDoc() + " | " + f.Doc + " |"
}

// readmeTable finds the rows of the table under "## Configuration": the
// lines from the first to the last that starts with "| `".
func readmeTable(t *testing.T, readme string) (start, end int, rows []string) {
	t.Helper()
	sec := strings.Index(readme, "\n## Configuration\n")
	if sec < 0 {
		t.Fatal("README.md has no \"## Configuration\" section")
	}
	next := strings.Index(readme[sec+1:], "\n## ")
	if next < 0 {
		next = len(readme) - sec - 1
	}
	body := readme[sec+1 : sec+1+next]
	first := strings.Index(body, "\n| `")
	if first < 0 {
		t.Fatal("README.md's configuration section has no table of variables")
	}
	start = sec + 1 + first + 1
	end = start
	for _, line := range strings.SplitAfter(readme[start:], "\n") {
		if !strings.HasPrefix(line, "| `") {
			break
		}
		rows = append(rows, strings.TrimSuffix(line, "\n"))
		end += len(line)
	}
	return start, end, rows
}

// cells splits a Markdown table row; the meaning column holds no " | ".
func cells(row string) []string {
	return strings.Split(strings.TrimSuffix(strings.TrimPrefix(row, "| "), " |"), " | ")
}

// The README's configuration table lists exactly the variables Load reads,
// each with the default Load applies, in the order `ordo config` prints
// them; its rows are generated from fields.
func TestEveryVariableDocumentedInREADME(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start, end, rows := readmeTable(t, readme)

	documented := map[string][]string{}
	for _, row := range rows {
		c := cells(row)
		documented[strings.Trim(c[0], "`")] = c
	}
	var want strings.Builder
	for _, f := range fields {
		want.WriteString(readmeRow(f) + "\n")
		c, ok := documented[f.Env]
		switch {
		case !ok:
			t.Errorf("%s is read by Load but not in the README's configuration table", f.Env)
		case len(c) < 3:
			t.Errorf("README: %s's row has %d cells, want 3", f.Env, len(c))
		case c[1] != f.defaultDoc():
			t.Errorf("README documents %s's default as %s, but fields says %s", f.Env, c[1], f.defaultDoc())
		}
		delete(documented, f.Env)
	}
	for name := range documented {
		t.Errorf("README's configuration table lists %s, which Load does not read", name)
	}
	if got := readme[start:end]; got != want.String() {
		if !*update {
			t.Fatalf("README.md's configuration table is not what fields (internal/config/fields.go) says: run go test ./internal/config -run Documented -update")
		}
		if err := os.WriteFile(readmePath, []byte(readme[:start]+want.String()+readme[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var (
	assignment = regexp.MustCompile(`^(?:# )?([A-Z][A-Z0-9_]*)=`)
	mdLink     = regexp.MustCompile(`\[([^]]+)\]\(#[^)]*\)`)
)

// plainText is Markdown as .env.example's comments say it.
func plainText(md string) string {
	md = mdLink.ReplaceAllString(md, "$1 in README.md")
	return strings.NewReplacer("`", "", "**", "").Replace(md)
}

// envExampleEntry is a variable's entry in .env.example: its meaning and
// default as a comment, then the assignment (commented out when the
// default will do).
func envExampleEntry(f field, assign string) string {
	return "# " + plainText(f.Doc) + " (default: " + plainText(f.defaultDoc()) + ")\n" + assign + "\n"
}

// .env.example lists every variable Load reads, with its meaning and
// default, after the variables only docker compose reads (each with a
// comment starting "Compose:"); the comments are generated from fields.
func TestEveryVariableDocumentedInEnvExample(t *testing.T) {
	b, err := os.ReadFile(envExamplePath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	assigned := map[string]string{} // variable → its line
	head := -1                      // where the first of Ordo's variables' entries begins
	byName := map[string]bool{}
	for _, f := range fields {
		byName[f.Env] = true
	}
	for i, line := range lines {
		m := assignment.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name := m[1]
		if _, dup := assigned[name]; dup {
			t.Errorf(".env.example lists %s twice", name)
		}
		assigned[name] = line
		// The comment block right above the assignment.
		j := i
		for j > 0 && strings.HasPrefix(lines[j-1], "#") && !assignment.MatchString(lines[j-1]) {
			j--
		}
		switch {
		case byName[name]:
			if head < 0 {
				head = j
			}
		case !strings.HasPrefix(lines[j], "# Compose:"):
			t.Errorf(".env.example sets %s, which Ordo does not read (a variable for docker compose only has a comment starting \"# Compose:\")", name)
		case head >= 0:
			t.Errorf(".env.example: the compose variable %s must come before Ordo's variables", name)
		}
	}
	if head < 0 {
		t.Fatal(".env.example lists none of Ordo's variables")
	}

	want := strings.TrimRight(strings.Join(lines[:head], "\n"), "\n") + "\n\n"
	for _, f := range fields {
		line, ok := assigned[f.Env]
		if !ok {
			t.Errorf("%s is read by Load but not in .env.example", f.Env)
			line = "# " + f.Env + "="
		}
		want += envExampleEntry(f, line) + "\n"
	}
	want = strings.TrimSuffix(want, "\n")
	if got := string(b); got != want {
		if !*update {
			t.Fatalf(".env.example's entries are not what fields (internal/config/fields.go) says: run go test ./internal/config -run Documented -update")
		}
		if err := os.WriteFile(envExamplePath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Every default in fields is a value Load accepts, and setting a variable
// to its default changes nothing.
func TestDefaultsAreValid(t *testing.T) {
	t.Parallel()
	def, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		if f.Default == "" {
			continue
		}
		c, err := Load(env(map[string]string{f.Env: f.Default}))
		if err != nil {
			t.Errorf("%s=%s: %v", f.Env, f.Default, err)
			continue
		}
		if got, want := f.val.get(&c), f.val.get(&def); got != want {
			t.Errorf("%s=%s gives %q, unset gives %q", f.Env, f.Default, got, want)
		}
	}
}

// `ordo config` shows every variable once, secrets masked.
func TestMaskedShowsEveryVariable(t *testing.T) {
	t.Parallel()
	// A valid value for each secret, so that Load accepts them.
	secrets := map[string]string{
		"ORDO_SECRET":          strings.Repeat("k", 40),
		"DATABASE_URL":         "postgres://ordo:hunter2hunter2@db/ordo",
		"REDIS_URL":            "redis://:hunter2hunter2@redis:6379/0",
		"S3_BUCKET":            "b",
		"S3_ACCESS_KEY_ID":     "AKIA",
		"S3_SECRET_ACCESS_KEY": "hunter2hunter2",
		"SMTP_URL":             "smtp://u:hunter2hunter2@mail:587",
		"ORDO_METRICS_TOKEN":   "hunter2hunter2hunter2",
		"SENTRY_DSN":           "https://hunter2hunter2@o1.ingest.sentry.io/1",
	}
	c, err := Load(env(secrets))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, kv := range c.Masked() {
		seen[kv[0]]++
		if strings.Contains(kv[1], "hunter2") || strings.Contains(kv[1], "kkkk") {
			t.Errorf("`ordo config` shows a secret: %s=%s", kv[0], kv[1])
		}
	}
	for _, f := range fields {
		if seen[f.Env] != 1 {
			t.Errorf("`ordo config` shows %s %d times", f.Env, seen[f.Env])
		}
	}
	if len(seen) != len(fields)+1 || seen["mode"] != 1 {
		t.Errorf("`ordo config` shows %d names, want mode and the %d variables", len(seen), len(fields))
	}
}
