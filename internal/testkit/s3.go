package testkit

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// S3 is a running S3-compatible server for tests.
type S3 struct {
	Endpoint  string
	AccessKey string
	SecretKey string
}

// S3Server starts a versitygw (an S3-compatible server, Apache-2.0) on a
// free loopback port, storing in a temporary directory, and stops it when
// the test ends. `make tools` installs the binary into .bin/.
func S3Server(t testing.TB) S3 {
	t.Helper()
	bin := findTool("versitygw")
	if bin == "" {
		Missing(t, "versitygw not found in .bin/ or PATH (run `make tools`)")
	}
	port := FreePort(t)
	dir := t.TempDir()
	s := S3{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), AccessKey: "testkey", SecretKey: "testsecret123"}
	cmd := exec.Command(bin, "--access", s.AccessKey, "--secret", s.SecretKey, "--port", fmt.Sprintf("127.0.0.1:%d", port), "posix", dir)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("versitygw output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(s.Endpoint)
		if err == nil {
			resp.Body.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not start: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
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
