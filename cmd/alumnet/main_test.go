package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/pgtest"
)

// The tests of the commands run the real binary, as an operator would, in
// processes of their own; a few call run in this process.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// alumnetBinary builds bin/alumnet once for the package's tests.
func alumnetBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "alumnet-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "alumnet")
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
	return binPath
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a running alumnet process.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

// environ is a clean environment with only what is given (and PATH, for
// the PostgreSQL binaries): nothing from the test's own environment, such
// as an SMTP_URL, leaks into the app.
func environ(vars map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// start runs the binary with args in env; the process is ended when the
// test ends, and its output shown when the test failed.
func start(t *testing.T, name string, env map[string]string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(alumnetBinary(t), args...), out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = environ(env)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(30 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.done
			}
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", p.name, p.out.String())
		}
	})
	return p
}

// wait waits for the process to end and returns its exit error.
func (p *proc) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		t.Fatalf("%s did not end within %s", p.name, timeout)
		return nil
	}
}

// stop sends SIGTERM and requires a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("signal %s: %v", p.name, err)
	}
	if err := p.wait(t, 60*time.Second); err != nil {
		t.Fatalf("%s ended with %v after SIGTERM", p.name, err)
	}
}

// runBinary runs the binary to its end and returns its output and exit code.
func runBinary(t *testing.T, env map[string]string, args ...string) (string, int) {
	t.Helper()
	p := start(t, strings.Join(append([]string{"alumnet"}, args...), " "), env, args...)
	err := p.wait(t, 2*time.Minute)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return p.out.String(), 0
	case errors.As(err, &exit):
		return p.out.String(), exit.ExitCode()
	}
	t.Fatal(err)
	return "", 0
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// quickClient gives up on a request after a few seconds: a server that
// has its address but does not serve yet must not hang a test.
var quickClient = &http.Client{Timeout: 3 * time.Second}

// waitHealthy waits until the app at base answers /healthz with 200.
func waitHealthy(t *testing.T, p *proc, base string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := quickClient.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			t.Fatalf("%s ended before it served: %v", p.name, p.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not answer at %s: %v", p.name, base, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// inProcess calls run in this process with the given environment and
// returns what it printed.
func inProcess(ctx context.Context, env map[string]string, args ...string) (string, error) {
	var out syncBuffer
	err := run(ctx, args, func(k string) string { return env[k] }, &out)
	return out.String(), err
}

// urlOf is a connection string for cfg's server, user and database.
func urlOf(cfg *pgx.ConnConfig) string {
	u := url.URL{Scheme: "postgres", Path: "/" + cfg.Database}
	if cfg.Password != "" {
		u.User = url.UserPassword(cfg.User, cfg.Password)
	} else {
		u.User = url.User(cfg.User)
	}
	q := url.Values{"host": {cfg.Host}, "port": {strconv.Itoa(int(cfg.Port))}, "sslmode": {"disable"}}
	u.RawQuery = q.Encode()
	return u.String()
}
