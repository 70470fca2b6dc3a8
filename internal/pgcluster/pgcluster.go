// Package pgcluster starts and stops a PostgreSQL cluster from the installed
// server binaries (initdb, pg_ctl). It serves two callers: `make run`, which
// keeps a project-local cluster under .data/, and the tests, which start a
// throwaway one. The server listens on a Unix socket inside the cluster's
// directory only, so several clusters never fight over a TCP port.
//
// The server belongs to the process that started it: several processes may
// use one cluster (`make run` and `alumnet user create` on the same data
// directory), and only the one whose Start started the server stops it
// with Close.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

// Cluster is a PostgreSQL cluster in a directory of its own.
type Cluster struct {
	// Dir holds the cluster: data/ with the database files, run/ with the socket.
	Dir string
	// Settings are extra server settings (-c name=value) used at start.
	Settings map[string]string

	bin     string // directory of the server binaries
	runAs   string // "postgres" when we run as root, else ""
	owner   *user.User
	logger  func(string, ...any)
	started bool // this process started the server (and stops it in Close)
}

// New describes a cluster in dir; nothing is created until Start.
func New(dir string, logf func(string, ...any)) (*Cluster, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: abs, bin: bin, logger: logf, Settings: map[string]string{}}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("pgcluster: running as root, and PostgreSQL refuses to run as root, but there is no postgres user to run it as: %w", err)
		}
		c.runAs, c.owner = "postgres", u
	}
	if c.logger == nil {
		c.logger = func(string, ...any) {}
	}
	return c, nil
}

func (c *Cluster) dataDir() string   { return filepath.Join(c.Dir, "data") }
func (c *Cluster) socketDir() string { return filepath.Join(c.Dir, "run") }

// URL is the connection string for database name in this cluster.
func (c *Cluster) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&sslmode=disable", name, c.socketDir())
}

// Initialized reports whether the cluster's data directory exists.
func (c *Cluster) Initialized() bool {
	_, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION"))
	return err == nil
}

// Start runs initdb when the cluster does not exist yet and starts the
// server unless it is running already. It reports whether the cluster was
// created by this call. Processes starting the same cluster at the same
// time take turns (a lock file in Dir): one creates and starts it, the
// others find it running and use it.
func (c *Cluster) Start(ctx context.Context) (created bool, err error) {
	// Parents must stay traversable for the postgres user when we run as root.
	if err := os.MkdirAll(filepath.Dir(c.Dir), 0o755); err != nil {
		return false, fmt.Errorf("pgcluster: %w", err)
	}
	for _, d := range []string{c.Dir, c.socketDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return false, fmt.Errorf("pgcluster: %w", err)
		}
		if err := c.chown(d); err != nil {
			return false, err
		}
	}
	unlock, err := c.lock(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	if !c.Initialized() {
		c.logger("creating PostgreSQL cluster", "dir", c.dataDir())
		args := []string{"-D", c.dataDir(), "-U", "postgres", "--auth=trust",
			"--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"}
		if c.Settings["fsync"] == "off" {
			// A cluster that will not fsync (a throwaway one) need not
			// wait for initdb's sync either.
			args = append(args, "--no-sync")
		}
		if err := c.run(ctx, "initdb", args...); err != nil {
			return false, err
		}
		created = true
	}
	if c.Running(ctx) {
		c.logger("PostgreSQL is already running (started by another process, which also stops it)", "dir", c.dataDir())
		return created, nil
	}
	opts := []string{"-k", c.socketDir(), "-c", "listen_addresses="}
	keys := make([]string, 0, len(c.Settings))
	for k := range c.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		opts = append(opts, "-c", k+"="+c.Settings[k])
	}
	// pg_ctl passes -o through a shell; quote every word.
	quoted := make([]string, len(opts))
	for i, o := range opts {
		quoted[i] = "'" + strings.ReplaceAll(o, "'", `'\''`) + "'"
	}
	if err := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-l", filepath.Join(c.Dir, "postgres.log"),
		"-o", strings.Join(quoted, " "), "-w", "-t", "60", "start"); err != nil {
		return created, fmt.Errorf("%w (see %s)", err, filepath.Join(c.Dir, "postgres.log"))
	}
	c.started = true
	return created, nil
}

// Started reports whether Start started the server (rather than finding
// it running).
func (c *Cluster) Started() bool { return c.started }

// Close stops the server if this Cluster started it, and leaves a server
// that another process started running for that process to stop.
func (c *Cluster) Close() error {
	if !c.started {
		return nil
	}
	c.started = false
	return c.Stop()
}

// lock holds the cluster's lock file until the returned function is
// called; it waits while another process holds it.
func (c *Cluster) lock(ctx context.Context) (func(), error) {
	f, err := os.OpenFile(filepath.Join(c.Dir, "start.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("pgcluster: lock %s: %w", f.Name(), err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("pgcluster: waiting for another process to start the cluster: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop shuts the server down (fast mode: sessions are ended, data is safe),
// whoever started it. Processes that share a cluster call Close instead.
// A process starting the cluster meanwhile waits, and then starts it anew.
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if !c.Initialized() {
		return nil
	}
	unlock, err := c.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if !c.Running(ctx) {
		return nil
	}
	return c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-m", "fast", "-w", "stop")
}

// Remove deletes the cluster's directory; call it after Stop.
func (c *Cluster) Remove() error { return os.RemoveAll(c.Dir) }

// Running reports whether the cluster's server is running.
func (c *Cluster) Running(ctx context.Context) bool {
	if !c.Initialized() {
		return false
	}
	return c.run(ctx, "pg_ctl", "-D", c.dataDir(), "status") == nil
}

func (c *Cluster) chown(path string) error {
	if c.owner == nil {
		return nil
	}
	uid, _ := strconv.Atoi(c.owner.Uid)
	gid, _ := strconv.Atoi(c.owner.Gid)
	if err := os.Chown(path, uid, gid); err != nil {
		return fmt.Errorf("pgcluster: chown %s: %w", path, err)
	}
	return nil
}

func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	prog := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.runAs != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.runAs, "--", prog}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, prog, args...)
	}
	cmd.Dir = c.Dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgcluster: %s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// Binary returns the path of an installed PostgreSQL program (pg_dump,
// pg_restore, psql) of the same version as the server binaries.
func Binary(name string) (string, error) {
	dir, err := findBinaries()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("pgcluster: %s not found next to pg_ctl in %s", name, dir)
	}
	return p, nil
}

// findBinaries locates the directory with initdb and pg_ctl: on PATH, or in
// Debian's /usr/lib/postgresql/<version>/bin (newest first).
func findBinaries() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
		// A wrapper on PATH (Debian's pg_wrapper): fall through to the versioned dirs.
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("pgcluster: PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin; install PostgreSQL 15 or set DATABASE_URL")
}

func versionOf(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}
