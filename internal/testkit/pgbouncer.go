package testkit

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PgBouncer is a PgBouncer of the test's own in transaction mode, on a
// free loopback port, in front of a PostgreSQL server.
type PgBouncer struct {
	Port int
	dir  string
}

// StartPgBouncer starts PgBouncer (pool_mode=transaction, auth_type=trust)
// in front of the server of upstream, a postgres:// URL, and stops it
// when the test ends. It returns upstream's URL with its host and port
// replaced by PgBouncer's: the same database and user, through the
// pooler. Without the pgbouncer binary the test is skipped (fails in CI).
func StartPgBouncer(t testing.TB, upstream string) (*PgBouncer, string) {
	t.Helper()
	bin := findTool("pgbouncer")
	if bin == "" {
		for _, p := range []string{"/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"} {
			if _, err := os.Stat(p); err == nil {
				bin = p
			}
		}
	}
	if bin == "" {
		Missing(t, "pgbouncer not found (Debian: apt-get install pgbouncer)")
	}
	up, err := url.Parse(upstream)
	if err != nil {
		t.Fatalf("parse upstream URL: %v", err)
	}
	dir, err := os.MkdirTemp("", "ordo-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	b := &PgBouncer{Port: FreePort(t), dir: dir}
	userName := up.User.Username()
	if userName == "" {
		userName = "postgres"
	}
	upPort := up.Port()
	if upPort == "" {
		upPort = "5432"
	}
	// Every database of upstream's server, by the name the client asks
	// for; trust, as the test servers are. max_prepared_statements does
	// not exist in 1.18: named prepared statements fail through it, as
	// through most transaction-mode poolers.
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = %s
pidfile = %s
admin_users = %s
`, up.Hostname(), upPort, b.Port, filepath.Join(dir, "userlist.txt"), filepath.Join(dir, "log"), filepath.Join(dir, "pid"), userName)
	if err := os.WriteFile(filepath.Join(dir, "pgbouncer.ini"), []byte(ini), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "userlist.txt"), []byte(strconv.Quote(userName)+` ""`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	cmd.Dir = dir
	out := &SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// PgBouncer refuses to run as root: as root, it runs as postgres.
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			Missing(t, "running as root and there is no postgres OS user to run pgbouncer as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pgbouncer: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT) // PgBouncer's immediate shutdown
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Logf("pgbouncer output:\n%s\nlog (last 4 KiB):\n%s", out, tail(log, 4096))
		}
		_ = os.RemoveAll(dir)
	})

	pooled := *up
	pooled.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(b.Port))
	u := pooled.String()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, u)
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return b, u
		}
		select {
		case <-done:
			t.Fatalf("pgbouncer exited: %s", out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer did not accept connections within 10s: %v\n%s", err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
