package bench

import (
	"bufio"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FootprintResult is `ordo serve` in embedded mode, started as a process
// of its own: how soon it answers /readyz, its idle RSS, and whether the
// binary is static.
type FootprintResult struct {
	Binary string `json:"binary"` // how the measured binary was made
	// Static is true for an ELF binary without an interpreter or shared
	// libraries (what `ldd` reports as "not a dynamic executable").
	Static    bool    `json:"static"`
	SizeMiB   float64 `json:"size_mib"`
	ColdReady float64 `json:"cold_ready_seconds"` // fresh data directory: creates and migrates the database
	WarmReady float64 `json:"warm_ready_seconds"` // the same directory again
	IdleRSS   float64 `json:"idle_rss_mib"`       // VmRSS 2 s after ready (warm start)
	// The idle RSS's anonymous (heap, stacks) and file-backed (the
	// binary's pages) parts: RssAnon and RssFile.
	IdleAnon float64 `json:"idle_rss_anon_mib"`
	IdleFile float64 `json:"idle_rss_file_mib"`
}

// footprintIdle is how long the server idles before its RSS is read.
const footprintIdle = 2 * time.Second

// benchFootprint measures the binary that ordoBinary resolved, made as
// made says.
func benchFootprint(ctx context.Context, o Options, binary, made string) (FootprintResult, error) {
	res := FootprintResult{Binary: made}
	dir, err := os.MkdirTemp("", "ordo-bench-footprint-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	if fi, err := os.Stat(binary); err == nil {
		res.SizeMiB = float64(fi.Size()) / (1 << 20)
	}
	if res.Static, err = isStatic(binary); err != nil {
		return res, err
	}
	data := filepath.Join(dir, "data")
	if res.ColdReady, _, err = startServe(ctx, binary, data, false); err != nil {
		return res, fmt.Errorf("first start: %w", err)
	}
	var rss map[string]float64
	if res.WarmReady, rss, err = startServe(ctx, binary, data, true); err != nil {
		return res, fmt.Errorf("second start: %w", err)
	}
	res.IdleRSS, res.IdleAnon, res.IdleFile = rss["VmRSS"], rss["RssAnon"], rss["RssFile"]
	fmt.Fprintf(o.Progress, "footprint ready in %.3fs (fresh data dir), %.3fs (again); idle RSS %.1f MiB; static %v\n",
		res.ColdReady, res.WarmReady, res.IdleRSS, res.Static)
	return res, nil
}

// haveSource reports whether the working directory is Ordo's module with
// the go command on PATH.
func haveSource() bool {
	if _, err := exec.LookPath("go"); err != nil {
		return false
	}
	b, err := os.ReadFile("go.mod")
	if err != nil || !strings.Contains(string(b), "module github.com/ordo/ordo\n") {
		return false
	}
	_, err = os.Stat(filepath.Join("cmd", "ordo"))
	return err == nil
}

// isStatic reports whether the ELF file at path needs no dynamic loader.
func isStatic(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			return false, nil
		}
	}
	return true, nil
}

// startServe runs `binary serve` in embedded mode on dataDir and times
// it from exec until /readyz answers 200; with idle it then waits
// footprintIdle and reads the process's VmRSS. It stops the process.
func startServe(ctx context.Context, binary, dataDir string, idle bool) (ready float64, rssMiB map[string]float64, err error) {
	port, err := freePort()
	if err != nil {
		return 0, nil, err
	}
	env := []string{"PORT=" + strconv.Itoa(port), "ORDO_DATA_DIR=" + dataDir, "ORDO_LOG_LEVEL=warn", "HOME=" + dataDir}
	p, ready, err := startProc(ctx, "ordo serve", binary, []string{"serve"}, env, fmt.Sprintf("http://127.0.0.1:%d/readyz", port), false)
	if err != nil {
		return 0, nil, err
	}
	defer p.stop()
	if !idle {
		return ready, nil, nil
	}
	select {
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	case <-time.After(footprintIdle):
	}
	rss, err := memStatus(p.cmd.Process.Pid)
	return ready, rss, err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// memStatus reads a process's resident set sizes (VmRSS, RssAnon,
// RssFile) from /proc, in MiB.
func memStatus(pid int) (map[string]float64, error) {
	return memStatusFields(pid, "VmRSS", "RssAnon", "RssFile")
}

// memStatusFields reads the memory fields named (VmRSS, VmHWM…) of a
// process from /proc, in MiB; the first must be there.
func memStatusFields(pid int, fields ...string) (map[string]float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !slices.Contains(fields, k) {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("/proc/%d/status %s: %w", pid, k, err)
		}
		out[k] = float64(kb) / 1024
	}
	if _, ok := out[fields[0]]; !ok {
		return nil, errors.New("no " + fields[0] + " in /proc/" + strconv.Itoa(pid) + "/status")
	}
	return out, sc.Err()
}
