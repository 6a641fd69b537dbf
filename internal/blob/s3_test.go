package blob_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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

// Presigned URLs against a real S3 server: the signature binds type and
// size, and expires.
func TestS3Presign(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := testkit.S3Server(t)
	s, err := blob.NewS3(ctx, blob.S3Config{Endpoint: srv.Endpoint, Region: "us-east-1", Bucket: "ordo-presign",
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, ForcePathStyle: true})
	require.NoError(t, err)
	require.NoError(t, s.EnsureBucket(ctx))

	put := func(up blob.Upload, body string, override map[string]string) int {
		req, _ := http.NewRequest(up.Method, up.URL, strings.NewReader(body))
		for k, v := range up.Headers {
			req.Header.Set(k, v)
		}
		for k, v := range override {
			req.Header.Set(k, v)
		}
		req.ContentLength = int64(len(body))
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	up, err := s.PresignPut(ctx, "p/ok", "text/plain", 5, time.Minute)
	require.NoError(t, err)
	require.NotEqual(t, 200, put(up, "hello", map[string]string{"Content-Type": "text/html"}), "another type is refused")
	require.NotEqual(t, 200, put(up, "hello world", nil), "another size is refused")
	require.Equal(t, 200, put(up, "hello", nil))
	info, err := s.Stat(ctx, "p/ok")
	require.NoError(t, err)
	require.EqualValues(t, 5, info.Size)

	short, err := s.PresignPut(ctx, "p/late", "text/plain", 5, time.Second)
	require.NoError(t, err)
	time.Sleep(2100 * time.Millisecond)
	require.Equal(t, 403, put(short, "hello", nil), "an expired URL is refused")

	u, err := s.PresignGet(ctx, "p/ok", blob.Download{Filename: "résumé.html", ContentType: "text/html", Inline: true}, time.Minute)
	require.NoError(t, err)
	res, err := http.Get(u)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	cd := res.Header.Get("Content-Disposition")
	require.True(t, strings.HasPrefix(cd, "attachment"), "HTML is never inline: %s", cd)
	require.Contains(t, cd, "filename*=utf-8''r%C3%A9sum%C3%A9.html")
}

// Writing a key again aborts the multipart upload a killed writer left
// unfinished there.
func TestS3PutAbortsStaleUploads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := testkit.S3Server(t)
	s, err := blob.NewS3(ctx, blob.S3Config{
		Endpoint: srv.Endpoint, Region: "us-east-1", Bucket: "ordo-stale",
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, ForcePathStyle: true,
	})
	require.NoError(t, err)
	require.NoError(t, s.EnsureBucket(ctx))
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, "")})
	const key = "tenants/t/exports/e.csv"
	_, err = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("ordo-stale"), Key: aws.String(key)})
	require.NoError(t, err)
	_, err = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("ordo-stale"), Key: aws.String(key + ".other")})
	require.NoError(t, err)

	_, err = s.Put(ctx, key, strings.NewReader("a,b\n"), "text/csv")
	require.NoError(t, err)
	out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("ordo-stale")})
	require.NoError(t, err)
	require.Len(t, out.Uploads, 1, "only the other key's upload is left")
	require.Equal(t, key+".other", aws.ToString(out.Uploads[0].Key))
}
