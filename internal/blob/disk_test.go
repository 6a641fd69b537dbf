package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/blob/blobtest"
)

func TestDiskConformance(t *testing.T) {
	t.Parallel()
	d, err := blob.NewDisk(t.TempDir())
	require.NoError(t, err)
	blobtest.Exercise(t, d)
}

// As in AWS S3, a key may also be the prefix of other keys. (Not part of
// the shared suite: versitygw's posix backend refuses this, so Ordo's key
// scheme never relies on it.)
func TestDiskNestedKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := blob.NewDisk(t.TempDir())
	require.NoError(t, err)
	keys := []string{"n", "n/child", "n.d/x", "n.o", "n.m"}
	for _, k := range keys {
		_, err := s.Put(ctx, k, bytes.NewReader([]byte(k)), "text/plain")
		require.NoError(t, err, k)
	}
	for _, k := range keys {
		rc, _, err := s.Open(ctx, k)
		require.NoError(t, err, k)
		b, _ := io.ReadAll(rc)
		rc.Close()
		require.Equal(t, k, string(b))
	}
	_, err = s.Stat(ctx, "n.d")
	require.True(t, errors.Is(err, apperr.ErrNotFound), "a prefix is not an object: %v", err)
}
