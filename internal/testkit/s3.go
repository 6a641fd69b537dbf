package testkit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3 is a running S3-compatible server for tests.
type S3 struct {
	Endpoint  string
	AccessKey string
	SecretKey string
}

// The credentials of every S3 server the tests start.
const (
	s3AccessKey = "testkey"
	s3SecretKey = "testsecret123"
)

// S3Server starts a versitygw (an S3-compatible server, Apache-2.0) on a
// free loopback port, storing in a temporary directory, and stops it when
// the test ends. Extra flags go before the backend (for example
// "--virtual-domain", "localhost"). `make tools` installs the binary into
// .bin/.
func S3Server(t testing.TB, flags ...string) S3 {
	t.Helper()
	bin := findTool("versitygw")
	if bin == "" {
		Missing(t, "versitygw not found in .bin/ or PATH (run `make tools`)")
	}
	port := FreePort(t)
	s := S3{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), AccessKey: s3AccessKey, SecretKey: s3SecretKey}
	args := append([]string{"--access", s.AccessKey, "--secret", s.SecretKey, "--port", fmt.Sprintf("127.0.0.1:%d", port)}, flags...)
	args = append(args, "posix", t.TempDir())
	runProcess(t, "versitygw", bin, args, nil, answers(s.Endpoint))
	return s
}

// MinIO is a running MinIO server with one empty bucket.
type MinIO struct {
	// Endpoint is http://127.0.0.1:port. The SDK addresses buckets on an
	// IP address path-style whatever S3_FORCE_PATH_STYLE says.
	S3
	// DomainEndpoint is http://localhost:port. MinIO runs with
	// MINIO_DOMAIN=localhost, so it also answers virtual-host style
	// requests to BUCKET.localhost:port; reach those with
	// LoopbackHTTPClient, as Go does not resolve *.localhost.
	DomainEndpoint string
	Region         string
	Bucket         string
}

// StartMinIO starts a MinIO server (AGPL: run as a separate program, never
// linked into Ordo) on a free loopback port, storing in a temporary
// directory, creates a bucket and stops the server when the test ends.
// It is the second S3 implementation that Ordo's S3 code is checked
// against, beside versitygw. `make tools` installs the binary into .bin/.
func StartMinIO(t testing.TB) MinIO {
	t.Helper()
	bin := findTool("minio")
	if bin == "" {
		Missing(t, "minio not found in .bin/ or PATH (run `make tools`)")
	}
	port := FreePort(t)
	m := MinIO{
		S3:             S3{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), AccessKey: s3AccessKey, SecretKey: s3SecretKey},
		DomainEndpoint: fmt.Sprintf("http://localhost:%d", port),
		Region:         "us-east-1",
		Bucket:         "ordo-minio",
	}
	env := []string{
		"MINIO_ROOT_USER=" + m.AccessKey, "MINIO_ROOT_PASSWORD=" + m.SecretKey,
		"MINIO_DOMAIN=localhost", "MINIO_UPDATE=off", "MINIO_BROWSER=off",
		// A private config directory: MinIO writes one under $HOME
		// otherwise, shared by every test run on the machine.
		"HOME=" + t.TempDir(),
	}
	args := []string{"server", t.TempDir(), "--address", fmt.Sprintf("127.0.0.1:%d", port), "--quiet"}
	runProcess(t, "minio", bin, args, env, answers200(m.Endpoint+"/minio/health/ready"))

	c := s3.New(s3.Options{Region: m.Region, BaseEndpoint: aws.String(m.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(m.AccessKey, m.SecretKey, "")})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(m.Bucket)}); err != nil {
		t.Fatalf("minio: create bucket %s: %v", m.Bucket, err)
	}
	return m
}

// LoopbackHTTPClient connects to 127.0.0.1 whatever host a URL names,
// keeping the port, for virtual-host style S3 URLs such as
// http://bucket.localhost:port: RFC 6761 lets *.localhost resolve to
// loopback, but Go's resolver asks DNS for it (and finds nothing here).
// The Host header and the TLS name stay those of the URL, so signatures
// are checked as the server would see them behind real DNS.
func LoopbackHTTPClient() *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
	}
	return &http.Client{Transport: tr}
}

// answers is a readiness check: url gives any HTTP response.
func answers(url string) func() error {
	return func() error {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
}

// answers200 is a readiness check: url answers 200.
func answers200(url string) func() error {
	return func() error {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", url, resp.Status)
		}
		return nil
	}
}

// process is a server that a test started.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited
}

// startProcess starts bin with args, and env added to this process's
// environment, writing its output to out, and waits up to 30 s until
// ready succeeds. It fails the test if the process exits first.
func startProcess(t testing.TB, name, bin string, args, env []string, out *lockedBuffer, ready func() error) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := ready()
		if err == nil {
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited at start (%v; is its port taken?):\n%s", name, cmd.ProcessState, out.String())
		default:
		}
		if time.Now().After(deadline) {
			p.stop()
			t.Fatalf("%s did not start: %v\n%s", name, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the process, as a crash would, and waits until it is gone.
func (p *process) stop() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// runProcess is startProcess for a server that lives as long as the test:
// it is stopped when the test ends, and its output is logged if the test
// failed.
func runProcess(t testing.TB, name, bin string, args, env []string, ready func() error) {
	t.Helper()
	out := &lockedBuffer{}
	var p *process
	t.Cleanup(func() {
		if p != nil {
			p.stop()
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	p = startProcess(t, name, bin, args, env, out, ready)
}

// FreePort returns a loopback TCP port that was free a moment ago.
//
// The port is drawn from 20000-32767, below Linux's ephemeral range
// (32768-60999) from which the kernel hands out port 0: a server that a
// test stops and starts again on its port cannot lose it in between to a
// listener or outgoing connection of a test running in parallel.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 1000 {
		port := 20000 + rand.IntN(12768)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ln.Close()
		return port
	}
	t.Fatal("no free port in 20000-32767")
	return 0
}

// findTool looks for a helper binary in the repository's .bin directory,
// then on PATH.
func findTool(name string) string {
	if dir, err := os.Getwd(); err == nil {
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				p := filepath.Join(d, ".bin", name)
				if _, err := os.Stat(p); err == nil {
					return p
				}
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	p, _ := exec.LookPath(name)
	return p
}
