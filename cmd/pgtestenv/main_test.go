package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/pgcluster"
)

// The tests run the real pgtestenv binary with TMPDIR set to a directory
// of their own, so that they can see what it leaves behind.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// build compiles pgtestenv once for the package's tests and makes a TMPDIR
// for one test.
func build(t *testing.T) (bin, tmp string) {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pgtestenv-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "pgtestenv")
		gobin, err := exec.LookPath("go")
		if err != nil {
			gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		if out, err := exec.Command(gobin, "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	bin = binPath
	// The cluster's parent must be reachable for the postgres user when
	// the tests run as root; t.TempDir is not (0700).
	tmp, err := os.MkdirTemp("", "pgtestenv-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	return bin, tmp
}

func command(bin, tmp string, script string, extraEnv ...string) *exec.Cmd {
	cmd := exec.Command(bin, "--", "sh", "-c", script)
	cmd.Env = append(os.Environ(), append([]string{"TMPDIR=" + tmp}, extraEnv...)...)
	return cmd
}

// leftovers lists what is left in tmp besides the files the test made.
func leftovers(t *testing.T, tmp string) []string {
	t.Helper()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "out-") {
			left = append(left, e.Name())
		}
	}
	return left
}

func TestRunsCommandAndRemovesEverything(t *testing.T) {
	bin, tmp := build(t)
	out := filepath.Join(tmp, "out-url")
	cmd := command(bin, tmp, `echo "$TEST_DATABASE_URL" > "$OUT"; exit 7`, "OUT="+out)
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 7 {
		t.Fatalf("exit: %v, want status 7 (the command's)", err)
	}
	url, err := os.ReadFile(out)
	if err != nil || !strings.HasPrefix(string(url), "postgres://") {
		t.Fatalf("the command saw TEST_DATABASE_URL %q (%v)", url, err)
	}
	if left := leftovers(t, tmp); len(left) > 0 {
		t.Errorf("left behind in TMPDIR: %v", left)
	}
}

func TestPassesSignalsAndStillCleansUp(t *testing.T) {
	bin, tmp := build(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			urlFile := filepath.Join(tmp, "out-url-"+sig.String())
			gotFile := filepath.Join(tmp, "out-got-"+sig.String())
			// The command waits for a signal, notes which one it got and
			// ends with status 3.
			script := `trap 'echo TERM > "$GOT"; exit 3' TERM
trap 'echo INT > "$GOT"; exit 3' INT
echo "$TEST_DATABASE_URL" > "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
while :; do sleep 0.1; done`
			cmd := command(bin, tmp, script, "OUT="+urlFile, "GOT="+gotFile)
			// A process group of its own, so that a failing test can end
			// the command too.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			t.Cleanup(func() { cleanUpAfterFailure(t, cmd, tmp) })
			var url string
			for deadline := time.Now().Add(60 * time.Second); url == ""; {
				if b, err := os.ReadFile(urlFile); err == nil {
					url = strings.TrimSpace(string(b))
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the command did not start within a minute")
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err := ping(url); err != nil {
				t.Fatalf("the throwaway database does not answer while the command runs: %v", err)
			}
			// Only pgtestenv gets the signal, as from `kill` or a CI
			// runner, not the whole process group.
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-waited:
			case <-time.After(20 * time.Second):
				t.Fatal("pgtestenv did not end within 20 seconds of the signal")
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 3 {
				t.Errorf("exit: %v, want status 3 (the command's, after its trap)", err)
			}
			want := map[syscall.Signal]string{syscall.SIGTERM: "TERM", syscall.SIGINT: "INT"}[sig]
			if got, _ := os.ReadFile(gotFile); strings.TrimSpace(string(got)) != want {
				t.Errorf("the command got %q, want %s", got, want)
			}
			if err := ping(url); err == nil {
				t.Error("the throwaway database still answers after pgtestenv ended")
			}
			if left := leftovers(t, tmp); len(left) > 0 {
				t.Errorf("left behind in TMPDIR: %v", left)
			}
		})
	}
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

// cleanUpAfterFailure ends what a failed run left: the command's process
// group, and any cluster still running under tmp.
func cleanUpAfterFailure(t *testing.T, cmd *exec.Cmd, tmp string) {
	if !t.Failed() {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	dirs, _ := filepath.Glob(filepath.Join(tmp, "alumnet-pgtest-*"))
	for _, d := range dirs {
		if c, err := pgcluster.New(d, nil); err == nil {
			_ = c.Stop()
		}
	}
}
