package testkit

import (
	"fmt"
	"net/http"
	"os/exec"
	"testing"
	"time"
)

// S3Process is an S3 server (versitygw) that the test may stop and start
// again: on the same port, with the same credentials and the same data.
type S3Process struct {
	S3
	bin, addr, dir string
	cmd            *exec.Cmd
	done           chan struct{}
	out            *lockedBuffer
}

// RestartableS3Server starts a versitygw as S3Server does, and stops it
// when the test ends.
func RestartableS3Server(t testing.TB) *S3Process {
	t.Helper()
	bin := findTool("versitygw")
	if bin == "" {
		Missing(t, "versitygw not found in .bin/ or PATH (run `make tools`)")
	}
	port := FreePort(t)
	s := &S3Process{
		S3:  S3{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), AccessKey: "testkey", SecretKey: "testsecret123"},
		bin: bin, addr: fmt.Sprintf("127.0.0.1:%d", port), dir: t.TempDir(), out: &lockedBuffer{},
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("versitygw output:\n%s", s.out.String())
		}
	})
	s.Start(t)
	return s
}

// Start starts the server and waits until it answers.
func (s *S3Process) Start(t testing.TB) {
	t.Helper()
	if s.cmd != nil {
		t.Fatal("versitygw is already running")
	}
	cmd := exec.Command(s.bin, "--access", s.AccessKey, "--secret", s.SecretKey, "--port", s.addr, "posix", s.dir)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(s.done)
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(s.Endpoint)
		if err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-s.done:
			t.Fatalf("versitygw exited at start (is %s taken?):\n%s", s.addr, s.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not start: %v\n%s", err, s.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server, as a crash or a lost network would, and waits
// until it is gone. Stopping a stopped server does nothing.
func (s *S3Process) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}
