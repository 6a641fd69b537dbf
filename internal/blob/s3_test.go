package blob_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/blob/blobtest"
	"github.com/ordo/ordo/internal/testkit"
)

func TestS3Conformance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := testkit.S3Server(t)
	s, err := blob.NewS3(ctx, blob.S3Config{
		Endpoint: srv.Endpoint, Region: "us-east-1", Bucket: "ordo-blobtest",
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, ForcePathStyle: true,
	})
	require.NoError(t, err)

	err = s.Check(ctx)
	require.ErrorContains(t, err, "does not exist", "a missing bucket is reported as such")
	require.NoError(t, s.EnsureBucket(ctx))
	require.NoError(t, s.EnsureBucket(ctx), "EnsureBucket is idempotent")
	blobtest.Exercise(t, s)
}
