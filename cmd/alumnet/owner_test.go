package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/pgcluster"
)

// TestOnlyTheStarterStopsTheLocalCluster: with DATABASE_URL unset, the
// process that started the project-local PostgreSQL stops it when it ends;
// other processes on the same data directory (`user create`, `migrate`
// while `make run` serves) use it and leave it running.
func TestOnlyTheStarterStopsTheLocalCluster(t *testing.T) {
	dataDir, err := os.MkdirTemp("", "alumnet-owner-")
	if err != nil {
		t.Fatal(err)
	}
	// The postgres user must reach the cluster when the tests run as root.
	if err := os.Chmod(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := pgcluster.New(filepath.Join(dataDir, "postgres"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Stop() // only when the test failed is there anything to stop
		os.RemoveAll(dataDir)
	})
	// A cluster made beforehand, so that serve does not load demo data
	// into a new one; durability is not needed here.
	c.Settings["fsync"] = "off"
	ctx := context.Background()
	if _, err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	conf, err := os.OpenFile(filepath.Join(c.Dir, "data", "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conf.WriteString("fsync = off\nsynchronous_commit = off\n"); err != nil {
		t.Fatal(err)
	}
	conf.Close()
	answers := func() bool {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, c.URL("alumnet"))
		if err != nil {
			return false
		}
		defer conn.Close(ctx)
		return conn.Ping(ctx) == nil
	}

	env := map[string]string{"ALUMNET_DATA_DIR": dataDir}

	// Alone, a command starts the cluster and stops it again.
	if out, code := runBinary(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, out)
	}
	if c.Running(ctx) {
		t.Fatal("migrate, which started the cluster, left it running")
	}

	addr := freeAddr(t)
	a := start(t, "serve (A)", map[string]string{"ALUMNET_DATA_DIR": dataDir, "ADDR": addr}, "serve")
	waitHealthy(t, a, "http://"+addr)

	for _, args := range [][]string{
		{"migrate"},
		{"user", "create", "-email", "b@example.nl", "-name", "B de Vries"},
		{"user", "reset-password", "-email", "b@example.nl"},
	} {
		out, code := runBinary(t, env, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, out)
		}
		if !answers() {
			t.Fatalf("after %v ended, A's database no longer answers", args)
		}
	}
	waitHealthy(t, a, "http://"+addr)

	a.stop(t)
	if c.Running(ctx) || answers() {
		t.Fatal("A started the cluster but left it running when it ended")
	}
}
