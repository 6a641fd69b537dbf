package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

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

func TestSignerRefusesTamperedAndExpired(t *testing.T) {
	t.Parallel()
	s := blob.NewSigner("http://ordo.test", "secret-secret-secret-secret-secret")
	u := s.URL(blob.OpPut, "tenants/t/a", "application/pdf", 10, "", time.Now().Add(time.Minute))
	q := mustQuery(t, u)
	got, err := s.Verify(q)
	require.NoError(t, err)
	require.Equal(t, "tenants/t/a", got.Key)
	require.EqualValues(t, 10, got.Size)

	for _, k := range []string{"k", "ct", "n", "op", "e"} {
		bad := mustQuery(t, u)
		bad.Set(k, bad.Get(k)+"x")
		_, err := s.Verify(bad)
		require.ErrorIs(t, err, blob.ErrBadSignature, "changed %s", k)
	}
	expired := mustQuery(t, s.URL(blob.OpGet, "tenants/t/a", "application/pdf", 0, "", time.Now().Add(-time.Second)))
	_, err = s.Verify(expired)
	require.ErrorIs(t, err, blob.ErrBadSignature)
	other := blob.NewSigner("http://ordo.test", "another-secret-another-secret-xx")
	_, err = other.Verify(q)
	require.ErrorIs(t, err, blob.ErrBadSignature)
}

func mustQuery(t *testing.T, raw string) url.Values {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Query()
}

// Temporary files left by a crash are swept once old; fresh ones stay.
func TestDiskSweepTemp(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	d, err := blob.NewDisk(root)
	require.NoError(t, err)
	old, fresh := filepath.Join(root, "tmp", "put-old"), filepath.Join(root, "tmp", "put-fresh")
	require.NoError(t, os.WriteFile(old, []byte("partial"), 0o600))
	require.NoError(t, os.WriteFile(fresh, []byte("partial"), 0o600))
	past := time.Now().Add(-7 * time.Hour)
	require.NoError(t, os.Chtimes(old, past, past))
	n, err := d.SweepTemp(context.Background(), 6*time.Hour)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.NoFileExists(t, old)
	require.FileExists(t, fresh)
}
