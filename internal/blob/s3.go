package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3Config locates a bucket on an S3-compatible server.
type S3Config struct {
	Endpoint        string // empty for AWS
	Region          string
	Bucket          string
	AccessKeyID     string // empty for the SDK's default credential chain
	SecretAccessKey string
	ForcePathStyle  bool
	// PublicEndpoint, when set, is the address of the same server as
	// browsers reach it (e.g. https://s3.example.com, while Endpoint is
	// http://versitygw:7070 on an internal network): every presigned URL
	// is signed for it, since the host is part of the signature. Ordo's
	// own calls still go to Endpoint.
	PublicEndpoint string
	// HTTPClient, when set, sends Ordo's requests instead of the SDK's
	// default client (tests: to reach virtual-host names on loopback).
	HTTPClient *http.Client
}

// S3 stores objects in one bucket through aws-sdk-go-v2.
type S3 struct {
	client   *s3.Client
	presign  *s3.PresignClient
	uploader *transfermanager.Client
	bucket   string
}

var _ Store = (*S3)(nil)

// NewS3 builds the client; it does not contact the server (see Check and
// EnsureBucket).
func NewS3(ctx context.Context, c S3Config) (*S3, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(c.Region)}
	if c.AccessKeyID != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3 config: %w", err)
	}
	client := s3.NewFromConfig(cfg, options(c, c.Endpoint))
	up := transfermanager.New(client, func(o *transfermanager.Options) {
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
	})
	// Presigning is computed offline, so a client for an address this
	// process cannot reach itself is fine.
	signing := client
	if c.PublicEndpoint != "" {
		signing = s3.NewFromConfig(cfg, options(c, c.PublicEndpoint))
	}
	return &S3{client: client, presign: s3.NewPresignClient(signing), uploader: up, bucket: c.Bucket}, nil
}

// options configures a client of the bucket at endpoint (empty: AWS).
func options(c S3Config, endpoint string) func(o *s3.Options) {
	return func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.UsePathStyle = c.ForcePathStyle
		if c.HTTPClient != nil {
			// Set on the client, not the config: the config would try to
			// add AWS_CA_BUNDLE's roots to it and refuse a plain client.
			o.HTTPClient = c.HTTPClient
		}
		// Many S3-compatible servers do not take the SDK's default
		// trailing checksums; send them only where the API requires.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	}
}

// BrowserOrigin is the scheme and host of the URLs presigned for browsers
// (the public endpoint, the endpoint, or the bucket's AWS host), for the
// pages' CSP connect-src. Presigning is offline: nothing is contacted.
func (s *S3) BrowserOrigin(ctx context.Context) (string, error) {
	u, err := s.PresignGet(ctx, "origin-probe", Download{Filename: "x", ContentType: "application/octet-stream"}, time.Minute)
	if err != nil {
		return "", err
	}
	pu, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("presigned URL %q: %w", u, err)
	}
	return pu.Scheme + "://" + pu.Host, nil
}

// Client exposes the S3 client, e.g. for presigning.
func (s *S3) Client() *s3.Client { return s.client }

// Bucket names the bucket.
func (s *S3) Bucket() string { return s.bucket }

// EnsureBucket creates the bucket if it does not exist.
func (s *S3) EnsureBucket(ctx context.Context) error {
	if err := s.Check(ctx); err == nil {
		return nil
	}
	_, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s.bucket)})
	var owned *types.BucketAlreadyOwnedByYou
	var exists *types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		return fmt.Errorf("create bucket %q: %w", s.bucket, err)
	}
	return nil
}

func (s *S3) Put(ctx context.Context, key string, r io.Reader, contentType string) (Info, error) {
	if err := ValidKey(key); err != nil {
		return Info{}, err
	}
	s.abortStale(ctx, key)
	cr := &countingReader{r: r}
	_, err := s.uploader.UploadObject(ctx, &transfermanager.UploadObjectInput{
		Bucket:      aws.String(s.bucket),
		Key:         aws.String(key),
		Body:        cr,
		ContentType: aws.String(contentType),
	})
	if err != nil {
		return Info{}, fmt.Errorf("blob put %q: %w", key, err)
	}
	return Info{Key: key, Size: cr.n, ContentType: contentType}, nil
}

// abortStale aborts unfinished multipart uploads to key: the parts a
// writer killed mid-upload left behind, which S3 keeps (and bills) until
// aborted. A job that writes a key again after a crash so cleans up after
// itself. Failing to list or abort only leaves them to the bucket's
// lifecycle rule.
func (s *S3) abortStale(ctx context.Context, key string) {
	out, err := s.client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket), Prefix: aws.String(key)})
	if err != nil {
		return
	}
	for _, u := range out.Uploads {
		if aws.ToString(u.Key) == key {
			_, _ = s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(s.bucket), Key: u.Key, UploadId: u.UploadId})
		}
	}
}

