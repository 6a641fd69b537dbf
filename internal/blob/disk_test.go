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
	s := blob.NewSigner("secret-secret-secret-secret-secret")
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
	other := blob.NewSigner("another-secret-another-secret-xx")
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

// Local-disk URLs are paths on the app's own origin: they work whichever
// address the page was opened at (ORDO_BASE_URL, 127.0.0.1, a LAN name),
// and a browser upload through one is same-origin.
func TestDiskPresignedURLsAreSameOrigin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := blob.NewDisk(t.TempDir())
	require.NoError(t, err)
	d.WithSigner(blob.NewSigner("secret-secret-secret-secret-secret"))
	up, err := d.PresignPut(ctx, "tenants/t/a", "text/plain", 5, time.Minute)
	require.NoError(t, err)
	get, err := d.PresignGet(ctx, "tenants/t/a", blob.Download{Filename: "a.txt", ContentType: "text/plain"}, time.Minute)
	require.NoError(t, err)
	for _, raw := range []string{up.URL, get} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		require.Empty(t, u.Scheme, raw)
		require.Empty(t, u.Host, raw)
		require.Equal(t, "/blobs", u.Path, raw)
	}
}
