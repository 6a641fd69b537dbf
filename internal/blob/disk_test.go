package blob_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/blob/blobtest"
)

func TestDiskConformance(t *testing.T) {
	t.Parallel()
	d, err := blob.NewDisk(t.TempDir())
	require.NoError(t, err)
	blobtest.Exercise(t, d)
}
