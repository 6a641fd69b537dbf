package testkit

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The restartable versitygw is down between Stop and Start, and answers
// again on the same address afterwards.
func TestRestartableS3Server(t *testing.T) {
	t.Parallel()
	s := RestartableS3Server(t)
	up := answers(s.Endpoint)
	if err := up(); err != nil {
		t.Fatalf("not up after start: %v", err)
	}
	s.Stop()
	if err := up(); err == nil {
		t.Fatal("still answers after Stop")
	}
	s.Stop() // stopping a stopped server does nothing
	s.Start(t)
	if err := up(); err != nil {
		t.Fatalf("not up after a restart: %v", err)
	}
}

// StartMinIO's bucket is there, in path-style and (MINIO_DOMAIN=localhost,
// through LoopbackHTTPClient) virtual-host style; a missing one is not.
func TestStartMinIO(t *testing.T) {
	SkipShort(t, "starts MinIO")
	t.Parallel()
	m := StartMinIO(t)
	for _, ep := range []string{m.Endpoint, m.DomainEndpoint} {
		c := s3.New(s3.Options{Region: m.Region, BaseEndpoint: aws.String(ep), HTTPClient: LoopbackHTTPClient(),
			Credentials: credentials.NewStaticCredentialsProvider(m.AccessKey, m.SecretKey, "")})
		if _, err := c.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(m.Bucket)}); err != nil {
			t.Fatalf("%s: %v", ep, err)
		}
		if _, err := c.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("missing")}); err == nil {
			t.Fatalf("%s: a missing bucket is there", ep)
		}
	}
}
