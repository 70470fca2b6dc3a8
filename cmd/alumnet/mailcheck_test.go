package main

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestServeRefusesMailThatCannotWork: with a mail server configured, serve
// does not start on links nobody can open or a placeholder sender, and
// says why before it touches the database; on a developer's machine it
// may.
func TestServeRefusesMailThatCannotWork(t *testing.T) {
	dbURL := emptyDatabase(t)
	env := map[string]string{"DATABASE_URL": dbURL, "DATABASE_WAIT": "0", "ADDR": freeAddr(t), "SMTP_URL": "smtp://mail.example.nl:587"}
	out, code := runBinary(t, env, "serve")
	if code == 0 || !strings.Contains(out, "SMTP_URL is set") || !strings.Contains(out, "BASE_URL") || !strings.Contains(out, "MAIL_FROM") ||
		!strings.Contains(out, "ALUMNET_DEVELOPMENT=true") {
		t.Fatalf("serve with SMTP_URL and a local BASE_URL: exit %d\n%s", code, out)
	}
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var tables int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("the refused start migrated the database: %d tables (%v)", tables, err)
	}
}
