package main

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"alumnet/internal/auth"
	"alumnet/internal/pgtest"
)

// TestServeTakesTheAddressBeforeMakingTheAdministrator: when the port is
// taken, serve fails before it creates the first administrator, so no
// one-time password is printed for a start that did not happen.
func TestServeTakesTheAddressBeforeMakingTheAdministrator(t *testing.T) {
	d := pgtest.New(t)
	users := auth.NewStore(d.Pool, auth.Options{})
	ctx := context.Background()

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	env := map[string]string{"DATABASE_URL": d.URL, "ADDR": taken.Addr().String()}
	out, err := inProcess(ctx, env, "serve")
	if err == nil || !strings.Contains(err.Error(), "ADDR") {
		t.Fatalf("serve on a taken port: err = %v, want one naming ADDR", err)
	}
	if strings.Contains(out, "password") || strings.Contains(out, "administrator") {
		t.Errorf("a failed start printed:\n%s", out)
	}
	if n, err := users.CountUsers(ctx); err != nil || n != 0 {
		t.Fatalf("a failed start left %d users (%v)", n, err)
	}

	// The control: on a free port the same start makes the administrator
	// and prints the password once, also with a pool of one connection.
	addr := freeAddr(t)
	env["ADDR"] = addr
	env["DATABASE_URL"] = d.URL + "&pool_max_conns=1"
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var buf syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(runCtx, []string{"serve"}, func(k string) string { return env[k] }, &buf) }()
	waitFor(t, 60*time.Second, "serve answers", func() bool {
		resp, err := quickClient.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, buf.String())
	}
	if !strings.Contains(buf.String(), "password: ") {
		t.Errorf("a successful start printed no password:\n%s", buf.String())
	}
	if n, err := users.CountUsers(ctx); err != nil || n != 1 {
		t.Fatalf("after a successful start: %d users (%v), want 1", n, err)
	}
}
