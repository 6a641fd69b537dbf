package blob_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/ordo/ordo/internal/apperr"
	"github.com/ordo/ordo/internal/blob"
	"github.com/ordo/ordo/internal/blob/blobtest"
	"github.com/ordo/ordo/internal/testkit"
)

// s3Target is one S3 server reached in one URL style, with what is known
// to differ between the servers.
type s3Target struct {
	server, style string
	cfg           blob.S3Config // the bucket exists; cfg.HTTPClient records
	rec           *recorder     // every request Ordo's store sends
	browser       *http.Client  // what a browser uses for presigned URLs
}

// TestS3Servers runs Ordo's S3 store against two S3 implementations,
// versitygw and MinIO, each in path-style and virtual-host style, and
// pins down where the servers differ.
func TestS3Servers(t *testing.T) {
	testkit.SkipShort(t, "starts versitygw and MinIO and moves about 50 MiB per server and URL style")
	t.Parallel()
	servers := []struct {
		name  string
		start func(t *testing.T) (pathEndpoint, hostEndpoint, bucket string)
	}{
		{"versitygw", func(t *testing.T) (string, string, string) {
			srv := testkit.S3Server(t, "--virtual-domain", "localhost")
			s, err := blob.NewS3(context.Background(), blob.S3Config{Endpoint: srv.Endpoint, Region: "us-east-1", Bucket: "ordo-versitygw",
				AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, ForcePathStyle: true})
			require.NoError(t, err)
			require.NoError(t, s.EnsureBucket(context.Background()))
			u, _ := url.Parse(srv.Endpoint)
			return srv.Endpoint, "http://localhost:" + u.Port(), "ordo-versitygw"
		}},
		{"minio", func(t *testing.T) (string, string, string) {
			m := testkit.StartMinIO(t)
			return m.Endpoint, m.DomainEndpoint, m.Bucket
		}},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			pathEndpoint, hostEndpoint, bucket := srv.start(t)
			for _, style := range []string{"path-style", "virtual-host"} {
				t.Run(style, func(t *testing.T) {
					t.Parallel()
					// Go does not resolve bucket.localhost: every request
					// (Ordo's and the "browser's") goes through a client
					// whose dialer connects to 127.0.0.1 whatever the host,
					// keeping the Host header the URL was signed for.
					rec := &recorder{next: testkit.LoopbackHTTPClient().Transport}
					tg := s3Target{server: srv.name, style: style, rec: rec, browser: testkit.LoopbackHTTPClient(),
						cfg: blob.S3Config{Endpoint: pathEndpoint, Region: "us-east-1", Bucket: bucket,
							AccessKeyID: "testkey", SecretAccessKey: "testsecret123", ForcePathStyle: true,
							HTTPClient: &http.Client{Transport: rec}}}
					if style == "virtual-host" {
						// A host name, not an IP: the SDK puts the bucket
						// in the host only then.
						tg.cfg.Endpoint, tg.cfg.ForcePathStyle = hostEndpoint, false
					}
					exerciseS3Target(t, tg)
				})
			}
		})
	}
}

