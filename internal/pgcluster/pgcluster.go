// Package pgcluster starts and stops a PostgreSQL cluster from the installed
// server binaries (initdb, pg_ctl). It serves two callers: `make run`, which
// keeps a project-local cluster under .data/, and the tests, which start a
// throwaway one. The server listens on a Unix socket inside the cluster's
// directory only, so several clusters never fight over a TCP port.
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
	"time"
)

// Cluster is a PostgreSQL cluster in a directory of its own.
type Cluster struct {
	// Dir holds the cluster: data/ with the database files, run/ with the socket.
	Dir string
	// Settings are extra server settings (-c name=value) used at start.
	Settings map[string]string

	bin    string // directory of the server binaries
	runAs  string // "postgres" when we run as root, else ""
	owner  *user.User
	logger func(string, ...any)
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

// Start runs initdb when the cluster does not exist yet and starts the server.
// It reports whether the cluster was created by this call.
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
	if !c.Initialized() {
		c.logger("creating PostgreSQL cluster", "dir", c.dataDir())
		if err := c.run(ctx, "initdb", "-D", c.dataDir(), "-U", "postgres", "--auth=trust",
			"--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"); err != nil {
			return false, err
		}
		created = true
	}
	if c.running(ctx) {
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
	return created, nil
}

// Stop shuts the server down (fast mode: sessions are ended, data is safe).
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if !c.running(ctx) {
		return nil
	}
	return c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-m", "fast", "-w", "stop")
}

// Remove deletes the cluster's directory; call it after Stop.
func (c *Cluster) Remove() error { return os.RemoveAll(c.Dir) }

func (c *Cluster) running(ctx context.Context) bool {
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
