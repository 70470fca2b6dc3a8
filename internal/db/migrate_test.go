package db_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"alumnet/internal/db"
	"alumnet/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// TestMigrateConcurrently starts several "app processes" on an empty
// database at once: each must succeed, with our schema and River's applied
// once.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	d := pgtest.New(t)
	// An empty database next to the test's own.
	u, err := url.Parse(d.URL)
	if err != nil {
		t.Fatal(err)
	}
	name := "empty_" + strings.TrimPrefix(u.Path, "/")
	if _, err := d.Pool.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = d.Pool.Exec(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`) })
	u.Path = "/" + name
	dbURL := u.String()

	migrateAll := func() {
		t.Helper()
		const n = 4
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pool, err := db.Open(ctx, dbURL)
				if err != nil {
					errs[i] = err
					return
				}
				defer pool.Close()
				errs[i] = db.Migrate(ctx, pool, nil)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("process %d: %v", i, err)
			}
		}
	}
	migrateAll()
	pool, err := db.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// A River upgrade: our schema is up to date, River's is not, so every
	// process goes straight to River's migrations at the same moment.
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionDown, &rivermigrate.MigrateOpts{TargetVersion: -1}); err != nil {
		t.Fatal(err)
	}
	migrateAll()
	var river, deliveries int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT version) FROM river_migration`).Scan(&river, new(int)); err != nil {
		t.Fatal(err)
	}
	if river != db.RiverSchemaVersion() {
		t.Errorf("%d River migrations applied, want %d", river, db.RiverSchemaVersion())
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_name IN ('mail_deliveries', 'mail_delivery_log', 'river_job')`).Scan(&deliveries); err != nil {
		t.Fatal(err)
	}
	if deliveries != 3 {
		t.Errorf("%d of the job and delivery tables exist, want 3", deliveries)
	}
}
