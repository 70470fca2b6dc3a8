package main

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"alumnet/internal/config"
	"alumnet/internal/pgtest"
)

// helpArgs are the ways to ask for help.
var helpArgs = [][]string{
	{"help"},
	{"-h"},
	{"--help"},
	{"serve", "-h"},
	{"serve", "-no-workers", "--help"},
	{"migrate", "-h"},
	{"demo", "-h"},
	{"user", "-h"},
	{"user", "create", "-h"},
	{"user", "reset-password", "-h"},
}

// checkHelp requires every command, each of its flags and every
// environment variable in out.
func checkHelp(t *testing.T, out string) {
	t.Helper()
	for _, c := range commands() {
		if !strings.Contains(out, "  "+c.name+" ") {
			t.Errorf("help lacks the command %q", c.name)
		}
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.flags(fs)
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.Contains(out, "-"+f.Name+" ") {
				t.Errorf("help lacks the flag -%s of %s", f.Name, c.name)
			}
		})
	}
	for _, v := range config.Variables() {
		if !strings.Contains(out, v.Name+" ") {
			t.Errorf("help lacks the variable %s", v.Name)
		}
	}
}

// TestHelpWithBrokenEnvironment: the help works whatever the environment
// says, and exits 0.
func TestHelpWithBrokenEnvironment(t *testing.T) {
	broken := map[string]string{"BASE_URL": "ftp://nowhere", "LOG_LEVEL": "loud", "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
	for _, args := range helpArgs {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, code := runBinary(t, broken, args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, out)
			}
			checkHelp(t, out)
		})
	}
}

// TestHelpNeverRunsTheCommand: with a working environment and an empty
// database, asking for help migrates nothing, creates nobody and serves
// nothing.
func TestHelpNeverRunsTheCommand(t *testing.T) {
	url := emptyDatabase(t)
	env := map[string]string{"DATABASE_URL": url, "DATABASE_WAIT": "0", "ADDR": freeAddr(t)}
	for _, args := range helpArgs {
		out, err := inProcess(context.Background(), env, args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		checkHelp(t, out)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Fatalf("asking for help created %d tables: a command ran", tables)
	}
	// The control: the same environment without -h does migrate.
	if out, err := inProcess(ctx, env, "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables == 0 {
		t.Fatal("migrate created no tables: the check above proves nothing")
	}
}

// emptyDatabase makes a database without any tables on the test server.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	return newEmptyDatabase(t, pgtest.New(t).URL, "empty")
}

// TestReadmeListsEveryVariableAndCommand keeps README.md's configuration
// table and command list in step with the code.
func TestReadmeListsEveryVariableAndCommand(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, v := range config.Variables() {
		if !strings.Contains(readme, "`"+v.Name+"`") {
			t.Errorf("README.md lacks the variable %s", v.Name)
		}
	}
	for _, c := range commands() {
		if !strings.Contains(readme, "bin/alumnet "+c.name) {
			t.Errorf("README.md lacks the command %s", c.name)
		}
	}
}
