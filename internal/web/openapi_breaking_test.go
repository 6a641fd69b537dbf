package web_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/openapicompat"
	"github.com/ordo/ordo/internal/web"
)

var updateSnapshot = flag.Bool("update", false, "TestOpenAPIBreaking: write the current document as the released v1 snapshot")

// releasedV1 is the snapshot of the v1 document clients were written
// against (docs/api-versioning.md).
var releasedV1 = filepath.Join("testdata", "openapi-v1.snapshot.json")

// TestOpenAPIBreaking compares the document with the released v1
// snapshot and fails on a breaking change: within v1 the document may
// only grow. After a deliberate additive change, refresh the snapshot
// with `make openapi-snapshot` (go test -run TestOpenAPIBreaking
// ./internal/web -update); a breaking change needs v2 instead.
func TestOpenAPIBreaking(t *testing.T) {
	t.Parallel()
	doc, err := web.OpenAPI("1")
	require.NoError(t, err)
	if *updateSnapshot {
		require.NoError(t, os.WriteFile(releasedV1, append(doc, '\n'), 0o644))
		t.Logf("wrote %s (%d bytes)", releasedV1, len(doc))
		return
	}
	old, err := os.ReadFile(releasedV1)
	require.NoError(t, err)
	breaking, err := openapicompat.Breaking(old, doc)
	require.NoError(t, err)
	require.Empty(t, breaking, "breaking changes against %s (see docs/api-versioning.md):\n%s", releasedV1, strings.Join(breaking, "\n"))
}
