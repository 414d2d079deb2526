package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is one PostgreSQL server started for the test binary: initdb in a
// temporary directory, then postgres on a free loopback port. As root it
// runs as the user nobody (PostgreSQL refuses to run as root).
type server struct {
	dir  string
	cmd  *exec.Cmd
	addr string // host:port
	dsn  string // to the database "postgres" as the superuser "goalpost"
	done chan struct{}
}

// binDir finds PostgreSQL's programs: $GOALPOST_TEST_PG_BIN, Debian's
// /usr/lib/postgresql/<version>/bin (newest first), then $PATH.
func binDir() (string, error) {
	if d := os.Getenv("GOALPOST_TEST_PG_BIN"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	p, err := exec.LookPath("postgres")
	if err != nil {
		return "", errors.New("no PostgreSQL found (install postgresql, or set GOALPOST_TEST_PG_DSN)")
	}
	return filepath.Dir(p), nil
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// startServer initdbs and starts a server. The server gets SIGQUIT
// (immediate shutdown) if the test binary dies without stopping it.
func startServer(ctx context.Context) (*server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	sweepStale()
	dir, err := os.MkdirTemp("", "goalpost-pg-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, done: make(chan struct{})}
	cred, err := runAs(dir)
	if err != nil {
		s.remove()
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "goalpost",
		"--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if out, err := initdb.CombinedOutput(); err != nil {
		s.remove()
		return nil, fmt.Errorf("initdb: %w: %s", err, lastLine(out))
	}
	port, err := freePort()
	if err != nil {
		s.remove()
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		s.remove()
		return nil, err
	}
	defer log.Close()
	s.cmd = exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=200")
	s.cmd.Stdout, s.cmd.Stderr = log, log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	if err := s.cmd.Start(); err != nil {
		s.remove()
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.dsn = "postgres://goalpost@" + s.addr + "/postgres?sslmode=disable"
	if err := s.ready(ctx); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// ready waits until the server accepts connections (or exited).
func (s *server) ready(ctx context.Context) error {
	for range 300 {
		select {
		case <-s.done:
			log, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
			return fmt.Errorf("postgres exited: %s", lastLine(log))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if db, err := sql.Open("pgx", s.dsn); err == nil {
			err = db.PingContext(ctx)
			_ = db.Close()
			if err == nil {
				return nil
			}
		}
	}
	return errors.New("postgres did not start within 15s")
}

// stop shuts the server down at once (its data is thrown away) and
// removes its directory.
func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	s.remove()
}

func (s *server) remove() { _ = os.RemoveAll(s.dir) }

// runAs is who runs initdb and postgres: the current user, or nobody when
// that is root; dir is handed to that user.
func runAs(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("running as root and no user nobody to run postgres: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// sweepStale removes the directories of servers whose test binary died
// without stopping them (their postgres got SIGQUIT with it).
func sweepStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "goalpost-pg-*"))
	for _, d := range dirs {
		pid, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid"))
		if err == nil {
			n, _ := strconv.Atoi(strings.SplitN(string(pid), "\n", 2)[0])
			if n > 0 && syscall.Kill(n, 0) == nil {
				continue // running: another test binary's
			}
		}
		if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > time.Minute {
			_ = os.RemoveAll(d)
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
