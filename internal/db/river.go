package db

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// riverMigrateLock is the advisory lock key under which River's schema is
// migrated. River's migrator takes no lock of its own, and two app
// processes starting together would both try to create its tables.
const riverMigrateLock int64 = 0x616c756d_72697665 // "alumrive"

// migrateRiver brings the job queue's tables (River's own migrations) up to
// date, holding riverMigrateLock on a connection of its own for the whole
// run: a second process waits and then finds nothing left to do.
func migrateRiver(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	// A connection outside the pool, so that a pool of one connection
	// still has one left for the migrator.
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("db: migrate river: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, riverMigrateLock); err != nil {
		return fmt.Errorf("db: migrate river: lock: %w", err)
	}
	// Closing the connection releases the lock too; unlocking first keeps
	// a waiting process from waiting for the close.
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, riverMigrateLock) //nolint:errcheck

	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{
		// Applied versions are logged below; River would also log "no
		// migrations to apply" at every start.
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return fmt.Errorf("db: migrate river: %w", err)
	}
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("db: migrate river: %w", err)
	}
	for _, v := range res.Versions {
		if log != nil {
			log.Info("river migration applied", "version", v.Version, "name", v.Name, "duration_ms", v.Duration.Milliseconds())
		}
	}
	return nil
}

// RiverSchemaVersion is the newest River migration this build applies. The
// test harness adds it to the fingerprint of its template database, so that
// a River upgrade with new migrations gets a fresh template.
func RiverSchemaVersion() int {
	m, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		return 0
	}
	all := m.AllVersions()
	if len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Version
}
