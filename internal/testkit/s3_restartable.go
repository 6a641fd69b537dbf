package testkit

import (
	"fmt"
	"testing"
)

// S3Process is an S3 server (versitygw) that the test may stop and start
// again: on the same port, with the same credentials and the same data.
type S3Process struct {
	S3
	bin, addr, dir string
	proc           *process
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
		S3:  S3{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), AccessKey: s3AccessKey, SecretKey: s3SecretKey},
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
	if s.proc != nil {
		t.Fatal("versitygw is already running")
	}
	s.proc = startProcess(t, "versitygw", s.bin, []string{"--access", s.AccessKey, "--secret", s.SecretKey, "--port", s.addr, "posix", s.dir}, nil, s.out, answers(s.Endpoint))
}

// Stop kills the server, as a crash or a lost network would, and waits
// until it is gone. Stopping a stopped server does nothing.
func (s *S3Process) Stop() {
	if s.proc == nil {
		return
	}
	s.proc.stop()
	s.proc = nil
}
