package pgtest

import (
	"context"
	"os"
	"testing"
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
