package ordoclient_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ordo/ordo/internal/testkit"
	"github.com/ordo/ordo/internal/web"
)

// Pinned versions of the TypeScript tools the README tells integrators
// to run.
const (
	openapiTypeScript = "openapi-typescript@7.13.0"
	typeScript        = "typescript@5.9.3"
)

// TestClientUpToDate fails when openapi.json or client.gen.go is not what
// `make sdk` would write from the code as it is: CI catches a route or
// type changed without regenerating the client.
func TestClientUpToDate(t *testing.T) {
	doc, err := web.OpenAPI("1")
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, append(doc, '\n')) {
		t.Fatal("pkg/ordoclient/openapi.json is out of date with the route table: run `make sdk` and commit the result")
	}

	// The generator writes where its configuration says, so it runs in a
	// temp dir holding copies of its inputs.
	dir := t.TempDir()
	tool := filepath.Join(dir, "oapi-codegen")
	if out, err := exec.Command("go", "build", "-o", tool, "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen").CombinedOutput(); err != nil {
		t.Fatalf("build oapi-codegen: %v\n%s", err, out)
	}
	for _, f := range []string{"oapi-codegen.yaml", "openapi.json"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	gen := exec.Command(tool, "-config", "oapi-codegen.yaml", "openapi.json")
	gen.Dir = dir
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, out)
	}
	fresh, err := os.ReadFile(filepath.Join(dir, "client.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	current, err := os.ReadFile("client.gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, current) {
		t.Fatal("pkg/ordoclient/client.gen.go is out of date with openapi.json: run `make sdk` and commit the result")
	}
}

// TestTypeScriptTypes generates TypeScript types from the document with
// openapi-typescript and type-checks a small use of them with
// tsc --strict: the document must serve TypeScript integrators too.
func TestTypeScriptTypes(t *testing.T) {
	t.Parallel()
	npx, err := exec.LookPath("npx")
	if err != nil {
		testkit.Missing(t, "npx (Node.js) for openapi-typescript and tsc")
	}
	dir := t.TempDir()
	for src, dst := range map[string]string{"openapi.json": "openapi.json", "testdata/usage.ts": "usage.ts"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	npxRun := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(npx, append([]string{"-y"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("npx %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	npxRun("-p", openapiTypeScript, "openapi-typescript", "openapi.json", "-o", "schema.d.ts")
	schema, err := os.ReadFile(filepath.Join(dir, "schema.d.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(schema, []byte(`"/api/v1/orders": {`)) {
		t.Fatalf("schema.d.ts has no /api/v1/orders path:\n%.2000s", schema)
	}
	npxRun("-p", typeScript, "tsc", "--strict", "--noEmit", "--target", "es2022", "--module", "es2022",
		"--moduleResolution", "bundler", "--lib", "es2022,dom", "usage.ts")
}
