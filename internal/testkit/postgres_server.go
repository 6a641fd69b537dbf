package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// PostgresServer is a PostgreSQL server of the test's own, on a free
// loopback port with its data in a temporary directory, that the test may
// restart, stop and start without disturbing the shared server other
// tests use. Authentication is trust; the superuser is postgres.
type PostgresServer struct {
	Port int
	bin  string // the directory holding initdb and pg_ctl
	dir  string // holds data/, the unix socket and the log
	user string // the OS user the server runs as; "" for the current one
}

// StartPostgres initialises and starts a private PostgreSQL server, and
// removes it when the test ends. PostgreSQL refuses to run as root, so as
// root it runs as the postgres OS user. Without the binaries (or, as root,
// without a postgres user) the test is skipped (fails in CI).
func StartPostgres(t testing.TB) *PostgresServer {
	t.Helper()
	bin := postgresBinDir()
	if bin == "" {
		Missing(t, "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or PATH")
	}
	p := &PostgresServer{Port: FreePort(t), bin: bin}
	dir, err := os.MkdirTemp("", "ordo-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p.dir = dir
	t.Cleanup(func() {
		_ = p.ctl("stop", "-m", "immediate")
		if t.Failed() {
			if log, err := os.ReadFile(filepath.Join(dir, "log")); err == nil {
				t.Logf("private PostgreSQL log (last 4 KiB):\n%s", tail(log, 4096))
			}
		}
		_ = os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			Missing(t, "running as root and there is no postgres OS user to run PostgreSQL as: %v", err)
		}
		if _, err := exec.LookPath("runuser"); err != nil {
			Missing(t, "running as root and runuser is not installed")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		p.user = "postgres"
	}
	if out, err := p.command("initdb", "-D", p.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	conf := fmt.Sprintf("\nport = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nfsync = off\n", p.Port, dir)
	if err := p.appendConf(conf); err != nil {
		t.Fatal(err)
	}
	p.Start(t)
	return p
}

// URL is the postgres database's URL.
func (p *PostgresServer) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.Port)
}

// Start starts the server and waits until it accepts connections.
func (p *PostgresServer) Start(t testing.TB) {
	t.Helper()
	if err := p.ctl("start", "-l", filepath.Join(p.dir, "log")); err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
}

// Stop shuts the server down with -m fast: sessions are ended, open
// transactions rolled back, and the data checkpointed.
func (p *PostgresServer) Stop(t testing.TB) {
	t.Helper()
	if err := p.ctl("stop", "-m", "fast"); err != nil {
		t.Fatalf("stop PostgreSQL: %v", err)
	}
}

// Restart is pg_ctl restart -m fast: a stop as Stop, then a start.
func (p *PostgresServer) Restart(t testing.TB) {
	t.Helper()
	if err := p.ctl("restart", "-m", "fast", "-l", filepath.Join(p.dir, "log")); err != nil {
		t.Fatalf("restart PostgreSQL: %v", err)
	}
}

func (p *PostgresServer) data() string { return filepath.Join(p.dir, "data") }

// ctl runs pg_ctl and waits for it to finish what it was asked.
func (p *PostgresServer) ctl(args ...string) error {
	args = append([]string{"-D", p.data(), "-w", "-t", "60"}, args...)
	out, err := p.command("pg_ctl", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// command runs one of the server's programs, as its OS user.
func (p *PostgresServer) command(name string, args ...string) *exec.Cmd {
	prog := filepath.Join(p.bin, name)
	var cmd *exec.Cmd
	if p.user != "" {
		cmd = exec.Command("runuser", append([]string{"-u", p.user, "--", prog}, args...)...)
	} else {
		cmd = exec.Command(prog, args...)
	}
	cmd.Dir = p.dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	return cmd
}

func (p *PostgresServer) appendConf(s string) error {
	f, err := os.OpenFile(filepath.Join(p.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// postgresBinDir finds the newest /usr/lib/postgresql/<version>/bin (the
// Debian layout), or the directory of an initdb on PATH.
func postgresBinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(d string) int {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		return n
	}
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
				return d
			}
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// StartStandby makes a streaming replica of p (pg_basebackup -R -X
// stream) in a temporary directory of its own, starts it as a hot standby
// on a free loopback port, and removes it when the test ends. p must be a
// server of StartPostgres: its defaults (wal_level replica, WAL senders,
// trust for replication from 127.0.0.1) allow it.
func (p *PostgresServer) StartStandby(t testing.TB) *PostgresServer {
	t.Helper()
	s := &PostgresServer{Port: FreePort(t), bin: p.bin, user: p.user}
	dir, err := os.MkdirTemp("", "ordo-pg-standby-")
	if err != nil {
		t.Fatal(err)
	}
	s.dir = dir
	t.Cleanup(func() {
		_ = s.ctl("stop", "-m", "immediate")
		if t.Failed() {
			if log, err := os.ReadFile(filepath.Join(dir, "log")); err == nil {
				t.Logf("standby PostgreSQL log (last 4 KiB):\n%s", tail(log, 4096))
			}
		}
		_ = os.RemoveAll(dir)
	})
	if p.user != "" {
		u, err := user.Lookup(p.user)
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := s.command("pg_basebackup", "-D", s.data(), "-R", "-X", "stream", "-c", "fast",
		"-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "postgres").CombinedOutput(); err != nil {
		t.Fatalf("pg_basebackup: %v\n%s", err, out)
	}
	conf := fmt.Sprintf("\nport = %d\nunix_socket_directories = '%s'\nhot_standby = on\n", s.Port, dir)
	if err := s.appendConf(conf); err != nil {
		t.Fatal(err)
	}
	s.Start(t)
	return s
}

// URLOf is the URL of database db on the server.
func (p *PostgresServer) URLOf(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.Port, db)
}
