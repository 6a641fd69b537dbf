package blob_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
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

// With a public endpoint (S3_PUBLIC_ENDPOINT), presigned URLs are signed
// for the address browsers use, while Ordo's own calls still go to the
// internal endpoint. The "public" address here is a proxy that forwards
// with the Host header it received, as Traefik does: the signed URLs work
// through it, and Ordo's own calls never touch it.
func TestS3PresignUsesPublicEndpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := testkit.S3Server(t)
	internal, err := url.Parse(srv.Endpoint)
	require.NoError(t, err)
	var proxied atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(internal)
	public := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		rp.ServeHTTP(w, r) // keeps r.Host: the host the URL was signed for
	}))
	t.Cleanup(public.Close)
	publicURL, _ := url.Parse(public.URL)
	require.NotEqual(t, internal.Host, publicURL.Host)

	s, err := blob.NewS3(ctx, blob.S3Config{Endpoint: srv.Endpoint, PublicEndpoint: public.URL, Region: "us-east-1", Bucket: "ordo-public",
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, ForcePathStyle: true})
	require.NoError(t, err)
	require.NoError(t, s.EnsureBucket(ctx))
	_, err = s.Put(ctx, "p/server", strings.NewReader("by ordo"), "text/plain")
	require.NoError(t, err)
	require.Zero(t, proxied.Load(), "Ordo's own calls go to S3_ENDPOINT")

	up, err := s.PresignPut(ctx, "p/browser", "text/plain", 5, time.Minute)
	require.NoError(t, err)
	u, err := url.Parse(up.URL)
	require.NoError(t, err)
	require.Equal(t, publicURL.Host, u.Host, "the upload URL carries the public host")
	req, _ := http.NewRequest(up.Method, up.URL, strings.NewReader("hello"))
	for k, v := range up.Headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode, "the signature holds for the public host")

	for _, key := range []string{"p/browser", "p/server"} {
		dl, err := s.PresignGet(ctx, key, blob.Download{Filename: "a.txt", ContentType: "text/plain"}, time.Minute)
		require.NoError(t, err)
		u, err := url.Parse(dl)
		require.NoError(t, err)
		require.Equal(t, publicURL.Host, u.Host, "the download URL carries the public host")
		res, err := http.Get(dl)
		require.NoError(t, err)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, 200, res.StatusCode, "%s: %s", key, b)
	}
	require.Positive(t, proxied.Load())
}
