// Package blobtest is the conformance suite for blob.Store: the disk and
// S3 implementations run it unchanged.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/blob"
)

// Exercise runs the suite against s.
func Exercise(t *testing.T, s blob.Store) {
	ctx := context.Background()
	prefix := "blobtest/" + uuid.NewString() + "/"

	t.Run("Check", func(t *testing.T) {
		require.NoError(t, s.Check(ctx))
	})

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		key := prefix + "dir/hello.txt"
		info, err := s.Put(ctx, key, bytes.NewReader([]byte("hello, ordo")), "text/plain")
		require.NoError(t, err)
		require.EqualValues(t, 11, info.Size)

		st, err := s.Stat(ctx, key)
		require.NoError(t, err)
		require.EqualValues(t, 11, st.Size)
		require.Equal(t, "text/plain", st.ContentType)

		rc, oi, err := s.Open(ctx, key)
		require.NoError(t, err)
		body, err := io.ReadAll(rc)
		require.NoError(t, rc.Close())
		require.NoError(t, err)
		require.Equal(t, "hello, ordo", string(body))
		require.EqualValues(t, 11, oi.Size)

		// Put replaces.
		_, err = s.Put(ctx, key, bytes.NewReader([]byte("v2")), "text/csv")
		require.NoError(t, err)
		st, err = s.Stat(ctx, key)
		require.NoError(t, err)
		require.EqualValues(t, 2, st.Size)
		require.Equal(t, "text/csv", st.ContentType)

		require.NoError(t, s.Delete(ctx, key))
		_, err = s.Stat(ctx, key)
		require.True(t, errors.Is(err, apperr.ErrNotFound), "stat after delete: %v", err)
		require.NoError(t, s.Delete(ctx, key), "deleting a missing object is not an error")
	})

	t.Run("Copy", func(t *testing.T) {
		t.Parallel()
		src, dst := prefix+"copy/src", prefix+"copy/dst é"
		_, err := s.Copy(ctx, src, dst)
		require.True(t, errors.Is(err, apperr.ErrNotFound), "copy of a missing object: %v", err)
		_, err = s.Put(ctx, src, strings.NewReader("first"), "application/pdf")
		require.NoError(t, err)
		info, err := s.Copy(ctx, src, dst)
		require.NoError(t, err)
		require.EqualValues(t, 5, info.Size)
		require.Equal(t, "application/pdf", info.ContentType)
		// The copy is an object of its own: replacing or deleting the
		// source leaves it as it was.
		_, err = s.Put(ctx, src, strings.NewReader("other"), "application/pdf")
		require.NoError(t, err)
		require.NoError(t, s.Delete(ctx, src))
		rc, _, err := s.Open(ctx, dst)
		require.NoError(t, err)
		b, _ := io.ReadAll(rc)
		rc.Close()
		require.Equal(t, "first", string(b))
	})

	t.Run("Missing", func(t *testing.T) {
		t.Parallel()
		_, _, err := s.Open(ctx, prefix+"nope")
		require.True(t, errors.Is(err, apperr.ErrNotFound), "open: %v", err)
		_, err = s.Stat(ctx, prefix+"nope")
		require.True(t, errors.Is(err, apperr.ErrNotFound), "stat: %v", err)
	})

	t.Run("LargeStreamedInParts", func(t *testing.T) {
		t.Parallel()
		// Larger than one multipart part (8 MiB), from a reader whose size
		// is not known up front.
		const size = 20<<20 + 123
		data := make([]byte, size)
		_, _ = rand.Read(data)
		key := prefix + "large.bin"
		info, err := s.Put(ctx, key, io.MultiReader(bytes.NewReader(data[:size/2]), bytes.NewReader(data[size/2:])), "application/octet-stream")
		require.NoError(t, err)
		require.EqualValues(t, size, info.Size)
		rc, _, err := s.Open(ctx, key)
		require.NoError(t, err)
		got, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err)
		require.True(t, bytes.Equal(data, got), "large object differs after a round trip")
		require.NoError(t, s.Delete(ctx, key))
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		dir := prefix + "list/"
		// (Not both "a" and "a/b": S3 allows it, versitygw's posix backend
		// does not.)
		sizes := map[string]int{"a/b": 1, "a/c": 2, "ab": 3, "b/c/d": 4, "z": 5}
		for k, n := range sizes {
			_, err := s.Put(ctx, dir+k, bytes.NewReader(make([]byte, n)), "application/octet-stream")
			require.NoError(t, err)
		}
		keys := func(p string) []string {
			infos, err := s.List(ctx, p)
			require.NoError(t, err)
			out := []string{}
			for _, in := range infos {
				require.EqualValues(t, sizes[strings.TrimPrefix(in.Key, dir)], in.Size, in.Key)
				require.False(t, in.ModTime.IsZero(), in.Key)
				out = append(out, strings.TrimPrefix(in.Key, dir))
			}
			return out
		}
		require.Equal(t, []string{"a/b", "a/c", "ab", "b/c/d", "z"}, keys(dir), "in key order")
		require.Equal(t, []string{"a/b", "a/c", "ab"}, keys(dir+"a"), "a plain string prefix")
		require.Equal(t, []string{"a/b", "a/c"}, keys(dir+"a/"))
		require.Equal(t, []string{"b/c/d"}, keys(dir+"b/c"))
		require.Equal(t, []string{}, keys(dir+"nothing/"), "no match is an empty list")
		require.NoError(t, s.Delete(ctx, dir+"a/b"))
		require.Equal(t, []string{"a/c", "ab", "b/c/d", "z"}, keys(dir))
	})

	t.Run("BadKeys", func(t *testing.T) {
		t.Parallel()
		for _, key := range []string{"", "/abs", "a/../../etc/passwd", "a//b", "trailing/", "a\\b", "ctl\x00"} {
			_, err := s.Put(ctx, key, bytes.NewReader(nil), "text/plain")
			require.Error(t, err, "key %q", key)
		}
	})
}