func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	if err := ValidKey(key); err != nil {
		return nil, Info{}, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			return nil, Info{}, notFound(key)
		}
		return nil, Info{}, fmt.Errorf("blob open %q: %w", key, err)
	}
	info := Info{Key: key, Size: aws.ToInt64(out.ContentLength), ContentType: aws.ToString(out.ContentType), ModTime: aws.ToTime(out.LastModified)}
	return out.Body, info, nil
}

func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := ValidKey(key); err != nil {
		return Info{}, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			return Info{}, notFound(key)
		}
		return Info{}, fmt.Errorf("blob stat %q: %w", key, err)
	}
	return Info{Key: key, Size: aws.ToInt64(out.ContentLength), ContentType: aws.ToString(out.ContentType), ModTime: aws.ToTime(out.LastModified)}, nil
}

// Copy is a server-side CopyObject (objects up to 5 GiB, above Ordo's
// largest upload); the content type is copied with the object.
func (s *S3) Copy(ctx context.Context, src, dst string) (Info, error) {
	if err := ValidKey(src); err != nil {
		return Info{}, err
	}
	if err := ValidKey(dst); err != nil {
		return Info{}, err
	}
	_, err := s.client.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(dst),
		CopySource: aws.String(s.bucket + "/" + escapePath(src)),
	})
	if err != nil {
		if isNotFound(err) {
			return Info{}, notFound(src)
		}
		return Info{}, fmt.Errorf("blob copy %q to %q: %w", src, dst, err)
	}
	return s.Stat(ctx, dst)
}

// escapePath URL-encodes each segment of a key, keeping the slashes, as
// CopySource wants.
func escapePath(key string) string {
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/")
}

func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("blob delete %q: %w", key, err)
	}
	return nil
}

// List pages through ListObjectsV2, which returns keys in order.
func (s *S3) List(ctx context.Context, prefix string) ([]Info, error) {
	var out []Info
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("blob list %q: %w", prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, Info{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)})
		}
	}
	return out, nil
}

// Check asks for the bucket: the server answers and the bucket exists.
func (s *S3) Check(ctx context.Context) error {
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)})
	if err != nil {
		var nsb *types.NoSuchBucket
		if isNotFound(err) || errors.As(err, &nsb) {
			return fmt.Errorf("bucket %q does not exist (create it, or set S3_CREATE_BUCKET=true)", s.bucket)
		}
		return fmt.Errorf("bucket %q: %w", s.bucket, err)
	}
	return nil
}

// isNotFound reports a missing object. A missing bucket is not one: it
// is a configuration error and must not look like a 404 to clients.
func isNotFound(err error) bool {
	var nsb *types.NoSuchBucket
	if errors.As(err, &nsb) {
		return false
	}
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchBucket" {
		return false
	}
	return errors.As(err, &ae) && (ae.ErrorCode() == "NotFound" || ae.ErrorCode() == "NoSuchKey")
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// PresignPut signs a PUT whose Content-Type and Content-Length are part of
// the signature: S3 refuses any other type or size.
func (s *S3) PresignPut(ctx context.Context, key, contentType string, size int64, ttl time.Duration) (Upload, error) {
	if err := ValidKey(key); err != nil {
		return Upload{}, err
	}
	req, err := s.presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(key), ContentType: aws.String(contentType), ContentLength: aws.Int64(size),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return Upload{}, fmt.Errorf("presign put %q: %w", key, err)
	}
	h := map[string]string{}
	for k, vs := range req.SignedHeader {
		if len(vs) > 0 && !strings.EqualFold(k, "Host") {
			h[http.CanonicalHeaderKey(k)] = vs[0]
		}
	}
	h["Content-Type"] = contentType
	h["Content-Length"] = strconv.FormatInt(size, 10)
	return Upload{Method: req.Method, URL: req.URL, Headers: h, ExpiresAt: time.Now().Add(ttl).UTC().Truncate(time.Second)}, nil
}

func (s *S3) PresignGet(ctx context.Context, key string, d Download, ttl time.Duration) (string, error) {
	if err := ValidKey(key); err != nil {
		return "", err
	}
	req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.bucket), Key: aws.String(key),
		ResponseContentDisposition: aws.String(contentDisposition(d)), ResponseContentType: aws.String(d.ContentType),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign get %q: %w", key, err)
	}
	return req.URL, nil
}
