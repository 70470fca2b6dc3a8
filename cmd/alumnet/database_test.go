package main

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/pgtest"
)

// TestDatabaseNotThere: a DATABASE_URL where nothing answers is tried for
// DATABASE_WAIT, and the error names DATABASE_URL.
func TestDatabaseNotThere(t *testing.T) {
	wait := time.Second
	env := map[string]string{
		"DATABASE_URL":  "postgres://alumnet@" + freeAddr(t) + "/alumnet?sslmode=disable",
		"DATABASE_WAIT": wait.String(),
	}
	start := time.Now()
	_, err := inProcess(context.Background(), env, "migrate")
	took := time.Since(start)
	if err == nil {
		t.Fatal("migrate against nothing succeeded")
	}
	if !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("error does not name DATABASE_URL: %v", err)
	}
	if took < wait*9/10 || took > wait+15*time.Second {
		t.Errorf("gave up after %s with DATABASE_WAIT %s", took, wait)
	}
	if strings.Contains(err.Error(), "(1 attempt;") {
		t.Errorf("tried only once: %v", err)
	}
}

// TestDatabaseComesLater: the app starts before its database (containers
// start in any order) and gets through once it answers.
func TestDatabaseComesLater(t *testing.T) {
	d := pgtest.New(t)
	cfg, err := pgx.ParseConfig(d.URL)
	if err != nil {
		t.Fatal(err)
	}
	// A TCP port that starts forwarding to the test database only after
	// a while; until then connections are refused.
	addr := freeAddr(t)
	const late = 1500 * time.Millisecond
	var (
		mu      sync.Mutex
		ln      net.Listener
		stopped bool
	)
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		if ln != nil {
			ln.Close()
		}
	})
	proxyErr := make(chan error, 1)
	go func() {
		time.Sleep(late)
		mu.Lock()
		if stopped {
			mu.Unlock()
			return
		}
		l, err := net.Listen("tcp", addr)
		ln = l
		mu.Unlock()
		proxyErr <- err
		if err != nil {
			return
		}
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go forward(c, cfg)
		}
	}()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	via := *cfg
	via.Host, via.Port = host, uint16(p)
	env := map[string]string{"DATABASE_URL": urlOf(&via), "DATABASE_WAIT": "60s"}
	start := time.Now()
	out, err := inProcess(context.Background(), env, "migrate")
	if err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	if err := <-proxyErr; err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < late {
		t.Errorf("migrate succeeded after %s, before the database was there", took)
	}
	if !strings.Contains(out, "database reached") {
		t.Errorf("no note of reaching the database after retrying:\n%s", out)
	}
}

// forward copies a client connection to the test server and back.
func forward(client net.Conn, cfg *pgx.ConnConfig) {
	defer client.Close()
	network, target := "tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	if strings.HasPrefix(cfg.Host, "/") {
		network, target = "unix", cfg.Host+"/.s.PGSQL."+strconv.Itoa(int(cfg.Port))
	}
	server, err := net.Dial(network, target)
	if err != nil {
		return
	}
	defer server.Close()
	go func() { _, _ = io.Copy(server, client) }()
	_, _ = io.Copy(client, server)
}