func exerciseS3Target(t *testing.T, tg s3Target) {
	ctx := context.Background()
	s, err := blob.NewS3(ctx, tg.cfg)
	require.NoError(t, err)
	// c makes the requests Ordo does not, recorded apart from the
	// store's.
	rawRec := &recorder{next: tg.browser.Transport}
	rawCfg := tg.cfg
	rawCfg.HTTPClient = &http.Client{Transport: rawRec}
	raw, err := blob.NewS3(ctx, rawCfg)
	require.NoError(t, err)
	c := raw.Client()

	t.Run("Conformance", func(t *testing.T) {
		missing := rawCfg
		missing.Bucket = "ordo-new-" + tg.style
		m, err := blob.NewS3(ctx, missing)
		require.NoError(t, err)
		require.ErrorContains(t, m.Check(ctx), "does not exist", "a missing bucket is reported as such")
		require.NoError(t, m.EnsureBucket(ctx), "S3_CREATE_BUCKET creates it")
		require.NoError(t, m.Check(ctx))
		require.NoError(t, s.EnsureBucket(ctx), "EnsureBucket on an existing bucket")
		blobtest.Exercise(t, s)
	})

	t.Run("URLStyle", func(t *testing.T) {
		u, err := s.PresignGet(ctx, "style/k", blob.Download{Filename: "k", ContentType: "text/plain"}, time.Minute)
		require.NoError(t, err)
		pu, err := url.Parse(u)
		require.NoError(t, err)
		ep, _ := url.Parse(tg.cfg.Endpoint)
		wantHost, wantPath := ep.Host, "/"+tg.cfg.Bucket+"/style/k"
		if tg.style == "virtual-host" {
			wantHost, wantPath = tg.cfg.Bucket+"."+ep.Host, "/style/k"
		}
		require.Equal(t, wantHost, pu.Host)
		require.Equal(t, wantPath, pu.Path)
		origin, err := s.BrowserOrigin(ctx)
		require.NoError(t, err)
		require.Equal(t, "http://"+wantHost, origin, "the pages' CSP allows the bucket's own host")
		// Ordo's own requests (the conformance suite's) used the same
		// style; the server answered them, so it routed them by it.
		for _, r := range tg.rec.all() {
			require.Equal(t, wantHost, r.host, "%s %s", r.method, r.path)
		}
	})

	t.Run("PresignedBrowserUpload", func(t *testing.T) {
		body := make([]byte, 70_000)
		_, _ = rand.Read(body)
		key := "uploads/tenants/t1/attachments/" + tg.style
		up, err := s.PresignPut(ctx, key, "image/png", int64(len(body)), time.Minute)
		require.NoError(t, err)
		require.Equal(t, map[string]string{"Content-Type": "image/png", "Content-Length": fmt.Sprint(len(body))}, up.Headers,
			"a browser sends exactly these: fetch/XHR set Content-Length themselves")
		put := func(ct string, body []byte) (int, string) {
			req, err := http.NewRequest(up.Method, up.URL, bytes.NewReader(body))
			require.NoError(t, err)
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Origin", "https://ordo.example.com")
			res, err := tg.browser.Do(req)
			require.NoError(t, err)
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return res.StatusCode, string(b)
		}
		code, msg := put("image/jpeg", body)
		require.Equal(t, 403, code, "another type breaks the signature: %s", msg)
		require.Contains(t, msg, "SignatureDoesNotMatch")
		code, msg = put("image/png", body[:len(body)-1])
		require.Equal(t, 403, code, "another size breaks the signature: %s", msg)
		require.Contains(t, msg, "SignatureDoesNotMatch")
		code, msg = put("image/png", body)
		require.Equal(t, 200, code, msg)
		info, err := s.Stat(ctx, key)
		require.NoError(t, err)
		require.Equal(t, "image/png", info.ContentType)
		require.EqualValues(t, len(body), info.Size)

		dl, err := s.PresignGet(ctx, key, blob.Download{Filename: "plan é.png", ContentType: "image/png", Inline: true}, time.Minute)
		require.NoError(t, err)
		res, err := tg.browser.Get(dl)
		require.NoError(t, err)
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, 200, res.StatusCode, "%s", got)
		require.True(t, bytes.Equal(body, got), "downloaded bytes differ")
		require.Equal(t, "image/png", res.Header.Get("Content-Type"))
		require.Equal(t, `inline; filename*=utf-8''plan%20%C3%A9.png`, res.Header.Get("Content-Disposition"))
	})

	t.Run("Checksums", func(t *testing.T) {
		body := []byte("order 1042, 3 items\n")
		md5sum := func(b []byte) *string { h := md5.Sum(b); return aws.String(base64.StdEncoding.EncodeToString(h[:])) }
		crc := func(b []byte) *string {
			x := binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b))
			return aws.String(base64.StdEncoding.EncodeToString(x))
		}
		k := "checksums/" + tg.style
		whenSupported := func(o *s3.Options) { o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported }
		cases := []struct {
			name string
			in   s3.PutObjectInput
			opts []func(*s3.Options)
			want map[string]string // server: S3 error code of a 400, "" if stored
		}{
			{"right Content-MD5", s3.PutObjectInput{Key: aws.String(k + "/md5-ok"), ContentMD5: md5sum(body)}, nil,
				map[string]string{"versitygw": "", "minio": ""}},
			{"wrong Content-MD5", s3.PutObjectInput{Key: aws.String(k + "/md5-bad"), ContentMD5: md5sum([]byte("another body"))}, nil,
				map[string]string{"versitygw": "BadDigest", "minio": "BadDigest"}},
			{"right x-amz-checksum-crc32", s3.PutObjectInput{Key: aws.String(k + "/crc-ok"), ChecksumCRC32: crc(body)}, nil,
				map[string]string{"versitygw": "", "minio": ""}},
			// AWS documents BadDigest; MinIO has a code of its own.
			{"wrong x-amz-checksum-crc32", s3.PutObjectInput{Key: aws.String(k + "/crc-bad"), ChecksumCRC32: crc([]byte("another body"))}, nil,
				map[string]string{"versitygw": "BadDigest", "minio": "XAmzContentChecksumMismatch"}},
			// The SDK's default: a CRC32 it computes on every upload.
			{"SDK default (WHEN_SUPPORTED)", s3.PutObjectInput{Key: aws.String(k + "/default")}, []func(*s3.Options){whenSupported},
				map[string]string{"versitygw": "", "minio": ""}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in := tc.in
				in.Bucket, in.Body = aws.String(tg.cfg.Bucket), bytes.NewReader(body)
				_, err := c.PutObject(ctx, &in, tc.opts...)
				sent := rawRec.all()
				last := sent[len(sent)-1]
				want := tc.want[tg.server]
				require.Equal(t, want, errorCode(err), "%v", err)
				_, serr := raw.Stat(ctx, aws.ToString(in.Key))
				if want != "" {
					var re interface{ HTTPStatusCode() int }
					require.True(t, errors.As(err, &re) && re.HTTPStatusCode() == 400, "%v", err)
					require.ErrorIs(t, serr, apperr.ErrNotFound, "a refused upload leaves no object")
					return
				}
				require.NoError(t, serr)
				if tc.opts != nil {
					require.True(t, last.header.Get("X-Amz-Checksum-Crc32") != "" || strings.Contains(strings.ToLower(last.header.Get("X-Amz-Trailer")), "x-amz-checksum-crc32"),
						"the SDK's default sends a CRC32: %v", last.header)
				}
			})
		}
	})

	t.Run("Multipart", func(t *testing.T) {
		const MiB = 1 << 20
		key := "multipart/" + tg.style
		// Ordo's Put: above the upload manager's 16 MiB threshold, from a
		// reader of unknown size, in 8 MiB parts (8+8+1 byte).
		data := make([]byte, 16*MiB+1)
		_, _ = rand.Read(data)
		_, err := s.Put(ctx, key+"/put", io.MultiReader(bytes.NewReader(data[:MiB]), bytes.NewReader(data[MiB:])), "application/gzip")
		require.NoError(t, err)
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(tg.cfg.Bucket), Key: aws.String(key + "/put")})
		require.NoError(t, err)
		require.True(t, strings.HasSuffix(strings.Trim(aws.ToString(head.ETag), `"`), "-3"), "three parts: ETag %s", aws.ToString(head.ETag))
		rc, info, err := s.Open(ctx, key+"/put")
		require.NoError(t, err)
		got, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err)
		require.Equal(t, "application/gzip", info.ContentType)
		require.True(t, bytes.Equal(data, got), "multipart object differs after a round trip")

		// S3's rule: every part but the last is at least 5 MiB.
		upload := func(name string, sizes ...int) error {
			k := key + "/" + name
			cr, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(tg.cfg.Bucket), Key: aws.String(k)})
			require.NoError(t, err)
			var parts []types.CompletedPart
			var whole []byte
			for i, n := range sizes {
				p := data[len(whole) : len(whole)+n]
				whole = append(whole, p...)
				out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(tg.cfg.Bucket), Key: aws.String(k), UploadId: cr.UploadId,
					PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
				require.NoError(t, err, "part %d of %d bytes", i+1, n)
				parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))})
			}
			_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(tg.cfg.Bucket), Key: aws.String(k), UploadId: cr.UploadId,
				MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
			if err != nil {
				_, _ = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(tg.cfg.Bucket), Key: aws.String(k), UploadId: cr.UploadId})
				return err
			}
			rc, _, err := s.Open(ctx, k)
			require.NoError(t, err)
			got, _ := io.ReadAll(rc)
			rc.Close()
			require.True(t, bytes.Equal(whole, got), "%s differs after a round trip", name)
			return nil
		}
		// Both servers check it as AWS documents, when the upload is
		// completed: a transfer manager configured below 5 MiB parts
		// fails at the end, not at the first part.
		require.NoError(t, upload("at-minimum", 5*MiB, 1), "5 MiB, then 1 byte")
		require.Equal(t, "EntityTooSmall", errorCode(upload("below-minimum", 5*MiB-1, 1)), "5 MiB - 1, then 1 byte")
		require.NoError(t, upload("one-small-part", 1000), "a last part may be small, also when it is the only one")
	})

	// Production talks HTTPS, where the SDK signs and streams otherwise:
	// with its default checksums, a CRC32 trailer in an aws-chunked
	// body, which WHEN_REQUIRED leaves out. A TLS proxy in front of the
	// server (keeping the Host header, as Traefik does) shows both.
	t.Run("HTTPS", func(t *testing.T) {
		front := httptest.NewTLSServer(httputil.NewSingleHostReverseProxy(mustParse(t, tg.cfg.Endpoint)))
		t.Cleanup(front.Close)
		endpoint := mustParse(t, front.URL)
		endpoint.Host = mustParse(t, tg.cfg.Endpoint).Hostname() + ":" + endpoint.Port()
		// The proxy's certificate names 127.0.0.1 and example.com, not
		// bucket.localhost; the point here is S3 over TLS, not the
		// certificate.
		tr := testkit.LoopbackHTTPClient().Transport.(*http.Transport)
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		trec := &recorder{next: tr}
		cfg := tg.cfg
		cfg.Endpoint, cfg.HTTPClient = endpoint.String(), &http.Client{Transport: trec}
		hs, err := blob.NewS3(ctx, cfg)
		require.NoError(t, err)

		const MiB = 1 << 20
		data := make([]byte, 16*MiB+1)
		_, _ = rand.Read(data)
		for _, n := range []int{1000, len(data)} {
			key := fmt.Sprintf("https/%s/%d", tg.style, n)
			_, err := hs.Put(ctx, key, io.MultiReader(bytes.NewReader(data[:n/2]), bytes.NewReader(data[n/2:n])), "application/octet-stream")
			require.NoError(t, err, "Ordo's Put of %d bytes over HTTPS", n)
			rc, _, err := hs.Open(ctx, key)
			require.NoError(t, err)
			got, _ := io.ReadAll(rc)
			rc.Close()
			require.True(t, bytes.Equal(data[:n], got), "%d bytes over HTTPS differ", n)
		}
		requireNoChecksums(t, trec.all())

		up, err := hs.PresignPut(ctx, "https/"+tg.style+"/browser", "text/plain", 5, time.Minute)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(up.URL, "https://"), up.URL)
		req, _ := http.NewRequest(up.Method, up.URL, strings.NewReader("hello"))
		req.Header.Set("Content-Type", "text/plain")
		res, err := (&http.Client{Transport: tr}).Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, 200, res.StatusCode, "%s", b)

		// The SDK's default, from a reader of unknown length: a CRC32
		// trailer after an aws-chunked body.
		// Both servers take it (and store the decoded bytes).
		n := len(trec.all())
		key := "https/" + tg.style + "/trailer"
		_, err = hs.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(cfg.Bucket), Key: aws.String(key),
			Body: io.NopCloser(bytes.NewReader(data[:3000])), ContentLength: aws.Int64(3000)},
			func(o *s3.Options) { o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenSupported })
		require.NoError(t, err)
		sent := trec.all()[n:]
		require.Len(t, sent, 1)
		require.Equal(t, "x-amz-checksum-crc32", sent[0].header.Get("X-Amz-Trailer"))
		require.Equal(t, "aws-chunked", sent[0].header.Get("Content-Encoding"))
		rc, _, err := hs.Open(ctx, key)
		require.NoError(t, err)
		got, _ := io.ReadAll(rc)
		rc.Close()
		require.True(t, bytes.Equal(data[:3000], got), "the object is the bytes, not their aws-chunked encoding")
	})

	t.Run("AbortsStaleUploads", func(t *testing.T) {
		dir := "stale/" + tg.style + "/"
		key := dir + "e.csv"
		for _, k := range []string{key, key + ".other"} {
			_, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(tg.cfg.Bucket), Key: aws.String(k)})
			require.NoError(t, err)
		}
		uploads := func(prefix string) []string {
			out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(tg.cfg.Bucket), Prefix: aws.String(prefix)})
			require.NoError(t, err)
			keys := []string{}
			for _, u := range out.Uploads {
				keys = append(keys, aws.ToString(u.Key))
			}
			return keys
		}
		// MinIO lists multipart uploads only by a whole key given as
		// the prefix ("working as intended", minio/minio#20989); S3 and
		// versitygw match a prefix. abortStale asks for the key itself,
		// which works on both.
		byKey := map[string][]string{"versitygw": {key, key + ".other"}, "minio": {key}}
		byDir := map[string][]string{"versitygw": {key, key + ".other"}, "minio": {}}
		require.Equal(t, byKey[tg.server], uploads(key), "the key as the prefix")
		require.Equal(t, byDir[tg.server], uploads(dir), "a directory as the prefix")

		_, err := s.Put(ctx, key, strings.NewReader("a,b\n"), "text/csv")
		require.NoError(t, err)
		require.NotContains(t, uploads(key), key, "Put aborted the stale upload to its key")
		require.Equal(t, []string{key + ".other"}, uploads(key+".other"), "and left the other key's alone")
	})

	// WHEN_REQUIRED on the wire: no request of the store's above (object
	// and part uploads, multipart creation and completion, copies)
	// carried a checksum.
	t.Run("NoChecksumsSent", func(t *testing.T) {
		requireNoChecksums(t, tg.rec.all())
	})
}

// requireNoChecksums checks that uploads were sent and that no request
// carried a checksum, as a header or as a trailer.
func requireNoChecksums(t *testing.T, reqs []recorded) {
	t.Helper()
	n := 0
	for _, r := range reqs {
		if r.method == http.MethodPut {
			n++
		}
		for h := range r.header {
			lh := strings.ToLower(h)
			require.False(t, strings.HasPrefix(lh, "x-amz-checksum-") || lh == "x-amz-sdk-checksum-algorithm" || lh == "x-amz-trailer" || lh == "content-md5",
				"%s %s?%s sent %s", r.method, r.path, r.query, h)
		}
		require.NotContains(t, r.header.Get("Content-Encoding"), "aws-chunked", "%s %s?%s", r.method, r.path, r.query)
	}
	require.Positive(t, n, "uploads were recorded")
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}

// errorCode is the S3 error code of err, "" for nil.
func errorCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return err.Error()
}

// recorder keeps what each request looked like on the wire.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
	next http.RoundTripper
}

type recorded struct {
	method, host, path, query string
	header                    http.Header
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{req.Method, host, req.URL.Path, req.URL.RawQuery, req.Header.Clone()})
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) all() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}
