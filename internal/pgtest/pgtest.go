// Package pgtest gives every test a database of its own on a real
// PostgreSQL server: a fresh clone of a template database that was migrated
// once. The server is TEST_DATABASE_URL when set (make test starts one for
// the whole run); otherwise Run starts a throwaway cluster for the package.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"alumnet/internal/db"
	"alumnet/internal/pgcluster"
)

// The harness is process-wide by nature: one server and one template per
// test binary.
var (
	serverURL    string
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// FastSettings are server settings for throwaway clusters: durability is
// traded for speed, and there is room for many parallel test pools.
var FastSettings = map[string]string{
	"fsync":              "off",
	"full_page_writes":   "off",
	"synchronous_commit": "off",
	"max_connections":    "400",
	"shared_buffers":     "128MB",
}

// Run is the body of a package's TestMain. It provides the server, runs the
// tests and removes a cluster it started, also when the tests are
// interrupted (SIGINT, SIGTERM).
func Run(m *testing.M) int {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		serverURL = u
		return m.Run()
	}
	c, err := StartCluster()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stop := RemoveOnSignal(c)
	defer func() {
		stop()
		_ = c.Stop()
		_ = c.Remove()
	}()
	serverURL = c.URL("postgres")
	return m.Run()
}

// RemoveOnSignal stops and removes the cluster when the process gets
// SIGINT or SIGTERM, and then ends the process (exit status 128 + the
// signal's number, as a shell reports it). The returned function stops
// listening; call it before removing the cluster in the normal way.
func RemoveOnSignal(c *pgcluster.Cluster) (stop func()) {
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigc:
			_ = c.Stop()
			_ = c.Remove()
			fmt.Fprintf(os.Stderr, "pgtest: %s: throwaway PostgreSQL stopped and removed\n", sig)
			code := 1
			if s, ok := sig.(syscall.Signal); ok {
				code = 128 + int(s)
			}
			os.Exit(code)
		case <-done:
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(sigc)
			close(done)
		})
	}
}

// StartCluster starts a throwaway cluster in a new temporary directory
// (alumnet-pgtest-* in TMPDIR). Stop and Remove leave nothing behind.
func StartCluster() (*pgcluster.Cluster, error) {
	dir, err := os.MkdirTemp("", "alumnet-pgtest-")
	if err != nil {
		return nil, err
	}
	c, err := startCluster(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return c, nil
}

func startCluster(dir string) (*pgcluster.Cluster, error) {
	// The postgres user must be able to reach the directory when we are root.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	c, err := pgcluster.New(dir, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range FastSettings {
		c.Settings[k] = v
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := c.Start(ctx); err != nil {
		_ = c.Stop()
		return nil, fmt.Errorf("pgtest: start throwaway PostgreSQL: %w", err)
	}
	return c, nil
}

// DB is a test's own database.
type DB struct {
	Pool *pgxpool.Pool
	// URL connects to this database (for code that opens its own pool).
	URL string
}

// New creates a database for t, cloned from the migrated template, and
// drops it when the test ends.
func New(t testing.TB) *DB {
	t.Helper()
	if serverURL == "" {
		t.Fatal("pgtest: no database server; call pgtest.Run from TestMain")
	}
	ctx := context.Background()
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(ctx) })
	if templateErr != nil {
		t.Fatalf("pgtest: template: %v", templateErr)
	}
	name := "t_" + randomHex(8)
	admin, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer admin.Close(ctx)
	for attempt := 0; ; attempt++ {
		_, err = admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, templateName))
		var pgErr *pgconn.PgError
		if err != nil && errors.As(err, &pgErr) && pgErr.Code == "55006" && attempt < 50 {
			time.Sleep(50 * time.Millisecond) // another clone is reading the template
			continue
		}
		break
	}
	if err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	url := withDatabase(t, serverURL, name)
	cfg, err := db.Config(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 6
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("pgtest: pool: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		c, err := pgx.Connect(context.Background(), serverURL)
		if err != nil {
			t.Errorf("pgtest: connect for cleanup: %v", err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	return &DB{Pool: pool, URL: url}
}

// ensureTemplate creates the migrated template database once per set of
// migrations. Test binaries running at the same time agree through an
// advisory lock; the template's name carries a hash of the migrations, so
// a changed migration gets a new template.
func ensureTemplate(ctx context.Context) (string, error) {
	hash, err := migrationsHash(db.MigrationsFS())
	if err != nil {
		return "", err
	}
	name := "alumnet_tpl_" + hash
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(7411001)`); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, `SELECT pg_advisory_unlock(7411001)`) //nolint:errcheck
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_build"
	if _, err := conn.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building)); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return "", err
	}
	u, err := databaseURL(serverURL, building)
	if err != nil {
		return "", err
	}
	pool, err := db.Open(ctx, u)
	if err != nil {
		return "", err
	}
	err = db.Migrate(ctx, pool, nil)
	pool.Close()
	if err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name)); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s WITH IS_TEMPLATE true`, name)); err != nil {
		return "", err
	}
	return name, nil
}

func migrationsHash(fsys fs.FS) (string, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\n%d\n", n, len(b))
		h.Write(b)
	}
	// River's own migrations run after ours (db.Migrate).
	fmt.Fprintf(h, "river %d\n", db.RiverSchemaVersion())
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

func withDatabase(t testing.TB, url, name string) string {
	u, err := databaseURL(url, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// databaseURL replaces the database name in a connection string.
func databaseURL(url, name string) (string, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "", err
	}
	host := cfg.Host
	return fmt.Sprintf("postgres://%s@/%s?host=%s&port=%d&sslmode=disable%s", cfg.User, name, host, cfg.Port, passwordParam(cfg.Password)), nil
}

func passwordParam(p string) string {
	if p == "" {
		return ""
	}
	return "&password=" + p
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
