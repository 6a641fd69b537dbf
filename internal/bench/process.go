package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a server the harness runs as a process of its own: `ordo
// serve`, or the bare baseline (`ordo bench serve-baseline`).
type proc struct {
	name   string
	cmd    *exec.Cmd
	exited chan error
	out    *lockedBuffer
}

// startProc starts binary with args and env and waits until readyURL
// answers 200 (any status with anyAnswer: a server that refuses
// anonymous requests); it returns the process and how long that took
// from exec.
func startProc(ctx context.Context, name, binary string, args, env []string, readyURL string, anyAnswer bool) (*proc, float64, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	client := &http.Client{Timeout: time.Second}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, exited: make(chan error, 1), out: out}
	go func() { p.exited <- cmd.Wait() }()
	for {
		resp, err := client.Get(readyURL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || anyAnswer {
				return p, time.Since(t0).Seconds(), nil
			}
		}
		select {
		case err := <-p.exited:
			p.exited <- err // for stop
			return nil, 0, fmt.Errorf("%s exited (%v): %s", name, err, out.String())
		case <-ctx.Done():
			p.stop()
			return nil, 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Since(t0) > 60*time.Second {
			p.stop()
			return nil, 0, fmt.Errorf("%s not ready in 60 s: %s", name, out.String())
		}
	}
}

// stop sends SIGTERM, and SIGKILL if the process has not exited 10 s
// later. Stopping a stopped process again is harmless: the exit status
// goes back into exited for the next caller.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		p.exited <- <-p.exited
	}
}

// lockedBuffer collects a process's output, written from the exec
// package's copying goroutines and read by the harness.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 64<<10 {
		return len(p), nil // enough to say why it failed
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// ordoBinary is the binary that the harness starts as `ordo serve`:
// o.OrdoBinary when set, or one built as `make build` builds it
// (CGO_ENABLED=0) into dir if the Go toolchain and Ordo's source are at
// hand, or else the running executable. It returns the path and how the
// binary was made, for the report.
func ordoBinary(ctx context.Context, o Options, dir string) (path, made string, err error) {
	switch {
	case o.OrdoBinary != "":
		return o.OrdoBinary, o.OrdoBinary, nil
	case haveSource():
		path = filepath.Join(dir, "ordo")
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", path, "./cmd/ordo")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("build ordo: %w\n%s", err, out)
		}
		return path, "CGO_ENABLED=0 go build -trimpath ./cmd/ordo", nil
	default:
		path, err = os.Executable()
		if err != nil {
			return "", "", err
		}
		return path, "the running ordo executable", nil
	}
}
