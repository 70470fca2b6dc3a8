package pgtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/pgcluster"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

func TestNewGivesSeparateMigratedDatabases(t *testing.T) {
	ctx := context.Background()
	a, b := New(t), New(t)
	if _, err := a.Pool.Exec(ctx, `INSERT INTO tags (name) VALUES ('only-in-a')`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.Pool.QueryRow(ctx, `SELECT count(*) FROM tags`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database b sees %d tags from a", n)
	}
	var name string
	if err := a.Pool.QueryRow(ctx, `SELECT f_unaccent('José')`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "Jose" {
		t.Fatalf("f_unaccent = %q", name)
	}
}

// TestRemoveOnSignal runs this test binary again as a helper that starts a
// throwaway cluster the way Run does and then waits; a SIGTERM must stop
// the server and remove its directory before the helper ends.
func TestRemoveOnSignal(t *testing.T) {
	if os.Getenv("PGTEST_SIGNAL_HELPER") != "" {
		signalHelper()
		return
	}
	tmp, err := os.MkdirTemp("", "pgtest-signal-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRemoveOnSignal$")
	// TEST_DATABASE_URL keeps the helper's own TestMain from starting a
	// cluster; the helper starts one itself.
	cmd.Env = append(os.Environ(), "PGTEST_SIGNAL_HELPER=1", "TMPDIR="+tmp, "TEST_DATABASE_URL=unused")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("helper did not report its cluster: %v", err)
	}
	url := strings.TrimSpace(strings.TrimPrefix(line, "url "))
	if err := ping(url); err != nil {
		t.Fatalf("helper's cluster does not answer: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-time.After(30 * time.Second):
		t.Fatal("helper did not end within 30 seconds of SIGTERM")
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 128+int(syscall.SIGTERM) {
		t.Errorf("helper ended with %v, want status %d", err, 128+int(syscall.SIGTERM))
	}
	if err := ping(url); err == nil {
		t.Error("the cluster still answers after the signal")
	}
	if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
		t.Errorf("left behind in TMPDIR: %v", entries)
		for _, e := range entries {
			if c, err := pgcluster.New(filepath.Join(tmp, e.Name()), nil); err == nil {
				_ = c.Stop()
			}
		}
	}
}

func signalHelper() {
	c, err := StartCluster()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	RemoveOnSignal(c)
	fmt.Println("url", c.URL("postgres"))
	time.Sleep(time.Minute)
	_ = c.Stop()
	_ = c.Remove()
	os.Exit(0)
}

func ping(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx)
}
